// Faults at the destinations of pages: a webhook that answers bytes that are
// not UTF-8, one whose body never ends, one that stalls for 30 s, an SMTP
// server that refuses and then accepts. Each time every other page (alice by
// email, bob by webhook, for every incident) is still delivered exactly once,
// and the faulty destination's pages stay readable and end.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "libs/text/text.h"
#include "tests/fault_helpers.h"

namespace tocsin::e2e::faults {
namespace {

using testing::FaultyAnswer;

class DestinationFaults : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && h_ != nullptr) std::cerr << h_->Logs();
  }

  // Posts alarms first..first+n-1; their incidents.
  std::vector<std::string> Post(int first, int n) {
    std::vector<std::string> incidents;
    for (int i = first; i < first + n; ++i) {
      absl::StatusOr<Posted> posted = h_->PostAlarm(i);
      EXPECT_OK(posted);
      if (posted.ok()) incidents.push_back(posted->incident_id);
    }
    return incidents;
  }

  // The incident's page for contact, once it exists and `done` holds for it.
  absl::StatusOr<paging::v1::Page> WaitForPage(const std::string& incident,
                                               const std::string& contact,
                                               std::function<bool(const paging::v1::Page&)> done,
                                               absl::Duration timeout) {
    paging::v1::Page found;
    std::string last = "no page";
    absl::Status s = testing::WaitFor(
        [&] {
          absl::StatusOr<std::vector<paging::v1::Page>> pages = h_->Pages(incident);
          if (!pages.ok()) {
            last = pages.status().ToString();
            return false;
          }
          for (const auto& p : *pages) {
            if (p.contact() != contact) continue;
            found = p;
            last = p.ShortDebugString();
            if (done(p)) return true;
          }
          return false;
        },
        timeout, absl::Milliseconds(250));
    if (!s.ok()) return absl::DeadlineExceededError(absl::StrCat(contact, " of ", incident,
                                                                 ": ", last));
    return found;
  }

  static bool Final(const paging::v1::Page& p) {
    return p.state() == paging::v1::PAGE_STATE_FAILED ||
           p.state() == paging::v1::PAGE_STATE_DELIVERED;
  }

  std::unique_ptr<FaultHarness> h_;
};

TEST_F(DestinationFaults, WebhooksAnsweringBytesThatAreNotUtf8StopNoOtherPage) {
  FaultOptions options;
  options.faulty_contacts = {{"carol", "/latin1-500"}, {"dave", "/latin1-400"},
                             {"erin", "/latin1-200"}};
  options.suite.flags["paging"] = {"--max_attempts=3"};
  ASSERT_OK_AND_ASSIGN(h_, FaultHarness::Start(options));
  // A proxy's error page in Latin-1, with bytes that are never UTF-8.
  const std::string page = "<html><h1>\xC9" "chec de la passerelle</h1>\xFF\xFE\xE9</html>";
  h_->faulty().SetAnswer("/latin1-500", FaultyAnswer::Status(500, page));
  h_->faulty().SetAnswer("/latin1-400", FaultyAnswer::Status(400, page));
  h_->faulty().SetAnswer("/latin1-200", FaultyAnswer::Status(200, page));

  std::vector<std::string> incidents = Post(1, 3);
  ASSERT_EQ(incidents.size(), 3u);
  // The faulty answers are in before more incidents come.
  ASSERT_OK(h_->faulty().WaitForCount("/latin1-500", 3, absl::Seconds(60)));
  ASSERT_OK(h_->faulty().WaitForCount("/latin1-400", 3, absl::Seconds(60)));
  for (const std::string& i : Post(4, 2)) incidents.push_back(i);

  ASSERT_OK(h_->WaitUntilDelivered(incidents, absl::Seconds(60)));
  h_->ExpectEachPagedOnce(incidents);

  // The faulty pages stay readable, say what was answered in valid UTF-8,
  // and end: the 500 after its retries, the 400 at once, the 200 delivered.
  for (const std::string& incident : incidents) {
    SCOPED_TRACE(incident);
    ASSERT_OK_AND_ASSIGN(paging::v1::Page carol,
                         WaitForPage(incident, "carol", Final, absl::Seconds(60)));
    EXPECT_EQ(carol.state(), paging::v1::PAGE_STATE_FAILED);
    EXPECT_EQ(carol.attempts_size(), 3);
    ASSERT_OK_AND_ASSIGN(paging::v1::Page dave,
                         WaitForPage(incident, "dave", Final, absl::Seconds(30)));
    EXPECT_EQ(dave.state(), paging::v1::PAGE_STATE_FAILED);
    EXPECT_EQ(dave.attempts_size(), 1);
    ASSERT_OK_AND_ASSIGN(paging::v1::Page erin,
                         WaitForPage(incident, "erin", Final, absl::Seconds(30)));
    EXPECT_EQ(erin.state(), paging::v1::PAGE_STATE_DELIVERED);
    for (const auto& p : {carol, dave}) {
      for (const auto& attempt : p.attempts()) {
        EXPECT_TRUE(text::IsValidUtf8(attempt.detail())) << attempt.detail();
        EXPECT_THAT(attempt.detail(), ::testing::HasSubstr("chec de la passerelle"));
      }
    }
  }
  h_->ExpectNoDeadLetters();
}

TEST_F(DestinationFaults, WebhooksWithEndlessBodiesAreCutOffAndStopNoOtherPage) {
  FaultOptions options;
  options.faulty_contacts = {{"carol", "/endless-503"}, {"dave", "/endless-200"}};
  options.suite.flags["paging"] = {"--max_attempts=3"};
  ASSERT_OK_AND_ASSIGN(h_, FaultHarness::Start(options));
  h_->faulty().SetAnswer("/endless-503", FaultyAnswer::Endless(503));
  h_->faulty().SetAnswer("/endless-200", FaultyAnswer::Endless(200));

  std::vector<std::string> incidents = Post(1, 4);
  ASSERT_EQ(incidents.size(), 4u);
  ASSERT_OK(h_->WaitUntilDelivered(incidents, absl::Seconds(60)));
  h_->ExpectEachPagedOnce(incidents);

  // Every faulty page ends (the 503 fails after its tries), and then the
  // service has hung up on every endless body: none is still being read.
  for (const std::string& incident : incidents) {
    SCOPED_TRACE(incident);
    ASSERT_OK_AND_ASSIGN(paging::v1::Page carol,
                         WaitForPage(incident, "carol", Final, absl::Seconds(90)));
    EXPECT_EQ(carol.state(), paging::v1::PAGE_STATE_FAILED);
    EXPECT_OK(WaitForPage(incident, "dave", Final, absl::Seconds(30)));
  }
  EXPECT_OK(testing::WaitFor([&] { return h_->faulty().open_streams() == 0; },
                             absl::Seconds(10)))
      << h_->faulty().open_streams() << " endless bodies are still being read";
  h_->ExpectNoDeadLetters();
}

TEST_F(DestinationFaults, AWebhookStalledFor30SecondsDelaysOnlyItself) {
  constexpr int kWebhookTimeoutSeconds = 12;
  FaultOptions options;
  options.faulty_contacts = {{"carol", "/stall"}};
  options.suite.flags["paging"] = {
      "--max_attempts=2", "--delivery_lease_seconds=15",
      absl::StrCat("--webhook_timeout_seconds=", kWebhookTimeoutSeconds)};
  ASSERT_OK_AND_ASSIGN(h_, FaultHarness::Start(options));
  h_->faulty().SetAnswer("/stall", FaultyAnswer::Stall(absl::Seconds(30)));

  std::vector<std::string> incidents = Post(1, 1);
  ASSERT_EQ(incidents.size(), 1u);
  // Carol's webhook is stalled: the service waits on it, up to its timeout.
  ASSERT_OK(h_->faulty().WaitForCount("/stall", 1, absl::Seconds(30)));
  const absl::Time stalled_since = h_->faulty().Requests("/stall")[0].received;
  for (const std::string& i : Post(2, 2)) incidents.push_back(i);

  // Every other page is delivered while that request is still stalled.
  ASSERT_OK(h_->WaitUntilDelivered(incidents, absl::Seconds(60)));
  const absl::Time all_delivered = absl::Now();
  EXPECT_LT(all_delivered, stalled_since + absl::Seconds(kWebhookTimeoutSeconds))
      << "the other pages waited " << (all_delivered - stalled_since)
      << " for the stalled webhook";
  h_->ExpectEachPagedOnce(incidents);

  // Carol's pages end (FAILED after their tries), each try cut off by the
  // timeout long before the 30 s stall would have answered.
  for (const std::string& incident : incidents) {
    SCOPED_TRACE(incident);
    ASSERT_OK_AND_ASSIGN(paging::v1::Page carol,
                         WaitForPage(incident, "carol", Final, absl::Seconds(90)));
    EXPECT_EQ(carol.state(), paging::v1::PAGE_STATE_FAILED);
  }
  h_->faulty().ReleaseStalls();
  h_->ExpectNoDeadLetters();
}

TEST_F(DestinationFaults, AnSmtpServerThatRefusesThenAcceptsGetsEachEmailOnce) {
  FaultOptions options;
  options.suite.flags["paging"] = {"--max_attempts=30"};
  ASSERT_OK_AND_ASSIGN(h_, FaultHarness::Start(options));
  // Refused at MAIL (full, greylisting) until every email was tried once.
  ASSERT_OK(h_->smtp().RefuseNext(-1, 451, testing::SmtpStage::kMail));
  std::vector<std::string> incidents = Post(1, 3);
  ASSERT_EQ(incidents.size(), 3u);
  ASSERT_OK(testing::WaitFor([&] { return h_->smtp().Refusals() >= 3; }, absl::Seconds(60)));
  // Bob's webhooks did not wait for the mail server.
  ASSERT_OK(h_->hook().WaitForCount(3, absl::Seconds(30)));
  EXPECT_TRUE(h_->smtp().Messages().empty());

  // Then two more are refused after their content was sent, then it accepts.
  const int refused_at_mail = h_->smtp().Refusals();
  ASSERT_OK(h_->smtp().RefuseNext(2, 452, testing::SmtpStage::kData));
  ASSERT_OK(h_->WaitUntilDelivered(incidents, absl::Seconds(60)));
  EXPECT_GE(h_->smtp().Refusals(), refused_at_mail + 2);
  for (const std::string& i : Post(4, 2)) incidents.push_back(i);
  ASSERT_OK(h_->WaitUntilDelivered(incidents, absl::Seconds(60)));
  h_->ExpectEachPagedOnce(incidents);
  h_->ExpectNoDeadLetters();
}

}  // namespace
}  // namespace tocsin::e2e::faults
