#include "services/paging/webhook_notifier.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "libs/http/redact.h"

namespace tocsin::paging {
namespace {

// How much of a refusing answer's body the error quotes.
constexpr size_t kMaxSnippet = 512;
// Idle connections kept for reuse.
constexpr size_t kMaxIdleClients = 16;

bool IsHttpUrl(const std::string& url) {
  return absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://");
}

}  // namespace

std::string WebhookBody(const paging::v1::Page& page, const std::string& ack_url) {
  nlohmann::json j;
  if (page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION) {
    // A channel's activation code: nothing to acknowledge.
    j["type"] = "activation";
    j["pageId"] = page.id();
    j["contact"] = page.contact();
    j["channel"] = page.channel().name();
    j["activationCode"] = page.activation_code();
    j["confirmWith"] = absl::StrCat("tocsin contacts activate ", page.contact(), " ",
                                    page.channel().name(), " ", page.activation_code());
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
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

std::unique_ptr<http::HttpClient> WebhookNotifier::TakeClient() {
  absl::MutexLock l(&mu_);
  if (idle_.empty()) return std::make_unique<http::HttpClient>();
  std::unique_ptr<http::HttpClient> client = std::move(idle_.back());
  idle_.pop_back();
  return client;
}

void WebhookNotifier::ReturnClient(std::unique_ptr<http::HttpClient> client) {
  absl::MutexLock l(&mu_);
  if (idle_.size() < kMaxIdleClients) idle_.push_back(std::move(client));
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
  // An endless or huge reply is cut off after kMaxReplyBytes instead of
  // being read in full.
  request.max_response_bytes = kMaxReplyBytes;
  std::unique_ptr<http::HttpClient> client = TakeClient();
  absl::StatusOr<http::HttpClientResponse> response = client->Send(request);
  ReturnClient(std::move(client));
  const std::string what =
      absl::StrCat("webhook of channel \"", page.channel().name(), "\" for page \"", page.id(),
                   "\" (", http::RedactUrl(url), ")");
  if (!response.ok()) {
    return absl::UnavailableError(absl::StrCat(
        what, ": ",
        text::UntrustedLine(http::RedactUrlIn(response.status().message(), url),
                            text::kMaxDetailBytes)));
  }
  const int status = response->status;
  if (status >= 200 && status < 300) return absl::OkStatus();
  const absl::string_view reply = absl::string_view(response->body).substr(0, kMaxReplyBytes);
  const std::string answered = absl::StrCat(what, " answered ", status, ": ",
                                            text::UntrustedLine(reply, kMaxSnippet));
  if (status == 408) return absl::DeadlineExceededError(answered);
  if (status == 429) return absl::ResourceExhaustedError(answered);
  if (status >= 500) return absl::UnavailableError(answered);
  return absl::FailedPreconditionError(answered);
}

}  // namespace tocsin::paging
