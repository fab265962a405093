#include "services/paging/metered_notifier.h"

#include <deque>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "prometheus/registry.h"

namespace tocsin::paging {
namespace {

using ::tocsin::paging::v1::Page;

class ScriptedNotifier final : public Notifier {
 public:
  absl::Status Deliver(const Page&, const std::string&) override {
    absl::Status s = results.front();
    results.pop_front();
    return s;
  }
  std::deque<absl::Status> results;
};

// The value of the counter with these labels, or -1 when it does not exist.
double Counter(prometheus::Registry& registry, const std::string& channel,
               const std::string& result) {
  for (const auto& family : registry.Collect()) {
    if (family.name != "tocsin_paging_deliveries_total") continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : metric.label) labels[l.name] = l.value;
      if (labels["channel"] == channel && labels["result"] == result) {
        return metric.counter.value;
      }
    }
  }
  return -1;
}

TEST(MeteredNotifier, CountsDeliveriesByChannelKindAndResult) {
  prometheus::Registry registry;
  ScriptedNotifier inner;
  inner.results = {absl::OkStatus(), absl::UnavailableError("503"),
                   absl::FailedPreconditionError("404"), absl::OkStatus()};
  MeteredNotifier metered(&inner, registry);
  Page email;
  email.mutable_channel()->mutable_email()->set_address("a@example.com");
  Page webhook;
  webhook.mutable_channel()->mutable_webhook()->set_url("http://x");
  EXPECT_OK(metered.Deliver(email, ""));
  EXPECT_FALSE(metered.Deliver(webhook, "").ok());
  EXPECT_FALSE(metered.Deliver(webhook, "").ok());
  EXPECT_OK(metered.Deliver(email, ""));
  EXPECT_EQ(Counter(registry, "email", "delivered"), 2);
  EXPECT_EQ(Counter(registry, "webhook", "retry"), 1);
  EXPECT_EQ(Counter(registry, "webhook", "rejected"), 1);
  EXPECT_EQ(Counter(registry, "webhook", "delivered"), -1);
}

}  // namespace
}  // namespace tocsin::paging
