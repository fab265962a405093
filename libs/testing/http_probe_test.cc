#include "libs/testing/http_probe.h"

#include "gmock/gmock.h"
#include "libs/http/http_server.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"

namespace tocsin::testing {
namespace {

TEST(Probe, SendsFromTheGivenAddressAndKeepsTheAnswersHeaders) {
  ASSERT_OK_AND_ASSIGN(auto server, http::HttpServer::Start({}));
  server->Handle("POST", "/ack", [](const http::HttpRequest& r) {
    http::HttpResponse response;
    response.status = 429;
    response.content_type = "text/plain";
    response.body = r.remote_addr + " " + r.Header("content-type") + " " + r.body;
    response.headers.push_back({"Retry-After", "42"});
    return response;
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port()) + "/ack";
  ASSERT_OK_AND_ASSIGN(ProbeResponse r, Probe({.method = "POST",
                                               .url = url,
                                               .body = "page=pg-1&code=1",
                                               .source = "127.0.0.7"}));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, "127.0.0.7 application/x-www-form-urlencoded page=pg-1&code=1");
  EXPECT_EQ(r.Header("retry-after"), "42");
  EXPECT_EQ(r.Header("content-type"), "text/plain");
  EXPECT_EQ(r.Header("x-none"), "");
}

TEST(Probe, NoAnswerIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(int port, PickUnusedPort());
  EXPECT_THAT(Probe({.url = "http://127.0.0.1:" + std::to_string(port) + "/"}).status(),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::HasSubstr("from 127.0.0.1")));
}

}  // namespace
}  // namespace tocsin::testing
