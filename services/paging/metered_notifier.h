// MeteredNotifier: a Notifier that counts and times the deliveries of the
// one it wraps; the paging service's delivery metrics are declared here, once.
//
//   MeteredNotifier metered(&dispatching, *registry);
//   PagingCore core(..., &metered, ...);
//
// tocsin_paging_deliveries_total{channel="email|webhook|none",
//                                result="delivered|retry|rejected"}
// tocsin_paging_delivery_seconds{channel}: time spent in Deliver.
#ifndef TOCSIN_SERVICES_PAGING_METERED_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_METERED_NOTIFIER_H_

#include <string>

#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/paging/notifier.h"

namespace tocsin::paging {

class MeteredNotifier final : public Notifier {
 public:
  // inner must outlive this.
  MeteredNotifier(Notifier* inner, prometheus::Registry& registry);

  absl::Status Deliver(const paging::v1::Page& page, const std::string& ack_url) override {
    return DeliverWithDetail(page, ack_url).status();
  }
  absl::StatusOr<std::string> DeliverWithDetail(const paging::v1::Page& page,
                                                const std::string& ack_url) override;

 private:
  Notifier* const inner_;
  prometheus::Family<prometheus::Counter>* const deliveries_;
  prometheus::Family<prometheus::Histogram>* const seconds_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_METERED_NOTIFIER_H_
