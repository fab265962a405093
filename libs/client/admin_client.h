// Client of AdminService (tocsin/admin/v1/admin.proto), which every Tocsin
// service serves on its own gRPC port beside its API: the service's dead
// letters, and replaying one once its cause is fixed.
//
//   auto paging_admin = AdminClient::Create(MakeChannel("127.0.0.1:7004"));
//   ASSIGN_OR_RETURN(std::vector<DeadLetter> letters,
//                    paging_admin->ListDeadLetters({.include_replayed =
//                    true}));
//   ASSIGN_OR_RETURN(std::string service, DeadLetterService("paging-17"));
//
// Deadlines and errors as in incidents_client.h; ReplayDeadLetter answers
// NotFound for an unknown id, FailedPrecondition for one already replayed,
// and the handler's own error when it fails again. Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_ADMIN_CLIENT_H_
#define TOCSIN_LIBS_CLIENT_ADMIN_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/channel.h"
#include "libs/client/options.h"
#include "tocsin/admin/v1/admin.grpc.pb.h"
#include "tocsin/admin/v1/admin.pb.h"

namespace tocsin::client {

struct ListDeadLettersParams {
  // Also those replayed already.
  bool include_replayed = false;
  // At most this many; 0 leaves it to the server (100; it allows 1000).
  int limit = 0;
};

class AdminClient {
 public:
  static std::unique_ptr<AdminClient> Create(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // The service's dead letters, newest first.
  absl::StatusOr<std::vector<admin::v1::DeadLetter>> ListDeadLetters(
      const ListDeadLettersParams& params) const;
  // Processes the dead letter again; returns it as it is after the replay
  // (replay_time set).
  absl::StatusOr<admin::v1::DeadLetter> ReplayDeadLetter(
      const std::string& id) const;

 private:
  AdminClient(std::unique_ptr<admin::v1::AdminService::Stub> admin,
              const ClientOptions& options);

  std::unique_ptr<admin::v1::AdminService::Stub> admin_;
  ClientOptions options_;
};

// The service that holds a dead letter, from its id "<service>-<n>"
// ("paging-17" gives "paging"). InvalidArgument, naming the id, when it does
// not have that form.
absl::StatusOr<std::string> DeadLetterService(absl::string_view id);

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_ADMIN_CLIENT_H_
