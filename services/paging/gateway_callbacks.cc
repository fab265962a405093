#include "services/paging/gateway_callbacks.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/log/log.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/paging/gateway_notifier.h"
#include "services/paging/gateway_signature.h"
#include "services/paging/page_text.h"
#include "services/paging/reply_answers.h"

namespace tocsin::paging {
namespace {

constexpr size_t kMaxField = 256;
constexpr int64_t kMaxCallbackBodyBytes = 64 * 1024;
constexpr size_t kMaxSmsBytes = 2048;

http::HttpResponse Json(int status, absl::string_view message) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = nlohmann::json({{"message", text::MakeValidUtf8(message)}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

http::HttpResponse FromStatus(const absl::Status &status) {
  int code = 500;
  switch (status.code()) {
  case absl::StatusCode::kNotFound:
    code = 404;
    break;
  case absl::StatusCode::kInvalidArgument:
    code = 400;
    break;
  case absl::StatusCode::kFailedPrecondition:
    code = 409;
    break;
  case absl::StatusCode::kUnavailable:
    code = 503;
    break;
  default:
    break;
  }
  return Json(code, text::UntrustedLine(status.message(), 300));
}

std::string Str(const nlohmann::json &j, const char *name,
                size_t max = kMaxField) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string())
    return "";
  return text::UntrustedLine(it->get<std::string>(), max);
}

std::optional<v1::ReceiptStatus> GatewayReceiptStatus(absl::string_view s) {
  if (s == "sent")
    return v1::RECEIPT_STATUS_SENT;
  if (s == "delivered")
    return v1::RECEIPT_STATUS_DELIVERED;
  if (s == "read")
    return v1::RECEIPT_STATUS_READ;
  if (s == "error")
    return v1::RECEIPT_STATUS_ERROR;
  return std::nullopt;
}

class Callbacks {
public:
  Callbacks(PagingCore *core, GatewayCallbackOptions options)
      : core_(core), options_(std::move(options)) {}

  http::HttpResponse Handle(const http::HttpRequest &request) {
    absl::Status verified = VerifyGatewaySignature(
        request.Header("x-tocsin-signature"), request.body, options_.secret,
        options_.clock->Now());
    if (!verified.ok()) {
      log::Warn("SMS gateway callback refused",
                {{"reason", std::string(verified.message())},
                 {"remote_addr", request.remote_addr}});
      return Json(403, verified.message());
    }
    const nlohmann::json j =
        nlohmann::json::parse(request.body, nullptr, false);
    if (!j.is_object())
      return Json(400, "the body is not a JSON object");
    const std::string event = Str(j, "event", 32);
    if (event == "status")
      return Status(j);
    if (event == "reply")
      return Reply(j);
    if (event == "keypress")
      return Keypress(j);
    return Json(400, "event must be \"status\", \"reply\" or \"keypress\"");
  }

private:
  http::HttpResponse Status(const nlohmann::json &j) {
    const std::string page_id = Str(j, "pageId");
    if (page_id.empty())
      return Json(400, "pageId is required");
    const std::string status = Str(j, "status", 32);
    std::optional<v1::ReceiptStatus> receipt_status =
        GatewayReceiptStatus(status);
    if (!receipt_status) {
      return Json(
          400, "status must be \"sent\", \"delivered\", \"read\" or \"error\"");
    }
    v1::Receipt receipt;
    receipt.set_status(*receipt_status);
    receipt.set_provider("gateway");
    std::string detail = absl::StrCat("status=", status);
    if (std::string d = Str(j, "detail", 512); !d.empty())
      absl::StrAppend(&detail, " ", d);
    receipt.set_detail(detail);
    absl::StatusOr<Page> page =
        core_->RecordReceipt(page_id, std::move(receipt));
    if (!page.ok())
      return FromStatus(page.status());
    return Json(200, "recorded");
  }

  http::HttpResponse Reply(const nlohmann::json &j) {
    const std::string from = Str(j, "from", 64);
    const std::string body = Str(j, "text", kMaxSmsBytes);
    if (from.empty())
      return Json(400, "from is required");
    const std::string author = absl::StrCat("sms:", from);
    const std::string word =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(body));
    if (word == "help" || word == "?")
      return Json(200, SmsHelpAnswer());
    const absl::Time started = options_.clock->Now();
    return Json(200, SmsReplyAnswer(core_->AcceptReply(from, body, author),
                                    author, started));
  }

  http::HttpResponse Keypress(const nlohmann::json &j) {
    const std::string page_id = Str(j, "pageId");
    if (page_id.empty())
      return Json(400, "pageId is required");
    absl::StatusOr<Page> page = core_->GetPage(page_id);
    if (!page.ok())
      return FromStatus(page.status());
    if (Str(j, "digits", 32) != "1")
      return Json(200, PageVoicePrompt(*page));
    const std::string number = page->channel().has_voice()
                                   ? page->channel().voice().number()
                                   : page->channel().sms().number();
    const std::string author = absl::StrCat("voice:", number);
    const absl::Time started = options_.clock->Now();
    absl::StatusOr<Page> acked = core_->AcceptPage({.page_id = page_id,
                                                    .author = author,
                                                    .provider_verified = true,
                                                    .source = author});
    if (absl::IsNotFound(acked.status()))
      return FromStatus(acked.status());
    return Json(200, VoiceKeyAnswer(acked, author, started));
  }

  PagingCore *const core_;
  const GatewayCallbackOptions options_;
};

} // namespace

void RegisterGatewayCallbacks(http::HttpServer &server, PagingCore *core,
                              GatewayCallbackOptions options) {
  auto callbacks = std::make_shared<Callbacks>(core, std::move(options));
  http::RouteOptions route;
  route.max_body_bytes = kMaxCallbackBodyBytes;
  route.authorize =
      [](const http::HttpRequest &r) -> std::optional<http::HttpResponse> {
    if (!r.Header("x-tocsin-signature").empty())
      return std::nullopt;
    return Json(403, "missing X-Tocsin-Signature header");
  };
  server.Handle(
      "POST", kGatewayCallbackPath,
      [callbacks](const http::HttpRequest &r) { return callbacks->Handle(r); },
      route);
}

} // namespace tocsin::paging
