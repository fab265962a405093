// ConsumerSet: a service's durable consumers, subscribed as soon as the bus
// allows. A service starts before NATS may be reachable; Tick() (from the
// service's Ticker) subscribes whatever is not subscribed yet, and Ready()
// feeds /readyz.
//
//   ConsumerSet consumers(&bus);
//   consumers.Add({.durable_name = "incidents-pages", .types = {...}}, handler);
//   Ticker ticker(absl::Milliseconds(250), [&] { consumers.Tick(); });
#ifndef TOCSIN_LIBS_SERVICE_CONSUMERS_H_
#define TOCSIN_LIBS_SERVICE_CONSUMERS_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "libs/bus/event_bus.h"

namespace tocsin::service {

// Where a service declares its consumers (each service does so in one file,
// services/<name>/consumers.cc): the ServiceHost, or a ConsumerSet in tests.
class ConsumerRegistry {
 public:
  virtual ~ConsumerRegistry() = default;
  virtual void AddConsumer(bus::ConsumerOptions options, bus::Handler handler) = 0;
};

class ConsumerSet : public ConsumerRegistry {
 public:
  explicit ConsumerSet(bus::EventBus* bus) : bus_(bus) {}

  // Adds a consumer; a handler error is logged with the event id (the bus
  // then naks and redelivers it).
  void Add(bus::ConsumerOptions options, bus::Handler handler);
  void AddConsumer(bus::ConsumerOptions options, bus::Handler handler) override {
    Add(std::move(options), std::move(handler));
  }
  // Subscribes every consumer not yet subscribed; logs failures. One Tick at
  // a time; it may wait for the bus to connect.
  void Tick();
  // OK when all are subscribed, else Unavailable naming those that are not.
  // Never waits for a Tick in progress (a readiness probe stays fast).
  absl::Status Ready() const;

 private:
  struct Consumer {
    bus::ConsumerOptions options;
    bus::Handler handler;
    std::unique_ptr<bus::Subscription> subscription;
    absl::Status last_error = absl::UnavailableError("not subscribed yet");
  };
  bus::EventBus* const bus_;
  absl::Mutex tick_mu_;
  mutable absl::Mutex mu_;
  std::vector<Consumer> consumers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::service

#endif  // TOCSIN_LIBS_SERVICE_CONSUMERS_H_
