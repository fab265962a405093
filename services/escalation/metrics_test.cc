#include "services/escalation/metrics.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "prometheus/registry.h"

namespace tocsin::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

template <typename T>
events::Envelope Event(const events::EventType<T>& type, const T& payload) {
  events::Envelope e;
  e.set_event_id("evt-1");
  e.set_type(type.name);
  e.mutable_payload()->PackFrom(payload);
  return e;
}

events::Envelope Stopped(v1::EngagementState state, bool with_snapshot,
                         const std::string& reason = "incident resolved") {
  v1::EngagementStopped stopped;
  stopped.mutable_engagement()->set_state(state);
  stopped.mutable_engagement()->set_stop_reason(reason);
  if (with_snapshot) stopped.mutable_engagement()->mutable_contact_snapshot()->set_name("alice");
  return Event(events::kEngagementStopped, stopped);
}

// Counter values of one family, by the value of `label` ("" for no label).
std::map<std::string, double> Values(prometheus::Registry& registry, const std::string& name,
                                     const std::string& label) {
  std::map<std::string, double> values;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::string key;
      for (const auto& l : metric.label) {
        if (l.name == label) key = l.value;
      }
      values[key] = metric.counter.value;
    }
  }
  return values;
}

TEST(EscalationMetricsTest, CountsPagesAndEngagementOutcomes) {
  prometheus::Registry registry;
  EscalationMetrics metrics(registry);
  metrics.Count(Event(events::kEngagementStarted, v1::EngagementStarted()));
  metrics.Count(Event(events::kPageRequested, v1::PageRequested()));
  metrics.Count(Event(events::kPageRequested, v1::PageRequested()));
  metrics.Count(Event(events::kEngagementStageStarted, v1::EngagementStageStarted()));
  metrics.Count(Stopped(v1::ENGAGEMENT_STATE_ACKNOWLEDGED, true));
  metrics.Count(Stopped(v1::ENGAGEMENT_STATE_STOPPED, true));
  metrics.Count(Stopped(v1::ENGAGEMENT_STATE_STOPPED, false));
  metrics.Count(Stopped(v1::ENGAGEMENT_STATE_EXHAUSTED, true));
  metrics.Count(Stopped(v1::ENGAGEMENT_STATE_STOPPED, true, "stopped by hand: fixed"));
  metrics.Count(Stopped(v1::ENGAGEMENT_STATE_STOPPED, true, "acknowledged by bob (page pg-1)"));

  EXPECT_THAT(Values(registry, "tocsin_escalation_pages_requested_total", ""),
              ElementsAre(Pair("", 2)));
  EXPECT_THAT(Values(registry, "tocsin_escalation_engagements_total", "outcome"),
              ElementsAre(Pair("acknowledged", 1), Pair("exhausted", 1), Pair("resolved", 1),
                          Pair("started", 1), Pair("stopped_by_hand", 1), Pair("superseded", 1),
                          Pair("unknown_contact", 1)));
}

}  // namespace
}  // namespace tocsin::escalation
