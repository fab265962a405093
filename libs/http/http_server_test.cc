#include "libs/http/http_server.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/http/http_client.h"
#include "libs/http/test_socket.h"
#include "libs/status/status_matchers.h"
#include "nlohmann/json.hpp"

namespace tocsin::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::tocsin::testing::StatusIs;

std::string Url(const HttpServer& s, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(s.port()) + path;
}

// The start of a request whose headers never end.
constexpr char kHalfRequest[] = "GET /ping HTTP/1.1\r\nHost: test\r\nX-Slow: ";

HttpResponse Ok(const HttpRequest&) {
  HttpResponse r;
  r.body = "{\"ok\":true}";
  return r;
}

// Opens n connections from `source` that each send half a request and stall.
std::vector<std::unique_ptr<TestSocket>> Stall(int port, int n,
                                               const std::string& source = "127.0.0.1") {
  std::vector<std::unique_ptr<TestSocket>> sockets;
  for (int i = 0; i < n; ++i) {
    auto s = TestSocket::Connect(port, source);
    EXPECT_OK(s.status());
    if (!s.ok()) break;
    EXPECT_OK((*s)->Send(kHalfRequest));
    sockets.push_back(*std::move(s));
  }
  return sockets;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.max_body_bytes = 1024;
    ASSERT_OK_AND_ASSIGN(server_, HttpServer::Start(options));
    server_->Handle("POST", "/echo", [this](const HttpRequest& r) {
      ++echoed_;
      HttpResponse resp;
      nlohmann::json j;
      j["body"] = r.body;
      j["key"] = r.Header("x-api-key");
      j["query"] = r.query;
      j["path"] = r.path;
      j["remote"] = r.remote_addr;
      resp.body = j.dump();
      resp.status = 202;
      return resp;
    });
    server_->Handle("GET", "/ping", Ok);
  }
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> echoed_{0};
  HttpClient client_;
};

TEST_F(HttpServerTest, RoutesBodyHeadersAndQuery) {
  ASSERT_NE(server_->port(), 0);
  ASSERT_OK_AND_ASSIGN(
      auto r, client_.Send({.method = "POST",
                            .url = Url(*server_, "/echo?x=1&name=a%20b&flag"),
                            .body = "hello",
                            .headers = {{"X-Api-Key", "k1"}}}));
  EXPECT_EQ(r.status, 202);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["body"], "hello");
  EXPECT_EQ(j["key"], "k1");
  EXPECT_EQ(j["query"], "x=1&name=a%20b&flag");
  EXPECT_EQ(j["path"], "/echo");
  EXPECT_EQ(j["remote"], "127.0.0.1");
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url(*server_, "/ping")}));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"ok\":true}");
  }
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url(*server_, "/nope")}));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "not_found");
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url(*server_, "/echo")}));
  EXPECT_EQ(r.status, 405);
  EXPECT_THAT(nlohmann::json::parse(r.body)["error"]["message"].get<std::string>(),
              HasSubstr("use POST"));
  EXPECT_EQ(echoed_.load(), 0);
}

TEST_F(HttpServerTest, OversizedBodyIs413AndServerKeepsServing) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.method = "POST",
                                             .url = Url(*server_, "/echo"),
                                             .body = std::string(1025, 'x')}));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "body_too_large");
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.method = "POST",
                                        .url = Url(*server_, "/echo"),
                                        .body = std::string(1024, 'x')}));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(echoed_.load(), 1);
}

TEST_F(HttpServerTest, DeclaredOversizedBodyIsRefusedBeforeItIsSent) {
  ASSERT_OK_AND_ASSIGN(auto s, TestSocket::Connect(server_->port()));
  // Ten gigabytes announced; not one byte of them is sent.
  ASSERT_OK(s->Send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10000000000\r\n\r\n"));
  TestSocket::Reply reply = s->ReadUntilClosed(absl::Seconds(20));
  EXPECT_THAT(reply.bytes, StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(reply.bytes, HasSubstr("body_too_large"));
  EXPECT_TRUE(reply.closed) << "the connection stays open with an unread body";
  EXPECT_EQ(echoed_.load(), 0);
}

TEST_F(HttpServerTest, DeclaredOversizedBodyIsRefusedEvenWhenTheClientWaitsFor100Continue) {
  ASSERT_OK_AND_ASSIGN(auto s, TestSocket::Connect(server_->port()));
  ASSERT_OK(s->Send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n"
                    "Expect: 100-continue\r\n\r\n"));
  TestSocket::Reply reply = s->ReadUntilClosed(absl::Seconds(20));
  EXPECT_THAT(reply.bytes, StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(reply.bytes, Not(HasSubstr("100 Continue")));
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  ASSERT_OK_AND_ASSIGN(auto s, TestSocket::Connect(server_->port()));
  std::string request = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) absl::StrAppend(&request, "200\r\n", std::string(512, 'x'), "\r\n");
  absl::StrAppend(&request, "0\r\n\r\n");
  ASSERT_OK(s->Send(request));
  TestSocket::Reply reply = s->ReadUntil("body_too_large", absl::Seconds(20));
  EXPECT_THAT(reply.bytes, StartsWith("HTTP/1.1 413"));
  EXPECT_EQ(echoed_.load(), 0);
}

TEST_F(HttpServerTest, EndlessChunkedBodyIsCutOff) {
  ASSERT_OK_AND_ASSIGN(auto s, TestSocket::Connect(server_->port()));
  ASSERT_OK(s->Send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = absl::StrCat("4000\r\n", std::string(0x4000, 'x'), "\r\n");
  // 256 MiB would take a while to swallow; the server hangs up long before.
  bool cut_off = false;
  for (int i = 0; i < 16384 && !cut_off; ++i) cut_off = !s->Send(chunk).ok();
  if (!cut_off) cut_off = s->ReadUntilClosed(absl::Seconds(20)).closed;
  EXPECT_TRUE(cut_off);
  EXPECT_EQ(echoed_.load(), 0);
}

TEST_F(HttpServerTest, RouteBodyLimitOverridesTheServers) {
  server_->Handle("POST", "/small", Ok, {.max_body_bytes = 10});
  server_->Handle("POST", "/large", Ok, {.max_body_bytes = 4096});
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.method = "POST",
                                             .url = Url(*server_, "/small"),
                                             .body = std::string(11, 'x')}));
  EXPECT_EQ(r.status, 413);
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.method = "POST",
                                        .url = Url(*server_, "/large"),
                                        .body = std::string(4000, 'x')}));
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, AuthorizeRunsBeforeTheBodyIsRead) {
  absl::Mutex mu;
  std::vector<HttpRequest> seen;
  std::atomic<int> handled{0};
  server_->Handle(
      "POST", "/guarded",
      [&](const HttpRequest& r) {
        ++handled;
        HttpResponse resp;
        resp.body = nlohmann::json{{"bytes", r.body.size()}}.dump();
        return resp;
      },
      {.authorize =
           [&](const HttpRequest& r) -> std::optional<HttpResponse> {
             {
               absl::MutexLock l(&mu);
               seen.push_back(r);
             }
             if (r.Header("x-api-key") == "right") return std::nullopt;
             return JsonError(401, "invalid_api_key", "no");
           },
       .max_body_bytes = 64 << 20});

  ASSERT_OK_AND_ASSIGN(auto s, TestSocket::Connect(server_->port()));
  // 50 MB announced and none sent: the answer must come anyway.
  ASSERT_OK(s->Send("POST /guarded?from=test HTTP/1.1\r\nHost: test\r\nX-Api-Key: wrong\r\n"
                    "Content-Length: 50000000\r\n\r\n"));
  TestSocket::Reply reply = s->ReadUntilClosed(absl::Seconds(20));
  EXPECT_THAT(reply.bytes, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(reply.bytes, HasSubstr("invalid_api_key"));
  EXPECT_TRUE(reply.closed);
  EXPECT_EQ(handled.load(), 0);
  {
    absl::MutexLock l(&mu);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "POST");
    EXPECT_EQ(seen[0].path, "/guarded");
    EXPECT_EQ(seen[0].query, "from=test");
    EXPECT_EQ(seen[0].Header("x-api-key"), "wrong");
    EXPECT_EQ(seen[0].remote_addr, "127.0.0.1");
    EXPECT_EQ(seen[0].body, "");
  }

  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.method = "POST",
                                             .url = Url(*server_, "/guarded"),
                                             .body = std::string(100000, 'x'),
                                             .headers = {{"X-Api-Key", "right"}}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["bytes"], 100000);
  EXPECT_EQ(handled.load(), 1);
  absl::MutexLock l(&mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].body, "") << "authorize saw the body";
}

TEST_F(HttpServerTest, DispatchRunsAuthorizeLikeTheNetwork) {
  server_->Handle("GET", "/guarded", Ok,
                  {.authorize = [](const HttpRequest&) -> std::optional<HttpResponse> {
                    return JsonError(403, "forbidden", "no");
                  }});
  HttpRequest request;
  request.method = "GET";
  request.path = "/guarded";
  EXPECT_EQ(server_->Dispatch(request).status, 403);
  request.path = "/ping";
  EXPECT_EQ(server_->Dispatch(request).status, 200);
}

TEST_F(HttpServerTest, PrefixRoutesMatchLongerPathsExactRoutesWin) {
  server_->HandlePrefix("GET", "/v1/calendars/", [](const HttpRequest& r) {
    return HttpResponse{.status = 200, .content_type = "text/plain", .body = r.path};
  });
  server_->HandlePrefix("GET", "/v1/calendars/special/", [](const HttpRequest&) {
    return HttpResponse{.status = 200, .content_type = "text/plain", .body = "special"};
  });
  server_->Handle("GET", "/v1/calendars/exact", [](const HttpRequest&) {
    return HttpResponse{.status = 200, .content_type = "text/plain", .body = "exact"};
  });
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url(*server_, "/v1/calendars/abc.ics")}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "/v1/calendars/abc.ics");
  HttpRequest request;
  request.method = "GET";
  request.path = "/v1/calendars/exact";
  EXPECT_EQ(server_->Dispatch(request).body, "exact");
  request.path = "/v1/calendars/special/x";
  EXPECT_EQ(server_->Dispatch(request).body, "special");
  request.path = "/v1/calendars/";
  EXPECT_EQ(server_->Dispatch(request).status, 404);
  request.path = "/v1/calendar";
  EXPECT_EQ(server_->Dispatch(request).status, 404);
  request.method = "POST";
  request.path = "/v1/calendars/abc.ics";
  EXPECT_EQ(server_->Dispatch(request).status, 405);
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndServerKeepsServing) {
  server_->Handle("GET", "/throws",
                  [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  server_->Handle("GET", "/throws-in-authorize", Ok,
                  {.authorize = [](const HttpRequest&) -> std::optional<HttpResponse> {
                    throw std::runtime_error("bang");
                  }});
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url(*server_, "/throws")}));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "internal");
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url(*server_, "/throws-in-authorize")}));
  EXPECT_EQ(r.status, 500);
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url(*server_, "/ping")}));
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, ResponseHeadersAreSentAndInjectionIsRefused) {
  server_->Handle("GET", "/headers", [](const HttpRequest&) {
    HttpResponse r;
    r.status = 429;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "slow down";
    r.headers = {{"Retry-After", "7"},
                 {"X-Bad", "a\r\nInjected: yes"},
                 {"Content-Length", "999"}};
    return r;
  });
  ASSERT_OK_AND_ASSIGN(auto s, TestSocket::Connect(server_->port()));
  ASSERT_OK(s->Send("GET /headers HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
  TestSocket::Reply reply = s->ReadUntilClosed(absl::Seconds(20));
  EXPECT_THAT(reply.bytes, StartsWith("HTTP/1.1 429"));
  EXPECT_THAT(reply.bytes, HasSubstr("Retry-After: 7\r\n"));
  EXPECT_THAT(reply.bytes, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"));
  EXPECT_THAT(reply.bytes, HasSubstr("Content-Length: 9\r\n"));
  EXPECT_THAT(reply.bytes, Not(HasSubstr("Injected")));
  EXPECT_TRUE(absl::EndsWith(reply.bytes, "\r\n\r\nslow down"));
}

TEST(HttpServer, SlowClientsDoNotStarveOtherRequests) {
  // Two threads and two hundred clients that each send half a request and
  // stall: with a thread per connection nothing else would be answered
  // until they time out (30 s here, far beyond the client's 10 s).
  ASSERT_OK_AND_ASSIGN(auto server, HttpServer::Start({.num_threads = 2,
                                                       .idle_timeout = absl::Seconds(30),
                                                       .max_connections_per_ip = 0}));
  server->Handle("GET", "/ping", Ok);
  std::vector<std::unique_ptr<TestSocket>> stalled;
  std::thread flood([&] { stalled = Stall(server->port(), 200); });
  flood.join();
  ASSERT_EQ(stalled.size(), 200u);
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(auto r, client.Send({.url = Url(*server, "/ping"),
                                              .timeout = absl::Seconds(10)}));
    EXPECT_EQ(r.status, 200);
  }
}

TEST(HttpServer, PerAddressLimitRefusesOnlyThatAddress) {
  ASSERT_OK_AND_ASSIGN(auto server, HttpServer::Start({.num_threads = 2,
                                                       .idle_timeout = absl::Seconds(30),
                                                       .max_connections_per_ip = 3}));
  server->Handle("GET", "/ping", [](const HttpRequest& r) {
    HttpResponse resp;
    resp.body = r.remote_addr;
    return resp;
  });
  auto stalled = Stall(server->port(), 3, "127.0.0.1");
  ASSERT_EQ(stalled.size(), 3u);

  // A fourth connection from 127.0.0.1 is closed without an answer.
  ASSERT_OK_AND_ASSIGN(auto fourth, TestSocket::Connect(server->port(), "127.0.0.1"));
  (void)fourth->Send("GET /ping HTTP/1.1\r\nHost: test\r\n\r\n");
  TestSocket::Reply refused = fourth->ReadUntilClosed(absl::Seconds(20));
  EXPECT_TRUE(refused.closed);
  EXPECT_EQ(refused.bytes, "");

  // Another address is served.
  ASSERT_OK_AND_ASSIGN(auto other, TestSocket::Connect(server->port(), "127.0.0.2"));
  ASSERT_OK(other->Send("GET /ping HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
  TestSocket::Reply served = other->ReadUntilClosed(absl::Seconds(20));
  EXPECT_THAT(served.bytes, StartsWith("HTTP/1.1 200"));
  EXPECT_TRUE(absl::EndsWith(served.bytes, "127.0.0.2"));

  // Once one of the stalled connections goes, 127.0.0.1 is served again.
  stalled.pop_back();
  bool answered = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!answered && absl::Now() < deadline) {
    ASSERT_OK_AND_ASSIGN(auto again, TestSocket::Connect(server->port(), "127.0.0.1"));
    (void)again->Send("GET /ping HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    answered = absl::StartsWith(again->ReadUntilClosed(absl::Seconds(5)).bytes, "HTTP/1.1 200");
  }
  EXPECT_TRUE(answered);
}

TEST(HttpServer, IdleConnectionIsClosedAfterTheIdleTimeout) {
  ASSERT_OK_AND_ASSIGN(auto server, HttpServer::Start({.idle_timeout = absl::Seconds(1)}));
  auto stalled = Stall(server->port(), 1);
  ASSERT_EQ(stalled.size(), 1u);
  EXPECT_TRUE(stalled[0]->ReadUntilClosed(absl::Seconds(20)).closed);
}

TEST(HttpServer, StopsWithOpenConnectionsAndRunsNoHandlerAfter) {
  std::atomic<int> calls{0};
  int port = 0;
  std::vector<std::unique_ptr<TestSocket>> stalled;
  {
    ASSERT_OK_AND_ASSIGN(auto server, HttpServer::Start({.max_connections_per_ip = 0}));
    server->Handle("GET", "/ping", [&](const HttpRequest& r) {
      ++calls;
      return Ok(r);
    });
    port = server->port();
    stalled = Stall(port, 50);
    HttpClient keep_alive;
    ASSERT_OK_AND_ASSIGN(auto r, keep_alive.Send({.url = Url(*server, "/ping")}));
    EXPECT_EQ(r.status, 200);
    server->Stop();
    server->Stop();  // idempotent; the destructor stops once more
  }
  EXPECT_EQ(calls.load(), 1);
  for (auto& s : stalled) EXPECT_TRUE(s->ReadUntilClosed(absl::Seconds(5)).closed);
  EXPECT_FALSE(TestSocket::Connect(port).ok()) << "still listening after Stop";
}

TEST(HttpServer, BadOptionsAndBusyPortsAreErrors) {
  EXPECT_THAT(HttpServer::Start({.host = "localhost"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("numeric")));
  EXPECT_THAT(HttpServer::Start({.num_threads = 0}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num_threads")));
  ASSERT_OK_AND_ASSIGN(auto first, HttpServer::Start({}));
  EXPECT_THAT(HttpServer::Start({.port = first->port()}).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("127.0.0.1:", first->port()))));
}

TEST(HttpServer, ServesIpv6Loopback) {
  auto server = HttpServer::Start({.host = "::1"});
  if (!server.ok()) GTEST_SKIP() << "no IPv6 here: " << server.status();
  (*server)->Handle("GET", "/ping", [](const HttpRequest& r) {
    HttpResponse resp;
    resp.body = r.remote_addr;
    return resp;
  });
  HttpClient client;
  ASSERT_OK_AND_ASSIGN(auto r, client.Send({.url = absl::StrCat("http://[::1]:",
                                                                (*server)->port(), "/ping")}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "::1");
}

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
