#include "services/paging/dispatching_notifier.h"

#include "absl/strings/str_cat.h"

namespace tocsin::paging {

std::string ChannelKind(const paging::v1::Page& page) {
  switch (page.channel().destination_case()) {
    case escalation::v1::ContactChannel::kEmail: return "email";
    case escalation::v1::ContactChannel::kWebhook: return "webhook";
    case escalation::v1::ContactChannel::kSms: return "sms";
    case escalation::v1::ContactChannel::kVoice: return "voice";
    default: return "none";
  }
}

std::string ProviderOf(const paging::v1::Page& page, const std::string& phone_provider) {
  switch (page.channel().destination_case()) {
    case escalation::v1::ContactChannel::kEmail: return "email";
    case escalation::v1::ContactChannel::kSms:
    case escalation::v1::ContactChannel::kVoice: return phone_provider;
    default: return "";
  }
}

absl::StatusOr<std::string> DispatchingNotifier::DeliverWithDetail(const paging::v1::Page& page,
                                                                   const std::string& ack_url) {
  switch (page.channel().destination_case()) {
    case escalation::v1::ContactChannel::kEmail:
      return email_->DeliverWithDetail(page, ack_url);
    case escalation::v1::ContactChannel::kWebhook:
      return webhook_->DeliverWithDetail(page, ack_url);
    // Without a provider: a permanent failure, so the page is FAILED at its
    // first attempt and the escalation goes on.
    case escalation::v1::ContactChannel::kSms:
      if (phone_ == nullptr) return absl::FailedPreconditionError(kNoSmsProvider);
      return phone_->DeliverWithDetail(page, ack_url);
    case escalation::v1::ContactChannel::kVoice:
      if (phone_ == nullptr) return absl::FailedPreconditionError(kNoVoiceProvider);
      return phone_->DeliverWithDetail(page, ack_url);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("page \"", page.id(), "\": channel \"", page.channel().name(),
                       "\" has no destination (email or webhook)"));
  }
}

}  // namespace tocsin::paging
