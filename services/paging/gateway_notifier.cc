#include "services/paging/gateway_notifier.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/http/redact.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/paging/gateway_signature.h"
#include "services/paging/page_text.h"
#include "services/paging/twilio_config.h"

namespace tocsin::paging {
namespace {

constexpr size_t kMaxIdleClients = 16;
constexpr size_t kMaxSnippet = 512;

} // namespace

std::string GatewayRequestBody(const paging::v1::Page &page,
                               const std::string &public_url) {
  const bool sms = page.channel().has_sms();
  nlohmann::json j;
  j["type"] = sms ? "sms" : "voice";
  j["pageId"] = page.id();
  j["incidentId"] = page.incident_id();
  j["to"] =
      sms ? page.channel().sms().number() : page.channel().voice().number();
  j["text"] = sms ? PageSmsText(page) : PageVoicePrompt(page);
  if (!page.accept_code().empty())
    j["acceptCode"] = page.accept_code();
  j["callbackUrl"] =
      absl::StrCat(absl::StripSuffix(public_url, "/"), kGatewayCallbackPath);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

GatewayNotifier::GatewayNotifier(GatewayOptions options, std::string public_url,
                                 const Clock *clock)
    : options_(std::move(options)), public_url_(std::move(public_url)),
      clock_(clock) {}

std::unique_ptr<http::HttpClient> GatewayNotifier::TakeClient() {
  absl::MutexLock l(&mu_);
  if (idle_.empty())
    return std::make_unique<http::HttpClient>();
  std::unique_ptr<http::HttpClient> client = std::move(idle_.back());
  idle_.pop_back();
  return client;
}

void GatewayNotifier::ReturnClient(std::unique_ptr<http::HttpClient> client) {
  absl::MutexLock l(&mu_);
  if (idle_.size() < kMaxIdleClients)
    idle_.push_back(std::move(client));
}

absl::StatusOr<std::string>
GatewayNotifier::DeliverWithDetail(const paging::v1::Page &page,
                                   const std::string &ack_url) {
  const bool sms = page.channel().has_sms();
  if (!sms && !page.channel().has_voice()) {
    return absl::InvalidArgumentError(
        absl::StrCat("page \"", page.id(), "\": channel \"",
                     page.channel().name(), "\" is neither SMS nor voice"));
  }
  const std::string &to =
      sms ? page.channel().sms().number() : page.channel().voice().number();
  if (!IsE164(to)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page \"", page.id(), "\": channel \"", page.channel().name(),
        "\" number \"", text::UntrustedLine(to, 64), "\" is not E.164"));
  }
  http::HttpClientRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.body = GatewayRequestBody(page, public_url_);
  request.headers = {
      {"Content-Type", "application/json"},
      {"Idempotency-Key", page.id()},
      {kGatewaySignatureHeader,
       GatewaySignature(options_.secret, absl::ToUnixSeconds(clock_->Now()),
                        request.body)},
      {"User-Agent", "tocsin-paging"}};
  request.timeout = options_.timeout;
  request.max_response_bytes = kMaxGatewayReplyBytes;
  std::unique_ptr<http::HttpClient> client = TakeClient();
  absl::StatusOr<http::HttpClientResponse> response = client->Send(request);
  ReturnClient(std::move(client));
  const std::string what = absl::StrCat(
      "SMS gateway (", http::RedactUrl(options_.url), ") ",
      sms ? "SMS" : "call", " to ", to, " for page \"", page.id(), "\"");
  if (!response.ok()) {
    const std::string message =
        absl::StrCat(what, ": ",
                     text::UntrustedLine(response.status().message(),
                                         text::kMaxDetailBytes));
    if (absl::IsDeadlineExceeded(response.status()))
      return absl::DeadlineExceededError(message);
    return absl::UnavailableError(message);
  }
  const int status = response->status;
  const absl::string_view reply =
      absl::string_view(response->body).substr(0, kMaxGatewayReplyBytes);
  if (status >= 200 && status < 300) {
    return absl::StrCat("accepted by the SMS gateway (", status, ")");
  }
  const std::string answered =
      absl::StrCat(what, " answered ", status, ": ",
                   text::UntrustedLine(reply, kMaxSnippet));
  if (status == 408)
    return absl::DeadlineExceededError(answered);
  if (status == 429)
    return absl::ResourceExhaustedError(answered);
  if (status >= 500)
    return absl::UnavailableError(answered);
  return absl::FailedPreconditionError(answered);
}

} // namespace tocsin::paging
