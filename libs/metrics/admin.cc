#include "libs/metrics/admin.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "prometheus/text_serializer.h"

namespace tocsin::metrics {
namespace {

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void RegisterAdminEndpoints(http::HttpServer& server,
                            std::shared_ptr<prometheus::Registry> registry,
                            std::vector<ReadinessCheck> checks) {
  RegisterAdminEndpoints(server, std::vector<std::shared_ptr<prometheus::Collectable>>{registry},
                         std::move(checks), {});
}

void RegisterAdminEndpoints(http::HttpServer& server,
                            std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
                            std::vector<ReadinessCheck> checks,
                            std::vector<ReadinessDetail> details) {
  server.Handle("GET", "/metrics", [collectables](const http::HttpRequest&) {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& c : collectables) {
      auto more = c->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
    http::HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = prometheus::TextSerializer().Serialize(families);
    return r;
  });
  server.Handle("GET", "/healthz", [](const http::HttpRequest&) {
    http::HttpResponse r;
    r.body = R"({"status":"ok"})";
    return r;
  });
  server.Handle("GET", "/readyz", [checks = std::move(checks), details = std::move(details)](
                                      const http::HttpRequest&) {
    nlohmann::json results = nlohmann::json::object();
    std::vector<std::string> failing;
    for (const auto& [name, check] : checks) {
      absl::Status s = check();
      results[name] = s.ok() ? std::string("ok") : s.ToString();
      if (!s.ok()) failing.push_back(absl::StrCat(name, ": ", s.ToString()));
    }
    nlohmann::json info = nlohmann::json::object();
    for (const auto& [name, detail] : details) {
      std::string text = detail();
      if (!text.empty()) info[name] = text;
    }
    nlohmann::json body;
    http::HttpResponse r;
    if (failing.empty()) {
      body["status"] = "ready";
    } else {
      r.status = 503;
      body["error"]["code"] = "not_ready";
      body["error"]["message"] = absl::StrJoin(failing, "; ");
    }
    body["checks"] = results;
    if (!info.empty()) body["details"] = info;
    r.body = Dump(body);
    return r;
  });
}

const std::vector<double>& LatencyBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

}  // namespace tocsin::metrics
