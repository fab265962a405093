#include "services/paging/metered_notifier.h"

#include <chrono>

#include "libs/metrics/admin.h"
#include "services/paging/dispatching_notifier.h"

namespace tocsin::paging {

MeteredNotifier::MeteredNotifier(Notifier* inner, prometheus::Registry& registry)
    : inner_(inner),
      deliveries_(&prometheus::BuildCounter()
                       .Name("tocsin_paging_deliveries_total")
                       .Help("Delivery attempts by channel kind and result (delivered; retry: "
                             "transient failure; rejected: permanent failure).")
                       .Register(registry)),
      seconds_(&prometheus::BuildHistogram()
                    .Name("tocsin_paging_delivery_seconds")
                    .Help("Time to hand one page to its channel.")
                    .Register(registry)) {}

absl::StatusOr<std::string> MeteredNotifier::DeliverWithDetail(const paging::v1::Page& page,
                                                               const std::string& ack_url) {
  const std::string channel = ChannelKind(page);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::string> delivered = inner_->DeliverWithDetail(page, ack_url);
  const absl::Status status = delivered.status();
  seconds_->Add({{"channel", channel}}, metrics::LatencyBuckets())
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  const char* result = status.ok()                    ? "delivered"
                       : IsPermanentFailure(status) ? "rejected"
                                                    : "retry";
  deliveries_->Add({{"channel", channel}, {"result", result}}).Increment();
  return delivered;
}

}  // namespace tocsin::paging
