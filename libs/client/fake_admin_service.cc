#include "libs/client/fake_admin_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/client/fake_time.h"
#include "libs/grpc/status.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::admin::v1;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

// Newest first: later create_time, then the larger id.
bool Newer(const v1::DeadLetter& a, const v1::DeadLetter& b) {
  if (a.create_time().seconds() != b.create_time().seconds()) {
    return a.create_time().seconds() > b.create_time().seconds();
  }
  if (a.create_time().nanos() != b.create_time().nanos()) {
    return a.create_time().nanos() > b.create_time().nanos();
  }
  return a.id() > b.id();
}

}  // namespace

void FakeAdminService::AddDeadLetter(const v1::DeadLetter& dead_letter) {
  absl::MutexLock lock(&mu_);
  dead_letters_[dead_letter.id()] = dead_letter;
}

v1::DeadLetter FakeAdminService::dead_letter(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return dead_letters_.at(id);
}

void FakeAdminService::FailReplays(absl::Status status) {
  absl::MutexLock lock(&mu_);
  replay_status_ = std::move(status);
}

std::vector<std::string> FakeAdminService::replays() {
  absl::MutexLock lock(&mu_);
  return replays_;
}

std::vector<v1::ListDeadLettersRequest> FakeAdminService::lists() {
  absl::MutexLock lock(&mu_);
  return lists_;
}

std::vector<absl::Time> FakeAdminService::deadlines() {
  absl::MutexLock lock(&mu_);
  return deadlines_;
}

void FakeAdminService::RecordDeadline(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  deadlines_.push_back(deadline == std::chrono::system_clock::time_point::max()
                           ? absl::InfiniteFuture()
                           : absl::FromChrono(deadline));
}

grpc::Status FakeAdminService::ListDeadLetters(
    grpc::ServerContext* context, const v1::ListDeadLettersRequest* request,
    v1::ListDeadLettersResponse* response) {
  absl::MutexLock lock(&mu_);
  RecordDeadline(*context);
  lists_.push_back(*request);
  std::vector<v1::DeadLetter> listed;
  for (const auto& [id, dead_letter] : dead_letters_) {
    if (dead_letter.has_replay_time() && !request->include_replayed()) continue;
    listed.push_back(dead_letter);
  }
  std::sort(listed.begin(), listed.end(), Newer);
  const int limit = request->limit() <= 0
                        ? kDefaultLimit
                        : std::min(request->limit(), kMaxLimit);
  if (listed.size() > static_cast<size_t>(limit)) listed.resize(limit);
  for (v1::DeadLetter& dead_letter : listed) {
    *response->add_dead_letters() = std::move(dead_letter);
  }
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::ReplayDeadLetter(
    grpc::ServerContext* context, const v1::ReplayDeadLetterRequest* request,
    v1::ReplayDeadLetterResponse* response) {
  absl::MutexLock lock(&mu_);
  RecordDeadline(*context);
  replays_.push_back(request->id());
  auto it = dead_letters_.find(request->id());
  if (it == dead_letters_.end()) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("dead letter \"", request->id(), "\" not found"));
  }
  if (it->second.has_replay_time()) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("dead letter \"", request->id(), "\" was replayed at ",
                     google::protobuf::util::TimeUtil::ToString(
                         it->second.replay_time())));
  }
  if (!replay_status_.ok()) return ToGrpcStatus(replay_status_);
  it->second.mutable_replay_time()->set_seconds(kFakeNowSeconds + 600);
  *response->mutable_dead_letter() = it->second;
  return grpc::Status::OK;
}

}  // namespace tocsin::client
