// WebhookNotifier: delivers a page as an HTTP POST of a JSON body to the
// channel's URL (libs/http HttpClient, libcurl).
//
//   WebhookNotifier webhook({.timeout = absl::Seconds(10)});
//   absl::Status s = webhook.Deliver(page, ack_url);
//
// Body (WebhookBody): {"pageId","incidentId","contact","channel","title",
// "impact","summary","stage","acceptCode","ackUrl"}; headers
// "Content-Type: application/json" and "Idempotency-Key: <page id>" (the same
// on every attempt, so a receiver can drop a repeat). Redirects are not
// followed.
//
// Results: OK for a 2xx answer; Unavailable for a transport failure, a
// timeout, 408, 429 or 5xx (retry); FailedPrecondition for any other answer
// (another 4xx, a 3xx: permanent); InvalidArgument for a page without an
// http:// or https:// URL.
#ifndef TOCSIN_SERVICES_PAGING_WEBHOOK_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_WEBHOOK_NOTIFIER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/http/http_client.h"
#include "services/paging/notifier.h"

namespace tocsin::paging {

struct WebhookNotifierOptions {
  // The whole request, connection included.
  absl::Duration timeout = absl::Seconds(10);
};

class WebhookNotifier final : public Notifier {
 public:
  explicit WebhookNotifier(WebhookNotifierOptions options) : options_(options) {}

  absl::Status Deliver(const paging::v1::Page& page, const std::string& ack_url) override;

 private:
  const WebhookNotifierOptions options_;
  absl::Mutex mu_;
  // One connection cache, used by one delivery at a time.
  http::HttpClient client_ ABSL_GUARDED_BY(mu_);
};

// The JSON body WebhookNotifier posts for page.
std::string WebhookBody(const paging::v1::Page& page, const std::string& ack_url);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_WEBHOOK_NOTIFIER_H_
