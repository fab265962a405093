#include "libs/http/http_server.h"

#include <string>

#include "gtest/gtest.h"
#include "libs/http/http_client.h"
#include "libs/status/status_matchers.h"
#include "nlohmann/json.hpp"

namespace tocsin::http {
namespace {

std::string Url(const HttpServer& s, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(s.port()) + path;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.max_body_bytes = 1024;
    ASSERT_OK_AND_ASSIGN(server_, HttpServer::Start(options));
    server_->Handle("POST", "/echo", [](const HttpRequest& r) {
      HttpResponse resp;
      nlohmann::json j;
      j["body"] = r.body;
      j["key"] = r.Header("x-api-key");
      j["query"] = r.query;
      resp.body = j.dump();
      resp.status = 202;
      return resp;
    });
  }
  std::unique_ptr<HttpServer> server_;
  HttpClient client_;
};

TEST_F(HttpServerTest, RoutesBodyHeadersAndQuery) {
  ASSERT_NE(server_->port(), 0);
  ASSERT_OK_AND_ASSIGN(
      auto r, client_.Send({.method = "POST",
                            .url = Url(*server_, "/echo?x=1"),
                            .body = "hello",
                            .headers = {{"X-Api-Key", "k1"}}}));
  EXPECT_EQ(r.status, 202);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["body"], "hello");
  EXPECT_EQ(j["key"], "k1");
  EXPECT_EQ(j["query"], "x=1");
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url(*server_, "/nope")}));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "not_found");
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url(*server_, "/echo")}));
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(nlohmann::json::parse(r.body)["error"]["message"]
                .get<std::string>()
                .find("use POST"),
            std::string::npos);
}

TEST_F(HttpServerTest, OversizedBodyIs413AndServerKeepsServing) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.method = "POST",
                                             .url = Url(*server_, "/echo"),
                                             .body = std::string(1025, 'x')}));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "body_too_large");
  HttpClient fresh;
  ASSERT_OK_AND_ASSIGN(r, fresh.Send({.method = "POST",
                                      .url = Url(*server_, "/echo"),
                                      .body = std::string(1024, 'x')}));
  EXPECT_EQ(r.status, 202);
}

TEST(HttpClient, RefusedConnectionIsUnavailable) {
  // Start and stop a server to get a port that nothing listens on.
  int port;
  {
    ASSERT_OK_AND_ASSIGN(auto s, HttpServer::Start({}));
    port = s->port();
  }
  HttpClient client;
  auto r = client.Send({.url = "http://127.0.0.1:" + std::to_string(port) + "/"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tocsin::http

namespace tocsin::http {
namespace {

TEST(JsonError, NamesCodeAndMessageAndSurvivesBadUtf8) {
  HttpResponse r = JsonError(400, "invalid_event", "got \xff here");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "invalid_event");
  EXPECT_EQ(j["error"]["message"], "got \xEF\xBF\xBD here");
}

}  // namespace
}  // namespace tocsin::http
