// nats-server stopped for 30 s in the middle of a stream of alarms, with
// the paging service killed (-9) and restarted while it is down: alarms are
// still accepted at once (the incidents service commits them to its outbox),
// and once NATS is back every page arrives exactly once.
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "tests/fault_helpers.h"

namespace tocsin::e2e::faults {
namespace {

constexpr int kAlarms = 40;
constexpr absl::Duration kEvery = absl::Seconds(1);
constexpr absl::Duration kOutage = absl::Seconds(30);

TEST(NatsOutage, AlarmsAreAcceptedDuringA30SecondOutageAndEveryPageArrivesOnceAfter) {
  ASSERT_OK_AND_ASSIGN(auto h, FaultHarness::Start());
  absl::Cleanup logs = [&] {
    if (HasFailure()) std::cerr << h->Logs();
  };
  h->StreamAlarms(1, kAlarms, kEvery);
  ASSERT_OK(testing::WaitFor([&] { return h->StreamAccepted() >= 5; }, absl::Seconds(60)));

  h->suite().StopNats();
  const absl::Time stopped = absl::Now();
  const int before_outage = h->StreamAccepted();
  // A crash while the bus is away: the service must come up without it.
  ASSERT_OK(testing::WaitFor([&] { return h->StreamAccepted() >= before_outage + 8; },
                             absl::Seconds(30)));
  h->suite().KillService("paging");
  ASSERT_OK(h->suite().StartService("paging"));
  ASSERT_OK(testing::WaitFor([&] { return absl::Now() >= stopped + kOutage; }, kOutage * 2));
  const int during_outage = h->StreamAccepted() - before_outage;
  ASSERT_OK(h->suite().StartNats());

  std::vector<std::string> incidents;
  for (const absl::StatusOr<Posted>& posted : h->StreamResults()) {
    ASSERT_OK(posted);
    // Accepted at the first try, outage or not.
    EXPECT_EQ(posted->attempts, 1) << posted->incident_id;
    incidents.push_back(posted->incident_id);
  }
  EXPECT_GE(during_outage, 20) << "too few alarms came during the outage to prove much";

  ASSERT_OK(h->WaitUntilDelivered(incidents, absl::Seconds(120)));
  h->ExpectEachPagedOnce(incidents);
  h->ExpectNoDeadLetters();
  for (const std::string& service : {"incidents", "escalation", "paging"}) {
    EXPECT_OK(testing::WaitFor([&] { return h->Readyz(service) == 200; }, absl::Seconds(30)))
        << service << " is not ready again after the outage";
  }
}

}  // namespace
}  // namespace tocsin::e2e::faults
