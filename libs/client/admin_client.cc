#include "libs/client/admin_client.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "libs/client/call.h"
#include "libs/status/status_macros.h"

namespace tocsin::client {

namespace v1 = ::tocsin::admin::v1;
using internal::Call;

std::unique_ptr<AdminClient> AdminClient::Create(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<AdminClient>(
      new AdminClient(v1::AdminService::NewStub(channel), options));
}

AdminClient::AdminClient(std::unique_ptr<v1::AdminService::Stub> admin,
                         const ClientOptions& options)
    : admin_(std::move(admin)), options_(options) {}

absl::StatusOr<std::vector<v1::DeadLetter>> AdminClient::ListDeadLetters(
    const ListDeadLettersParams& params) const {
  v1::ListDeadLettersRequest request;
  request.set_include_replayed(params.include_replayed);
  request.set_limit(params.limit);
  ASSIGN_OR_RETURN(v1::ListDeadLettersResponse response,
                   Call(*admin_, &v1::AdminService::Stub::ListDeadLetters,
                        request, options_.deadline));
  return internal::ToVector(response.mutable_dead_letters());
}

absl::StatusOr<v1::DeadLetter> AdminClient::ReplayDeadLetter(
    const std::string& id) const {
  v1::ReplayDeadLetterRequest request;
  request.set_id(id);
  ASSIGN_OR_RETURN(v1::ReplayDeadLetterResponse response,
                   Call(*admin_, &v1::AdminService::Stub::ReplayDeadLetter,
                        request, options_.deadline));
  return std::move(*response.mutable_dead_letter());
}

absl::StatusOr<std::string> DeadLetterService(absl::string_view id) {
  const size_t dash = id.rfind('-');
  const bool well_formed =
      dash != absl::string_view::npos && dash > 0 && dash + 1 < id.size() &&
      std::all_of(id.begin() + dash + 1, id.end(),
                  [](char c) { return absl::ascii_isdigit(c); });
  if (!well_formed) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "dead letter id \"%s\" is not of the form <service>-<number>, e.g. "
        "paging-17",
        id));
  }
  return std::string(id.substr(0, dash));
}

}  // namespace tocsin::client
