#include "services/escalation/consumers.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/log/log.h"

namespace tocsin::escalation {
namespace {

bus::ConsumerOptions WithRedelivery(bus::ConsumerOptions options) {
  options.max_deliver = 10;
  options.ack_wait = absl::Seconds(30);
  options.nak_delay = absl::Seconds(2);
  return options;
}

// Wraps a core handler so that a failure (the bus naks and redelivers) is
// logged with the event it concerns.
bus::Handler Logged(const std::string& consumer,
                    std::function<absl::Status(const bus::Envelope&)> handle) {
  return [consumer, handle = std::move(handle)](const bus::Envelope& event) {
    absl::Status s = handle(event);
    if (!s.ok()) {
      log::Warn("event not applied; the bus delivers it again",
                {{"consumer", consumer},
                 {"event_id", event.event_id()},
                 {"type", event.type()},
                 {"incident_id", event.incident_id()},
                 {"error", s.ToString()}});
    }
    return s;
  };
}

}  // namespace

bus::ConsumerOptions IncidentConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kIncidentsConsumer;
  options.types = {"incident.opened", "incident.resolved"};
  return WithRedelivery(std::move(options));
}

bus::ConsumerOptions PageConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kPagesConsumer;
  options.types = {"page.acknowledged"};
  return WithRedelivery(std::move(options));
}

void Consumers::SubscribeOne(const bus::ConsumerOptions& options, bus::Handler handler,
                             std::unique_ptr<bus::Subscription>* slot) {
  {
    absl::MutexLock lock(&mu_);
    if (*slot != nullptr) return;
  }
  auto subscription = bus_->Subscribe(options, std::move(handler));
  if (!subscription.ok()) {
    log::Debug("consumer not subscribed yet; retrying",
               {{"consumer", options.durable_name},
                {"error", subscription.status().ToString()}});
    return;
  }
  absl::MutexLock lock(&mu_);
  *slot = std::move(*subscription);
  log::Info("consumer subscribed", {{"consumer", options.durable_name}});
}

void Consumers::SubscribeMissing() {
  absl::MutexLock serial(&subscribe_mu_);
  SubscribeOne(IncidentConsumerOptions(),
               Logged(kIncidentsConsumer,
                      [core = core_](const bus::Envelope& e) {
                        return core->HandleIncidentEvent(e);
                      }),
               &incidents_);
  SubscribeOne(PageConsumerOptions(),
               Logged(kPagesConsumer,
                      [core = core_](const bus::Envelope& e) { return core->HandlePageEvent(e); }),
               &pages_);
}

absl::Status Consumers::Ready() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> missing;
  if (incidents_ == nullptr) missing.push_back(kIncidentsConsumer);
  if (pages_ == nullptr) missing.push_back(kPagesConsumer);
  if (missing.empty()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("not subscribed yet: ", absl::StrJoin(missing, ", ")));
}

}  // namespace tocsin::escalation
