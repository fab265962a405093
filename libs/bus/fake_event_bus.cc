#include "libs/bus/fake_event_bus.h"

#include <algorithm>
#include <exception>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "libs/status/retry.h"
#include "libs/status/status_macros.h"

namespace tocsin::bus {
namespace {

class FakeSubscription;

// What a consumer knows of one message it has not finished.
struct Progress {
  int64_t deliveries = 0;
  // Permanent failures; at max_failures it only goes to the dead letter.
  int failures = 0;
  std::string last_error;
};

// A durable consumer: what it reads and how far it got.
struct Consumer {
  absl::flat_hash_set<std::string> types;
  // Index in the message log -> its deliveries and failures so far.
  absl::flat_hash_map<size_t, Progress> progress;
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
                   ConsumerOptions options, Handler handler)
      : state_(std::move(state)),
        durable_name_(options.durable_name),
        options_(std::move(options)),
        handler_(std::move(handler)) {}

  ~FakeSubscription() override {
    absl::MutexLock lock(&state_->mu);
    std::vector<FakeSubscription*>& live =
        state_->consumers[durable_name_].live;
    live.erase(std::find(live.begin(), live.end(), this));
    state_->mu.Await(absl::Condition(
        +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
  }

  const ConsumerOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  // Handler calls in progress; guarded by the state's mu.
  int& in_flight() { return in_flight_; }

 private:
  const std::shared_ptr<FakeEventBusState> state_;
  const std::string durable_name_;
  const ConsumerOptions options_;
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
      if (!consumer.progress.contains(i)) consumer.finished.insert(i);
    }
  }
  consumer.types = std::move(types);
  auto subscription =
      std::make_unique<FakeSubscription>(state_, options, std::move(handler));
  consumer.live.push_back(subscription.get());
  return subscription;
}

namespace {

// Calls the hook; an exception it throws is an error to retry.
absl::Status CallDeadLetterHook(const ConsumerOptions& options,
                                const DeadLetter& dead_letter) {
  try {
    return options.dead_letter(dead_letter);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("dead_letter hook threw an exception: ", e.what()));
  } catch (...) {
    return absl::InternalError("dead_letter hook threw an exception");
  }
}

}  // namespace

FakeEventBus::Pass FakeEventBus::DeliverPass() {
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
  Pass pass;
  for (const auto& [name, index] : pending) {
    FakeSubscription* subscription;
    Envelope envelope;
    Progress progress;
    {
      absl::MutexLock lock(&state_->mu);
      Consumer& consumer = state_->consumers[name];
      if (consumer.live.empty() || consumer.finished.contains(index)) continue;
      subscription = consumer.live[consumer.next_live++ % consumer.live.size()];
      ++subscription->in_flight();
      Progress& stored = consumer.progress[index];
      ++stored.deliveries;
      progress = stored;
      consumer.position = std::max(consumer.position, index + 1);
      envelope = state_->log[index];
    }
    const ConsumerOptions& options = subscription->options();
    Delivery delivery{Delivery::Outcome::kApplied, progress.deliveries,
                      envelope.type()};
    bool dead = progress.failures >= options.max_failures;
    if (!dead) {
      absl::Status handled = CallHandler(subscription->handler(), envelope);
      ++pass.calls;
      if (handled.ok()) {
        delivery.outcome = Delivery::Outcome::kApplied;
      } else if (IsTransient(handled)) {
        delivery.outcome = Delivery::Outcome::kRetryTransient;
      } else {
        ++progress.failures;
        progress.last_error = ErrorLine(handled);
        dead = progress.failures >= options.max_failures;
        delivery.outcome = Delivery::Outcome::kRetryPermanent;
      }
    }
    if (dead) {
      DeadLetter dead_letter{
          name,
          SubjectFor(envelope.type()),
          absl::StrCat(name, ":", StreamFor(envelope.type()), ":", index + 1),
          envelope.SerializeAsString(),
          envelope,
          progress.last_error,
          progress.deliveries};
      const bool kept = !options.dead_letter ||
                        CallDeadLetterHook(options, dead_letter).ok();
      delivery.outcome = kept ? Delivery::Outcome::kDeadLettered
                              : Delivery::Outcome::kRetryTransient;
      if (kept && !options.dead_letter) {
        absl::MutexLock lock(&state_->mu);
        state_->dead_letters.push_back(std::move(dead_letter));
      }
    }
    {
      absl::MutexLock lock(&state_->mu);
      Consumer& consumer = state_->consumers[name];
      if (delivery.outcome == Delivery::Outcome::kApplied ||
          delivery.outcome == Delivery::Outcome::kDeadLettered) {
        consumer.finished.insert(index);
        consumer.progress.erase(index);
      } else {
        consumer.progress[index] = progress;
      }
    }
    if (delivery.outcome != Delivery::Outcome::kRetryTransient) {
      pass.progress = true;
    }
    if (options.on_outcome) options.on_outcome(delivery);
    absl::MutexLock lock(&state_->mu);
    --subscription->in_flight();
  }
  return pass;
}

int FakeEventBus::DeliverOnce() { return DeliverPass().calls; }

int FakeEventBus::DeliverPending() {
  int total = 0;
  for (;;) {
    Pass pass = DeliverPass();
    total += pass.calls;
    if (!pass.progress) return total;
  }
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
