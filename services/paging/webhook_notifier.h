// WebhookNotifier: delivers a page as an HTTP POST of a JSON body to the
// channel's URL (libs/http HttpClient, libcurl).
//
//   WebhookNotifier webhook({.timeout = absl::Seconds(10)});
//   absl::Status s = webhook.Deliver(page, ack_url);
//
// Body (WebhookBody): {"pageId","incidentId","contact","channel","title",
// "impact","summary","stage","acceptCode","ackUrl"} (a page without an
// incident, engaged by hand, has an empty incidentId and its subject and
// content as title and summary); an activation page (purpose
// PAGE_PURPOSE_ACTIVATION) is {"type":"activation","pageId","contact",
// "channel","activationCode","confirmWith"}, with nothing to acknowledge; headers
// "Content-Type: application/json" and "Idempotency-Key: <page id>" (the same
// on every attempt, so a receiver can drop a repeat). Redirects are not
// followed.
//
// Results (see notifier.h): OK for a 2xx answer; Unavailable for a transport
// failure (refused, timed out) or a 5xx, DeadlineExceeded for 408,
// ResourceExhausted for 429 (all transient: retried); FailedPrecondition for
// any other answer (another 4xx, a 3xx: permanent); InvalidArgument for a
// page without an http:// or https:// URL.
//
// What the receiver answers is untrusted: at most kMaxReplyBytes of its body
// are looked at, and the error quotes a one-line, valid UTF-8 snippet of it.
// Errors never contain the URL, which may carry a token: only its scheme and
// host (RedactUrl).
//
// Thread-safe; deliveries run in parallel, each on its own connection (kept
// alive in a small cache for the next delivery).
#ifndef TOCSIN_SERVICES_PAGING_WEBHOOK_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_WEBHOOK_NOTIFIER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/http/http_client.h"
#include "services/paging/notifier.h"

namespace tocsin::paging {

// Of a reply body, the bytes the notifier looks at.
inline constexpr size_t kMaxReplyBytes = 64 * 1024;

struct WebhookNotifierOptions {
  // The whole request, connection included.
  absl::Duration timeout = absl::Seconds(10);
};

class WebhookNotifier final : public Notifier {
 public:
  explicit WebhookNotifier(WebhookNotifierOptions options) : options_(options) {}

  absl::Status Deliver(const paging::v1::Page& page, const std::string& ack_url) override;

 private:
  std::unique_ptr<http::HttpClient> TakeClient();
  void ReturnClient(std::unique_ptr<http::HttpClient> client);

  const WebhookNotifierOptions options_;
  absl::Mutex mu_;
  // Idle clients (each one connection cache), reused by later deliveries.
  std::vector<std::unique_ptr<http::HttpClient>> idle_ ABSL_GUARDED_BY(mu_);
};

// The JSON body WebhookNotifier posts for page.
std::string WebhookBody(const paging::v1::Page& page, const std::string& ack_url);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_WEBHOOK_NOTIFIER_H_
