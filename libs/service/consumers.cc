#include "libs/service/consumers.h"

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"

namespace tocsin::service {

void ConsumerSet::Add(bus::ConsumerOptions options, bus::Handler handler) {
  std::string name = options.durable_name;
  bus::Handler logged = [name, handler = std::move(handler)](const bus::Envelope& event) {
    absl::Status s = handler(event);
    if (!s.ok()) {
      log::Warn("event not applied; the bus will redeliver it",
                {{"consumer", name}, {"event_id", event.event_id()}, {"type", event.type()},
                 {"incident_id", event.incident_id()}, {"error", s.ToString()}});
    }
    return s;
  };
  absl::MutexLock l(&mu_);
  consumers_.push_back({std::move(options), std::move(logged), nullptr});
}

void ConsumerSet::Tick() {
  absl::MutexLock tick(&tick_mu_);
  std::vector<size_t> missing;
  {
    absl::MutexLock l(&mu_);
    for (size_t i = 0; i < consumers_.size(); ++i) {
      if (consumers_[i].subscription == nullptr) missing.push_back(i);
    }
  }
  for (size_t i : missing) {
    bus::ConsumerOptions options;
    bus::Handler handler;
    absl::Status last_error;
    {
      absl::MutexLock l(&mu_);
      options = consumers_[i].options;
      handler = consumers_[i].handler;
      last_error = consumers_[i].last_error;
    }
    // Outside mu_: subscribing may wait for the bus to connect.
    auto sub = bus_->Subscribe(options, handler);
    absl::MutexLock l(&mu_);
    Consumer& c = consumers_[i];
    if (sub.ok()) {
      c.subscription = std::move(*sub);
      c.last_error = absl::OkStatus();
      log::Info("consumer subscribed", {{"consumer", options.durable_name}});
    } else {
      if (sub.status() != last_error) {
        log::Warn("consumer not subscribed yet; retrying",
                  {{"consumer", options.durable_name}, {"error", sub.status().ToString()}});
      }
      c.last_error = sub.status();
    }
  }
}

absl::Status ConsumerSet::Ready() const {
  absl::MutexLock l(&mu_);
  std::string missing;
  for (const Consumer& c : consumers_) {
    if (c.subscription == nullptr) {
      absl::StrAppend(&missing, missing.empty() ? "" : ", ", c.options.durable_name, " (",
                      c.last_error.message(), ")");
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("not subscribed: ", missing));
}

}  // namespace tocsin::service
