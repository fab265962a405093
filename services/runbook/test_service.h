// The runbook service in a test's process (testonly): the real engine and
// RunbookService on a SQLite file in a fresh temporary directory, served by a
// TestServer on 127.0.0.1:0, with a fake clock and an incidents port that
// knows the incidents a test adds. Steps that reach outside (tocsin:http,
// tocsin:command) fail with Unimplemented; manual steps, approvals, sleeps,
// branches and notifications run as in the service. Nothing advances by
// itself: a test calls RunDue(), as the service's ticker would.
//
//   ASSERT_OK_AND_ASSIGN(auto runbooks, TestRunbookService::Start());
//   runbooks->AddIncident(incident);
//   options.runbook = runbooks->address();
//
// Thread-safety: as the engine; AddIncident before the calls that read it.
#ifndef TOCSIN_SERVICES_RUNBOOK_TEST_SERVICE_H_
#define TOCSIN_SERVICES_RUNBOOK_TEST_SERVICE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::runbook {

class TestRunbookService {
 public:
  static absl::StatusOr<std::unique_ptr<TestRunbookService>> Start();
  virtual ~TestRunbookService() = default;

  // "127.0.0.1:<port>".
  virtual const std::string& address() const = 0;
  virtual FakeClock& clock() = 0;
  virtual void AddIncident(const incidents::v1::Incident& incident) = 0;
  // Advances every due execution as far as it goes.
  virtual absl::Status RunDue() = 0;
};

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_TEST_SERVICE_H_
