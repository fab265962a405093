// EscalationCore: the escalation service's behaviour, independent of gRPC, of
// the bus and of the database engine. It engages contacts when an incident
// opens (or by hand), runs their plans stage by stage on durable timers, and
// stops when a page is acknowledged or the incident is resolved. Every change
// is emitted as an event through the store's outbox in the same transaction.
// Contacts, rotations and overrides are the directory's (directory.h,
// DirectoryCore: their validation, versions and activation): the core only
// reads them as stored, when it engages and when it resolves who is on call.
//
// Engagement trees (docs: DECISIONS of issue 14). A root engagement per
// contact the incident names (once per name, in order) or per
// StartEngagement; each engagement holds a snapshot of its contact.
//   - PERSONAL: the stages of its plan (plans.h: EffectivePersonalPlan; a
//     contact without a plan pages channel k in stage k, lasting the delay of
//     channel k+1). At a stage's start each target channel that is activated
//     (or grandfathered) is paged, one page.requested each; the others are
//     skipped and the stage's detail says why. A page that fails for good
//     (page.failed final) is sent again after the target's retry interval if
//     the stage still lasts then. After the last stage's duration: EXHAUSTED
//     (a last stage of 0 ends it at once).
//   - ONCALL_SCHEDULE: at its start only, resolves who is on call then
//     (rotations and overrides as stored at that instant) and engages each
//     member as a child. Nobody on call: EXHAUSTED at once, the explanation in
//     its stage_started detail.
//   - ESCALATION: stage k engages each target as a child (nested plans; at
//     most kMaxEngagementDepth levels); after each stage's duration the next
//     starts; after the last, the plan starts over while repeats_done <
//     repeat. A target still engaged by an earlier stage or round is not
//     engaged twice.
//   - An engagement with no further stage ends EXHAUSTED once none of its
//     children is ACTIVE any more.
//   - page.acknowledged: the page's engagement becomes ACKNOWLEDGED (also
//     from EXHAUSTED: its last page may be acknowledged after its last
//     stage). Up the tree: a schedule is ACKNOWLEDGED when any member acks;
//     an escalation plan when an essential target acks or stop_on_first_ack
//     is set, and then every other ACTIVE engagement below it is STOPPED
//     ("acknowledged by alice (page pg-1)"); a non-essential ack stops only
//     that target's subtree.
//   - Acknowledgement timeout: a root whose contact has
//     ack_timeout_in_minutes > 0 keeps a timer when ACKNOWLEDGED; if its
//     incident is not resolved when it fires, the acknowledging person is
//     engaged again as a child of the root ("acknowledged 30 min ago and not
//     resolved: paging alice again"), and their next ack arms it again.
//   - A page that fails with fall_through (paging: its provider is
//     degraded) pages the person's next channel at once, in the page's
//     stage while it is the current one: the first target of this or a
//     later stage of the plan that is not of the failed channel's kind, not
//     among this stage's own targets, pageable (activated), and not paged by
//     a fall-through in this stage before (kFallThroughConsumer's inbox
//     holds engagement/stage/channel, so never twice in a stage). Its
//     stage_started says so ("alice, stage 1: sms provider degraded; paging
//     mail (email) at once"); with no such channel it says that the plan
//     goes on as before. The stage's timing and retries are unchanged.
//   - incident.resolved STOPs every engagement of the incident (and clears
//     acknowledgement timers); StopEngagement stops a subtree.
//   - A contact that does not exist gets a stored engagement in state
//     STOPPED saying so, so the timeline tells why nobody was paged. An
//     incident seen before (an opening delivered twice, or one whose
//     resolution arrived first) engages nobody.
// Timers are the engagement rows' next_due (durable). RunDueTimers() fires
// what is due; after an outage that let several stages pass it starts only
// the current one and counts its duration from now: no burst of overdue
// pages. An engagement that is no longer ACTIVE never pages again.
// Each change re-reads the engagement in its transaction and writes it by
// compare-and-set on its version, so an acknowledgement racing a stage timer
// or a resolution never pages again and never reopens anything.
//
// Auditor: every audit_interval (checked by RunDueTimers) the core looks for
// ACTIVE engagements with neither a timer nor an ACTIVE child (they would
// never page or end again), logs each, ends it EXHAUSTED saying so, and
// StalledEngagements() reports how many the last audit found (the gauge
// tocsin_escalation_engagements_stalled).
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
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "libs/events/event_type.h"
#include "libs/ids/ids.h"
#include "services/escalation/store.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/paging/v1/paging.pb.h"

namespace tocsin::escalation {

// Durable consumer (and inbox) names of the two event handlers.
inline constexpr char kIncidentsConsumer[] = "escalation-incidents";
inline constexpr char kPagesConsumer[] = "escalation-pages";
// Durable consumer of page.failed (its events are recorded in the
// kPagesConsumer inbox: event ids are unique).
inline constexpr char kPageFailuresConsumer[] = "escalation-page-failures";

// Inbox "consumer" that records each channel paged by a fall-through, as
// "<engagement>/<stage>/<channel>": once per stage.
inline constexpr char kFallThroughConsumer[] = "escalation-fall-through";

struct EscalationOptions {
  // Called after commit with each event emitted, in order (metrics, logs).
  std::function<void(const Envelope&)> on_event;
  // How often RunDueTimers also audits for stalled engagements (by the
  // core's clock); InfiniteDuration: never (AuditEngagements by hand).
  absl::Duration audit_interval = absl::Seconds(30);
};

class EscalationCore {
 public:
  EscalationCore(EscalationStore* store, const Clock* clock, IdGenerator* ids,
                 EscalationOptions options);

  // Handler of consumer kIncidentsConsumer: incident.opened, .updated and
  // .resolved (other types are acknowledged and ignored). OK when applied or
  // seen before; InvalidArgument for a payload that is not the type's; other
  // errors are transient (the bus redelivers).
  absl::Status HandleIncidentEvent(const Envelope& event);
  // Handler of consumers kPagesConsumer (page.acknowledged) and
  // kPageFailuresConsumer (page.failed)
  // (final failures schedule the target's retry within its stage; other
  // types are acknowledged and ignored). Same contract as HandleIncidentEvent.
  absl::Status HandlePageEvent(const Envelope& event);

  // Fires every timer due by the clock (stage ends, retries, acknowledgement
  // timeouts), each engagement in its own transaction; returns how many it
  // fired. One engagement that cannot be fired for a permanent reason (its
  // row does not parse, say) is set aside, never retried each tick in front
  // of the others: STOPPED by its columns, with an engagement.stopped saying
  // why (on the incident's timeline), logged; the pass goes on. A transient
  // error (the database busy) ends the pass; the next tick tries again.
  // Audits (AuditEngagements) when audit_interval has passed since the last.
  absl::StatusOr<int> RunDueTimers();

  // Ends every ACTIVE engagement that has no timer and no ACTIVE child
  // (nothing would ever page or end it) as EXHAUSTED with a reason saying
  // the auditor found it, logging each; returns how many it found.
  absl::StatusOr<int> AuditEngagements();
  // What the last audit found, for the tocsin_escalation_engagements_stalled
  // gauge (0 before the first).
  double StalledEngagements() const;

  // Engagements still paging (ACTIVE), for a gauge.
  absl::StatusOr<double> CountActiveEngagements();

  // The engagements of request.incident_id in the order they started (every
  // engagement of its trees), or every ACTIVE engagement when it is empty.
  absl::StatusOr<v1::ListEngagementsResponse> ListEngagements(
      const v1::ListEngagementsRequest& request);

  // Engages a contact by hand: a root engagement as an incident's, whose
  // pages say the incident's title (and the content, when given) or, without
  // an incident, the subject and content. InvalidArgument: no contact, or no
  // subject without an incident; NotFound: the contact, or an incident this
  // service has not heard of; FailedPrecondition: the incident is resolved.
  absl::StatusOr<Engagement> StartEngagement(const v1::StartEngagementRequest& request);
  // NotFound when there is no such engagement.
  absl::StatusOr<Engagement> GetEngagement(const std::string& id);
  // Stops the engagement and every ACTIVE engagement below it (STOPPED,
  // "stopped by hand: <reason>"), and its acknowledgement timer; answers
  // the engagement as it is then (also when it had ended before). NotFound.
  absl::StatusOr<Engagement> StopEngagement(const std::string& id, const std::string& reason);

  // What engaging request.contacts at request.at (unset: now) would page,
  // assuming nobody acknowledges and every page is delivered: the engine
  // itself runs on a scratch in-memory copy of the contacts, rotations and
  // overrides, on a clock of its own, until the plans end or the horizon
  // (default and at most 24 hours) passes. Nothing is stored, nobody paged.
  // Besides pages, it lists what pages nobody (a schedule with nobody on
  // call, a stage whose channels are all skipped, an unknown contact) with
  // an empty channel and the reason in detail. InvalidArgument: no
  // contacts, a horizon not in (0, 24 h]; NotFound: a contact.
  absl::StatusOr<v1::PreviewEngagementResponse> PreviewEngagement(
      const v1::PreviewEngagementRequest& request);

 private:
  using Events = std::vector<Envelope>;
  // One transaction's context: the store, the instant it acts at, the event
  // that caused it and the events it emits (defined in core.cc).
  struct Step;
  struct EngageSpec;

  // Runs body in one transaction, appends the events it collected to the
  // outbox (whose commit wakes the relay), and after the commit calls on_event.
  absl::Status Write(const std::function<absl::Status(EscalationStore::Tx&, Events&)>& body);
  // Builds an envelope for an event of this service (defined in core.cc,
  // its only user).
  template <typename T>
  Envelope NewEvent(const events::EventType<T>& type, const std::string& incident_id,
                    const std::string& causation_id, const T& payload);

  absl::Status OnIncidentOpened(Step& step, const Envelope& event);
  absl::Status OnIncidentUpdated(EscalationStore::Tx& tx, const Envelope& event);
  absl::Status OnIncidentResolved(Step& step, const Envelope& event);
  absl::Status OnPageAcknowledged(Step& step, const Envelope& event);
  absl::Status OnPageFailed(Step& step, const Envelope& event);
  // A fall_through failure of page in e's current stage (see the file
  // comment).
  absl::Status FallThrough(Step& step, const Engagement& e, const paging::v1::Page& page);
  // Sets aside an engagement whose stage cannot be fired (see RunDueTimers).
  absl::Status SetAside(const std::string& engagement_id, const absl::Status& why);
  // Fires the timer of one engagement if it is still due at step.now; true
  // if it did something.
  absl::StatusOr<bool> FireTimer(Step& step, const std::string& engagement_id);

  // The tree's moves; each reads what it changes afresh in the transaction
  // and writes it by compare-and-set.
  absl::StatusOr<Engagement> Engage(Step& step, const EngageSpec& spec);
  absl::Status StartStage(Step& step, const std::string& id, int stage, const std::string& context);
  absl::Status EndOfStage(Step& step, Engagement e);
  absl::Status SendRetries(Step& step, Engagement e);
  absl::Status AckTimeout(Step& step, Engagement root);
  absl::Status PropagateAck(Step& step, const Engagement& acked, const paging::v1::Page& page);
  absl::Status ArmAckTimeout(Step& step, Engagement root, const paging::v1::Page& page);
  // Ends id EXHAUSTED with reason if it is ACTIVE with no timer and no
  // ACTIVE child, and then looks at its parent the same way.
  absl::Status MaybeFinish(Step& step, const std::string& id, const std::string& reason);
  // STOPs every ACTIVE engagement below id.
  absl::Status StopBelow(Step& step, const std::string& id, const std::string& reason);
  // Ends e (as read in this transaction) in state with reason
  // (engagement.stopped).
  absl::Status Finish(Step& step, Engagement e, v1::EngagementState state,
                      const std::string& reason);
  absl::StatusOr<Engagement> Load(Step& step, const std::string& id);
  // Writes e, read at its current version, as version + 1; Aborted if
  // someone else changed it first.
  absl::Status Save(Step& step, Engagement& e);
  absl::StatusOr<int> Depth(Step& step, const Engagement& e);
  // page.requested for one channel of a personal engagement.
  void RequestPage(Step& step, const Engagement& e, const v1::ContactChannel& channel, int stage,
                   const std::string& page_id);
  void EmitStageStarted(Step& step, const Engagement& e, int stage, const std::string& channel,
                        const std::string& page_id, const std::string& detail);

  EscalationStore* store_;
  const Clock* clock_;
  IdGenerator* ids_;
  EscalationOptions options_;

  mutable absl::Mutex audit_mu_;
  absl::Time last_audit_ ABSL_GUARDED_BY(audit_mu_) = absl::InfinitePast();
  double stalled_ ABSL_GUARDED_BY(audit_mu_) = 0;
};

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_CORE_H_
