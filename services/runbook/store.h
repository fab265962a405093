// RunbookStore: the runbook service's state (runbook versions, executions
// with their steps and the engine's working state, the inbox of consumed
// events, the outbox of emitted ones) behind a narrow interface, so the same
// engine runs on SQLite (sqlite_store.h) and, later, PostgreSQL.
//
// Everything happens inside Write() or Read() bodies. A Write() body is one
// database transaction: a step's state change, the events it emits (outbox)
// and the inbox record of the event that caused it commit together or not at
// all, so after a crash an execution is exactly as its last commit left it.
//
// Executions change only by compare-and-set on their revision, so a person's
// decision and the engine's timer can never both apply to the same state.
#ifndef TOCSIN_SERVICES_RUNBOOK_STORE_H_
#define TOCSIN_SERVICES_RUNBOOK_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tocsin/events/v1/envelope.pb.h"
#include "tocsin/runbook/v1/runbook.pb.h"

namespace tocsin::runbook {

// An execution as stored: what the API shows, the engine's working state and
// when the engine must look at it again.
struct ExecutionRow {
  v1::Execution execution;
  // The engine's own (see engine.cc): the values references resolve to, the
  // incident's fields, per-step deadlines and in-flight marks.
  nlohmann::json context = nlohmann::json::object();
  // When the engine must advance it (a sleep ends, a retry or a poll is due,
  // a step times out, a new execution starts); nullopt: only a person's
  // decision moves it (or it has ended).
  std::optional<absl::Time> next_due;
  // Increases by one on every update (compare-and-set).
  int64_t revision = 0;
};

class RunbookStore {
 public:
  // Operations valid only inside a Write() or Read() body.
  class Tx {
   public:
    virtual ~Tx() = default;

    // A runbook version (version 0: the latest); nullopt if there is none.
    virtual absl::StatusOr<std::optional<v1::Runbook>> GetRunbook(const std::string& name,
                                                                  int64_t version) = 0;
    // The latest version of each saved runbook, by name (latest_version set).
    virtual absl::StatusOr<std::vector<v1::Runbook>> ListRunbooks() = 0;
    // Every version of one runbook, oldest first.
    virtual absl::StatusOr<std::vector<v1::Runbook>> ListRunbookVersions(
        const std::string& name) = 0;
    // AlreadyExists if that (name, version) is saved.
    virtual absl::Status InsertRunbook(const v1::Runbook& runbook) = 0;

    virtual absl::StatusOr<std::optional<ExecutionRow>> GetExecution(const std::string& id) = 0;
    // The execution started with that client token, if any.
    virtual absl::StatusOr<std::optional<std::string>> FindExecutionByToken(
        const std::string& client_token) = 0;
    // AlreadyExists if the id or a non-empty client token is taken. Stores
    // revision 1.
    virtual absl::Status InsertExecution(const ExecutionRow& row,
                                         const std::string& client_token) = 0;
    // Writes row (revision + 1) only if the stored one is at row.revision;
    // false if it is not (someone else changed it: read again).
    virtual absl::StatusOr<bool> UpdateExecution(const ExecutionRow& row) = 0;
    // Newest first, at most limit; incident_id empty: all.
    virtual absl::StatusOr<std::vector<v1::Execution>> ListExecutions(
        const std::string& incident_id, int limit) = 0;
    // Ids of executions with next_due at or before now, earliest first, at
    // most limit.
    virtual absl::StatusOr<std::vector<std::string>> DueExecutions(absl::Time now,
                                                                   int limit) = 0;
    // Ids of executions not ended (Pending, InProgress, Waiting), oldest
    // first: what a restart looks over.
    virtual absl::StatusOr<std::vector<std::string>> UnfinishedExecutions() = 0;
    // How many executions are in each state (for the gauges).
    virtual absl::StatusOr<std::vector<std::pair<v1::ExecutionState, int64_t>>>
    CountExecutionsByState() = 0;

    // Records that consumer applied event_id: true the first time.
    virtual absl::StatusOr<bool> RecordInInbox(absl::string_view consumer,
                                               absl::string_view event_id) = 0;
    // Queues an event for publication; it is published after commit.
    virtual absl::Status Emit(const events::v1::Envelope& event) = 0;
  };

  virtual ~RunbookStore() = default;
  virtual absl::Status Write(const std::function<absl::Status(Tx&)>& body) = 0;
  virtual absl::Status Read(const std::function<absl::Status(Tx&)>& body) = 0;
  // Readiness: the database answers.
  virtual absl::Status Ping() = 0;
};

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_STORE_H_
