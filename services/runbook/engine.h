// RunbookEngine: runbook versions and the executions that run them.
//
// Runbooks. ApplyRunbook validates a document (document.h) and saves it as a
// new version when it differs from the latest (an identical document is
// UNCHANGED: applying the same file twice saves nothing). Versions never
// change; an execution records the version it runs. The built-in
// Tocsin-IncidentResponse (builtin_template.h) is listed and runnable as
// version 1 and cannot be saved over.
//
// Executions. Start() resolves the parameters (defaults, types, allowed
// values), snapshots the incident's fields ({{ incident.* }}, {{ alarm.* }})
// and stores the execution, due at once. A response plan's runbook starts by
// itself on incident.opened (StartForOpenedIncident), once per incident.
// Advancing happens in RunDue(), called by a ticker: each due execution is
// advanced step by step, each step change committed with its event
// (runbook.step.changed, on the incident's timeline and chat), so a crash
// leaves it exactly at its last commit:
//   aws:pause, tocsin:manual  Waiting until a person completes (or skips) it;
//   aws:approve               Waiting until MinRequiredApprovals of Approvers
//                             approve (Success) or one rejects (Failed);
//   aws:sleep                 InProgress until Duration has passed (a timer row);
//   aws:branch                the first Choice that holds, else Default;
//   tocsin:notify             runbook.notified, in the step's own commit;
//   tocsin:updateIncident     through the incidents API (idempotent calls);
//   tocsin:http, tocsin:command, tocsin:waitFor
//                             marked in flight and committed before the call,
//                             its result committed after. An attempt still
//                             marked in flight when the engine finds it (the
//                             service died during the call) is run again only
//                             where the step says `idempotent: true`;
//                             otherwise the step Waits for a person to retry,
//                             skip or cancel. Each step thus runs once.
// A failed attempt is retried (maxAttempts, backoff 5 s doubling to 5 min)
// unless the failure is permanent (InvalidArgument: a value of the wrong
// type; PermissionDenied: a command not allowed). A step past timeoutSeconds
// is TimedOut. A step that fails or times out follows onFailure: Abort ends
// the execution (Failed / TimedOut), Continue goes to its next step, step:X
// to X. A failed or timed-out execution's step can still be retried or
// skipped by a person, which resumes the execution.
//
// Errors: InvalidArgument (bad document, parameter, decision input),
// NotFound (runbook, version, execution, step), FailedPrecondition (the step
// is not waiting for that decision; the execution has ended),
// PermissionDenied (not an approver), AlreadyExists (saving over the
// built-in), Unavailable (store busy: retry).
//
// Thread-safety: thread-safe. RunDue() hands each due execution to the
// executor given in the options (inline by default), at most one advance per
// execution at a time.
#ifndef TOCSIN_SERVICES_RUNBOOK_ENGINE_H_
#define TOCSIN_SERVICES_RUNBOOK_ENGINE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/ids/ids.h"
#include "nlohmann/json.hpp"
#include "services/runbook/document.h"
#include "services/runbook/store.h"
#include "tocsin/events/v1/envelope.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/runbook/v1/runbook.pb.h"

namespace tocsin::runbook {

// What references resolve to: "Cluster", "check.Verdict", "incident.id", ...
// (the same type as values.h's ValueMap).
using EngineValues = absl::flat_hash_map<std::string, nlohmann::json>;

// What the engine needs of the incidents service. Implementations are
// thread-safe; errors keep the service's codes (Unavailable: retried).
class IncidentsPort {
 public:
  virtual ~IncidentsPort() = default;
  virtual absl::StatusOr<incidents::v1::Incident> GetIncident(const std::string& id) = 0;
  // The alarm that opened the incident, if one did.
  virtual absl::StatusOr<std::optional<incidents::v1::Alarm>> FirstAlarm(
      const std::string& incident_id) = 0;
  virtual absl::StatusOr<incidents::v1::Incident> UpdateIncident(
      const incidents::v1::UpdateIncidentRequest& request) = 0;
  // Idempotent by request.source_event_id.
  virtual absl::Status AddTimelineEvent(const incidents::v1::AddTimelineEventRequest& request) = 0;
  // Resolving a resolved incident is not an error.
  virtual absl::StatusOr<incidents::v1::Incident> ResolveIncident(const std::string& id,
                                                                 const std::string& note,
                                                                 const std::string& author) = 0;
};

// The steps that reach outside: tocsin:http (and each check of
// tocsin:waitFor) and tocsin:command. `inputs` are the step's inputs as in the
// document, `values` what its references resolve to. The result is the
// JSON the step's outputs select from; an error fails the attempt.
class StepRunner {
 public:
  virtual ~StepRunner() = default;
  virtual absl::StatusOr<nlohmann::json> Http(const nlohmann::json& inputs,
                                              const EngineValues& values,
                                              absl::Duration timeout) = 0;
  virtual absl::StatusOr<nlohmann::json> Command(
      const nlohmann::json& inputs, const EngineValues& values,
      absl::Duration timeout, const std::vector<std::pair<std::string, std::string>>& env) = 0;
};

struct EngineOptions {
  // Per attempt, when a step sets no timeoutSeconds.
  absl::Duration http_timeout = absl::Seconds(60);
  absl::Duration command_timeout = absl::Seconds(60);
  absl::Duration update_incident_timeout = absl::Seconds(30);
  // A whole tocsin:waitFor without timeoutSeconds.
  absl::Duration wait_for_timeout = absl::Hours(1);
  // First retry backoff (doubling, at most max_backoff).
  absl::Duration backoff = absl::Seconds(5);
  absl::Duration max_backoff = absl::Minutes(5);
  // Step runs per execution before it is failed as a loop.
  int max_transitions = 1000;
  // Runs one advance (RunDue); inline when unset.
  std::function<void(std::function<void()>)> executor;
  // Every committed event, after commit (metrics, logs).
  std::function<void(const events::v1::Envelope&)> on_event;
};

class RunbookEngine {
 public:
  RunbookEngine(RunbookStore* store, IncidentsPort* incidents, StepRunner* runner,
                const Clock* clock, IdGenerator* ids, EngineOptions options = {});
  RunbookEngine(const RunbookEngine&) = delete;
  RunbookEngine& operator=(const RunbookEngine&) = delete;

  // ---- runbooks
  absl::StatusOr<v1::ApplyRunbookResponse> ApplyRunbook(const v1::ApplyRunbookRequest& request);
  absl::StatusOr<v1::Runbook> GetRunbook(const std::string& name, int64_t version);
  absl::StatusOr<std::vector<v1::Runbook>> ListRunbooks();
  absl::StatusOr<std::vector<v1::Runbook>> ListRunbookVersions(const std::string& name);

  // ---- executions
  absl::StatusOr<v1::Execution> Start(const v1::StartExecutionRequest& request);
  // Starts the incident's runbook (from its response plan), once per
  // incident: a redelivered incident.opened finds the execution. OK and
  // nothing when the incident names no runbook. A runbook that cannot start
  // (missing, bad parameters) is reported on the incident's timeline and is
  // not an error (the event is handled).
  absl::Status StartForOpenedIncident(const incidents::v1::IncidentOpened& opened,
                                      const std::string& event_id);
  absl::StatusOr<v1::Execution> GetExecution(const std::string& id);
  absl::StatusOr<std::vector<v1::Execution>> ListExecutions(const std::string& incident_id,
                                                           int limit);
  absl::StatusOr<v1::Execution> Decide(const v1::DecideStepRequest& request);
  absl::StatusOr<v1::Execution> Cancel(const v1::CancelExecutionRequest& request);

  // Advances every due execution (through the executor). Returns how many
  // were handed over. Call Recover() once before the first RunDue().
  absl::StatusOr<int> RunDue();
  // After a start: makes every unfinished execution due now, so steps left
  // in flight by a crash are found and handled.
  absl::Status Recover();
  // Advances one execution as far as it goes now (tests; RunDue uses it).
  absl::Status Advance(const std::string& execution_id);

  // Figures for the gauges.
  absl::StatusOr<std::vector<std::pair<v1::ExecutionState, int64_t>>> CountByState();

 private:
  struct Loaded;
  struct Outcome;

  // Start with the incident and its alarm when known (nullptr: asked of the
  // incidents service).
  absl::StatusOr<v1::Execution> StartFor(const v1::StartExecutionRequest& request,
                                         const incidents::v1::Incident* incident,
                                         const std::optional<incidents::v1::Alarm>* alarm);
  absl::StatusOr<std::pair<v1::Runbook, RunbookDocument>> LoadRunbook(const std::string& name,
                                                                     int64_t version);
  // One step of Advance: false when the execution waits (or ended).
  absl::StatusOr<bool> AdvanceOnce(const std::string& execution_id);
  absl::Status Commit(ExecutionRow& row, std::vector<events::v1::Envelope> events, bool* lost);
  void Announce(const std::vector<events::v1::Envelope>& events);

  RunbookStore* const store_;
  IncidentsPort* const incidents_;
  StepRunner* const runner_;
  const Clock* const clock_;
  IdGenerator* const ids_;
  const EngineOptions options_;

  absl::Mutex mu_;
  absl::flat_hash_set<std::string> busy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_ENGINE_H_
