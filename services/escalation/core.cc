#include "services/escalation/core.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/bus/new_event.h"
#include "libs/events/types.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/status/retry.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"
#include "services/escalation/plans.h"
#include "services/escalation/sqlite_store.h"

namespace tocsin::escalation {
namespace {

constexpr char kService[] = "escalation";
// Due engagements read at a time by RunDueTimers.
constexpr int kDueBatch = 100;

absl::Status ContactNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("contact \"", name, "\" does not exist"));
}

}  // namespace

EscalationCore::EscalationCore(EscalationStore* store, const Clock* clock, IdGenerator* ids,
                               EscalationOptions options)
    : store_(store), clock_(clock), ids_(ids), options_(std::move(options)) {}

absl::Status EscalationCore::Write(
    const std::function<absl::Status(EscalationStore::Tx&, Events&)>& body) {
  Events emitted;
  RETURN_IF_ERROR(store_->Write([&](EscalationStore::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(body(tx, emitted));
    for (const Envelope& e : emitted) RETURN_IF_ERROR(tx.Emit(e));
    return absl::OkStatus();
  }));
  if (options_.on_event) {
    for (const Envelope& e : emitted) options_.on_event(e);
  }
  return absl::OkStatus();
}

absl::StatusOr<double> EscalationCore::CountActiveEngagements() {
  int64_t n = 0;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(n, tx.CountActiveEngagements());
    return absl::OkStatus();
  }));
  return static_cast<double>(n);
}

template <typename T>
Envelope EscalationCore::NewEvent(const events::EventType<T>& type, const std::string& incident_id,
                                  const std::string& causation_id, const T& payload) {
  return bus::NewEvent(*ids_, *clock_, kService, type, incident_id, causation_id, payload);
}

// ---- Engagements ----

struct EscalationCore::Step {
  EscalationStore::Tx& tx;
  absl::Time now;
  std::string causation_id;
  Events& emitted;
};

struct EscalationCore::EngageSpec {
  std::string contact;
  std::string incident_id;
  // Empty for a root.
  std::string parent_id;
  std::string root_id;
  int parent_stage = 0;
  bool essential = false;
  int depth = 0;
  // Why it is engaged, put before its first stage's detail ("stage 2 of
  // sre-escalation", "acknowledged 30 min ago and not resolved: ...").
  std::string context;
  std::string sender;
  std::string subject;
  std::string content;
};

namespace {

bool Due(const Engagement& e, absl::Time now) {
  return e.has_next_due() && FromProtoTime(e.next_due()) <= now;
}

std::string WithContext(const std::string& context, const std::string& detail) {
  return context.empty() ? detail : absl::StrCat(context, ": ", detail);
}

// The time the next timer of e is due: the stage's end or its earliest retry.
void SetNextDue(Engagement& e) {
  std::optional<absl::Time> due;
  if (e.has_stage_end()) due = FromProtoTime(e.stage_end());
  for (const v1::PageRetry& r : e.retries()) {
    const absl::Time t = FromProtoTime(r.due());
    if (!due.has_value() || t < *due) due = t;
  }
  if (due.has_value()) {
    *e.mutable_next_due() = ToProtoTime(*due);
  } else {
    e.clear_next_due();
  }
}

std::string ExhaustedReason(const Contact& contact, int stages) {
  if (!contact.has_personal_plan() || contact.personal_plan().stages().empty()) {
    return absl::StrCat("all ", stages, " channels paged; no further stage");
  }
  return absl::StrCat("all ", stages, " stages paged; no further stage");
}

std::string AckReason(const paging::v1::Page& page) {
  const std::string who = page.acked_by().empty() ? std::string() : page.acked_by();
  return who.empty() ? absl::StrCat("acknowledged (page ", page.id(), ")")
                     : absl::StrCat("acknowledged by ", who, " (page ", page.id(), ")");
}

// "sms", "voice", "email", "webhook": a channel's kind, for details.
std::string KindOf(const v1::ContactChannel& channel) {
  switch (channel.destination_case()) {
    case v1::ContactChannel::kEmail: return "email";
    case v1::ContactChannel::kWebhook: return "webhook";
    case v1::ContactChannel::kSms: return "sms";
    case v1::ContactChannel::kVoice: return "voice";
    default: return "channel";
  }
}

constexpr absl::Duration kMaxPreviewHorizon = absl::Hours(24);
// Pages a preview lists at most (a plan repeating every minute, say).
constexpr int kMaxPreviewPages = 1000;

}  // namespace

absl::StatusOr<Engagement> EscalationCore::Load(Step& step, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<Engagement> e, step.tx.GetEngagement(id));
  if (!e.has_value()) {
    return absl::NotFoundError(absl::StrCat("engagement ", id, " does not exist"));
  }
  return *std::move(e);
}

absl::Status EscalationCore::Save(Step& step, Engagement& e) {
  const int64_t expected = e.version();
  e.set_version(expected + 1);
  ASSIGN_OR_RETURN(bool written, step.tx.UpdateEngagement(e, expected));
  if (!written) {
    return absl::AbortedError(
        absl::StrCat("engagement ", e.id(), " changed since version ", expected, "; retry"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> EscalationCore::Depth(Step& step, const Engagement& e) {
  int depth = 0;
  std::string parent = e.parent_id();
  while (!parent.empty() && depth <= kMaxEngagementDepth) {
    ASSIGN_OR_RETURN(Engagement p, Load(step, parent));
    parent = p.parent_id();
    ++depth;
  }
  return depth;
}

absl::Status EscalationCore::Finish(Step& step, Engagement e, v1::EngagementState state,
                                    const std::string& reason) {
  e.set_state(state);
  e.set_stop_reason(reason);
  *e.mutable_stop_time() = ToProtoTime(step.now);
  e.clear_next_due();
  e.clear_stage_end();
  e.clear_retries();
  RETURN_IF_ERROR(Save(step, e));
  v1::EngagementStopped stopped;
  *stopped.mutable_engagement() = e;
  step.emitted.push_back(
      NewEvent(events::kEngagementStopped, e.incident_id(), step.causation_id, stopped));
  return absl::OkStatus();
}

void EscalationCore::EmitStageStarted(Step& step, const Engagement& e, int stage,
                                      const std::string& channel, const std::string& page_id,
                                      const std::string& detail) {
  v1::EngagementStageStarted started;
  *started.mutable_engagement() = e;
  started.set_stage(stage);
  started.set_channel(channel);
  started.set_page_id(page_id);
  started.set_detail(text::UntrustedLine(detail, text::kMaxDetailBytes));
  step.emitted.push_back(
      NewEvent(events::kEngagementStageStarted, e.incident_id(), step.causation_id, started));
}

void EscalationCore::RequestPage(Step& step, const Engagement& e, const v1::ContactChannel& channel,
                                 int stage, const std::string& page_id) {
  v1::PageRequested page;
  page.set_page_id(page_id);
  page.set_incident_id(e.incident_id());
  page.set_engagement_id(e.id());
  page.set_contact(e.contact());
  *page.mutable_channel() = channel;
  page.set_stage(stage);
  page.set_purpose(v1::PAGE_PURPOSE_ENGAGEMENT);
  std::optional<Incident> incident;
  if (!e.incident_id().empty()) {
    absl::StatusOr<std::optional<Incident>> known = step.tx.GetIncident(e.incident_id());
    if (known.ok()) incident = *std::move(known);
  }
  if (incident.has_value()) {
    page.set_incident_title(incident->title());
    page.set_impact(incident->impact());
    page.set_summary(e.content().empty() ? incident->summary() : e.content());
  } else {
    // An engagement by hand without an incident: its subject and content.
    page.set_incident_title(e.subject());
    page.set_summary(e.content());
  }
  step.emitted.push_back(
      NewEvent(events::kPageRequested, e.incident_id(), step.causation_id, page));
}

absl::StatusOr<Engagement> EscalationCore::Engage(Step& step, const EngageSpec& spec) {
  Engagement e;
  e.set_id(ids_->Next("eng"));
  e.set_incident_id(spec.incident_id);
  e.set_contact(spec.contact);
  *e.mutable_start_time() = ToProtoTime(step.now);
  e.set_version(1);
  e.set_parent_id(spec.parent_id);
  e.set_root_id(spec.root_id.empty() ? e.id() : spec.root_id);
  e.set_parent_stage(spec.parent_stage);
  e.set_essential(spec.essential);
  e.set_sender(spec.sender);
  e.set_subject(spec.subject);
  e.set_content(spec.content);
  ASSIGN_OR_RETURN(std::optional<Contact> contact, step.tx.GetContact(spec.contact));
  std::string refused;
  if (!contact.has_value()) {
    refused = absl::StrCat("contact \"", spec.contact, "\" does not exist");
  } else if (spec.depth >= kMaxEngagementDepth) {
    *e.mutable_contact_snapshot() = *contact;
    refused = absl::StrCat("not engaged: plans nest more than ", kMaxEngagementDepth,
                           " levels deep here (a cycle?)");
  }
  if (!refused.empty()) {
    refused = WithContext(spec.context, refused);
    e.set_state(v1::ENGAGEMENT_STATE_STOPPED);
    e.set_stop_reason(refused);
    *e.mutable_stop_time() = ToProtoTime(step.now);
    RETURN_IF_ERROR(step.tx.InsertEngagement(e));
    v1::EngagementStopped stopped;
    *stopped.mutable_engagement() = e;
    step.emitted.push_back(
        NewEvent(events::kEngagementStopped, e.incident_id(), step.causation_id, stopped));
    return e;
  }
  *e.mutable_contact_snapshot() = *contact;
  e.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  RETURN_IF_ERROR(step.tx.InsertEngagement(e));
  v1::EngagementStarted started;
  *started.mutable_engagement() = e;
  step.emitted.push_back(
      NewEvent(events::kEngagementStarted, e.incident_id(), step.causation_id, started));
  RETURN_IF_ERROR(StartStage(step, e.id(), 0, spec.context));
  return Load(step, e.id());
}

absl::Status EscalationCore::StartStage(Step& step, const std::string& id, int stage,
                                        const std::string& context) {
  ASSIGN_OR_RETURN(Engagement e, Load(step, id));
  const Contact& contact = e.contact_snapshot();
  e.clear_retries();
  switch (EffectiveType(contact)) {
    case v1::CONTACT_TYPE_ESCALATION: {
      const int stages = contact.escalation_plan().stages_size();
      if (stages == 0) {
        return Finish(step, std::move(e), v1::ENGAGEMENT_STATE_EXHAUSTED,
                      WithContext(context, absl::StrCat("escalation plan ", contact.name(),
                                                        " has no stages")));
      }
      EscalationStageStart s = PlanEscalationStage(contact, stage, e.repeats_done());
      // A target still engaged (by an earlier stage or round) is not engaged
      // twice.
      ASSIGN_OR_RETURN(std::vector<Engagement> children, step.tx.ListChildEngagements(id));
      std::vector<v1::ContactTarget> engage;
      std::vector<std::string> still;
      for (const v1::ContactTarget& t : s.targets) {
        bool active = false;
        for (const Engagement& c : children) {
          active |= c.contact() == t.contact() && c.state() == v1::ENGAGEMENT_STATE_ACTIVE;
        }
        if (active) {
          still.push_back(t.contact());
        } else {
          engage.push_back(t);
        }
      }
      std::string detail = s.detail;
      if (!still.empty()) {
        absl::StrAppend(&detail, " (still engaged: ", absl::StrJoin(still, ", "), ")");
      }
      e.set_next_stage(stage + 1);
      *e.mutable_stage_end() = ToProtoTime(step.now + s.duration);
      SetNextDue(e);
      RETURN_IF_ERROR(Save(step, e));
      EmitStageStarted(step, e, stage, "", "", WithContext(context, detail));
      ASSIGN_OR_RETURN(const int depth, Depth(step, e));
      for (const v1::ContactTarget& t : engage) {
        EngageSpec child;
        child.contact = t.contact();
        child.incident_id = e.incident_id();
        child.parent_id = e.id();
        child.root_id = e.root_id();
        child.parent_stage = stage;
        child.essential = t.is_essential();
        child.depth = depth + 1;
        child.context = absl::StrCat(contact.name(), ", stage ", stage + 1);
        child.sender = e.sender();
        child.subject = e.subject();
        child.content = e.content();
        RETURN_IF_ERROR(Engage(step, child).status());
      }
      return absl::OkStatus();
    }
    case v1::CONTACT_TYPE_ONCALL_SCHEDULE: {
      std::vector<RotationSnapshot> rotations;
      for (const std::string& name : contact.schedule().rotation_ids()) {
        RotationSnapshot r;
        r.name = name;
        ASSIGN_OR_RETURN(r.rotation, step.tx.GetRotation(name));
        if (r.rotation.has_value()) {
          ASSIGN_OR_RETURN(r.overrides, step.tx.ListOverrides(name));
        }
        rotations.push_back(std::move(r));
      }
      ScheduleStart s = PlanSchedule(contact, rotations, step.now);
      e.set_next_stage(stage + 1);
      e.clear_stage_end();
      SetNextDue(e);
      RETURN_IF_ERROR(Save(step, e));
      const std::string detail = WithContext(context, s.detail);
      EmitStageStarted(step, e, stage, "", "", detail);
      ASSIGN_OR_RETURN(const int depth, Depth(step, e));
      for (const std::string& member : s.on_call) {
        EngageSpec child;
        child.contact = member;
        child.incident_id = e.incident_id();
        child.parent_id = e.id();
        child.root_id = e.root_id();
        child.parent_stage = stage;
        child.depth = depth + 1;
        child.context = absl::StrCat("schedule ", contact.name());
        child.sender = e.sender();
        child.subject = e.subject();
        child.content = e.content();
        RETURN_IF_ERROR(Engage(step, child).status());
      }
      return MaybeFinish(
          step, id,
          s.on_call.empty() ? detail : "every target's engagement ended; nobody acknowledged");
    }
    default: {  // PERSONAL
      const std::vector<PersonalStagePlan> plan = EffectivePersonalPlan(contact);
      if (plan.empty()) {
        return Finish(step, std::move(e), v1::ENGAGEMENT_STATE_EXHAUSTED,
                      WithContext(context, absl::StrCat(contact.name(), " has nothing to page")));
      }
      PersonalStageStart s = PlanPersonalStage(contact, stage);
      const bool last = stage + 1 == static_cast<int>(plan.size());
      e.set_next_stage(stage + 1);
      if (last && s.duration == absl::ZeroDuration()) {
        e.clear_stage_end();
      } else {
        *e.mutable_stage_end() = ToProtoTime(step.now + s.duration);
      }
      SetNextDue(e);
      RETURN_IF_ERROR(Save(step, e));
      std::vector<std::string> page_ids;
      for (size_t i = 0; i < s.pages.size(); ++i) page_ids.push_back(ids_->Next("pg"));
      EmitStageStarted(step, e, stage, s.pages.empty() ? "" : s.pages[0].name(),
                       page_ids.empty() ? "" : page_ids[0], WithContext(context, s.detail));
      for (size_t i = 0; i < s.pages.size(); ++i) {
        RequestPage(step, e, s.pages[i], stage, page_ids[i]);
      }
      if (last && s.duration == absl::ZeroDuration()) {
        RETURN_IF_ERROR(Finish(step, std::move(e), v1::ENGAGEMENT_STATE_EXHAUSTED,
                               ExhaustedReason(contact, static_cast<int>(plan.size()))));
      }
      return absl::OkStatus();
    }
  }
}

absl::Status EscalationCore::MaybeFinish(Step& step, const std::string& id,
                                         const std::string& reason) {
  ASSIGN_OR_RETURN(Engagement e, Load(step, id));
  if (e.state() != v1::ENGAGEMENT_STATE_ACTIVE || e.has_next_due()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<Engagement> children, step.tx.ListChildEngagements(id));
  for (const Engagement& c : children) {
    if (c.state() == v1::ENGAGEMENT_STATE_ACTIVE) return absl::OkStatus();
  }
  const std::string parent = e.parent_id();
  RETURN_IF_ERROR(Finish(step, std::move(e), v1::ENGAGEMENT_STATE_EXHAUSTED, reason));
  if (parent.empty()) return absl::OkStatus();
  return MaybeFinish(step, parent, "every target's engagement ended; nobody acknowledged");
}

absl::Status EscalationCore::StopBelow(Step& step, const std::string& id,
                                       const std::string& reason) {
  ASSIGN_OR_RETURN(std::vector<Engagement> children, step.tx.ListChildEngagements(id));
  for (const Engagement& listed : children) {
    ASSIGN_OR_RETURN(Engagement c, Load(step, listed.id()));
    if (c.state() == v1::ENGAGEMENT_STATE_ACTIVE) {
      RETURN_IF_ERROR(Finish(step, c, v1::ENGAGEMENT_STATE_STOPPED, reason));
    }
    RETURN_IF_ERROR(StopBelow(step, listed.id(), reason));
  }
  return absl::OkStatus();
}

absl::Status EscalationCore::EndOfStage(Step& step, Engagement e) {
  const Contact& contact = e.contact_snapshot();
  switch (EffectiveType(contact)) {
    case v1::CONTACT_TYPE_ESCALATION: {
      const v1::EscalationPlan& plan = contact.escalation_plan();
      if (e.next_stage() < plan.stages_size()) {
        return StartStage(step, e.id(), e.next_stage(), "");
      }
      if (e.repeats_done() < plan.repeat()) {
        e.set_repeats_done(e.repeats_done() + 1);
        RETURN_IF_ERROR(Save(step, e));
        return StartStage(step, e.id(), 0, "");
      }
      e.clear_stage_end();
      SetNextDue(e);
      RETURN_IF_ERROR(Save(step, e));
      return MaybeFinish(
          step, e.id(),
          absl::StrCat("all ", plan.stages_size(), " stages paged",
                       plan.repeat() > 0 ? absl::StrCat(" ", plan.repeat() + 1, " times") : "",
                       "; nobody acknowledged"));
    }
    case v1::CONTACT_TYPE_ONCALL_SCHEDULE:
      e.clear_stage_end();
      SetNextDue(e);
      RETURN_IF_ERROR(Save(step, e));
      return MaybeFinish(step, e.id(), "every member's engagement ended; nobody acknowledged");
    default: {
      const int stages = static_cast<int>(EffectivePersonalPlan(contact).size());
      if (e.next_stage() < stages) return StartStage(step, e.id(), e.next_stage(), "");
      const std::string parent = e.parent_id();
      RETURN_IF_ERROR(Finish(step, std::move(e), v1::ENGAGEMENT_STATE_EXHAUSTED,
                             ExhaustedReason(contact, stages)));
      if (parent.empty()) return absl::OkStatus();
      return MaybeFinish(step, parent, "every target's engagement ended; nobody acknowledged");
    }
  }
}

absl::Status EscalationCore::SendRetries(Step& step, Engagement e) {
  const int stage = e.next_stage() - 1;
  std::vector<v1::PageRetry> kept;
  std::vector<std::string> channels;
  for (const v1::PageRetry& r : e.retries()) {
    if (FromProtoTime(r.due()) <= step.now) {
      channels.push_back(r.channel());
    } else {
      kept.push_back(r);
    }
  }
  e.clear_retries();
  for (v1::PageRetry& r : kept) *e.add_retries() = std::move(r);
  SetNextDue(e);
  RETURN_IF_ERROR(Save(step, e));
  const Contact& contact = e.contact_snapshot();
  for (const std::string& name : channels) {
    if (std::optional<std::string> why = ChannelNotPageable(contact, name)) {
      EmitStageStarted(
          step, e, stage, "", "",
          absl::StrCat(contact.name(), ", stage ", stage + 1, ": not paging again ", *why));
      continue;
    }
    for (const v1::ContactChannel& c : contact.channels()) {
      if (c.name() != name) continue;
      const std::string page_id = ids_->Next("pg");
      EmitStageStarted(step, e, stage, name, page_id,
                       absl::StrCat(contact.name(), ", stage ", stage + 1, ": paging ",
                                    ChannelLabel(c), " again (its last page failed)"));
      RequestPage(step, e, c, stage, page_id);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> EscalationCore::FireTimer(Step& step, const std::string& engagement_id) {
  ASSIGN_OR_RETURN(std::optional<Engagement> found, step.tx.GetEngagement(engagement_id));
  // Re-read in this transaction: an acknowledgement or a resolution may have
  // stopped it since it was listed as due.
  if (!found.has_value() || !Due(*found, step.now)) return false;
  Engagement& e = *found;
  if (e.state() == v1::ENGAGEMENT_STATE_ACKNOWLEDGED) {
    RETURN_IF_ERROR(AckTimeout(step, std::move(e)));
    return true;
  }
  if (e.state() != v1::ENGAGEMENT_STATE_ACTIVE) return false;
  // Rows written before stage_end existed: next_due was the stage's end.
  const absl::Time stage_end =
      e.has_stage_end() ? FromProtoTime(e.stage_end()) : FromProtoTime(e.next_due());
  if (stage_end <= step.now) {
    // The stage is over: overdue retries of it are not sent any more.
    const std::string id = e.id();
    const std::string parent = e.parent_id();
    RETURN_IF_ERROR(EndOfStage(step, std::move(e)));
    // Ended by it (a last stage of no duration, a plan with nothing left):
    // the parent may have been waiting for just this one.
    ASSIGN_OR_RETURN(Engagement after, Load(step, id));
    if (after.state() != v1::ENGAGEMENT_STATE_ACTIVE && !parent.empty()) {
      RETURN_IF_ERROR(
          MaybeFinish(step, parent, "every target's engagement ended; nobody acknowledged"));
    }
  } else {
    RETURN_IF_ERROR(SendRetries(step, std::move(e)));
  }
  return true;
}

absl::Status EscalationCore::ArmAckTimeout(Step& step, Engagement root,
                                           const paging::v1::Page& page) {
  root.set_acked_by(page.acked_by());
  root.set_acked_page_id(page.id());
  *root.mutable_ack_time() = ToProtoTime(step.now);
  const int minutes = root.contact_snapshot().ack_timeout_in_minutes();
  if (minutes > 0) {
    *root.mutable_next_due() = ToProtoTime(step.now + absl::Minutes(minutes));
  }
  return Save(step, root);
}

absl::Status EscalationCore::AckTimeout(Step& step, Engagement root) {
  root.clear_next_due();
  if (!root.incident_id().empty()) {
    ASSIGN_OR_RETURN(std::optional<Incident> incident, step.tx.GetIncident(root.incident_id()));
    if (incident.has_value() && incident->status() == incidents::v1::INCIDENT_STATUS_RESOLVED) {
      return Save(step, root);
    }
  }
  // Who acknowledged: the person whose page it was.
  std::string person;
  ASSIGN_OR_RETURN(std::vector<Engagement> tree, step.tx.ListEngagementTree(root.root_id()));
  for (const Engagement& e : tree) {
    if (e.acked_page_id() == root.acked_page_id() &&
        EffectiveType(e.contact_snapshot()) == v1::CONTACT_TYPE_PERSONAL) {
      person = e.contact();
    }
  }
  RETURN_IF_ERROR(Save(step, root));
  if (person.empty()) {
    log::Warn("acknowledgement timeout: the acknowledging person is not known; nobody paged",
              {{"engagement_id", root.id()}, {"incident_id", root.incident_id()}});
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(const int depth, Depth(step, root));
  EngageSpec again;
  again.contact = person;
  again.incident_id = root.incident_id();
  again.parent_id = root.id();
  again.root_id = root.root_id();
  again.parent_stage = std::max(0, root.next_stage() - 1);
  again.essential = true;
  again.depth = depth + 1;
  again.context = absl::StrCat("acknowledged ", root.contact_snapshot().ack_timeout_in_minutes(),
                               " min ago and not resolved: paging ", person, " again");
  again.sender = root.sender();
  again.subject = root.subject();
  again.content = root.content();
  return Engage(step, again).status();
}

absl::Status EscalationCore::PropagateAck(Step& step, const Engagement& acked,
                                          const paging::v1::Page& page) {
  if (acked.parent_id().empty()) return ArmAckTimeout(step, acked, page);
  ASSIGN_OR_RETURN(Engagement parent, Load(step, acked.parent_id()));
  if (parent.parent_id().empty() && parent.state() == v1::ENGAGEMENT_STATE_ACKNOWLEDGED) {
    // Engaged again by the acknowledgement timeout: the timer starts over.
    return ArmAckTimeout(step, std::move(parent), page);
  }
  // An exhausted parent (its targets' plans ran to their end before this
  // acknowledgement) is acknowledged all the same, up the tree.
  if (parent.state() != v1::ENGAGEMENT_STATE_ACTIVE &&
      parent.state() != v1::ENGAGEMENT_STATE_EXHAUSTED) {
    return absl::OkStatus();
  }
  const Contact& plan = parent.contact_snapshot();
  const v1::ContactType type = EffectiveType(plan);
  const bool whole = type != v1::CONTACT_TYPE_ESCALATION || acked.essential() ||
                     plan.escalation_plan().stop_on_first_ack();
  const std::string reason =
      absl::StrCat("acknowledged by ", page.contact(), " (page ", page.id(), ")");
  if (!whole) {
    // A non-essential target's acknowledgement stops only its own pages.
    return StopBelow(step, acked.id(), reason);
  }
  parent.set_acked_by(page.acked_by());
  parent.set_acked_page_id(page.id());
  *parent.mutable_ack_time() = ToProtoTime(step.now);
  RETURN_IF_ERROR(Finish(step, parent, v1::ENGAGEMENT_STATE_ACKNOWLEDGED, reason));
  RETURN_IF_ERROR(StopBelow(step, parent.id(), reason));
  ASSIGN_OR_RETURN(Engagement now_acked, Load(step, parent.id()));
  return PropagateAck(step, now_acked, page);
}

absl::Status EscalationCore::OnIncidentOpened(Step& step, const Envelope& event) {
  ASSIGN_OR_RETURN(auto opened, events::Payload(event, events::kIncidentOpened));
  const Incident& incident = opened.incident();
  if (incident.id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(events::kIncidentOpened.name, " event ",
                                                   event.event_id(), " has no incident.id"));
  }
  // Known already: opened before under another event id, or resolved before
  // its opening arrived. Either way nobody is to be paged now.
  ASSIGN_OR_RETURN(auto known, step.tx.GetIncident(incident.id()));
  if (known.has_value()) return absl::OkStatus();
  RETURN_IF_ERROR(step.tx.PutIncident(incident));
  absl::flat_hash_set<std::string> engaged;
  for (const std::string& name : incident.engagements()) {
    if (!engaged.insert(name).second) continue;
    EngageSpec spec;
    spec.contact = name;
    spec.incident_id = incident.id();
    RETURN_IF_ERROR(Engage(step, spec).status());
  }
  return absl::OkStatus();
}

absl::Status EscalationCore::OnIncidentResolved(Step& step, const Envelope& event) {
  ASSIGN_OR_RETURN(auto resolved, events::Payload(event, events::kIncidentResolved));
  const Incident& incident = resolved.incident();
  if (incident.id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(events::kIncidentResolved.name, " event ",
                                                   event.event_id(), " has no incident.id"));
  }
  RETURN_IF_ERROR(step.tx.PutIncident(incident));
  ASSIGN_OR_RETURN(std::vector<Engagement> engagements, step.tx.ListEngagements(incident.id()));
  for (const Engagement& listed : engagements) {
    ASSIGN_OR_RETURN(Engagement e, Load(step, listed.id()));
    if (e.state() == v1::ENGAGEMENT_STATE_ACTIVE) {
      RETURN_IF_ERROR(
          Finish(step, std::move(e), v1::ENGAGEMENT_STATE_STOPPED, "incident resolved"));
    } else if (e.state() == v1::ENGAGEMENT_STATE_ACKNOWLEDGED && e.has_next_due()) {
      e.clear_next_due();  // no acknowledgement timeout for a resolved incident
      RETURN_IF_ERROR(Save(step, e));
    }
  }
  return absl::OkStatus();
}

absl::Status EscalationCore::OnIncidentUpdated(EscalationStore::Tx& tx, const Envelope& event) {
  ASSIGN_OR_RETURN(auto updated, events::Payload(event, events::kIncidentUpdated));
  const Incident& incident = updated.incident();
  ASSIGN_OR_RETURN(auto known, tx.GetIncident(incident.id()));
  // Later pages say what the incident says now. An update that arrives
  // before the opening (redelivery order) is not stored: the opening must
  // still find the incident unknown and engage.
  if (!known.has_value() || known->version() >= incident.version()) return absl::OkStatus();
  return tx.PutIncident(incident);
}

absl::Status EscalationCore::OnPageAcknowledged(Step& step, const Envelope& event) {
  ASSIGN_OR_RETURN(auto acknowledged, events::Payload(event, events::kPageAcknowledged));
  const paging::v1::Page& page = acknowledged.page();
  if (page.engagement_id().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto found, step.tx.GetEngagement(page.engagement_id()));
  if (!found.has_value()) {
    log::Warn("page.acknowledged for an engagement this service does not know; ignored",
              {{"event_id", event.event_id()},
               {"page_id", page.id()},
               {"engagement_id", page.engagement_id()}});
    return absl::OkStatus();
  }
  Engagement& e = *found;
  // Acknowledged or stopped already: it never changes again. An exhausted
  // one was paged to its end and its page is acknowledged now: that still
  // counts, up the tree.
  if (e.state() != v1::ENGAGEMENT_STATE_ACTIVE && e.state() != v1::ENGAGEMENT_STATE_EXHAUSTED) {
    return absl::OkStatus();
  }
  e.set_acked_by(page.acked_by());
  e.set_acked_page_id(page.id());
  *e.mutable_ack_time() = ToProtoTime(step.now);
  RETURN_IF_ERROR(Finish(step, e, v1::ENGAGEMENT_STATE_ACKNOWLEDGED, AckReason(page)));
  ASSIGN_OR_RETURN(Engagement acked, Load(step, e.id()));
  return PropagateAck(step, acked, page);
}

absl::Status EscalationCore::OnPageFailed(Step& step, const Envelope& event) {
  ASSIGN_OR_RETURN(auto failed, events::Payload(event, events::kPageFailed));
  const paging::v1::Page& page = failed.page();
  if (page.engagement_id().empty()) return absl::OkStatus();
  // A failure that will be retried matters only when its provider is
  // degraded (fall_through: the next channel now).
  if (!failed.final() && !failed.fall_through()) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto found, step.tx.GetEngagement(page.engagement_id()));
  if (!found.has_value() || found->state() != v1::ENGAGEMENT_STATE_ACTIVE) {
    return absl::OkStatus();
  }
  Engagement& e = *found;
  const Contact& contact = e.contact_snapshot();
  if (EffectiveType(contact) != v1::CONTACT_TYPE_PERSONAL) return absl::OkStatus();
  // Its provider is degraded: the next channel at once, while the stage is
  // current (then the retry below as before).
  if (failed.fall_through() && e.next_stage() == page.stage() + 1) {
    RETURN_IF_ERROR(FallThrough(step, e, page));
  }
  // The page itself goes on retrying in paging; a new page only once it
  // failed for good.
  if (!failed.final()) return absl::OkStatus();
  // Only while the page's stage lasts, and only if it lasts past the retry.
  if (e.next_stage() != page.stage() + 1 || !e.has_stage_end()) return absl::OkStatus();
  const std::vector<PersonalStagePlan> plan = EffectivePersonalPlan(contact);
  if (page.stage() < 0 || page.stage() >= static_cast<int>(plan.size())) return absl::OkStatus();
  absl::Duration retry = absl::ZeroDuration();
  for (const ChannelTargetPlan& t : plan[page.stage()].targets) {
    if (t.channel == page.channel().name()) retry = t.retry_interval;
  }
  if (retry <= absl::ZeroDuration()) return absl::OkStatus();
  const absl::Time due = step.now + retry;
  if (due >= FromProtoTime(e.stage_end())) return absl::OkStatus();
  for (const v1::PageRetry& r : e.retries()) {
    if (r.channel() == page.channel().name()) return absl::OkStatus();  // one is waiting
  }
  v1::PageRetry* r = e.add_retries();
  r->set_channel(page.channel().name());
  *r->mutable_due() = ToProtoTime(due);
  SetNextDue(e);
  return Save(step, e);
}

absl::Status EscalationCore::FallThrough(Step& step, const Engagement& e,
                                         const paging::v1::Page& page) {
  const Contact& contact = e.contact_snapshot();
  const std::vector<PersonalStagePlan> plan = EffectivePersonalPlan(contact);
  const int stage = page.stage();
  if (stage < 0 || stage >= static_cast<int>(plan.size())) return absl::OkStatus();
  const auto failed_kind = page.channel().destination_case();
  const std::string prefix = absl::StrCat(contact.name(), ", stage ", stage + 1, ": ",
                                          KindOf(page.channel()), " provider degraded; ");
  // Once per failed page: its retries fail the same way while the provider
  // is degraded, and must not walk through the person's later channels.
  ASSIGN_OR_RETURN(bool first_for_page,
                   step.tx.RecordInInbox(kFallThroughConsumer, absl::StrCat("page/", page.id())));
  if (!first_for_page) return absl::OkStatus();
  absl::flat_hash_set<std::string> this_stage;
  for (const ChannelTargetPlan& t : plan[stage].targets) this_stage.insert(t.channel);
  absl::flat_hash_set<std::string> considered;
  for (size_t s = stage; s < plan.size(); ++s) {
    for (const ChannelTargetPlan& t : plan[s].targets) {
      if (this_stage.contains(t.channel) || !considered.insert(t.channel).second) continue;
      const v1::ContactChannel* channel = nullptr;
      for (const v1::ContactChannel& c : contact.channels()) {
        if (c.name() == t.channel) channel = &c;
      }
      if (channel == nullptr || channel->destination_case() == failed_kind) continue;
      if (ChannelNotPageable(contact, t.channel).has_value()) continue;
      ASSIGN_OR_RETURN(bool fresh,
                       step.tx.RecordInInbox(kFallThroughConsumer,
                                             absl::StrCat(e.id(), "/", stage, "/", t.channel)));
      if (!fresh) continue;  // paged by an earlier fall-through in this stage
      const std::string page_id = ids_->Next("pg");
      EmitStageStarted(step, e, stage, t.channel, page_id,
                       absl::StrCat(prefix, "paging ", ChannelLabel(*channel), " at once (page ",
                                    page.id(), " failed: its provider is degraded)"));
      RequestPage(step, e, *channel, stage, page_id);
      return absl::OkStatus();
    }
  }
  EmitStageStarted(step, e, stage, "", "",
                   absl::StrCat(prefix, "no other channel to page at once (page ", page.id(),
                                " failed); the plan goes on as before"));
  return absl::OkStatus();
}

absl::Status EscalationCore::HandleIncidentEvent(const Envelope& event) {
  if (!events::Is(event, events::kIncidentOpened) &&
      !events::Is(event, events::kIncidentResolved) &&
      !events::Is(event, events::kIncidentUpdated)) {
    return absl::OkStatus();
  }
  const absl::Time now = clock_->Now();
  return Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kIncidentsConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    Step step{tx, now, event.event_id(), emitted};
    if (events::Is(event, events::kIncidentOpened)) return OnIncidentOpened(step, event);
    if (events::Is(event, events::kIncidentUpdated)) return OnIncidentUpdated(tx, event);
    return OnIncidentResolved(step, event);
  });
}

absl::Status EscalationCore::HandlePageEvent(const Envelope& event) {
  const bool ack = events::Is(event, events::kPageAcknowledged);
  if (!ack && !events::Is(event, events::kPageFailed)) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  return Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kPagesConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    Step step{tx, now, event.event_id(), emitted};
    return ack ? OnPageAcknowledged(step, event) : OnPageFailed(step, event);
  });
}

absl::Status EscalationCore::SetAside(const std::string& engagement_id, const absl::Status& why) {
  const std::string reason = absl::StrCat(
      "set aside: its next stage could not be paged (",
      text::UntrustedLine(why.ToString(), text::kMaxDetailBytes), "); nobody more is paged by it");
  std::string incident_id;
  absl::Status s = Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
    Engagement stopped;
    absl::StatusOr<std::optional<Engagement>> readable = tx.GetEngagement(engagement_id);
    if (readable.ok() && readable->has_value()) stopped = **readable;
    ASSIGN_OR_RETURN(std::optional<std::string> incident, tx.StopEngagementColumns(engagement_id));
    if (!incident.has_value()) return absl::OkStatus();
    incident_id = *incident;
    stopped.set_id(engagement_id);
    stopped.set_incident_id(*incident);
    stopped.set_state(v1::ENGAGEMENT_STATE_STOPPED);
    stopped.clear_next_due();
    stopped.clear_retries();
    stopped.clear_stage_end();
    stopped.set_stop_reason(reason);
    if (readable.ok() && readable->has_value()) {
      // Readable: keep the record whole, stopped, by compare-and-set.
      const int64_t expected = stopped.version() + 1;  // StopEngagementColumns bumped it
      stopped.set_version(expected + 1);
      ASSIGN_OR_RETURN(bool written, tx.UpdateEngagement(stopped, expected));
      if (!written) return absl::AbortedError("engagement changed while set aside");
    }
    v1::EngagementStopped payload;
    *payload.mutable_engagement() = stopped;
    emitted.push_back(NewEvent(events::kEngagementStopped, *incident, "", payload));
    return absl::OkStatus();
  });
  log::Error("engagement set aside: its stage could not be fired",
             {{"engagement_id", engagement_id},
              {"incident_id", incident_id},
              {"error", why.ToString()},
              {"set_aside", s.ok() ? "yes" : s.ToString()}});
  return s;
}

absl::StatusOr<int> EscalationCore::RunDueTimers() {
  const absl::Time now = clock_->Now();
  int fired_total = 0;
  while (true) {
    std::vector<std::string> due;
    RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(due, tx.DueEngagements(now, kDueBatch));
      return absl::OkStatus();
    }));
    int fired_now = 0;
    int set_aside = 0;
    for (const std::string& id : due) {
      bool fired = false;
      absl::Status s = Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
        Step step{tx, now, "", emitted};
        ASSIGN_OR_RETURN(fired, FireTimer(step, id));
        return absl::OkStatus();
      });
      if (!s.ok()) {
        if (IsTransient(s)) return s;
        // If even that fails, the pass ends (and the next tick tries again)
        // rather than meeting the same engagement again in this one.
        RETURN_IF_ERROR(SetAside(id, s));
        ++set_aside;
        continue;
      }
      if (fired) ++fired_now;
    }
    // Set-aside engagements are no longer due: list again for the others.
    if (fired_now == 0 && set_aside > 0) continue;
    // A stage of no duration is due at once: go round again until nothing
    // more is due.
    if (fired_now == 0) break;
    fired_total += fired_now;
  }
  bool audit = false;
  {
    absl::MutexLock l(&audit_mu_);
    if (options_.audit_interval != absl::InfiniteDuration() &&
        now - last_audit_ >= options_.audit_interval) {
      last_audit_ = now;
      audit = true;
    }
  }
  if (audit) RETURN_IF_ERROR(AuditEngagements().status());
  return fired_total;
}

absl::StatusOr<int> EscalationCore::AuditEngagements() {
  std::vector<std::string> stalled;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(stalled, tx.StalledEngagements(kDueBatch));
    return absl::OkStatus();
  }));
  const absl::Time now = clock_->Now();
  for (const std::string& id : stalled) {
    std::string incident_id;
    absl::Status s = Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
      Step step{tx, now, "", emitted};
      ASSIGN_OR_RETURN(Engagement e, Load(step, id));
      incident_id = e.incident_id();
      return MaybeFinish(step, id,
                         "stalled: no stage was due and no target was still engaged; ended by "
                         "the auditor");
    });
    log::Error("stalled engagement: no timer and no active child",
               {{"engagement_id", id},
                {"incident_id", incident_id},
                {"ended", s.ok() ? "yes" : s.ToString()}});
    if (!s.ok() && IsTransient(s)) return s;
  }
  absl::MutexLock l(&audit_mu_);
  stalled_ = static_cast<double>(stalled.size());
  return static_cast<int>(stalled.size());
}

double EscalationCore::StalledEngagements() const {
  absl::MutexLock l(&audit_mu_);
  return stalled_;
}

absl::StatusOr<v1::ListEngagementsResponse> EscalationCore::ListEngagements(
    const v1::ListEngagementsRequest& request) {
  v1::ListEngagementsResponse response;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    std::vector<Engagement> engagements;
    if (request.incident_id().empty()) {
      ASSIGN_OR_RETURN(engagements, tx.ListActiveEngagements());
    } else {
      ASSIGN_OR_RETURN(engagements, tx.ListEngagements(request.incident_id()));
    }
    for (Engagement& e : engagements) *response.add_engagements() = std::move(e);
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<Engagement> EscalationCore::StartEngagement(
    const v1::StartEngagementRequest& request) {
  if (request.contact().empty()) return absl::InvalidArgumentError("contact is required");
  if (request.incident_id().empty() && request.subject().empty()) {
    return absl::InvalidArgumentError(
        "subject is required to engage a contact without an incident (it is what the pages "
        "say)");
  }
  const absl::Time now = clock_->Now();
  Engagement root;
  RETURN_IF_ERROR(Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
    Step step{tx, now, "", emitted};
    ASSIGN_OR_RETURN(std::optional<Contact> contact, tx.GetContact(request.contact()));
    if (!contact.has_value()) return ContactNotFound(request.contact());
    if (!request.incident_id().empty()) {
      ASSIGN_OR_RETURN(std::optional<Incident> incident, tx.GetIncident(request.incident_id()));
      if (!incident.has_value()) {
        return absl::NotFoundError(absl::StrCat("incident \"", request.incident_id(),
                                                "\" is not known to the escalation service"));
      }
      if (incident->status() == incidents::v1::INCIDENT_STATUS_RESOLVED) {
        return absl::FailedPreconditionError(absl::StrCat("incident ", request.incident_id(),
                                                          " is resolved; nobody is engaged "
                                                          "for it"));
      }
    }
    EngageSpec spec;
    spec.contact = request.contact();
    spec.incident_id = request.incident_id();
    spec.sender = text::UntrustedLine(request.sender(), 1024);
    spec.subject = text::UntrustedLine(request.subject(), 1024);
    spec.content = text::Untrusted(request.content(), text::kMaxFieldBytes);
    spec.context = request.sender().empty() ? "engaged by hand"
                                            : absl::StrCat("engaged by hand by ", spec.sender);
    ASSIGN_OR_RETURN(root, Engage(step, spec));
    return absl::OkStatus();
  }));
  return root;
}

absl::StatusOr<Engagement> EscalationCore::GetEngagement(const std::string& id) {
  std::optional<Engagement> e;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(e, tx.GetEngagement(id));
    return absl::OkStatus();
  }));
  if (!e.has_value())
    return absl::NotFoundError(absl::StrCat("engagement \"", id, "\" does not exist"));
  return *std::move(e);
}

absl::StatusOr<Engagement> EscalationCore::StopEngagement(const std::string& id,
                                                          const std::string& reason) {
  const absl::Time now = clock_->Now();
  const std::string why =
      reason.empty() ? std::string("stopped by hand")
                     : absl::StrCat("stopped by hand: ", text::UntrustedLine(reason, 1024));
  Engagement result;
  RETURN_IF_ERROR(Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
    Step step{tx, now, "", emitted};
    ASSIGN_OR_RETURN(std::optional<Engagement> found, tx.GetEngagement(id));
    if (!found.has_value()) {
      return absl::NotFoundError(absl::StrCat("engagement \"", id, "\" does not exist"));
    }
    Engagement& e = *found;
    if (e.state() == v1::ENGAGEMENT_STATE_ACTIVE) {
      RETURN_IF_ERROR(Finish(step, e, v1::ENGAGEMENT_STATE_STOPPED, why));
    } else if (e.has_next_due()) {
      e.clear_next_due();  // an acknowledgement timer
      RETURN_IF_ERROR(Save(step, e));
    }
    RETURN_IF_ERROR(StopBelow(step, id, why));
    if (!e.parent_id().empty()) {
      RETURN_IF_ERROR(
          MaybeFinish(step, e.parent_id(), "every target's engagement ended; nobody acknowledged"));
    }
    ASSIGN_OR_RETURN(result, Load(step, id));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<v1::PreviewEngagementResponse> EscalationCore::PreviewEngagement(
    const v1::PreviewEngagementRequest& request) {
  if (request.contacts().empty()) {
    return absl::InvalidArgumentError("contacts: name at least one contact to preview");
  }
  const absl::Time at = request.has_at() ? FromProtoTime(request.at()) : clock_->Now();
  absl::Duration horizon = kMaxPreviewHorizon;
  if (request.has_horizon()) {
    horizon =
        absl::Seconds(request.horizon().seconds()) + absl::Nanoseconds(request.horizon().nanos());
    if (horizon <= absl::ZeroDuration() || horizon > kMaxPreviewHorizon) {
      return absl::InvalidArgumentError(absl::StrCat(
          "horizon must be more than 0 and at most 24h, got ", absl::FormatDuration(horizon)));
    }
  }
  const absl::Time end = at + horizon;

  // A scratch copy of what engagements read, for the engine to run on.
  std::vector<Contact> contacts;
  std::vector<Rotation> rotations;
  std::vector<RotationOverride> overrides;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(contacts, tx.ListContacts());
    ASSIGN_OR_RETURN(rotations, tx.ListRotations());
    for (const Rotation& r : rotations) {
      ASSIGN_OR_RETURN(std::vector<RotationOverride> some, tx.ListOverrides(r.name()));
      overrides.insert(overrides.end(), some.begin(), some.end());
    }
    return absl::OkStatus();
  }));
  for (const std::string& name : request.contacts()) {
    bool found = false;
    for (const Contact& c : contacts) found |= c.name() == name;
    if (!found) return ContactNotFound(name);
  }
  FakeClock clock(at);
  SequentialIdGenerator ids;
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteEscalationStore> scratch,
                   SqliteEscalationStore::Open(":memory:", &clock));
  RETURN_IF_ERROR(scratch->Write([&](EscalationStore::Tx& tx) -> absl::Status {
    for (const Contact& c : contacts) RETURN_IF_ERROR(tx.InsertContact(c));
    for (const Rotation& r : rotations) RETURN_IF_ERROR(tx.InsertRotation(r));
    for (const RotationOverride& o : overrides) RETURN_IF_ERROR(tx.InsertOverride(o));
    return absl::OkStatus();
  }));
  Events events;
  EscalationOptions options;
  options.on_event = [&events](const Envelope& e) { events.push_back(e); };
  options.audit_interval = absl::InfiniteDuration();
  EscalationCore engine(scratch.get(), &clock, &ids, options);
  for (const std::string& name : request.contacts()) {
    v1::StartEngagementRequest start;
    start.set_contact(name);
    start.set_subject("preview");
    RETURN_IF_ERROR(engine.StartEngagement(start).status());
  }
  int requested = 0;
  while (requested < kMaxPreviewPages) {
    std::optional<absl::Time> next;
    RETURN_IF_ERROR(scratch->Read([&](EscalationStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<std::string> due, tx.DueEngagements(end, 1));
      if (due.empty()) return absl::OkStatus();
      ASSIGN_OR_RETURN(std::optional<Engagement> e, tx.GetEngagement(due[0]));
      if (e.has_value() && e->has_next_due()) next = FromProtoTime(e->next_due());
      return absl::OkStatus();
    }));
    if (!next.has_value()) break;
    if (*next > clock.Now()) clock.Set(*next);
    RETURN_IF_ERROR(engine.RunDueTimers().status());
    requested = 0;
    for (const Envelope& e : events) requested += events::Is(e, events::kPageRequested);
  }

  // What the engine did, as planned pages.
  struct Node {
    std::string contact;
    std::string parent;
    v1::ContactType type = v1::CONTACT_TYPE_PERSONAL;
    int children = 0;
    std::string detail;
  };
  absl::flat_hash_map<std::string, Node> nodes;
  auto path_of = [&nodes](std::string id) {
    std::vector<std::string> path;
    while (!id.empty() && nodes.contains(id) && path.size() <= kMaxEngagementDepth + 1) {
      path.insert(path.begin(), nodes[id].contact);
      id = nodes[id].parent;
    }
    return path;
  };
  auto note = [&nodes](const Engagement& e) {
    Node& n = nodes[e.id()];
    if (n.contact.empty()) {
      n.contact = e.contact();
      n.parent = e.parent_id();
      n.type = EffectiveType(e.contact_snapshot());
      if (!e.parent_id().empty()) ++nodes[e.parent_id()].children;
    }
  };
  v1::PreviewEngagementResponse response;
  auto add = [&](const Envelope& ev, const Engagement& e, const std::string& channel, int stage,
                 const std::string& detail) {
    if (response.pages_size() >= kMaxPreviewPages) return;
    v1::PlannedPage* p = response.add_pages();
    *p->mutable_time() = ev.time();
    for (const std::string& c : path_of(e.id())) p->add_path(c);
    p->set_contact(e.contact());
    p->set_channel(channel);
    p->set_stage(stage);
    p->set_detail(detail);
  };
  for (const Envelope& ev : events) {
    if (events::Is(ev, events::kEngagementStarted)) {
      ASSIGN_OR_RETURN(auto started, events::Payload(ev, events::kEngagementStarted));
      note(started.engagement());
    } else if (events::Is(ev, events::kEngagementStageStarted)) {
      ASSIGN_OR_RETURN(auto stage, events::Payload(ev, events::kEngagementStageStarted));
      note(stage.engagement());
      const Engagement& e = stage.engagement();
      nodes[e.id()].detail = stage.detail();
      // A personal stage that pages nothing says so.
      if (nodes[e.id()].type == v1::CONTACT_TYPE_PERSONAL && stage.page_id().empty()) {
        add(ev, e, "", stage.stage(), stage.detail());
      }
    } else if (events::Is(ev, events::kPageRequested)) {
      ASSIGN_OR_RETURN(auto page, events::Payload(ev, events::kPageRequested));
      Engagement e;
      e.set_id(page.engagement_id());
      e.set_contact(page.contact());
      add(ev, e, page.channel().name(), page.stage(), nodes[page.engagement_id()].detail);
    } else if (events::Is(ev, events::kEngagementStopped)) {
      ASSIGN_OR_RETURN(auto stopped, events::Payload(ev, events::kEngagementStopped));
      const Engagement& e = stopped.engagement();
      const bool known = nodes.contains(e.id());
      note(e);
      if (!known) {
        // Never started: an unknown contact, or nested too deep.
        add(ev, e, "", e.parent_stage(), e.stop_reason());
      } else if (nodes[e.id()].type == v1::CONTACT_TYPE_ONCALL_SCHEDULE &&
                 nodes[e.id()].children == 0) {
        add(ev, e, "", 0, nodes[e.id()].detail);
      }
    }
  }
  return response;
}

}  // namespace tocsin::escalation
