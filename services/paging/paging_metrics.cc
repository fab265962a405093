#include "services/paging/paging_metrics.h"

namespace tocsin::paging {

PagingMetrics::PagingMetrics(prometheus::Registry& registry)
    : in_flight_(&prometheus::BuildGauge()
                      .Name("tocsin_paging_deliveries_in_flight")
                      .Help("Deliveries handed to a worker whose result is not recorded yet.")
                      .Register(registry)
                      .Add({})),
      set_aside_(&prometheus::BuildCounter()
                      .Name("tocsin_paging_pages_set_aside_total")
                      .Help("Pages set aside as FAILED because their stored row could not be "
                            "read (unreadable) or written (claim_failed, record_failed).")
                      .Register(registry)),
      ack_refused_(&prometheus::BuildCounter()
                        .Name("tocsin_paging_ack_refused_total")
                        .Help("Acknowledgements refused: rate_limited (too many wrong codes "
                              "from the source), wrong_code, wrong_token, "
                              "not_acknowledgeable (cancelled, failed or resolved).")
                        .Register(registry)),
      held_(&prometheus::BuildCounter()
                 .Name("tocsin_paging_pages_held_total")
                 .Help("SMS and voice pages held back because their destination used up a "
                       "rate limit (once per page); they go out in one digest later.")
                 .Register(registry)),
      degraded_(&prometheus::BuildGauge()
                     .Name("tocsin_paging_provider_degraded")
                     .Help("1 while the provider is degraded (it failed several times in a row "
                           "lately; pages fall through to the person's next channel), else 0.")
                     .Register(registry)) {}

}  // namespace tocsin::paging
