// The postmortem service in a test's process (testonly): the real core and
// PostmortemService on a SQLite file in a fresh temporary directory, served
// by a TestServer on 127.0.0.1:0, with a fake clock, sequential ids
// ("pia-1", "act-2", ...) and an incidents port that knows the incidents a
// test adds (their timeline and alarms give the metrics and the people
// engaged, as in the service).
//
//   ASSERT_OK_AND_ASSIGN(auto postmortems, TestPostmortemService::Start());
//   postmortems->AddIncident(facts);
//   options.postmortem = postmortems->address();
//
// The clock starts at 2026-01-01T00:00:00Z and moves only when the test
// moves it (action items are overdue from the day after their due date).
//
// Thread-safety: as the core; AddIncident before the calls that read it.
#ifndef TOCSIN_SERVICES_POSTMORTEM_TEST_SERVICE_H_
#define TOCSIN_SERVICES_POSTMORTEM_TEST_SERVICE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "services/postmortem/metrics.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::postmortem {

class TestPostmortemService {
 public:
  static absl::StatusOr<std::unique_ptr<TestPostmortemService>> Start();
  virtual ~TestPostmortemService() = default;

  // "127.0.0.1:<port>".
  virtual const std::string& address() const = 0;
  virtual FakeClock& clock() = 0;
  // What the incidents service knows of facts.incident.id() (replaces what
  // it knew before).
  virtual void AddIncident(const IncidentFacts& facts) = 0;
  // What the consumer of incident.resolved does: the incident's automatic
  // analysis, made once.
  virtual absl::Status AnalyseResolved(const incidents::v1::Incident& incident) = 0;
};

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_TEST_SERVICE_H_
