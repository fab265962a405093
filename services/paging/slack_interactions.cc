#include "services/paging/slack_interactions.h"

#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/http/http_client.h"
#include "libs/http/redact.h"
#include "libs/http/url_encoded.h"
#include "libs/log/log.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/paging/chat_format.h"
#include "services/paging/slack_signature.h"

namespace tocsin::paging {
namespace {

using json = nlohmann::json;

// Slack's interaction payloads carry the whole message (blocks and all).
constexpr int64_t kMaxInteractionBodyBytes = 256 * 1024;
// Longer than any Slack id, user name or incident id.
constexpr size_t kMaxField = 256;
// Of a response_url, the bytes accepted.
constexpr size_t kMaxResponseUrlBytes = 2048;
// Of the answer's reply, the bytes kept.
constexpr size_t kMaxReplyBytes = 4096;
// Presses waiting for the worker; more are refused with 503.
constexpr size_t kMaxQueued = 256;

http::HttpResponse Plain(int status, absl::string_view message) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(message);
  return r;
}

// A string member of j (an object), made safe; "" when absent.
std::string Field(const json& j, const char* name, size_t max = kMaxField) {
  if (!j.is_object()) return "";
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return "";
  return text::UntrustedLine(it->get<std::string>(), max);
}

// One press to act on (or only to answer), off the server's threads.
struct Job {
  // kSlackAcknowledgeAction, kSlackResolveAction, or "" to send answer only.
  std::string action_id;
  std::string incident_id;
  std::string author;
  std::string response_url;
  std::string answer;
};

class Interactions {
 public:
  Interactions(SlackActions* actions, SlackInteractionOptions options)
      : actions_(actions), options_(std::move(options)), worker_([this] { Work(); }) {}

  // Runs what is queued, then stops.
  ~Interactions() {
    {
      absl::MutexLock l(&mu_);
      stopping_ = true;
    }
    worker_.join();
  }

  http::HttpResponse Handle(const http::HttpRequest& request) {
    absl::Status verified =
        VerifySlackSignature(request.Header("x-slack-signature"),
                             request.Header("x-slack-request-timestamp"), request.body,
                             options_.signing_secret, options_.clock->Now());
    if (!verified.ok()) {
      log::Warn("Slack interaction refused: its signature does not verify",
                {{"reason", std::string(verified.message())},
                 {"remote_addr", request.remote_addr}});
      return Plain(403, verified.message());
    }
    std::optional<std::string> payload = http::UrlEncodedValue(request.body, "payload");
    if (!payload.has_value()) return Plain(400, "the body has no payload field");
    json j = json::parse(*payload, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return Plain(400, "the payload is not a JSON object");
    const std::string type = Field(j, "type", 64);
    if (type != "block_actions") {
      return Plain(200, absl::StrCat("ignored: Tocsin handles only block_actions, not \"",
                                     type, "\""));
    }
    const json user = j.contains("user") ? j["user"] : json();
    const std::string user_id = Field(user, "id");
    std::string user_name = Field(user, "username");
    if (user_name.empty()) user_name = Field(user, "name");
    if (user_id.empty()) return Plain(400, "the payload has no user.id");

    Job job;
    job.response_url = Field(j, "response_url", kMaxResponseUrlBytes);
    // The first action that is one of Tocsin's buttons.
    std::string first_action;
    if (j.contains("actions") && j["actions"].is_array()) {
      for (const json& a : j["actions"]) {
        const std::string id = Field(a, "action_id");
        if (first_action.empty()) first_action = id;
        if (id == kSlackAcknowledgeAction || id == kSlackResolveAction) {
          job.action_id = id;
          job.incident_id = Field(a, "value");
          break;
        }
      }
    }
    if (job.action_id.empty()) {
      job.answer = absl::StrCat("Tocsin does not know this button (action_id \"", first_action,
                                "\"); it handles ", kSlackAcknowledgeAction, " and ",
                                kSlackResolveAction, ".");
      const std::string answer = job.answer;
      Enqueue(std::move(job));
      return Plain(200, answer);
    }
    if (job.incident_id.empty()) return Plain(400, "the button carries no incident id (value)");
    job.author = SlackAuthor(user_id, user_name);
    if (!Enqueue(std::move(job))) {
      return Plain(503, "too many Slack button presses in progress; press again");
    }
    // Slack wants 200 within 3 seconds; the answer follows on response_url.
    return Plain(200, "");
  }

 private:
  // False when the queue is full.
  bool Enqueue(Job job) {
    absl::MutexLock l(&mu_);
    if (queue_.size() >= kMaxQueued) return false;
    queue_.push_back(std::move(job));
    return true;
  }

  void Work() {
    while (true) {
      Job job;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(
            +[](Interactions* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
              return self->stopping_ || !self->queue_.empty();
            },
            this));
        if (queue_.empty()) return;  // stopping, nothing left
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      Run(job);
    }
  }

  void Run(Job& job) {
    if (!job.action_id.empty()) {
      const bool acknowledge = job.action_id == kSlackAcknowledgeAction;
      absl::StatusOr<std::string> done = acknowledge
                                             ? actions_->Acknowledge(job.incident_id, job.author)
                                             : actions_->Resolve(job.incident_id, job.author);
      job.answer =
          done.ok() ? text::Untrusted(*done, kMaxReplyBytes)
                    : text::Untrusted(absl::StrCat("Could not ",
                                                   acknowledge ? "acknowledge" : "resolve",
                                                   " incident ", job.incident_id, ": ",
                                                   done.status().message()),
                                      kMaxReplyBytes);
      log::Info("Slack button pressed", {{"action", job.action_id},
                                         {"incident", job.incident_id},
                                         {"author", job.author},
                                         {"ok", done.ok() ? "true" : "false"}});
    }
    Reply(job.response_url, job.answer);
  }

  // Sends answer to the person who pressed (ephemeral), when response_url is
  // Slack's.
  void Reply(const std::string& response_url, const std::string& answer) {
    if (response_url.empty()) return;
    if (!absl::StartsWith(response_url, options_.response_url_prefix)) {
      log::Warn("Slack interaction: response_url is not Slack's; no reply sent",
                {{"response_url", http::RedactUrl(response_url)}});
      return;
    }
    const json body = {{"response_type", "ephemeral"},
                       {"replace_original", false},
                       {"text", SlackEscape(answer)}};
    absl::StatusOr<http::HttpClientResponse> r = client_.Send(
        {.method = "POST",
         .url = response_url,
         .body = body.dump(-1, ' ', false, json::error_handler_t::replace),
         .headers = {{"Content-Type", "application/json; charset=utf-8"},
                     {"User-Agent", "tocsin"}},
         .timeout = options_.response_timeout,
         .connect_timeout = options_.response_timeout,
         .max_response_bytes = 4096});
    if (!r.ok() || r->status < 200 || r->status >= 300) {
      log::Warn("Slack interaction: the reply to response_url failed",
                {{"response_url", http::RedactUrl(response_url)},
                 {"error", r.ok() ? absl::StrCat("HTTP ", r->status, ": ",
                                                 text::UntrustedLine(r->body, 256))
                                  : text::UntrustedLine(
                                        http::RedactUrlIn(r.status().message(), response_url),
                                        512)}});
    }
  }

  SlackActions* const actions_;
  const SlackInteractionOptions options_;
  // Used by the worker only.
  http::HttpClient client_;
  absl::Mutex mu_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Last: starts once everything above is ready.
  std::thread worker_;
};

}  // namespace

std::string SlackAuthor(absl::string_view user_id, absl::string_view user_name) {
  const std::string id = text::UntrustedLine(user_id, 64);
  const std::string name = text::UntrustedLine(user_name, 128);
  if (name.empty()) return absl::StrCat("slack:", id);
  return absl::StrCat("slack:", id, " (", name, ")");
}

void RegisterSlackInteractions(http::HttpServer& server, SlackActions* actions,
                               SlackInteractionOptions options) {
  auto interactions = std::make_shared<Interactions>(actions, std::move(options));
  http::RouteOptions route;
  route.max_body_bytes = kMaxInteractionBodyBytes;
  // An unsigned request is refused before its body is read.
  route.authorize = [](const http::HttpRequest& r) -> std::optional<http::HttpResponse> {
    if (r.Header("x-slack-signature").empty()) {
      return Plain(403, "missing X-Slack-Signature header");
    }
    if (r.Header("x-slack-request-timestamp").empty()) {
      return Plain(403, "missing X-Slack-Request-Timestamp header");
    }
    return std::nullopt;
  };
  server.Handle(
      "POST", kSlackInteractionsPath,
      [interactions](const http::HttpRequest& r) { return interactions->Handle(r); }, route);
}

}  // namespace tocsin::paging
