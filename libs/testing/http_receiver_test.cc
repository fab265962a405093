#include "libs/testing/http_receiver.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "libs/http/http_client.h"
#include "libs/status/status_matchers.h"

namespace tocsin::testing {
namespace {

using ::testing::HasSubstr;

TEST(HttpReceiver, RecordsRequestsAndAnswersScriptedStatuses) {
  ASSERT_OK_AND_ASSIGN(auto receiver, HttpReceiver::Start("/hook"));
  receiver->FailNext(2, 503);
  http::HttpClient client;
  std::vector<int> answers;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(auto r, client.Send({.method = "POST",
                                              .url = receiver->url() + "?n=" + std::to_string(i),
                                              .body = "{\"n\":" + std::to_string(i) + "}",
                                              .headers = {{"X-Thing", "v"}}}));
    answers.push_back(r.status);
  }
  EXPECT_THAT(answers, ::testing::ElementsAre(503, 503, 200));
  ASSERT_OK(receiver->WaitForCount(3, absl::Seconds(5)));
  auto requests = receiver->Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].method, "POST");
  EXPECT_EQ(requests[2].path, "/hook");
  EXPECT_EQ(requests[2].query, "n=2");
  EXPECT_EQ(requests[2].body, "{\"n\":2}");
  EXPECT_EQ(requests[2].Header("x-thing"), "v");
  EXPECT_EQ(requests[0].answered, 503);
  EXPECT_EQ(requests[2].answered, 200);
}

TEST(HttpReceiver, DefaultStatusAndTimeout) {
  ASSERT_OK_AND_ASSIGN(auto receiver, HttpReceiver::Start());
  receiver->SetDefaultStatus(404);
  http::HttpClient client;
  ASSERT_OK_AND_ASSIGN(auto r, client.Send({.method = "POST", .url = receiver->url()}));
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(receiver->WaitForCount(2, absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("got 1 requests")));
}

TEST(HttpReceiver, HoldKeepsTheAnswerBackUntilRelease) {
  ASSERT_OK_AND_ASSIGN(auto receiver, HttpReceiver::Start());
  receiver->Hold();
  std::atomic<int> answered{0};
  std::thread client([&] {
    http::HttpClient c;
    auto r = c.Send({.method = "POST", .url = receiver->url(), .body = "x"});
    answered = r.ok() ? r->status : -1;
  });
  ASSERT_OK(receiver->WaitForCount(1, absl::Seconds(5)));
  EXPECT_EQ(answered.load(), 0) << "answered while held";
  receiver->Release();
  client.join();
  EXPECT_EQ(answered.load(), 200);
}

}  // namespace
}  // namespace tocsin::testing
