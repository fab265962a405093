// EscalationStore: the escalation service's state (contacts, engagements and
// their stage timers, the incidents it has heard of), behind a narrow
// interface so the same logic runs on SQLite (sqlite_store.h) and, later,
// PostgreSQL.
//
// Everything happens inside Write() or Read() bodies. A Write() body is one
// database transaction: the state change, the inbox record of the event that
// caused it and the events it emits (outbox) commit together or not at all.
//
// Engagements change only by compare-and-set: UpdateEngagement writes only
// over the version the caller read, so two writers (an acknowledgement and a
// stage timer, or two service instances) can never both apply.
#ifndef TOCSIN_SERVICES_ESCALATION_STORE_H_
#define TOCSIN_SERVICES_ESCALATION_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/events/v1/envelope.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::escalation {

using ::tocsin::escalation::v1::Contact;
using ::tocsin::escalation::v1::Engagement;
using ::tocsin::escalation::v1::Rotation;
using ::tocsin::escalation::v1::RotationOverride;
using ::tocsin::events::v1::Envelope;
using ::tocsin::incidents::v1::Incident;

class EscalationStore {
 public:
  // Operations valid only inside a Write() or Read() body.
  class Tx {
   public:
    virtual ~Tx() = default;

    virtual absl::StatusOr<std::optional<Contact>> GetContact(const std::string& name) = 0;
    // By name.
    virtual absl::StatusOr<std::vector<Contact>> ListContacts() = 0;
    // AlreadyExists if a contact of that name exists.
    virtual absl::Status InsertContact(const Contact& contact) = 0;
    // Writes contact only if the stored one is at expected_version; false if
    // it is not (or is gone).
    virtual absl::StatusOr<bool> UpdateContact(const Contact& contact,
                                               int64_t expected_version) = 0;
    // false if there was no such contact.
    virtual absl::StatusOr<bool> DeleteContact(const std::string& name) = 0;

    // Rotations, by name; the same contract as contacts.
    virtual absl::StatusOr<std::optional<Rotation>> GetRotation(const std::string& name) = 0;
    virtual absl::StatusOr<std::vector<Rotation>> ListRotations() = 0;
    virtual absl::Status InsertRotation(const Rotation& rotation) = 0;
    virtual absl::StatusOr<bool> UpdateRotation(const Rotation& rotation,
                                                int64_t expected_version) = 0;
    // Also deletes the rotation's overrides.
    virtual absl::StatusOr<bool> DeleteRotation(const std::string& name) = 0;

    // A rotation's overrides, by start. AlreadyExists for a second override
    // of that name on the rotation. (Overlaps are the caller's to refuse.)
    virtual absl::StatusOr<std::vector<RotationOverride>> ListOverrides(
        const std::string& rotation) = 0;
    virtual absl::Status InsertOverride(const RotationOverride& override_) = 0;
    virtual absl::StatusOr<bool> DeleteOverride(const std::string& rotation,
                                                const std::string& name) = 0;

    // Calendar feeds: the SHA-256 of a feed's secret token, and what it shows
    // (exactly one of rotation and contact).
    struct CalendarFeedRow {
      std::string rotation;
      std::string contact;
      absl::Time create_time;
    };
    virtual absl::Status InsertCalendarFeed(absl::string_view token_sha256,
                                            const CalendarFeedRow& feed) = 0;
    virtual absl::StatusOr<std::optional<CalendarFeedRow>> GetCalendarFeed(
        absl::string_view token_sha256) = 0;

    virtual absl::StatusOr<std::optional<Engagement>> GetEngagement(const std::string& id) = 0;
    // The incident's engagements in the order they started.
    virtual absl::StatusOr<std::vector<Engagement>> ListEngagements(
        const std::string& incident_id) = 0;
    // Every ACTIVE engagement, in the order they started.
    virtual absl::StatusOr<std::vector<Engagement>> ListActiveEngagements() = 0;
    // The engagements a parent started (its targets), in the order they
    // started; and every engagement of one tree (root_id), root first.
    virtual absl::StatusOr<std::vector<Engagement>> ListChildEngagements(
        const std::string& parent_id) = 0;
    virtual absl::StatusOr<std::vector<Engagement>> ListEngagementTree(
        const std::string& root_id) = 0;
    // Stops an engagement by its columns alone (its stored body may be
    // unreadable): state STOPPED, no stage due. Returns its incident id, or
    // nullopt when there is no such engagement.
    virtual absl::StatusOr<std::optional<std::string>> StopEngagementColumns(
        const std::string& id) = 0;
    // How many engagements are ACTIVE.
    virtual absl::StatusOr<int64_t> CountActiveEngagements() = 0;
    // Ids of engagements whose timer (next_due) is at or before `now`:
    // ACTIVE ones (a stage ends, a retry) and ACKNOWLEDGED ones (an
    // acknowledgement timeout), earliest due first, at most `limit`.
    virtual absl::StatusOr<std::vector<std::string>> DueEngagements(absl::Time now,
                                                                    int limit) = 0;
    // Ids of ACTIVE engagements with no timer and no ACTIVE child (nothing
    // would ever move them: the auditor's query), oldest first, at most
    // `limit`.
    virtual absl::StatusOr<std::vector<std::string>> StalledEngagements(int limit) = 0;
    virtual absl::Status InsertEngagement(const Engagement& engagement) = 0;
    // Compare-and-set: writes engagement only if the stored one is at
    // expected_version; false if it is not.
    virtual absl::StatusOr<bool> UpdateEngagement(const Engagement& engagement,
                                                  int64_t expected_version) = 0;

    // The incident as last reported by the incidents service, if any.
    virtual absl::StatusOr<std::optional<Incident>> GetIncident(const std::string& id) = 0;
    // Inserts or replaces.
    virtual absl::Status PutIncident(const Incident& incident) = 0;

    // Records that `consumer` applied event_id: true the first time, false if
    // it had been recorded before (apply nothing then).
    virtual absl::StatusOr<bool> RecordInInbox(absl::string_view consumer,
                                               absl::string_view event_id) = 0;
    // Queues an event for publication; it is published after commit.
    virtual absl::Status Emit(const Envelope& event) = 0;
  };

  virtual ~EscalationStore() = default;
  virtual absl::Status Write(const std::function<absl::Status(Tx&)>& body) = 0;
  virtual absl::Status Read(const std::function<absl::Status(Tx&)>& body) = 0;
  // Readiness: the database answers.
  virtual absl::Status Ping() = 0;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_STORE_H_
