#include "services/paging/webhook_notifier.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace tocsin::paging {
namespace {

// How much of a refusing answer's body is kept in the error.
constexpr size_t kMaxDetail = 200;

bool IsHttpUrl(const std::string& url) {
  return absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://");
}

std::string Snippet(const std::string& body) {
  std::string s = body.substr(0, kMaxDetail);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s;
}

}  // namespace

std::string WebhookBody(const paging::v1::Page& page, const std::string& ack_url) {
  nlohmann::json j;
  j["pageId"] = page.id();
  j["incidentId"] = page.incident_id();
  j["contact"] = page.contact();
  j["channel"] = page.channel().name();
  j["title"] = page.incident_title();
  j["impact"] = page.impact();
  j["summary"] = page.summary();
  j["stage"] = page.stage();
  j["acceptCode"] = page.accept_code();
  j["ackUrl"] = ack_url;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status WebhookNotifier::Deliver(const paging::v1::Page& page, const std::string& ack_url) {
  const std::string& url = page.channel().webhook().url();
  if (!page.channel().has_webhook() || !IsHttpUrl(url)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page \"", page.id(), "\": channel \"", page.channel().name(),
                     "\" has no http:// or https:// webhook URL"));
  }
  http::HttpClientRequest request;
  request.method = "POST";
  request.url = url;
  request.body = WebhookBody(page, ack_url);
  request.headers = {{"Content-Type", "application/json"},
                     {"Idempotency-Key", page.id()},
                     {"User-Agent", "tocsin-paging"}};
  request.timeout = options_.timeout;
  absl::StatusOr<http::HttpClientResponse> response;
  {
    absl::MutexLock l(&mu_);
    response = client_.Send(request);
  }
  const std::string what =
      absl::StrCat("webhook of channel \"", page.channel().name(), "\" for page \"", page.id(),
                   "\"");
  if (!response.ok()) {
    return absl::UnavailableError(absl::StrCat(what, ": ", response.status().message()));
  }
  const int status = response->status;
  if (status >= 200 && status < 300) return absl::OkStatus();
  const std::string answered =
      absl::StrCat(what, " answered ", status, ": ", Snippet(response->body));
  if (status == 408 || status == 429 || status >= 500) {
    return absl::UnavailableError(answered);
  }
  return absl::FailedPreconditionError(answered);
}

}  // namespace tocsin::paging
