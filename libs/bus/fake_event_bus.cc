#include "libs/bus/fake_event_bus.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "libs/status/status_macros.h"

namespace tocsin::bus {
namespace {

class FakeSubscription;

// A durable consumer: what it reads and how far it got.
struct Consumer {
  ConsumerOptions options;
  absl::flat_hash_set<std::string> types;
  // Index in the message log -> deliveries so far.
  absl::flat_hash_map<size_t, int> deliveries;
  // Acked, dead-lettered or skipped: never delivered again.
  absl::flat_hash_set<size_t> finished;
  // One past the newest message delivered: JetStream's delivered sequence.
  size_t position = 0;
  std::vector<FakeSubscription*> live;
  size_t next_live = 0;
};

}  // namespace

class FakeEventBusState {
 public:
  absl::Mutex mu;
  absl::Status publish_failure ABSL_GUARDED_BY(mu);
  std::vector<Envelope> log ABSL_GUARDED_BY(mu);
  absl::flat_hash_set<std::string> event_ids ABSL_GUARDED_BY(mu);
  // Ordered, so passes visit consumers in the same order every run.
  std::map<std::string, Consumer> consumers ABSL_GUARDED_BY(mu);
  std::vector<DeadLetter> dead_letters ABSL_GUARDED_BY(mu);
  // Held for a whole pass: one pump at a time.
  absl::Mutex pump_mu;
};

namespace {

class FakeSubscription : public Subscription {
 public:
  FakeSubscription(std::shared_ptr<FakeEventBusState> state,
                   std::string durable_name, Handler handler)
      : state_(std::move(state)),
        durable_name_(std::move(durable_name)),
        handler_(std::move(handler)) {}

  ~FakeSubscription() override {
    absl::MutexLock lock(&state_->mu);
    std::vector<FakeSubscription*>& live =
        state_->consumers[durable_name_].live;
    live.erase(std::find(live.begin(), live.end(), this));
    state_->mu.Await(absl::Condition(
        +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
  }

  const Handler& handler() const { return handler_; }
  // Handler calls in progress; guarded by the state's mu.
  int& in_flight() { return in_flight_; }

 private:
  const std::shared_ptr<FakeEventBusState> state_;
  const std::string durable_name_;
  const Handler handler_;
  int in_flight_ = 0;
};

}  // namespace

FakeEventBus::FakeEventBus() : state_(std::make_shared<FakeEventBusState>()) {}

FakeEventBus::~FakeEventBus() = default;

absl::Status FakeEventBus::Publish(const Envelope& envelope) {
  RETURN_IF_ERROR(ValidateEnvelope(envelope));
  absl::MutexLock lock(&state_->mu);
  RETURN_IF_ERROR(state_->publish_failure);
  if (state_->event_ids.insert(envelope.event_id()).second) {
    state_->log.push_back(envelope);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Subscription>> FakeEventBus::Subscribe(
    const ConsumerOptions& options, Handler handler) {
  RETURN_IF_ERROR(ValidateConsumerOptions(options));
  absl::flat_hash_set<std::string> types(options.types.begin(),
                                         options.types.end());
  absl::MutexLock lock(&state_->mu);
  auto [it, created] = state_->consumers.try_emplace(options.durable_name);
  Consumer& consumer = it->second;
  if (!created && consumer.types != types) {
    // Like a JetStream filter update: the consumer keeps its position, so
    // older messages of the new types that it never saw are skipped.
    for (size_t i = 0; i < consumer.position; ++i) {
      if (!consumer.deliveries.contains(i)) consumer.finished.insert(i);
    }
  }
  consumer.options = options;
  consumer.types = std::move(types);
  auto subscription = std::make_unique<FakeSubscription>(
      state_, options.durable_name, std::move(handler));
  consumer.live.push_back(subscription.get());
  return subscription;
}

int FakeEventBus::DeliverOnce() {
  absl::MutexLock pump(&state_->pump_mu);
  // What is pending now; messages published during the pass wait for the next.
  std::vector<std::pair<std::string, size_t>> pending;
  {
    absl::MutexLock lock(&state_->mu);
    for (const auto& [name, consumer] : state_->consumers) {
      if (consumer.live.empty()) continue;
      for (size_t i = 0; i < state_->log.size(); ++i) {
        if (consumer.types.contains(state_->log[i].type()) &&
            !consumer.finished.contains(i)) {
          pending.emplace_back(name, i);
        }
      }
    }
  }
  int calls = 0;
  for (const auto& [name, index] : pending) {
    FakeSubscription* subscription;
    Envelope envelope;
    int deliveries;
    {
      absl::MutexLock lock(&state_->mu);
      Consumer& consumer = state_->consumers[name];
      if (consumer.live.empty() || consumer.finished.contains(index)) continue;
      subscription = consumer.live[consumer.next_live++ % consumer.live.size()];
      ++subscription->in_flight();
      deliveries = ++consumer.deliveries[index];
      consumer.position = std::max(consumer.position, index + 1);
      envelope = state_->log[index];
    }
    absl::Status handled = subscription->handler()(envelope);
    ++calls;
    absl::MutexLock lock(&state_->mu);
    --subscription->in_flight();
    Consumer& consumer = state_->consumers[name];
    if (handled.ok()) {
      consumer.finished.insert(index);
    } else if (deliveries >= consumer.options.max_deliver) {
      consumer.finished.insert(index);
      state_->dead_letters.push_back(
          {name, std::move(envelope), handled.ToString(), deliveries});
    }
  }
  return calls;
}

int FakeEventBus::DeliverPending() {
  int total = 0;
  while (int calls = DeliverOnce()) total += calls;
  return total;
}

void FakeEventBus::SetPublishFailure(absl::Status status) {
  absl::MutexLock lock(&state_->mu);
  state_->publish_failure = std::move(status);
}

std::vector<Envelope> FakeEventBus::Published() const {
  absl::MutexLock lock(&state_->mu);
  return state_->log;
}

std::vector<DeadLetter> FakeEventBus::DeadLetters() const {
  absl::MutexLock lock(&state_->mu);
  return state_->dead_letters;
}

}  // namespace tocsin::bus
