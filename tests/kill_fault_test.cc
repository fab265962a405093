// kill -9 of each service in the middle of a stream of alarms, while the
// mail server is refusing messages for a while (so deliveries are being
// retried when the crash comes), then started again on the same database:
// nothing is lost and nothing is doubled.
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "tests/fault_helpers.h"

namespace tocsin::e2e::faults {
namespace {

constexpr int kAlarms = 24;

class KillNine : public ::testing::TestWithParam<std::string> {};

TEST_P(KillNine, MidStreamThenRestartedOnTheSameDatabaseLosesAndDoublesNothing) {
  const std::string victim = GetParam();
  FaultOptions options;
  options.suite.flags["paging"] = {"--max_attempts=30"};
  ASSERT_OK_AND_ASSIGN(auto h, FaultHarness::Start(options));
  absl::Cleanup logs = [&] {
    if (HasFailure()) std::cerr << h->Logs();
  };
  ASSERT_OK(h->smtp().RefuseNext(8, 451, testing::SmtpStage::kData));

  h->StreamAlarms(1, kAlarms, absl::Milliseconds(500));
  ASSERT_OK(testing::WaitFor([&] { return h->StreamAccepted() >= kAlarms / 4; },
                             absl::Seconds(60)));
  ASSERT_TRUE(h->suite().Running(victim));
  h->suite().KillService(victim);
  const int at_kill = h->StreamAccepted();
  if (victim == "gateway" || victim == "incidents") {
    // Down for a second: the sender's requests fail and are retried.
    const absl::Time back = absl::Now() + absl::Seconds(1);
    ASSERT_OK(testing::WaitFor([&] { return absl::Now() >= back; }, absl::Seconds(5)));
  } else {
    // Alarms keep being accepted while it is down.
    ASSERT_OK(testing::WaitFor([&] { return h->StreamAccepted() >= at_kill + 2; },
                               absl::Seconds(30)));
  }
  ASSERT_OK(h->suite().StartService(victim));

  std::vector<std::string> incidents;
  for (const absl::StatusOr<Posted>& posted : h->StreamResults()) {
    ASSERT_OK(posted);
    incidents.push_back(posted->incident_id);
  }
  EXPECT_LT(at_kill, kAlarms) << "the kill came after every alarm was in; it proved little";
  // A message the killed process had fetched comes back after the
  // consumers' ack wait (30 s).
  ASSERT_OK(h->WaitUntilDelivered(incidents, absl::Seconds(120)));
  // A crash of paging between a channel's acceptance and its record may
  // send that page again, under the same Message-ID / Idempotency-Key.
  h->ExpectEachPagedOnce(incidents, /*same_page_again=*/victim == "paging");
  EXPECT_GE(h->smtp().Refusals(), 1);
  h->ExpectNoDeadLetters();
}

INSTANTIATE_TEST_SUITE_P(EachService, KillNine,
                         ::testing::Values("gateway", "incidents", "escalation", "paging"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tocsin::e2e::faults
