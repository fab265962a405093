#include "libs/testing/faulty_http_server.h"

#include <curl/curl.h>

#include <string>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"

namespace tocsin::testing {
namespace {

// What libcurl got from the peer.
struct Got {
  CURLcode rc = CURLE_OK;
  long status = 0;
  std::string body;
};

struct Sink {
  std::string* body;
  size_t stop_after;  // 0: keep everything
};

size_t Write(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  sink->body->append(data, size * n);
  if (sink->stop_after > 0 && sink->body->size() >= sink->stop_after) return 0;  // hang up
  return size * n;
}

// POSTs body to url with libcurl; hangs up once stop_after bytes arrived.
Got Post(const std::string& url, const std::string& body, absl::Duration timeout,
         size_t stop_after = 0) {
  Got got;
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Idempotency-Key: pg-1");
  Sink sink{&got.body, stop_after};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  got.rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &got.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return got;
}

TEST(FaultyHttpServer, AnswersAnyBytesAndRecordsTheRequest) {
  ASSERT_OK_AND_ASSIGN(auto peer, FaultyHttpServer::Start());
  peer->SetAnswer("/latin1", FaultyAnswer::Status(502, "\xE9" "chec du proxy"));
  Got got = Post(peer->url("/latin1"), R"({"pageId":"pg-1"})", absl::Seconds(10));
  ASSERT_EQ(got.rc, CURLE_OK) << curl_easy_strerror(got.rc);
  EXPECT_EQ(got.status, 502);
  EXPECT_EQ(got.body, "\xE9" "chec du proxy");
  auto requests = peer->Requests("/latin1");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/latin1");
  EXPECT_EQ(requests[0].Header("idempotency-key"), "pg-1");
  EXPECT_EQ(requests[0].body, R"({"pageId":"pg-1"})");
}

TEST(FaultyHttpServer, AnswerNextComesFirstThenThePathsAnswerThen200Elsewhere) {
  ASSERT_OK_AND_ASSIGN(auto peer, FaultyHttpServer::Start());
  peer->SetAnswer("/hook", FaultyAnswer::Status(500, "down"));
  peer->AnswerNext("/hook", 1, FaultyAnswer::Status(429, "slow down"));
  EXPECT_EQ(Post(peer->url("/hook"), "a", absl::Seconds(10)).status, 429);
  EXPECT_EQ(Post(peer->url("/hook"), "b", absl::Seconds(10)).status, 500);
  Got other = Post(peer->url("/other"), "c", absl::Seconds(10));
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, "ok");
  EXPECT_EQ(peer->Requests("/hook").size(), 2u);
  EXPECT_EQ(peer->Requests().size(), 3u);
  EXPECT_OK(peer->WaitForCount("", 3, absl::Seconds(1)));
  EXPECT_THAT(peer->WaitForCount("/hook", 3, absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::HasSubstr("got 2")));
}

TEST(FaultyHttpServer, EndlessBodyStreamsUntilTheClientHangsUp) {
  ASSERT_OK_AND_ASSIGN(auto peer, FaultyHttpServer::Start());
  peer->SetAnswer("/endless", FaultyAnswer::Endless(503));
  const size_t four_mib = 4 << 20;
  Got got = Post(peer->url("/endless"), "x", absl::Seconds(30), four_mib);
  EXPECT_EQ(got.rc, CURLE_WRITE_ERROR);  // we hung up; the body had not ended
  EXPECT_EQ(got.status, 503);
  EXPECT_GE(got.body.size(), four_mib);
  EXPECT_GE(peer->streamed_bytes(), static_cast<int64_t>(four_mib));
  EXPECT_OK(WaitFor([&] { return peer->open_streams() == 0; }, absl::Seconds(10)));
}

TEST(FaultyHttpServer, StallKeepsTheAnswerBackUntilItEndsOrIsReleased) {
  ASSERT_OK_AND_ASSIGN(auto peer, FaultyHttpServer::Start());
  peer->SetAnswer("/stall", FaultyAnswer::Stall(absl::Seconds(60)));
  Got timed_out = Post(peer->url("/stall"), "x", absl::Seconds(1));
  EXPECT_EQ(timed_out.rc, CURLE_OPERATION_TIMEDOUT);
  ASSERT_EQ(peer->Requests("/stall").size(), 1u);  // recorded before any answer
  EXPECT_EQ(peer->Requests("/stall")[0].answered, FaultyAnswer::Kind::kStall);
  EXPECT_EQ(peer->open_stalls(), 1);
  peer->ReleaseStalls();
  EXPECT_OK(WaitFor([&] { return peer->open_stalls() == 0; }, absl::Seconds(10)));

  peer->SetAnswer("/short", FaultyAnswer::Stall(absl::Milliseconds(300), 204));
  const absl::Time start = absl::Now();
  Got answered = Post(peer->url("/short"), "x", absl::Seconds(10));
  EXPECT_EQ(answered.rc, CURLE_OK);
  EXPECT_EQ(answered.status, 204);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
}

TEST(FaultyHttpServer, DestructionEndsStallsAtOnce) {
  ASSERT_OK_AND_ASSIGN(auto peer, FaultyHttpServer::Start());
  peer->SetAnswer("/stall", FaultyAnswer::Stall(absl::Minutes(10)));
  Post(peer->url("/stall"), "x", absl::Milliseconds(300));
  const absl::Time start = absl::Now();
  peer.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace tocsin::testing
