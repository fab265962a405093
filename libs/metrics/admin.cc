#include "libs/metrics/admin.h"

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace tocsin::metrics {

void RegisterAdminEndpoints(http::HttpServer& server,
                            std::shared_ptr<prometheus::Registry> registry,
                            std::vector<ReadinessCheck> checks) {
  server.Handle("GET", "/metrics", [registry](const http::HttpRequest&) {
    http::HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = prometheus::TextSerializer().Serialize(registry->Collect());
    return r;
  });
  server.Handle("GET", "/healthz", [](const http::HttpRequest&) {
    http::HttpResponse r;
    r.body = R"({"status":"ok"})";
    return r;
  });
  server.Handle("GET", "/readyz", [checks = std::move(checks)](const http::HttpRequest&) {
    for (const auto& [name, check] : checks) {
      absl::Status s = check();
      if (!s.ok()) {
        return http::JsonError(503, "not_ready",
                               absl::StrCat(name, ": ", s.ToString()));
      }
    }
    http::HttpResponse r;
    r.body = R"({"status":"ready"})";
    return r;
  });
}

const std::vector<double>& LatencyBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

}  // namespace tocsin::metrics
