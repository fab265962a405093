#include "libs/service/consumers.h"

#include "absl/strings/str_cat.h"
#include "libs/log/log.h"

namespace tocsin::service {

void ConsumerSet::Add(bus::ConsumerOptions options, bus::Handler handler) {
  absl::MutexLock l(&mu_);
  consumers_.push_back({std::move(options), std::move(handler), nullptr});
}

void ConsumerSet::Tick() {
  absl::MutexLock l(&mu_);
  for (Consumer& c : consumers_) {
    if (c.subscription != nullptr) continue;
    auto sub = bus_->Subscribe(c.options, c.handler);
    if (sub.ok()) {
      c.subscription = std::move(*sub);
      c.last_error = absl::OkStatus();
      log::Info("consumer subscribed", {{"consumer", c.options.durable_name}});
    } else if (sub.status() != c.last_error) {
      c.last_error = sub.status();
      log::Warn("consumer not subscribed yet; retrying",
                {{"consumer", c.options.durable_name}, {"error", sub.status().ToString()}});
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
