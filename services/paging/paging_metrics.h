// PagingMetrics: the paging core's figures, declared once (the notifiers'
// delivery counts and latencies are in metered_notifier.h; the pages
// waiting gauge is computed at scrape time from CountPagesWaiting(), wired in
// main.cc).
//
//   tocsin_paging_deliveries_in_flight        gauge: deliveries handed to a
//                                             worker and not yet recorded
//   tocsin_paging_pages_set_aside_total{reason="unreadable|claim_failed|record_failed"}
//                                             pages set aside as FAILED
//                                             because their row could not be
//                                             read or written
//   tocsin_paging_ack_refused_total{reason="rate_limited|wrong_code|wrong_token|not_acknowledgeable"}
//                                             acknowledgements refused
//   tocsin_paging_pages_held_total{channel="sms|voice"}
//                                             pages held back by a rate
//                                             limit (once per page)
//   tocsin_paging_provider_degraded{provider} gauge: 1 while the provider
//                                             is degraded (failures in a
//                                             row), 0 after
//
//   PagingMetrics metrics(*registry);
//
// Thread-safe (prometheus-cpp metrics are).
#ifndef TOCSIN_SERVICES_PAGING_PAGING_METRICS_H_
#define TOCSIN_SERVICES_PAGING_PAGING_METRICS_H_

#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace tocsin::paging {

class PagingMetrics {
 public:
  explicit PagingMetrics(prometheus::Registry& registry);

  prometheus::Gauge& deliveries_in_flight() { return *in_flight_; }
  // reason: one of the labels above.
  void SetAside(const std::string& reason) { set_aside_->Add({{"reason", reason}}).Increment(); }
  void AckRefused(const std::string& reason) {
    ack_refused_->Add({{"reason", reason}}).Increment();
  }
  void Held(const std::string& channel) { held_->Add({{"channel", channel}}).Increment(); }
  void SetDegraded(const std::string& provider, bool degraded) {
    degraded_->Add({{"provider", provider}}).Set(degraded ? 1 : 0);
  }

 private:
  prometheus::Gauge* in_flight_;
  prometheus::Family<prometheus::Counter>* set_aside_;
  prometheus::Family<prometheus::Counter>* ack_refused_;
  prometheus::Family<prometheus::Counter>* held_;
  prometheus::Family<prometheus::Gauge>* degraded_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_PAGING_METRICS_H_
