// Admin endpoints every Tocsin service serves on its HTTP port:
//   GET /metrics  Prometheus text exposition of the service's registry
//                 (serialised by prometheus-cpp).
//   GET /healthz  200 while the process is alive.
//   GET /readyz   200 when every readiness check passes, else 503 naming the
//                 failing check (e.g. the database or the bus).
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   RegisterAdminEndpoints(*server, registry, {{"database", [&] { return db->Ping(); }}});
#ifndef TOCSIN_LIBS_METRICS_ADMIN_H_
#define TOCSIN_LIBS_METRICS_ADMIN_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "libs/http/http_server.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace tocsin::metrics {

using ReadinessCheck = std::pair<std::string, std::function<absl::Status()>>;
// Something /readyz reports without failing on it (e.g. "3 dead letters not
// replayed"); an empty text is left out.
using ReadinessDetail = std::pair<std::string, std::function<std::string()>>;

void RegisterAdminEndpoints(http::HttpServer& server,
                            std::shared_ptr<prometheus::Registry> registry,
                            std::vector<ReadinessCheck> checks);
// The same, exposing every collectable's families (a registry, the process
// collector, callback gauges) in one /metrics answer. /readyz runs every
// check and names each one that fails, not only the first, and adds the
// details:
//   503 {"error":{"code":"not_ready","message":"bus: ...; outbox: ..."},
//        "checks":{"database":"ok","bus":"UNAVAILABLE: ..."},
//        "details":{"deadLetters":"2 not replayed"}}
void RegisterAdminEndpoints(http::HttpServer& server,
                            std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
                            std::vector<ReadinessCheck> checks,
                            std::vector<ReadinessDetail> details);

// Latency buckets (seconds) for request and processing histograms: 0.5 ms to 10 s.
const std::vector<double>& LatencyBuckets();

}  // namespace tocsin::metrics

#endif  // TOCSIN_LIBS_METRICS_ADMIN_H_
