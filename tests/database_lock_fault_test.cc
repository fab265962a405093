// Each service's database held busy from outside (a backup, a long write, a
// slow disk) for 40 s, longer than the bus's redelivery window (consumers'
// ack_wait is 30 s), while alarms keep coming; then released. A busy
// database is transient: nothing is dead-lettered, no page is lost, and every
// page arrives exactly once after the release.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/database_locker.h"
#include "libs/testing/ports.h"
#include "tests/fault_helpers.h"

namespace tocsin::e2e::faults {
namespace {

constexpr absl::Duration kHold = absl::Seconds(40);

// How often the runbook or postmortem service recorded incident.opened for
// the incident; -1 when it could not be asked.
int OpenedSeenBy(Suite& suite, const std::string& service, const std::string& incident) {
  std::vector<std::string> types;
  if (service == "runbook") {
    runbook::v1::ListReceivedEventsRequest req;
    req.set_incident_id(incident);
    runbook::v1::ListReceivedEventsResponse resp;
    if (!suite.runbook().ListReceivedEvents(Ctx().get(), req, &resp).ok()) return -1;
    for (const auto& e : resp.events()) types.push_back(e.type());
  } else {
    postmortem::v1::ListReceivedEventsRequest req;
    req.set_incident_id(incident);
    postmortem::v1::ListReceivedEventsResponse resp;
    if (!suite.postmortem().ListReceivedEvents(Ctx().get(), req, &resp).ok()) return -1;
    for (const auto& e : resp.events()) types.push_back(e.type());
  }
  return static_cast<int>(std::count(types.begin(), types.end(), "incident.opened"));
}

class DatabaseLock : public ::testing::TestWithParam<std::string> {};

TEST_P(DatabaseLock, HeldLongerThanTheRedeliveryWindowThenReleasedLosesAndDoublesNothing) {
  const std::string victim = GetParam();
  ASSERT_OK_AND_ASSIGN(auto h, FaultHarness::Start());
  absl::Cleanup logs = [&] {
    if (HasFailure()) std::cerr << h->Logs();
  };
  // The path works before the fault.
  std::vector<std::string> incidents;
  for (int n : {1, 2}) {
    ASSERT_OK_AND_ASSIGN(Posted p, h->PostAlarm(n));
    incidents.push_back(p.incident_id);
  }
  ASSERT_OK(h->WaitUntilDelivered(incidents, absl::Seconds(60)));

  // Held busy while ten more alarms come, one every 3 s (the gateway answers
  // 503 while the incidents database is busy; the sender retries, as
  // EventBridge does).
  ASSERT_OK_AND_ASSIGN(auto lock, testing::DatabaseLocker::Lock(h->suite().db_path(victim)));
  h->StreamAlarms(3, 10, absl::Seconds(3));
  ASSERT_OK(testing::WaitFor([&] { return absl::Now() >= lock->since() + kHold; }, kHold * 2));
  EXPECT_TRUE(h->suite().Running(victim)) << victim << " exited while its database was busy";
  lock->Release();

  int retried = 0;
  for (const absl::StatusOr<Posted>& posted : h->StreamResults()) {
    ASSERT_OK(posted);
    incidents.push_back(posted->incident_id);
    retried += posted->attempts > 1;
  }
  if (victim == "incidents") {
    EXPECT_GT(retried, 0) << "no alarm was refused while the incidents database was busy";
  }
  ASSERT_OK(h->WaitUntilDelivered(incidents, absl::Seconds(120)));
  h->ExpectEachPagedOnce(incidents);
  if (victim == "runbook" || victim == "postmortem") {
    for (const std::string& incident : incidents) {
      EXPECT_OK(testing::WaitFor([&] { return OpenedSeenBy(h->suite(), victim, incident) >= 1; },
                                 absl::Seconds(60)))
          << victim << " never recorded " << incident;
      EXPECT_EQ(OpenedSeenBy(h->suite(), victim, incident), 1) << incident;
    }
  }
  h->ExpectNoDeadLetters();
  EXPECT_OK(testing::WaitFor([&] { return h->Readyz(victim) == 200; }, absl::Seconds(30)))
      << victim << " is not ready again after the release";
}

INSTANTIATE_TEST_SUITE_P(EachService, DatabaseLock, ::testing::ValuesIn(StatefulServices()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tocsin::e2e::faults
