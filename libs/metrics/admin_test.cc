#include "libs/metrics/admin.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"
#include "libs/http/http_client.h"
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

}  // namespace
}  // namespace tocsin::metrics
