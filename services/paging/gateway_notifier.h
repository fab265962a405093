// GatewayNotifier: delivers SMS and voice pages through a generic SMS/voice
// gateway (an in-house gateway, another vendor) as one signed JSON POST to
// GatewayOptions.url:
//
//   {"type": "sms"|"voice", "pageId": "pg-1", "incidentId": "inc-1",
//    "to": "+15551230000", "text": "...", "acceptCode": "123456",
//    "callbackUrl": "{public_url}/v1/providers/gateway/callback"}
//
// text is PageSmsText (SMS) or PageVoicePrompt (voice, to be spoken);
// acceptCode is there for both so a gateway can build its own IVR or reply
// matching, and absent for an activation page. Headers:
// "Content-Type: application/json", "Idempotency-Key: <page id>" (a retry
// of the same page carries the same key) and "X-Tocsin-Signature:
// t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>" (gateway_signature.h)
// with t from the injected clock. Redirects are not followed.
//
// Results (see notifier.h), as the webhook notifier's: OK for a 2xx;
// Unavailable for a transport failure or a 5xx, DeadlineExceeded for a
// timeout or 408, ResourceExhausted for 429 (transient: retried);
// FailedPrecondition for any other answer, quoting at most 512 bytes of the
// gateway's reply as one valid UTF-8 line; InvalidArgument for a page whose
// channel is neither SMS nor voice or has no E.164 number. At most
// kMaxGatewayReplyBytes of the reply are read. Errors never contain the
// secret.
//
// Thread-safe; deliveries run in parallel, each on its own connection.
#ifndef TOCSIN_SERVICES_PAGING_GATEWAY_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_GATEWAY_NOTIFIER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/clock/clock.h"
#include "libs/http/http_client.h"
#include "services/paging/gateway_config.h"
#include "services/paging/notifier.h"

namespace tocsin::paging {

inline constexpr size_t kMaxGatewayReplyBytes = 64 * 1024;
// The gateway's callback path under the public URL (gateway_callbacks.h).
inline constexpr char kGatewayCallbackPath[] = "/v1/providers/gateway/callback";

class GatewayNotifier final : public Notifier {
public:
  // public_url: the paging service's public base URL (callbacks go there).
  // clock must outlive the notifier.
  GatewayNotifier(GatewayOptions options, std::string public_url,
                  const Clock *clock);

  absl::Status Deliver(const paging::v1::Page &page,
                       const std::string &ack_url) override {
    return DeliverWithDetail(page, ack_url).status();
  }
  // On success: "accepted by the SMS gateway (<status>)".
  absl::StatusOr<std::string>
  DeliverWithDetail(const paging::v1::Page &page,
                    const std::string &ack_url) override;

private:
  std::unique_ptr<http::HttpClient> TakeClient();
  void ReturnClient(std::unique_ptr<http::HttpClient> client);

  const GatewayOptions options_;
  const std::string public_url_;
  const Clock *const clock_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<http::HttpClient>> idle_ ABSL_GUARDED_BY(mu_);
};

// The JSON body GatewayNotifier POSTs for page (see above); page must be SMS
// or voice.
std::string GatewayRequestBody(const paging::v1::Page &page,
                               const std::string &public_url);

} // namespace tocsin::paging

#endif // TOCSIN_SERVICES_PAGING_GATEWAY_NOTIFIER_H_
