#include "services/paging/twilio_callbacks.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "libs/http/status_response.h"
#include "libs/http/url_encoded.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/text/text.h"
#include "services/paging/reply_answers.h"
#include "services/paging/twilio_notifier.h"
#include "services/paging/twilio_signature.h"

namespace tocsin::paging {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Longer than any page id, number, status or sid Twilio sends.
constexpr size_t kMaxField = 256;
// Largest callback body read.
constexpr int64_t kMaxCallbackBodyBytes = 64 * 1024;
// Of an inbound SMS body, what is looked at.
constexpr size_t kMaxSmsBytes = 2048;

std::string Field(const Fields& fields, absl::string_view name, size_t max = kMaxField) {
  for (const auto& [k, v] : fields) {
    if (k == name) return text::UntrustedLine(v, max);
  }
  return "";
}

http::HttpResponse Plain(int status, absl::string_view message) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = absl::StrCat(message, "\n");
  return r;
}

http::HttpResponse Twiml(std::string twiml) {
  http::HttpResponse r;
  r.status = 200;
  r.content_type = "text/xml; charset=utf-8";
  r.body = absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", std::move(twiml));
  return r;
}

http::HttpResponse Message(absl::string_view text) {
  return Twiml(absl::StrCat("<Response><Message>", XmlEscape(text), "</Message></Response>"));
}

http::HttpResponse Say(absl::string_view text) {
  return Twiml(absl::StrCat("<Response><Say>", XmlEscape(text), "</Say></Response>"));
}

class Callbacks {
 public:
  Callbacks(PagingCore* core, TwilioCallbackOptions options)
      : core_(core), options_(std::move(options)) {
    public_url_ = std::string(absl::StripSuffix(options_.public_url, "/"));
  }

  // Runs handler when the request's signature verifies; 403 otherwise.
  http::HttpResponse Verified(const http::HttpRequest& request,
                              http::HttpResponse (Callbacks::*handler)(const http::HttpRequest&,
                                                                       const Fields&)) {
    Fields fields = http::ParseUrlEncoded(request.body);
    const std::string url =
        absl::StrCat(public_url_, request.path, request.query.empty() ? "" : "?", request.query);
    if (!VerifyTwilioSignature(options_.auth_token, url, fields,
                               request.Header("x-twilio-signature"))) {
      log::Warn(
          "Twilio callback refused: its signature does not verify",
          {{"path", text::UntrustedLine(request.path, 200)}, {"remote_addr", request.remote_addr}});
      return Plain(403,
                   "the X-Twilio-Signature does not verify for this URL "
                   "and these fields");
    }
    return (this->*handler)(request, fields);
  }

  http::HttpResponse Status(const http::HttpRequest& request, const Fields& fields) {
    const std::string page_id =
        text::UntrustedLine(http::UrlEncodedValue(request.query, "page").value_or(""), kMaxField);
    if (page_id.empty()) return Plain(400, "page is required (?page=ID)");
    const bool call = !Field(fields, "CallStatus").empty();
    const std::string status = Field(fields, call ? "CallStatus" : "MessageStatus");
    v1::Receipt receipt;
    receipt.set_status(TwilioReceiptStatus(status));
    receipt.set_provider("twilio");
    receipt.set_provider_id(Field(fields, call ? "CallSid" : "MessageSid"));
    std::string detail = absl::StrCat(call ? "CallStatus=" : "MessageStatus=", status);
    if (std::string error = Field(fields, "ErrorCode"); !error.empty()) {
      absl::StrAppend(&detail, " ErrorCode=", error);
    }
    receipt.set_detail(detail);
    absl::StatusOr<Page> page = core_->RecordReceipt(page_id, std::move(receipt));
    if (!page.ok()) return http::StatusResponse(page.status());
    return Plain(200, "recorded");
  }

  http::HttpResponse Sms(const http::HttpRequest&, const Fields& fields) {
    const std::string from = Field(fields, "From", 64);
    const std::string body = Field(fields, "Body", kMaxSmsBytes);
    if (from.empty()) return Plain(400, "From is required");
    const std::string author = absl::StrCat("sms:", from);
    const std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(body));
    if (word == "help" || word == "?") return Message(SmsHelpAnswer());
    const absl::Time started = options_.clock->Now();
    return Message(SmsReplyAnswer(core_->AcceptReply(from, body, author), author, started));
  }

  http::HttpResponse Voice(const http::HttpRequest& request, const Fields& fields) {
    const std::string page_id =
        text::UntrustedLine(http::UrlEncodedValue(request.query, "page").value_or(""), kMaxField);
    if (page_id.empty()) return Plain(400, "page is required (?page=ID)");
    if (Field(fields, "Digits") != "1") {
      absl::StatusOr<Page> page = core_->GetPage(page_id);
      if (!page.ok()) return http::StatusResponse(page.status());
      http::HttpResponse r = Twiml(TwilioVoiceTwiml(*page, public_url_));
      return r;
    }
    const std::string author = absl::StrCat("voice:", Field(fields, "To", 64));
    const absl::Time started = options_.clock->Now();
    absl::StatusOr<Page> page = core_->AcceptPage(
        {.page_id = page_id, .author = author, .provider_verified = true, .source = author});
    if (absl::IsNotFound(page.status())) return http::StatusResponse(page.status());
    return Say(VoiceKeyAnswer(page, author, started));
  }

 private:
  PagingCore* const core_;
  const TwilioCallbackOptions options_;
  std::string public_url_;
};

}  // namespace

v1::ReceiptStatus TwilioReceiptStatus(absl::string_view s) {
  if (s == "queued" || s == "accepted" || s == "scheduled" || s == "sending" || s == "initiated") {
    return v1::RECEIPT_STATUS_QUEUED;
  }
  if (s == "sent" || s == "ringing") return v1::RECEIPT_STATUS_SENT;
  if (s == "delivered") return v1::RECEIPT_STATUS_DELIVERED;
  if (s == "read") return v1::RECEIPT_STATUS_READ;
  if (s == "in-progress" || s == "answered" || s == "completed") {
    return v1::RECEIPT_STATUS_ANSWERED;
  }
  if (s == "undelivered" || s == "failed" || s == "busy" || s == "no-answer" || s == "canceled") {
    return v1::RECEIPT_STATUS_ERROR;
  }
  return v1::RECEIPT_STATUS_UNSPECIFIED;
}

void RegisterTwilioCallbacks(http::HttpServer& server, PagingCore* core,
                             TwilioCallbackOptions options) {
  auto callbacks = std::make_shared<Callbacks>(core, std::move(options));
  // An inbound SMS of 1600 characters, percent-encoded, with Twilio's other
  // fields, is larger than the ack forms the server's default is sized for.
  // A request without a signature is refused before its body is read.
  http::RouteOptions route;
  route.max_body_bytes = kMaxCallbackBodyBytes;
  route.authorize = [](const http::HttpRequest& r) -> std::optional<http::HttpResponse> {
    if (!r.Header("x-twilio-signature").empty()) return std::nullopt;
    return Plain(403, "the X-Twilio-Signature header is missing");
  };
  server.Handle(
      "POST", kTwilioStatusPath,
      [callbacks](const http::HttpRequest& r) {
        return callbacks->Verified(r, &Callbacks::Status);
      },
      route);
  server.Handle(
      "POST", kTwilioSmsPath,
      [callbacks](const http::HttpRequest& r) { return callbacks->Verified(r, &Callbacks::Sms); },
      route);
  server.Handle(
      "POST", kTwilioVoicePath,
      [callbacks](const http::HttpRequest& r) { return callbacks->Verified(r, &Callbacks::Voice); },
      route);
}

}  // namespace tocsin::paging
