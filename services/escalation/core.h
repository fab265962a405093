// EscalationCore: the escalation service's behaviour, independent of gRPC, of
// the bus and of the database engine. It keeps contacts, engages them when an
// incident opens, pages their channels stage by stage on durable timers, and
// stops when a page is acknowledged or the incident is resolved. Every change
// is emitted as an event through the store's outbox in the same transaction.
//
// Engagements:
//   - incident.opened engages each contact the incident names (once per name,
//     in order): a snapshot of the contact, state ACTIVE, its first channel
//     paged at once (engagement.started, engagement.stage_started,
//     page.requested), the next stage due after the next channel's delay.
//     A contact that does not exist gets a stored engagement in state STOPPED
//     whose stop_reason says so (engagement.stopped), so the timeline tells
//     why nobody was paged. An incident seen before (an opening delivered
//     twice, or one whose resolution arrived first) engages nobody.
//   - RunDueTimers() pages the next channel of every ACTIVE engagement whose
//     stage is due by the clock. After an outage that let several stages
//     pass, it pages only the current one and counts the next delay from now:
//     people get one page per stage, never a burst of overdue ones.
//   - After the last channel is paged the engagement is EXHAUSTED at once
//     (engagement.stopped, "all N channels paged; no further stage").
//   - page.acknowledged for a page of an ACTIVE engagement makes it
//     ACKNOWLEDGED; incident.resolved makes the incident's ACTIVE engagements
//     STOPPED. An engagement that is no longer ACTIVE never changes again and
//     emits nothing more.
// Each change re-reads the engagement in its transaction and writes it by
// compare-and-set on its version, so an acknowledgement racing a stage timer
// or a resolution never pages again and never reopens anything.
//
// Event handlers are idempotent: each records the event id in the inbox in
// the same transaction as its change, and a redelivery changes nothing.
// Thread-safe: bus handlers, the timer ticker and gRPC calls run at once.
#ifndef TOCSIN_SERVICES_ESCALATION_CORE_H_
#define TOCSIN_SERVICES_ESCALATION_CORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/events/event_type.h"
#include "libs/ids/ids.h"
#include "services/escalation/store.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::escalation {

// Durable consumer (and inbox) names of the two event handlers.
inline constexpr char kIncidentsConsumer[] = "escalation-incidents";
inline constexpr char kPagesConsumer[] = "escalation-pages";

struct EscalationOptions {
  // Called after commit with each event emitted, in order (metrics, logs).
  std::function<void(const Envelope&)> on_event;
};

class EscalationCore {
 public:
  EscalationCore(EscalationStore* store, const Clock* clock, IdGenerator* ids,
                 EscalationOptions options);

  // InvalidArgument (see ValidateContact), AlreadyExists.
  absl::StatusOr<Contact> CreateContact(const Contact& contact);
  // Replaces the contact; a non-zero expected_version must equal the stored
  // version (Aborted otherwise). Running engagements keep their snapshot.
  absl::StatusOr<Contact> UpdateContact(const Contact& contact, int64_t expected_version);
  absl::StatusOr<Contact> GetContact(const std::string& name);
  // By name.
  absl::StatusOr<std::vector<Contact>> ListContacts();
  // Running engagements of the contact continue on their snapshot.
  absl::Status DeleteContact(const std::string& name);

  // Handler of consumer kIncidentsConsumer: incident.opened and
  // incident.resolved (other types are acknowledged and ignored). OK when
  // applied or seen before; InvalidArgument for a payload that is not the
  // type's; other errors are transient (the bus redelivers).
  absl::Status HandleIncidentEvent(const Envelope& event);
  // Handler of consumer kPagesConsumer: page.acknowledged (other types are
  // acknowledged and ignored). Same contract as HandleIncidentEvent.
  absl::Status HandlePageEvent(const Envelope& event);

  // Pages every stage due by the clock, each engagement in its own
  // transaction; returns how many stages it paged. One engagement that
  // cannot be fired for a permanent reason (its row does not parse, say) is
  // set aside, never retried each tick in front of the others: STOPPED by
  // its columns, with an engagement.stopped saying why (on the incident's
  // timeline), logged; the pass goes on. A transient error (the database
  // busy) ends the pass; the next tick tries again.
  absl::StatusOr<int> RunDueTimers();

  // Engagements still paging (ACTIVE), for a gauge.
  absl::StatusOr<double> CountActiveEngagements();

  // The engagements of request.incident_id in the order they started, or
  // every ACTIVE engagement when it is empty.
  absl::StatusOr<v1::ListEngagementsResponse> ListEngagements(
      const v1::ListEngagementsRequest& request);

 private:
  using Events = std::vector<Envelope>;

  // Runs body in one transaction, appends the events it collected to the
  // outbox (whose commit wakes the relay), and after the commit calls on_event.
  absl::Status Write(const std::function<absl::Status(EscalationStore::Tx&, Events&)>& body);
  // Builds an envelope for an event of this service (defined in core.cc,
  // its only user).
  template <typename T>
  Envelope NewEvent(const events::EventType<T>& type, const std::string& incident_id,
                    const std::string& causation_id, const T& payload);

  absl::Status OnIncidentOpened(EscalationStore::Tx& tx, const Envelope& event, Events& emitted);
  absl::Status OnIncidentUpdated(EscalationStore::Tx& tx, const Envelope& event);
  absl::Status OnIncidentResolved(EscalationStore::Tx& tx, const Envelope& event,
                                  Events& emitted);
  absl::Status OnPageAcknowledged(EscalationStore::Tx& tx, const Envelope& event,
                                  Events& emitted);
  // Sets aside an engagement whose stage cannot be fired (see RunDueTimers).
  absl::Status SetAside(const std::string& engagement_id, const absl::Status& why);
  // Fires the stage of one engagement if it is still ACTIVE and due at now;
  // true if it paged.
  absl::StatusOr<bool> FireStage(EscalationStore::Tx& tx, const std::string& engagement_id,
                                 absl::Time now, Events& emitted);

  // Pages e's next channel (engagement.stage_started, page.requested) and
  // moves it to the following stage, due after that channel's delay, or,
  // after the last channel, to EXHAUSTED (engagement.stopped).
  void PageNextStage(Engagement& e, const Incident& incident, const std::string& causation_id,
                     Events& emitted);
  // Ends e in state with reason (engagement.stopped).
  void Stop(Engagement& e, v1::EngagementState state, const std::string& reason,
            const std::string& causation_id, Events& emitted);
  // Writes e (already at expected_version + 1) only if the stored one is
  // still at expected_version; Aborted if someone else changed it first.
  absl::Status CompareAndSet(EscalationStore::Tx& tx, Engagement& e, int64_t expected_version);

  EscalationStore* store_;
  const Clock* clock_;
  IdGenerator* ids_;
  EscalationOptions options_;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_CORE_H_
