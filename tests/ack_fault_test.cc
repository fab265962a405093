// Faults at the acknowledgement endpoint, which must stay usable by the
// person paged during an incident: a stranger sending many wrong accept
// codes, and a flood of slow connections. The responder's right code and ack
// link still work, the stranger is told to wait (429 with Retry-After), and
// every page is still delivered exactly once.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_probe.h"
#include "libs/testing/ports.h"
#include "libs/testing/slow_clients.h"
#include "tests/fault_helpers.h"

namespace tocsin::e2e::faults {
namespace {

using testing::Probe;
using testing::ProbeResponse;

// An 8-digit code that is not `right`.
std::string WrongCode(const std::string& right, int k) {
  int64_t n = 0;
  (void)absl::SimpleAtoi(right, &n);
  return absl::StrFormat("%08d", static_cast<int>((n + 1 + k) % 100000000));
}

class AckFaults : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(h_, FaultHarness::Start()); }
  void TearDown() override {
    if (HasFailure() && h_ != nullptr) std::cerr << h_->Logs();
  }

  // Posts alarm n and waits until its pages are delivered; bob's webhook.
  nlohmann::json Paged(int n) {
    absl::StatusOr<Posted> posted = h_->PostAlarm(n);
    EXPECT_OK(posted);
    if (!posted.ok()) return {};
    incidents_.push_back(posted->incident_id);
    EXPECT_OK(h_->WaitUntilDelivered({posted->incident_id}, absl::Seconds(60)));
    absl::StatusOr<nlohmann::json> hook = h_->WebhookFor(posted->incident_id);
    EXPECT_OK(hook);
    return hook.ok() ? *hook : nlohmann::json{};
  }

  absl::StatusOr<ProbeResponse> PostCode(const std::string& page, const std::string& code,
                                         const std::string& source) {
    return Probe({.method = "POST",
                  .url = h_->suite().paging_url("/v1/pages/ack"),
                  .body = absl::StrCat("page=", page, "&code=", code),
                  .source = source});
  }

  paging::v1::PageState State(const std::string& page_id) {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    paging::v1::GetPageRequest req;
    req.set_page_id(page_id);
    paging::v1::Page page;
    grpc::Status s = h_->suite().paging().GetPage(&c, req, &page);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return page.state();
  }

  std::unique_ptr<FaultHarness> h_;
  std::vector<std::string> incidents_;
};

TEST_F(AckFaults, AStrangersWrongCodesNeverLockOutTheResponder) {
  const nlohmann::json first = Paged(1);
  const nlohmann::json second = Paged(2);
  ASSERT_TRUE(first.contains("pageId") && second.contains("pageId"));
  const std::string page1 = first["pageId"], code1 = first["acceptCode"];
  const std::string page2 = second["pageId"], code2 = second["acceptCode"];

  // A stranger (one address) guesses codes for both pages, again and again.
  std::vector<int> answers;
  ProbeResponse last;
  for (int k = 0; k < 20; ++k) {
    ASSERT_OK_AND_ASSIGN(last, PostCode(k % 4 == 3 ? page2 : page1,
                                        WrongCode(k % 4 == 3 ? code2 : code1, k), "127.0.0.2"));
    answers.push_back(last.status);
    EXPECT_TRUE(last.status == 403 || last.status == 429)
        << "wrong code " << k << " answered " << last.status << ": " << last.body;
  }
  // Told to wait, and for how long.
  EXPECT_EQ(last.status, 429) << last.body;
  int64_t retry_after = 0;
  EXPECT_TRUE(absl::SimpleAtoi(last.Header("retry-after"), &retry_after) && retry_after > 0)
      << "Retry-After: \"" << last.Header("retry-after") << "\"";
  EXPECT_EQ(answers[0], 403);

  // The responder's right code, from their own address, acknowledges.
  ASSERT_OK_AND_ASSIGN(ProbeResponse ack, PostCode(page1, code1, "127.0.0.3"));
  EXPECT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(State(page1), paging::v1::PAGE_STATE_ACKNOWLEDGED);
  // And so does the other responder's, through the CLI.
  ASSERT_OK_AND_ASSIGN(CliResult cli, h_->suite().RunCli({"pages", "ack", page2, "--code", code2}));
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_EQ(State(page2), paging::v1::PAGE_STATE_ACKNOWLEDGED);

  // Pages go on: a new incident pages everyone once.
  Paged(3);
  h_->ExpectEachPagedOnce(incidents_);
  h_->ExpectNoDeadLetters();
}

TEST_F(AckFaults, AFloodOfSlowConnectionsLeavesTheAckLinkAndReadyzAnswering) {
  const nlohmann::json paged = Paged(1);
  ASSERT_TRUE(paged.contains("ackUrl"));
  const std::string ack_url = paged["ackUrl"];
  ASSERT_EQ(ack_url.rfind(h_->suite().paging_url("/v1/pages/ack?"), 0), 0u) << ack_url;
  const std::string fields = ack_url.substr(ack_url.find('?') + 1);

  // 300 connections from five addresses, each with half a request that it
  // keeps adding header lines to and never ends.
  ASSERT_OK_AND_ASSIGN(
      auto flood,
      testing::SlowClients::Open(
          {.port = h_->suite().http_port("paging"),
           .connections = 300,
           .sources = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"}}));

  // The service still answers its readiness check and the responder's link.
  const absl::Time start = absl::Now();
  EXPECT_EQ(h_->Readyz("paging"), 200);
  ASSERT_OK_AND_ASSIGN(ProbeResponse form, Probe({.url = ack_url}));
  EXPECT_EQ(form.status, 200) << form.body;
  ASSERT_OK_AND_ASSIGN(ProbeResponse ack, Probe({.method = "POST",
                                                 .url = h_->suite().paging_url("/v1/pages/ack"),
                                                 .body = fields}));
  EXPECT_EQ(ack.status, 200) << ack.body;
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(State(paged["pageId"]), paging::v1::PAGE_STATE_ACKNOWLEDGED);
  std::cerr << "slow connections still open after the acknowledgement: " << flood->open()
            << " of 300\n";

  // And it still delivers pages while the flood lasts.
  Paged(2);
  EXPECT_EQ(h_->Readyz("paging"), 200);
  flood->Close();
  h_->ExpectEachPagedOnce(incidents_);
  h_->ExpectNoDeadLetters();
}

}  // namespace
}  // namespace tocsin::e2e::faults
