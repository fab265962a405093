// In-memory AdminService (testonly), for tests of AdminClient and of
// `tocsin deadletters`; serve it with TestServer (test_server.h), one per
// service a test pretends to run.
//
//   FakeAdminService paging_admin;
//   paging_admin.AddDeadLetter(letter);  // letter.id() "paging-1"
//   ASSERT_OK_AND_ASSIGN(auto server, TestServer::Start({&paging_admin}));
//
// It answers as admin.proto says: ListDeadLetters newest first (by
// create_time, then id), without replayed ones unless asked, at most `limit`
// (0: 100; more than 1000: 1000); ReplayDeadLetter NotFound for an unknown
// id, FailedPrecondition for one already replayed, the status given to
// FailReplays while one is set (the letter stays as it was), and otherwise
// sets replay_time to kFakeNowSeconds + 600. Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_FAKE_ADMIN_SERVICE_H_
#define TOCSIN_LIBS_CLIENT_FAKE_ADMIN_SERVICE_H_

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tocsin/admin/v1/admin.grpc.pb.h"

namespace tocsin::client {

class FakeAdminService final : public admin::v1::AdminService::Service {
 public:
  void AddDeadLetter(const admin::v1::DeadLetter& dead_letter);
  // The dead letter as stored now; it must exist.
  admin::v1::DeadLetter dead_letter(const std::string& id);
  // Replays answer `status` from now on (OkStatus: they succeed again).
  void FailReplays(absl::Status status);
  // The ids of every ReplayDeadLetter request, in order.
  std::vector<std::string> replays();
  // Every ListDeadLetters request, in order.
  std::vector<admin::v1::ListDeadLettersRequest> lists();
  // The deadline of each call so far (absl::InfiniteFuture() for none).
  std::vector<absl::Time> deadlines();

  grpc::Status ListDeadLetters(
      grpc::ServerContext* context,
      const admin::v1::ListDeadLettersRequest* request,
      admin::v1::ListDeadLettersResponse* response) override;
  grpc::Status ReplayDeadLetter(
      grpc::ServerContext* context,
      const admin::v1::ReplayDeadLetterRequest* request,
      admin::v1::ReplayDeadLetterResponse* response) override;

 private:
  void RecordDeadline(const grpc::ServerContext& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::map<std::string, admin::v1::DeadLetter> dead_letters_
      ABSL_GUARDED_BY(mu_);
  absl::Status replay_status_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> replays_ ABSL_GUARDED_BY(mu_);
  std::vector<admin::v1::ListDeadLettersRequest> lists_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_FAKE_ADMIN_SERVICE_H_
