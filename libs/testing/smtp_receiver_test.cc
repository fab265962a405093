#include "libs/testing/smtp_receiver.h"

#include <curl/curl.h>

#include <cstring>

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"

namespace tocsin::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Upload {
  std::string data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t n, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t len = std::min(size * n, upload->data.size() - upload->offset);
  memcpy(buffer, upload->data.data() + upload->offset, len);
  upload->offset += len;
  return len;
}

// Sends message with libcurl (the way the paging service does); returns the
// curl result code.
CURLcode Send(const std::string& url, const std::string& to, const std::string& message) {
  CURL* curl = curl_easy_init();
  Upload upload{message};
  curl_slist* rcpt = curl_slist_append(nullptr, to.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, "<sender@example.com>");
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  return rc;
}

TEST(SmtpReceiver, KeepsEachMessageWithEnvelopeAndDecodedHeaders) {
  ASSERT_OK_AND_ASSIGN(auto smtp, SmtpReceiver::Start());
  EXPECT_EQ(smtp->url(), "smtp://127.0.0.1:" + std::to_string(smtp->port()));
  const std::string message =
      "From: sender@example.com\r\nTo: alice@example.com\r\n"
      "Subject: =?UTF-8?B?w6l0w6k=?= report\r\nMessage-ID: <m1@example.com>\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nLine one\r\n.dot line\r\n";
  ASSERT_EQ(Send(smtp->url(), "<alice@example.com>", message), CURLE_OK);
  ASSERT_OK(smtp->WaitForCount(1, absl::Seconds(10)));
  auto messages = smtp->Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].mail_from, "sender@example.com");
  EXPECT_THAT(messages[0].rcpt_tos, ElementsAre("alice@example.com"));
  EXPECT_EQ(messages[0].subject, "\xC3\xA9t\xC3\xA9 report");
  EXPECT_EQ(messages[0].Header("message-id"), "<m1@example.com>");
  EXPECT_THAT(messages[0].body, HasSubstr(".dot line"));
  EXPECT_THAT(messages[0].raw, HasSubstr("Subject: =?UTF-8?B?w6l0w6k=?= report\r\n"));
}

TEST(SmtpReceiver, RefusesRejectRecipients) {
  ASSERT_OK_AND_ASSIGN(auto smtp, SmtpReceiver::Start());
  EXPECT_NE(Send(smtp->url(), "<reject-me@example.com>", "Subject: x\r\n\r\nx\r\n"), CURLE_OK);
  EXPECT_THAT(smtp->WaitForCount(1, absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("got 0 messages")));
}

TEST(SmtpReceiver, RefusesTheNextMessagesAtDataThenAccepts) {
  ASSERT_OK_AND_ASSIGN(auto smtp, SmtpReceiver::Start());
  ASSERT_OK(smtp->RefuseNext(2, 451, SmtpStage::kData));
  const std::string message = "Subject: x\r\n\r\nx\r\n";
  EXPECT_NE(Send(smtp->url(), "<alice@example.com>", message), CURLE_OK);
  EXPECT_NE(Send(smtp->url(), "<alice@example.com>", message), CURLE_OK);
  EXPECT_EQ(Send(smtp->url(), "<alice@example.com>", message), CURLE_OK);
  EXPECT_EQ(smtp->Refusals(), 2);
  ASSERT_OK(smtp->WaitForCount(1, absl::Seconds(10)));
  EXPECT_EQ(smtp->Messages().size(), 1u);
}

TEST(SmtpReceiver, RefusesEveryMessageAtMailUntilAcceptAll) {
  ASSERT_OK_AND_ASSIGN(auto smtp, SmtpReceiver::Start());
  ASSERT_OK(smtp->RefuseNext(-1, 421, SmtpStage::kMail));
  const std::string message = "Subject: x\r\n\r\nx\r\n";
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(Send(smtp->url(), "<alice@example.com>", message), CURLE_OK);
  }
  EXPECT_EQ(smtp->Refusals(), 3);
  ASSERT_OK(smtp->AcceptAll());
  EXPECT_EQ(Send(smtp->url(), "<alice@example.com>", message), CURLE_OK);
  EXPECT_EQ(smtp->Refusals(), 3);
  ASSERT_OK(smtp->WaitForCount(1, absl::Seconds(10)));
}

}  // namespace
}  // namespace tocsin::testing
