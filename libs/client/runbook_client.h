// Client of the runbook service's gRPC API (RunbookService), as plain calls
// that return absl::StatusOr.
//
//   auto runbooks = RunbookClient::Create(MakeChannel("127.0.0.1:7005"));
//   ASSIGN_OR_RETURN(ApplyRunbookResponse saved,
//                    runbooks->ApplyRunbook("restart-web", yaml, "cli:alice"));
//   ASSIGN_OR_RETURN(Execution run, runbooks->StartExecution(request));
//
// Deadlines and errors as in incidents_client.h: every call has the
// options' deadline, and the service's codes come back as they are
// (InvalidArgument for a bad document, parameter or decision; NotFound;
// FailedPrecondition for a step that does not wait for that decision;
// PermissionDenied for someone who is not an approver). Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_RUNBOOK_CLIENT_H_
#define TOCSIN_LIBS_CLIENT_RUNBOOK_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "libs/client/options.h"
#include "tocsin/runbook/v1/runbook.grpc.pb.h"
#include "tocsin/runbook/v1/runbook.pb.h"

namespace tocsin::client {

class RunbookClient {
 public:
  static std::unique_ptr<RunbookClient> Create(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  RunbookClient(const RunbookClient&) = delete;
  RunbookClient& operator=(const RunbookClient&) = delete;

  // ---- Runbooks ----

  // Saves `document` (SSM-style YAML or JSON) as the runbook's next version,
  // or nothing when it equals the latest (UNCHANGED); with `dry_run`, only
  // validates it and says what would happen.
  absl::StatusOr<runbook::v1::ApplyRunbookResponse> ApplyRunbook(
      const std::string& name, const std::string& document,
      const std::string& author, bool dry_run = false) const;
  // `version` 0: the latest.
  absl::StatusOr<runbook::v1::Runbook> GetRunbook(const std::string& name,
                                                  int64_t version = 0) const;
  // The latest version of each runbook, the built-in ones included.
  absl::StatusOr<std::vector<runbook::v1::Runbook>> ListRunbooks() const;
  // Every version of one runbook, oldest first.
  absl::StatusOr<std::vector<runbook::v1::Runbook>> ListRunbookVersions(
      const std::string& name) const;

  // ---- Executions ----

  absl::StatusOr<runbook::v1::Execution> StartExecution(
      const runbook::v1::StartExecutionRequest& request) const;
  absl::StatusOr<runbook::v1::Execution> GetExecution(
      const std::string& id) const;
  // Of one incident, or of all (empty), newest first; `limit` 0: the
  // service's default.
  absl::StatusOr<std::vector<runbook::v1::Execution>> ListExecutions(
      const std::string& incident_id, int limit = 0) const;
  absl::StatusOr<runbook::v1::Execution> DecideStep(
      const std::string& execution_id, const std::string& step,
      runbook::v1::StepDecision decision, const std::string& comment,
      const std::string& author) const;
  absl::StatusOr<runbook::v1::Execution> CancelExecution(
      const std::string& id, const std::string& reason,
      const std::string& author) const;

 private:
  RunbookClient(std::unique_ptr<runbook::v1::RunbookService::Stub> stub,
                const ClientOptions& options);

  std::unique_ptr<runbook::v1::RunbookService::Stub> stub_;
  ClientOptions options_;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_RUNBOOK_CLIENT_H_
