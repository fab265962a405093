#include "libs/client/runbook_client.h"

#include <utility>

#include "libs/client/call.h"
#include "libs/status/status_macros.h"

namespace tocsin::client {

namespace v1 = ::tocsin::runbook::v1;
using internal::Call;
using Stub = v1::RunbookService::Stub;

std::unique_ptr<RunbookClient> RunbookClient::Create(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<RunbookClient>(
      new RunbookClient(v1::RunbookService::NewStub(channel), options));
}

RunbookClient::RunbookClient(std::unique_ptr<Stub> stub,
                             const ClientOptions& options)
    : stub_(std::move(stub)), options_(options) {}

absl::StatusOr<v1::ApplyRunbookResponse> RunbookClient::ApplyRunbook(
    const std::string& name, const std::string& document,
    const std::string& author, bool dry_run) const {
  v1::ApplyRunbookRequest request;
  request.set_name(name);
  request.set_document(document);
  request.set_author(author);
  request.set_dry_run(dry_run);
  return Call(*stub_, &Stub::ApplyRunbook, request, options_.deadline);
}

absl::StatusOr<v1::Runbook> RunbookClient::GetRunbook(const std::string& name,
                                                      int64_t version) const {
  v1::GetRunbookRequest request;
  request.set_name(name);
  request.set_version(version);
  return Call(*stub_, &Stub::GetRunbook, request, options_.deadline);
}

absl::StatusOr<std::vector<v1::Runbook>> RunbookClient::ListRunbooks() const {
  ASSIGN_OR_RETURN(v1::ListRunbooksResponse response,
                   Call(*stub_, &Stub::ListRunbooks, v1::ListRunbooksRequest(),
                        options_.deadline));
  return internal::ToVector(response.mutable_runbooks());
}

absl::StatusOr<std::vector<v1::Runbook>> RunbookClient::ListRunbookVersions(
    const std::string& name) const {
  v1::ListRunbookVersionsRequest request;
  request.set_name(name);
  ASSIGN_OR_RETURN(v1::ListRunbookVersionsResponse response,
                   Call(*stub_, &Stub::ListRunbookVersions, request,
                        options_.deadline));
  return internal::ToVector(response.mutable_versions());
}

absl::StatusOr<v1::Execution> RunbookClient::StartExecution(
    const v1::StartExecutionRequest& request) const {
  return Call(*stub_, &Stub::StartExecution, request, options_.deadline);
}

absl::StatusOr<v1::Execution> RunbookClient::GetExecution(
    const std::string& id) const {
  v1::GetExecutionRequest request;
  request.set_id(id);
  return Call(*stub_, &Stub::GetExecution, request, options_.deadline);
}

absl::StatusOr<std::vector<v1::Execution>> RunbookClient::ListExecutions(
    const std::string& incident_id, int limit) const {
  v1::ListExecutionsRequest request;
  request.set_incident_id(incident_id);
  request.set_page_size(limit);
  ASSIGN_OR_RETURN(v1::ListExecutionsResponse response,
                   Call(*stub_, &Stub::ListExecutions, request,
                        options_.deadline));
  return internal::ToVector(response.mutable_executions());
}

absl::StatusOr<v1::Execution> RunbookClient::DecideStep(
    const std::string& execution_id, const std::string& step,
    v1::StepDecision decision, const std::string& comment,
    const std::string& author) const {
  v1::DecideStepRequest request;
  request.set_execution_id(execution_id);
  request.set_step(step);
  request.set_decision(decision);
  request.set_comment(comment);
  request.set_author(author);
  return Call(*stub_, &Stub::DecideStep, request, options_.deadline);
}

absl::StatusOr<v1::Execution> RunbookClient::CancelExecution(
    const std::string& id, const std::string& reason,
    const std::string& author) const {
  v1::CancelExecutionRequest request;
  request.set_id(id);
  request.set_reason(reason);
  request.set_author(author);
  return Call(*stub_, &Stub::CancelExecution, request, options_.deadline);
}

}  // namespace tocsin::client
