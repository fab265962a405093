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
#include "prometheus/registry.h"

namespace tocsin::metrics {

using ReadinessCheck = std::pair<std::string, std::function<absl::Status()>>;

void RegisterAdminEndpoints(http::HttpServer& server,
                            std::shared_ptr<prometheus::Registry> registry,
                            std::vector<ReadinessCheck> checks);

// Latency buckets (seconds) for request and processing histograms: 0.5 ms to 10 s.
const std::vector<double>& LatencyBuckets();

}  // namespace tocsin::metrics

#endif  // TOCSIN_LIBS_METRICS_ADMIN_H_
