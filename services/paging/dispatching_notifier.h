// DispatchingNotifier: the Notifier the paging core uses; hands each page to
// the notifier of its channel's destination (email, webhook, SMS or voice).
//
//   DispatchingNotifier notifier(email.get(), &webhook);
//   PagingCore core(..., &notifier, ...);
//
// SMS and voice pages go to `phone` (TwilioNotifier) when one is given.
// Without one they fail: FailedPrecondition (permanent, the page fails at its
// first attempt) with kNoSmsProvider / kNoVoiceProvider. A channel without a
// destination is InvalidArgument (permanent).
#ifndef TOCSIN_SERVICES_PAGING_DISPATCHING_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_DISPATCHING_NOTIFIER_H_

#include <string>

#include "services/paging/notifier.h"

namespace tocsin::paging {

inline constexpr char kNoSmsProvider[] = "no SMS provider configured";
inline constexpr char kNoVoiceProvider[] = "no voice provider configured";

class DispatchingNotifier final : public Notifier {
 public:
  // All must outlive this; phone may be nullptr (no SMS/voice provider).
  DispatchingNotifier(Notifier* email, Notifier* webhook, Notifier* phone = nullptr)
      : email_(email), webhook_(webhook), phone_(phone) {}

  absl::Status Deliver(const paging::v1::Page& page, const std::string& ack_url) override {
    return DeliverWithDetail(page, ack_url).status();
  }
  absl::StatusOr<std::string> DeliverWithDetail(const paging::v1::Page& page,
                                                const std::string& ack_url) override;

 private:
  Notifier* const email_;
  Notifier* const webhook_;
  Notifier* const phone_;
};

// The page's channel kind, for logs and metric labels: "email", "webhook",
// "sms", "voice" or "none".
std::string ChannelKind(const paging::v1::Page& page);

// The provider that delivers the page, as PagingOptions::provider_of wants
// it: phone_provider ("twilio", "gateway"; "" when none is configured) for
// SMS and voice, "email" (the SMTP server) for email, "" for webhooks (each
// is its own endpoint, not one provider) and anything else.
std::string ProviderOf(const paging::v1::Page& page, const std::string& phone_provider);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_DISPATCHING_NOTIFIER_H_
