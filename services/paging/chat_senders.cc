#include "services/paging/chat_senders.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/config/config.h"
#include "libs/http/redact.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/paging/chat_channels.h"
#include "services/paging/chat_format.h"
#include "services/paging/code_limiter.h"

namespace tocsin::paging {
namespace {

// How much of a refusing answer an error quotes.
constexpr size_t kMaxSnippet = 512;
// Idle connections kept for reuse.
constexpr size_t kMaxIdleClients = 8;
// A secret file larger than this is not a URL or a token.
constexpr std::streamsize kMaxSecretFileBytes = 16 * 1024;
// Longest Retry-After honoured (a day).
constexpr int64_t kMaxRetryAfterSeconds = 24 * 3600;

std::string Quoted(absl::string_view s, size_t max_bytes = 128) {
  return absl::StrCat("\"", text::UntrustedLine(s, max_bytes), "\"");
}

// A file's path, as the operator wrote it (paths are not secret).
std::string QuotedPath(absl::string_view path) { return Quoted(path, 1024); }

// ResourceExhausted for a 429 (or Slack's "ratelimited"), with the delay
// when the answer's Retry-After said one.
absl::Status Throttled(const http::HttpClientResponse& response, const std::string& message) {
  std::optional<absl::Duration> delay = ParseRetryAfter(response.Header("retry-after"));
  if (!delay.has_value()) return absl::ResourceExhaustedError(message);
  return WithRetryAfter(
      absl::ResourceExhaustedError(absl::StrCat(message, " (retry after ",
                                                absl::FormatDuration(*delay), ")")),
      *delay);
}

// The status for an HTTP answer that is not 2xx.
absl::Status Refused(const http::HttpClientResponse& response, const std::string& answered) {
  const int status = response.status;
  if (status == 408) return absl::DeadlineExceededError(answered);
  if (status == 429) return Throttled(response, answered);
  if (status >= 500) return absl::UnavailableError(answered);
  return absl::FailedPreconditionError(answered);
}

// A transport failure: its message with the URL redacted.
absl::Status TransportFailure(const absl::Status& failure, const std::string& what,
                              const std::string& url) {
  const std::string message =
      absl::StrCat(what, ": ",
                   text::UntrustedLine(http::RedactUrlIn(failure.message(), url),
                                       text::kMaxDetailBytes));
  if (absl::IsDeadlineExceeded(failure)) return absl::DeadlineExceededError(message);
  if (absl::IsInvalidArgument(failure)) return absl::InvalidArgumentError(message);
  return absl::UnavailableError(message);
}

// Reads "ok", "error", "channel" and "ts" of a Slack Web API answer's top
// level as they stream past, so an answer cut at max_response_bytes (Slack
// echoes the whole message after them) still tells what happened.
class SlackAnswer final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::optional<bool> ok;
  std::string error, channel, ts;
  bool complete = false;

  bool null() override { return Value(); }
  bool boolean(bool b) override {
    if (depth_ == 1 && key_ == "ok") ok = b;
    return Value();
  }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t& s) override {
    if (depth_ == 1) {
      if (key_ == "error") error = s;
      if (key_ == "channel") channel = s;
      if (key_ == "ts") ts = s;
    }
    return Value();
  }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override {
    ++depth_;
    key_.clear();
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) key_ = k;
    return true;
  }
  bool end_object() override {
    if (--depth_ == 0) complete = true;
    key_.clear();
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Value() {
    if (depth_ == 1) key_.clear();
    return true;
  }
  int depth_ = 0;
  std::string key_;
};

bool TransientSlackError(absl::string_view error) {
  return error == "internal_error" || error == "fatal_error" || error == "service_unavailable";
}

// "C0123:1712345678.000100" -> {"C0123", "1712345678.000100"}.
absl::StatusOr<std::pair<std::string, std::string>> SplitThreadId(
    const v1::ChatChannel& channel, const std::string& thread_id) {
  const size_t colon = thread_id.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == thread_id.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chat channel ", Quoted(channel.name()), ": thread id ", Quoted(thread_id),
        " is not \"<channel id>:<ts>\" as Slack app mode answers"));
  }
  return std::make_pair(thread_id.substr(0, colon), thread_id.substr(colon + 1));
}

}  // namespace

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty() || value.size() > 12) return std::nullopt;
  for (char c : value) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(value, &seconds)) return std::nullopt;
  return absl::Seconds(std::min(seconds, kMaxRetryAfterSeconds));
}

absl::Status WithRetryAfter(absl::Status status, absl::Duration delay) {
  const int64_t seconds =
      std::max<int64_t>(0, absl::ToInt64Seconds(absl::Ceil(delay, absl::Seconds(1))));
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(seconds)));
  return status;
}

absl::StatusOr<std::string> ReadChatSecretFile(const std::string& path, absl::string_view what) {
  // Unreadable is the channel's fault, not a passing one: InvalidArgument.
  absl::StatusOr<std::string> content = config::ReadSecretFile(path);
  if (!content.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot read the file ", QuotedPath(path)));
  }
  if (content->size() > static_cast<size_t>(kMaxSecretFileBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the file ", QuotedPath(path),
                                                   " is larger than ", kMaxSecretFileBytes,
                                                   " bytes"));
  }
  std::string secret(absl::StripAsciiWhitespace(*content));
  if (secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the file ", QuotedPath(path),
                                                   " is empty"));
  }
  // A URL or token is one word: anything else (two lines, a stray CR) would
  // also end up inside an HTTP header.
  for (char c : secret) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": the file ", QuotedPath(path),
                       " holds white space or control characters inside the value"));
    }
  }
  return secret;
}

HttpChatSender::HttpChatSender(HttpChatSenderOptions options) : options_(std::move(options)) {}

absl::StatusOr<http::HttpClientResponse> HttpChatSender::Send(http::HttpClientRequest request) {
  request.method = "POST";
  request.timeout = options_.timeout;
  request.max_response_bytes = options_.max_response_bytes;
  std::unique_ptr<http::HttpClient> client;
  {
    absl::MutexLock l(&mu_);
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (client == nullptr) client = std::make_unique<http::HttpClient>();
  absl::StatusOr<http::HttpClientResponse> response = client->Send(request);
  absl::MutexLock l(&mu_);
  if (idle_.size() < kMaxIdleClients) idle_.push_back(std::move(client));
  return response;
}

absl::StatusOr<ChatSent> HttpChatSender::PostWebhook(const v1::ChatChannel& channel,
                                                     const v1::ChatPost& post,
                                                     const std::string& inline_url,
                                                     const std::string& url_file,
                                                     std::string body) {
  const std::string of = absl::StrCat("webhook of chat channel ", Quoted(channel.name()));
  std::string url = inline_url;
  if (url.empty() && !url_file.empty()) {
    absl::StatusOr<std::string> read = ReadChatSecretFile(url_file, of);
    if (!read.ok()) return read.status();
    url = *std::move(read);
  }
  if (url.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("chat channel ", Quoted(channel.name()),
                     " has no webhook URL (webhook_url or webhook_url_file)"));
  }
  if (!IsChatWebhookUrl(url)) {
    return absl::InvalidArgumentError(
        absl::StrCat(of, ": the URL is not http:// or https://"));
  }
  http::HttpClientRequest request;
  request.url = url;
  request.body = std::move(body);
  request.headers = {{"Content-Type", "application/json"},
                     {"Idempotency-Key", post.id()},
                     {"User-Agent", "tocsin"}};
  absl::StatusOr<http::HttpClientResponse> response = Send(std::move(request));
  const std::string what = absl::StrCat(of, " (", http::RedactUrl(url), ")");
  if (!response.ok()) return TransportFailure(response.status(), what, url);
  const int status = response->status;
  if (status >= 200 && status < 300) {
    return ChatSent{.provider_id = "", .answer = absl::StrCat("HTTP ", status)};
  }
  return Refused(*response, absl::StrCat(what, " answered HTTP ", status, ": ",
                                         text::UntrustedLine(response->body, kMaxSnippet)));
}

absl::StatusOr<ChatSent> HttpChatSender::CallSlack(const v1::ChatChannel& channel,
                                                   const v1::ChatPost& post,
                                                   absl::string_view method, std::string body) {
  const std::string url =
      absl::StrCat(absl::StripSuffix(options_.slack_api_url, "/"), "/", method);
  absl::StatusOr<std::string> token = ReadChatSecretFile(
      channel.slack().bot_token_file(),
      absl::StrCat("Slack bot token of chat channel ", Quoted(channel.name())));
  if (!token.ok()) return token.status();
  http::HttpClientRequest request;
  request.url = url;
  request.body = std::move(body);
  request.headers = {{"Content-Type", "application/json; charset=utf-8"},
                     {"Authorization", absl::StrCat("Bearer ", *token)},
                     {"Idempotency-Key", post.id()},
                     {"User-Agent", "tocsin"}};
  absl::StatusOr<http::HttpClientResponse> response = Send(std::move(request));
  const std::string what = absl::StrCat("Slack ", method, " for chat channel ",
                                        Quoted(channel.name()), " (", http::RedactUrl(url), ")");
  if (!response.ok()) return TransportFailure(response.status(), what, url);
  const int status = response->status;
  if (status < 200 || status >= 300) {
    return Refused(*response, absl::StrCat(what, " answered HTTP ", status, ": ",
                                           text::UntrustedLine(response->body, kMaxSnippet)));
  }
  SlackAnswer answer;
  nlohmann::json::sax_parse(response->body, &answer, nlohmann::json::input_format_t::json,
                            /*strict=*/true);
  if (!answer.ok.has_value()) {
    // Not Slack's answer (a proxy's page?), or cut before "ok": whether it
    // was posted is unknown, and a retry is better than silence.
    return absl::UnavailableError(absl::StrCat(
        what, " answered HTTP ", status, " without Slack's \"ok\"",
        response->truncated ? " (answer cut at " : "",
        response->truncated ? absl::StrCat(options_.max_response_bytes, " bytes)") : "", ": ",
        text::UntrustedLine(response->body, kMaxSnippet)));
  }
  if (!*answer.ok) {
    const std::string error = text::UntrustedLine(answer.error, 128);
    const std::string answered = absl::StrCat(what, " answered error ",
                                              error.empty() ? "(none given)" : error);
    if (error == "ratelimited" || error == "rate_limited") return Throttled(*response, answered);
    if (TransientSlackError(error)) return absl::UnavailableError(answered);
    return absl::FailedPreconditionError(answered);
  }
  ChatSent sent;
  if (!answer.channel.empty() && !answer.ts.empty()) {
    sent.provider_id = text::UntrustedLine(absl::StrCat(answer.channel, ":", answer.ts), 256);
    sent.answer = absl::StrCat("Slack ts ", text::UntrustedLine(answer.ts, 64));
  } else {
    sent.answer = absl::StrCat("Slack ok (HTTP ", status, ")");
  }
  return sent;
}

absl::StatusOr<ChatSent> HttpChatSender::Post(const v1::ChatChannel& channel,
                                              const v1::ChatPost& post,
                                              const std::string& thread_id) {
  switch (channel.platform_case()) {
    case v1::ChatChannel::kSlack: {
      const v1::SlackChat& slack = channel.slack();
      if (slack.bot_token_file().empty()) {
        return PostWebhook(channel, post, slack.webhook_url(), slack.webhook_url_file(),
                           SlackWebhookBody(post));
      }
      std::string target = slack.channel();
      std::string thread_ts;
      if (!thread_id.empty()) {
        absl::StatusOr<std::pair<std::string, std::string>> thread =
            SplitThreadId(channel, thread_id);
        if (!thread.ok()) return thread.status();
        std::tie(target, thread_ts) = *std::move(thread);
      }
      if (target.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "chat channel ", Quoted(channel.name()),
            ": Slack app mode (bot_token_file) needs the channel to post to"));
      }
      return CallSlack(channel, post, "chat.postMessage",
                       SlackPostMessageBody(post, target, thread_ts));
    }
    case v1::ChatChannel::kTeams:
      return PostWebhook(channel, post, channel.teams().webhook_url(),
                         channel.teams().webhook_url_file(), TeamsBody(post));
    case v1::ChatChannel::kChime:
      return PostWebhook(channel, post, channel.chime().webhook_url(),
                         channel.chime().webhook_url_file(), ChimeBody(post));
    case v1::ChatChannel::kMattermost:
      return PostWebhook(channel, post, channel.mattermost().webhook_url(),
                         channel.mattermost().webhook_url_file(), MattermostBody(post));
    case v1::ChatChannel::PLATFORM_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("chat channel ", Quoted(channel.name()),
                   " names no platform (slack, teams, chime or mattermost)"));
}

absl::Status HttpChatSender::UpdateHead(const v1::ChatChannel& channel,
                                        const v1::ChatPost& post,
                                        const std::string& thread_id) {
  if (channel.platform_case() != v1::ChatChannel::kSlack ||
      channel.slack().bot_token_file().empty() || thread_id.empty()) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::pair<std::string, std::string>> head = SplitThreadId(channel, thread_id);
  if (!head.ok()) return head.status();
  return CallSlack(channel, post, "chat.update",
                   SlackUpdateBody(post, head->first, head->second))
      .status();
}

}  // namespace tocsin::paging
