#include "libs/http/http_client.h"

#include <microhttpd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/http/http_server.h"
#include "libs/http/test_socket.h"
#include "libs/status/status_matchers.h"

namespace tocsin::http {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::StatusIs;

// A server that answers every request 200 with a chunked body that never
// ends (HttpServer only sends whole bodies, so this is libmicrohttpd itself).
class EndlessServer {
 public:
  static std::unique_ptr<EndlessServer> Start() {
    auto server = std::make_unique<EndlessServer>();
    server->daemon_ = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD, 0, nullptr, nullptr, &EndlessServer::Answer, nullptr,
        MHD_OPTION_SOCK_ADDR, nullptr, MHD_OPTION_END);
    if (server->daemon_ == nullptr) return nullptr;
    server->port_ = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
    return server;
  }
  ~EndlessServer() {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  }
  int port() const { return port_; }

 private:
  static ssize_t Fill(void*, uint64_t, char* buf, size_t max) {
    std::memset(buf, 'x', max);
    return static_cast<ssize_t>(max);
  }
  static MHD_Result Answer(void*, MHD_Connection* connection, const char*, const char*,
                           const char*, const char*, size_t*, void**) {
    MHD_Response* response =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &Fill, nullptr, nullptr);
    MHD_Result queued = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return queued;
  }
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, HttpServer::Start({}));
    server_->Handle("GET", "/bytes", [](const HttpRequest&) {
      HttpResponse r;
      r.content_type = "text/html; charset=iso-8859-1";
      r.body = std::string("caf\xe9 \xff\xfe\0end", 12);
      return r;
    });
    server_->Handle("GET", "/sized", [](const HttpRequest& r) {
      HttpResponse resp;
      resp.content_type = "text/plain";
      resp.body = std::string(std::stoul(r.query), 'y');
      return resp;
    });
    server_->Handle("POST", "/moved", [](const HttpRequest&) {
      HttpResponse r;
      r.status = 307;
      r.headers = {{"Location", "/target"}};
      return r;
    });
    server_->Handle("POST", "/target", [this](const HttpRequest&) {
      ++target_calls_;
      return HttpResponse{};
    });
  }
  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", server_->port(), path);
  }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> target_calls_{0};
  HttpClient client_;
};

TEST_F(HttpClientTest, BodyIsReturnedAsBytesEvenWhenNotUtf8) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url("/bytes")}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::string("caf\xe9 \xff\xfe\0end", 12));
  EXPECT_EQ(r.content_type, "text/html; charset=iso-8859-1");
  EXPECT_FALSE(r.truncated);
}

TEST_F(HttpClientTest, BodyUpToTheCapIsWholeAndOneByteMoreIsTruncated) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.url = Url("/sized?100"),
                                             .max_response_bytes = 100}));
  EXPECT_EQ(r.body.size(), 100u);
  EXPECT_FALSE(r.truncated);
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url("/sized?101"), .max_response_bytes = 100}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::string(100, 'y'));
  EXPECT_TRUE(r.truncated);
  // The default keeps 64 KiB.
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url("/sized?1000000")}));
  EXPECT_EQ(r.body.size(), 64u * 1024);
  EXPECT_TRUE(r.truncated);
  // And the client still works afterwards.
  ASSERT_OK_AND_ASSIGN(r, client_.Send({.url = Url("/sized?5")}));
  EXPECT_EQ(r.body, "yyyyy");
}

TEST(HttpClient, EndlessBodyIsCutOffAtTheCapNotAtTheTimeout) {
  auto endless = EndlessServer::Start();
  ASSERT_NE(endless, nullptr);
  HttpClient client;
  // Were the transfer not cut off at the cap, this would end in
  // DeadlineExceeded after a minute.
  ASSERT_OK_AND_ASSIGN(auto r, client.Send({.url = absl::StrCat("http://127.0.0.1:",
                                                                endless->port(), "/"),
                                            .timeout = absl::Seconds(60),
                                            .max_response_bytes = 10000}));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.body, std::string(10000, 'x'));
}

TEST_F(HttpClientTest, ReplyHeadersAreKeptWithLowerCaseNames) {
  server_->Handle("POST", "/busy", [](const HttpRequest&) {
    HttpResponse r;
    r.status = 429;
    r.headers = {{"Retry-After", " 30 "}, {"X-Slack-Req-Id", "abc"}};
    return r;
  });
  ASSERT_OK_AND_ASSIGN(HttpClientResponse r,
                       client_.Send({.method = "POST", .url = Url("/busy"), .body = "{}"}));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("retry-after"), "30");
  EXPECT_EQ(r.Header("x-slack-req-id"), "abc");
  EXPECT_EQ(r.Header("absent"), "");
}

TEST_F(HttpClientTest, RedirectIsTheAnswerAndIsNotFollowed) {
  ASSERT_OK_AND_ASSIGN(auto r, client_.Send({.method = "POST", .url = Url("/moved")}));
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(target_calls_.load(), 0);
}

TEST(HttpClient, StalledServerIsDeadlineExceededWithARedactedMessage) {
  ASSERT_OK_AND_ASSIGN(auto stalled, StalledListener::Start());
  HttpClient client;
  const std::string url = absl::StrCat("http://user:pa55word@127.0.0.1:", stalled->port(),
                                       "/services/T0/B0/S3CRET?sig=T0KEN");
  const absl::Time start = absl::Now();
  auto r = client.Send({.method = "POST", .url = url, .body = "{}",
                        .timeout = absl::Milliseconds(500)});
  EXPECT_LT(absl::Now() - start, absl::Seconds(30)) << "the timeout did not bound the call";
  EXPECT_THAT(r.status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       AllOf(HasSubstr(absl::StrCat("POST http://127.0.0.1:", stalled->port(),
                                                    "/services/")),
                             Not(HasSubstr("S3CRET")), Not(HasSubstr("T0KEN")),
                             Not(HasSubstr("pa55word")), Not(HasSubstr("user")))));
}

TEST(HttpClient, RefusedConnectionIsUnavailableWithARedactedMessage) {
  // Start and stop a server to get a port that nothing listens on.
  int port;
  {
    ASSERT_OK_AND_ASSIGN(auto s, HttpServer::Start({}));
    port = s->port();
  }
  HttpClient client;
  auto r = client.Send(
      {.url = absl::StrCat("http://127.0.0.1:", port, "/hooks/xi4ytm8w9pnbmj4s5h8i7zeq4h")});
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kUnavailable,
                                   AllOf(HasSubstr(absl::StrCat("127.0.0.1:", port)),
                                         Not(HasSubstr("xi4ytm8w9pnbmj4s5h8i7zeq4h")))));
}

TEST(HttpClient, MalformedUrlsAndOtherSchemesAreInvalidArgument) {
  HttpClient client;
  EXPECT_THAT(client.Send({.url = "http://[::1/secret/x"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("secret"))));
  EXPECT_THAT(client.Send({.url = "file:///etc/passwd"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("passwd"))));
  EXPECT_THAT(client.Send({.url = "gopher://h.example/1/secret"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("secret"))));
}

}  // namespace
}  // namespace tocsin::http
