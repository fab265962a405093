#include "services/paging/twilio_notifier.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/http/redact.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/paging/page_text.h"

namespace tocsin::paging {
namespace {

constexpr size_t kMaxIdleClients = 16;
// How much of Twilio's error message an error quotes.
constexpr size_t kMaxSnippet = 512;

std::string Base64(absl::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

}  // namespace

std::string XmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  auto escape = [](const std::string& s) {
    char* e = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
    std::string escaped = e == nullptr ? std::string() : std::string(e);
    curl_free(e);
    return escaped;
  };
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    absl::StrAppend(&out, escape(name), "=", escape(value));
  }
  return out;
}

std::string TwilioStatusCallbackUrl(const std::string& public_url, const std::string& page_id) {
  return absl::StrCat(absl::StripSuffix(public_url, "/"), kTwilioStatusPath, "?page=", page_id);
}

std::string TwilioSmsBody(const paging::v1::Page& page) { return PageSmsText(page); }

std::string TwilioVoiceTwiml(const paging::v1::Page& page, const std::string& public_url) {
  if (page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION) {
    return absl::StrCat("<Response><Say>", XmlEscape(PageVoicePrompt(page)), "</Say></Response>");
  }
  const std::string action =
      absl::StrCat(absl::StripSuffix(public_url, "/"), kTwilioVoicePath, "?page=", page.id());
  const std::string prompt = XmlEscape(PageVoicePrompt(page));
  return absl::StrCat("<Response><Gather numDigits=\"1\" action=\"", XmlEscape(action),
                      "\" method=\"POST\"><Say>", prompt,
                      "</Say></Gather><Say>No key was pressed. The page is not acknowledged. "
                      "Goodbye.</Say></Response>");
}

TwilioNotifier::TwilioNotifier(TwilioOptions options, std::string public_url)
    : options_(std::move(options)), public_url_(std::move(public_url)) {}

std::unique_ptr<http::HttpClient> TwilioNotifier::TakeClient() {
  absl::MutexLock l(&mu_);
  if (idle_.empty()) return std::make_unique<http::HttpClient>();
  std::unique_ptr<http::HttpClient> client = std::move(idle_.back());
  idle_.pop_back();
  return client;
}

void TwilioNotifier::ReturnClient(std::unique_ptr<http::HttpClient> client) {
  absl::MutexLock l(&mu_);
  if (idle_.size() < kMaxIdleClients) idle_.push_back(std::move(client));
}

absl::StatusOr<std::string> TwilioNotifier::DeliverWithDetail(const paging::v1::Page& page,
                                                              const std::string& ack_url) {
  const bool sms = page.channel().has_sms();
  if (!sms && !page.channel().has_voice()) {
    return absl::InvalidArgumentError(absl::StrCat("page \"", page.id(), "\": channel \"",
                                                   page.channel().name(),
                                                   "\" is neither SMS nor voice"));
  }
  const std::string& to = sms ? page.channel().sms().number() : page.channel().voice().number();
  if (!IsE164(to)) {
    return absl::InvalidArgumentError(absl::StrCat("page \"", page.id(), "\": channel \"",
                                                   page.channel().name(), "\" number \"",
                                                   text::UntrustedLine(to, 64), "\" is not E.164"));
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"To", to},
      {"From", options_.from},
  };
  if (sms) {
    fields.emplace_back("Body", TwilioSmsBody(page));
  } else {
    fields.emplace_back("Twiml", TwilioVoiceTwiml(page, public_url_));
  }
  fields.emplace_back("StatusCallback", TwilioStatusCallbackUrl(public_url_, page.id()));
  http::HttpClientRequest request;
  request.method = "POST";
  request.url = absl::StrCat(options_.base_url, "/2010-04-01/Accounts/", options_.account_sid,
                             sms ? "/Messages.json" : "/Calls.json");
  request.body = FormEncode(fields);
  request.headers = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Authorization", absl::StrCat("Basic ", Base64(absl::StrCat(options_.account_sid, ":",
                                                                   options_.auth_token)))},
      {"I-Twilio-Idempotency-Token", page.id()},
      {"Accept", "application/json"},
      {"User-Agent", "tocsin-paging"}};
  request.timeout = options_.timeout;
  request.max_response_bytes = kMaxTwilioReplyBytes;
  std::unique_ptr<http::HttpClient> client = TakeClient();
  absl::StatusOr<http::HttpClientResponse> response = client->Send(request);
  ReturnClient(std::move(client));
  const std::string what =
      absl::StrCat("Twilio (", http::RedactUrl(options_.base_url), ") ", sms ? "SMS" : "call",
                   " to ", to, " for page \"", page.id(), "\"");
  if (!response.ok()) {
    const std::string message = absl::StrCat(
        what, ": ", text::UntrustedLine(response.status().message(), text::kMaxDetailBytes));
    if (absl::IsDeadlineExceeded(response.status())) return absl::DeadlineExceededError(message);
    return absl::UnavailableError(message);
  }
  const int status = response->status;
  const absl::string_view reply = absl::string_view(response->body).substr(0, kMaxTwilioReplyBytes);
  nlohmann::json j = nlohmann::json::parse(reply, nullptr, /*allow_exceptions=*/false);
  if (status >= 200 && status < 300) {
    // {"sid": "SM...", "status": "queued", ...}
    std::string accepted = "accepted by Twilio";
    if (j.is_object() && j.contains("sid") && j["sid"].is_string()) {
      absl::StrAppend(&accepted, ": ", text::UntrustedLine(j["sid"].get<std::string>(), 64));
      if (j.contains("status") && j["status"].is_string()) {
        absl::StrAppend(&accepted, " (", text::UntrustedLine(j["status"].get<std::string>(), 32),
                        ")");
      }
    }
    return accepted;
  }
  // Twilio's error: {"code": 21211, "message": "...", "more_info": ..., "status": 400}.
  std::string explained;
  if (j.is_object()) {
    if (j.contains("code") && j["code"].is_number_integer()) {
      absl::StrAppend(&explained, "code ", j["code"].get<int64_t>());
    }
    if (j.contains("message") && j["message"].is_string()) {
      absl::StrAppend(&explained, explained.empty() ? "" : ": ",
                      text::UntrustedLine(j["message"].get<std::string>(), kMaxSnippet));
    }
  }
  if (explained.empty()) explained = text::UntrustedLine(reply, kMaxSnippet);
  const std::string answered = absl::StrCat(what, " answered ", status, ": ", explained);
  if (status == 408) return absl::DeadlineExceededError(answered);
  if (status == 429) return absl::ResourceExhaustedError(answered);
  if (status >= 500) return absl::UnavailableError(answered);
  return absl::FailedPreconditionError(answered);
}

}  // namespace tocsin::paging
