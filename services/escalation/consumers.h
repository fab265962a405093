// Consumers: the escalation service's two durable consumers, wired to the
// core's handlers. The bus may come up after the service, so main calls
// SubscribeMissing() from its Ticker until Ready() is OK; /readyz reports it.
//
//   Consumers consumers(&bus, &core);
//   service::Ticker ticker(absl::Milliseconds(250), [&] { consumers.SubscribeMissing(); });
//   {"consumers", [&] { return consumers.Ready(); }}   // a readiness check
//
// kIncidentsConsumer receives incident.opened and incident.resolved;
// kPagesConsumer receives page.acknowledged (one domain per consumer).
#ifndef TOCSIN_SERVICES_ESCALATION_CONSUMERS_H_
#define TOCSIN_SERVICES_ESCALATION_CONSUMERS_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "libs/bus/event_bus.h"
#include "services/escalation/core.h"

namespace tocsin::escalation {

// The consumers' options: durable name, types, and redelivery (10
// deliveries, 2 s apart, before a message is dead-lettered).
bus::ConsumerOptions IncidentConsumerOptions();
bus::ConsumerOptions PageConsumerOptions();

class Consumers {
 public:
  // bus and core must outlive this object.
  Consumers(bus::EventBus* bus, EscalationCore* core) : bus_(bus), core_(core) {}

  // Subscribes each consumer not subscribed yet; a failure is logged and
  // retried on the next call. Thread-safe.
  void SubscribeMissing();
  // OK once both consumers are subscribed; Unavailable naming those that are not.
  absl::Status Ready() const;

 private:
  // Subscribes options into *slot unless it is subscribed already.
  void SubscribeOne(const bus::ConsumerOptions& options, bus::Handler handler,
                    std::unique_ptr<bus::Subscription>* slot);

  bus::EventBus* const bus_;
  EscalationCore* const core_;
  // One SubscribeMissing() at a time; not held by Ready(), so a readiness
  // probe never waits for a connection attempt.
  absl::Mutex subscribe_mu_;
  mutable absl::Mutex mu_;
  std::unique_ptr<bus::Subscription> incidents_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<bus::Subscription> pages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_CONSUMERS_H_
