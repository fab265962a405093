#include "libs/metrics/admin.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "gtest/gtest.h"
#include "libs/http/http_client.h"
#include "libs/metrics/process.h"
#include "nlohmann/json.hpp"
#include "libs/status/status_matchers.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"

namespace tocsin::metrics {
namespace {

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    auto& counter = prometheus::BuildCounter()
                        .Name("tocsin_test_events_total")
                        .Help("Events seen, by outcome.")
                        .Register(*registry_);
    counter.Add({{"outcome", "opened"}}).Increment(3);
    auto& hist = prometheus::BuildHistogram()
                     .Name("tocsin_test_latency_seconds")
                     .Help("Latency.")
                     .Register(*registry_);
    hist.Add({}, LatencyBuckets()).Observe(0.003);
    ASSERT_OK_AND_ASSIGN(server_, http::HttpServer::Start({}));
    RegisterAdminEndpoints(*server_, registry_,
                           {{"database", [this] { return db_status_; }}});
  }
  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<http::HttpServer> server_;
  absl::Status db_status_ = absl::OkStatus();
  http::HttpClient client_;
};

TEST_F(AdminTest, MetricsPassPromtoolCheck) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url("/metrics")}));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("tocsin_test_events_total{outcome=\"opened\"} 3"),
            std::string::npos)
      << r.body;
  std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                     "/metrics.txt";
  std::ofstream(path) << r.body;
  std::string cmd = "promtool check metrics < " + path + " > " + path + ".out 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream out(path + ".out");
  std::string report((std::istreambuf_iterator<char>(out)), {});
  EXPECT_EQ(rc, 0) << "promtool check metrics failed:\n" << report;
}

TEST_F(AdminTest, ReadyzReportsTheFailingCheck) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url("/readyz")}));
  EXPECT_EQ(r.status, 200);
  db_status_ = absl::UnavailableError("disk gone");
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url("/readyz")}));
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("database: UNAVAILABLE: disk gone"), std::string::npos) << r.body;
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url("/healthz")}));
  EXPECT_EQ(r.status, 200);
}

TEST(AdminEndpoints, ReadyzNamesEveryFailingCheckAndReportsDetails) {
  ASSERT_OK_AND_ASSIGN(auto server, http::HttpServer::Start({}));
  auto registry = std::make_shared<prometheus::Registry>();
  auto gauges = std::make_shared<CallbackGauges>();
  gauges->Add("tocsin_test_waiting", "Things waiting.", {}, [] { return 4.0; });
  RegisterBuildInfo(*registry, "test");
  RegisterAdminEndpoints(
      *server, {registry, std::make_shared<ProcessCollector>(), gauges},
      {{"database", [] { return absl::OkStatus(); }},
       {"bus", [] { return absl::UnavailableError("not connected"); }},
       {"outbox", [] { return absl::UnavailableError("relay stuck"); }}},
      {{"deadLetters", [] { return std::string("2 not replayed"); }},
       {"quiet", [] { return std::string(); }}});
  http::HttpClient client;
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  ASSERT_OK_AND_ASSIGN(auto r, client.Send({.url = base + "/readyz"}));
  EXPECT_EQ(r.status, 503);
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["message"],
            "bus: UNAVAILABLE: not connected; outbox: UNAVAILABLE: relay stuck");
  EXPECT_EQ(body["checks"]["database"], "ok");
  EXPECT_EQ(body["details"]["deadLetters"], "2 not replayed");
  EXPECT_FALSE(body["details"].contains("quiet"));

  ASSERT_OK_AND_ASSIGN(r, client.Send({.url = base + "/metrics"}));
  for (const char* family :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_start_time_seconds ", "process_max_fds ", "tocsin_test_waiting 4",
        "tocsin_build_info{service=\"test\",version=\""}) {
    EXPECT_NE(r.body.find(family), std::string::npos) << family << " in\n" << r.body;
  }
  const std::string path =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/all.txt";
  std::ofstream(path) << r.body;
  EXPECT_EQ(std::system(("promtool check metrics < " + path + " >/dev/null 2>&1").c_str()), 0)
      << r.body;
}

TEST(ProcessCollector, ReportsPlausibleFigures) {
  auto families = ProcessCollector().Collect();
  std::map<std::string, double> values;
  for (const auto& f : families) {
    values[f.name] = f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value
                                                               : f.metric[0].gauge.value;
  }
  EXPECT_GT(values["process_resident_memory_bytes"], 1e5);
  EXPECT_GE(values["process_open_fds"], 3);
  EXPECT_GT(values["process_start_time_seconds"], 1.6e9);  // after 2020
  EXPECT_GE(values["process_cpu_seconds_total"], 0);
}

}  // namespace
}  // namespace tocsin::metrics
