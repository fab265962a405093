// The escalation service's metrics, declared once and counted from the events
// the core commits (EscalationOptions::on_event), so they count what really
// happened and nothing that rolled back.
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   EscalationMetrics metrics(*registry);
//   options.on_event = [&metrics](const Envelope& e) { metrics.Count(e); };
//
//   tocsin_escalation_pages_requested_total         pages handed to the paging service
//   tocsin_escalation_engagements_total{outcome}    engagements started (each
//       engagement of a tree: plans, schedules, persons), and how they ended:
//       started, acknowledged, resolved, exhausted, unknown_contact,
//       stopped_by_hand, superseded (stopped by another target's ack)
// The gauge tocsin_escalation_engagements_stalled is main's, from
// EscalationCore::StalledEngagements().
#ifndef TOCSIN_SERVICES_ESCALATION_METRICS_H_
#define TOCSIN_SERVICES_ESCALATION_METRICS_H_

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "tocsin/events/v1/envelope.pb.h"

namespace tocsin::escalation {

class EscalationMetrics {
 public:
  explicit EscalationMetrics(prometheus::Registry& registry);

  // Counts one committed event of this service; other types change nothing.
  void Count(const events::v1::Envelope& event);

 private:
  prometheus::Counter* pages_requested_;
  prometheus::Family<prometheus::Counter>* engagements_;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_METRICS_H_
