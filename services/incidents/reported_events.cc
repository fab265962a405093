#include "services/incidents/reported_events.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "libs/events/types.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tocsin/runbook/v1/runbook.pb.h"

namespace tocsin::incidents {
namespace {

namespace esc = ::tocsin::escalation::v1;
namespace pg = ::tocsin::paging::v1;

std::string ChannelLabel(const esc::ContactChannel& channel) {
  if (channel.has_email()) return absl::StrCat(channel.name(), " (email ", channel.email().address(), ")");
  if (channel.has_webhook()) return absl::StrCat(channel.name(), " (webhook)");
  if (channel.has_sms()) return absl::StrCat(channel.name(), " (sms ", channel.sms().number(), ")");
  if (channel.has_voice()) {
    return absl::StrCat(channel.name(), " (voice ", channel.voice().number(), ")");
  }
  return channel.name();
}

// "alice (3 channels)", "escalation plan sre (2 stages)", "on-call schedule
// primary".
std::string EngagedLabel(const esc::Engagement& e) {
  const esc::Contact& c = e.contact_snapshot();
  switch (c.type()) {
    case esc::CONTACT_TYPE_ESCALATION:
      return absl::StrCat("escalation plan ", e.contact(), " (",
                          c.escalation_plan().stages_size(), " stages)");
    case esc::CONTACT_TYPE_ONCALL_SCHEDULE:
      return absl::StrCat("on-call schedule ", e.contact());
    default:
      if (c.has_personal_plan() && c.personal_plan().stages_size() > 0) {
        return absl::StrCat(e.contact(), " (", c.personal_plan().stages_size(), " stages)");
      }
      return absl::StrCat(e.contact(), " (", c.channels_size(), " channels)");
  }
}

// How an engagement ended, as a verb.
std::string EndedAs(const esc::Engagement& e) {
  switch (e.state()) {
    case esc::ENGAGEMENT_STATE_ACKNOWLEDGED:
      return "acknowledged";
    case esc::ENGAGEMENT_STATE_EXHAUSTED:
      return "ended";
    default:
      return "stopped";
  }
}

// The kind of channel, as docs and the postmortem service name it.
const char* ChannelKind(const esc::ContactChannel& channel) {
  if (channel.has_email()) return "email";
  if (channel.has_webhook()) return "webhook";
  if (channel.has_sms()) return "sms";
  if (channel.has_voice()) return "voice";
  return "other";
}

// The structured part of a page's entry (what post-incident metrics read).
nlohmann::json PageData(const pg::Page& page) {
  nlohmann::json data = {{"page_id", page.id()},
                         {"engagement_id", page.engagement_id()},
                         {"contact", page.contact()},
                         {"channel", page.channel().name()},
                         {"channel_kind", ChannelKind(page.channel())},
                         {"stage", page.stage()}};
  if (!page.acked_by().empty()) data["acked_by"] = page.acked_by();
  return data;
}

std::string PageLabel(const pg::Page& page) {
  return absl::StrCat("page ", page.id(), " to ", page.contact(), " via ",
                      ChannelLabel(page.channel()));
}

}  // namespace

const std::vector<std::string>& ReportedEngagementTypes() {
  static const auto* types = new std::vector<std::string>{
      events::kEngagementStarted.name, events::kEngagementStageStarted.name,
      events::kEngagementStopped.name};
  return *types;
}

const std::vector<std::string>& ReportedPageTypes() {
  static const auto* types = new std::vector<std::string>{
      events::kPageSent.name, events::kPageDelivered.name, events::kPageFailed.name,
      events::kPageHeld.name, events::kPageAcknowledged.name};
  return *types;
}

const std::vector<std::string>& ReportedRunbookTypes() {
  static const auto* types = new std::vector<std::string>{
      events::kRunbookExecutionStarted.name, events::kRunbookStepChanged.name,
      events::kRunbookExecutionFinished.name, events::kRunbookNotified.name};
  return *types;
}

const std::vector<std::string>& ReportedSystemTypes() {
  static const auto* types = new std::vector<std::string>{events::kDeadLettered.name};
  return *types;
}

absl::StatusOr<v1::AddTimelineEventRequest> TimelineEntryFor(const Envelope& event) {
  v1::AddTimelineEventRequest entry;
  entry.set_incident_id(event.incident_id());
  entry.set_type(event.type());
  entry.set_source_event_id(event.event_id());
  entry.set_author(event.source());
  const std::string& type = event.type();
  // Every entry also says, as data, what it is about and when it happened
  // (the event's own time: the entry is written when the event arrives,
  // which may be later).
  nlohmann::json data = nlohmann::json::object();
  if (events::Is(event, events::kEngagementStarted)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kEngagementStarted));
    const esc::Engagement& g = e.engagement();
    data = {{"engagement_id", g.id()}, {"contact", g.contact()}};
    std::string message = absl::StrCat("Engaging ", EngagedLabel(g));
    if (!g.sender().empty()) {
      absl::StrAppend(&message, ", by hand by ", g.sender());
    } else if (g.parent_id().empty() && !g.subject().empty()) {
      absl::StrAppend(&message, ", by hand");
    }
    if (g.parent_id().empty() && !g.subject().empty()) {
      absl::StrAppend(&message, ": ", g.subject());
    }
    entry.set_message(message);
  } else if (events::Is(event, events::kEngagementStageStarted)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kEngagementStageStarted));
    data = {{"engagement_id", e.engagement().id()}, {"contact", e.engagement().contact()},
            {"stage", e.stage()}, {"channel", e.channel()}, {"page_id", e.page_id()}};
    if (!e.detail().empty()) {
      // The escalation service's own line: who is paged or engaged, and why
      // anyone who could have been is not.
      entry.set_message(e.page_id().empty()
                            ? e.detail()
                            : absl::StrCat(e.detail(), " (page ", e.page_id(), ")"));
    } else {
      entry.set_message(absl::StrCat("Paging ", e.engagement().contact(), " on ", e.channel(),
                                     " (stage ", e.stage() + 1, ", page ", e.page_id(), ")"));
    }
  } else if (events::Is(event, events::kEngagementStopped)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kEngagementStopped));
    data = {{"engagement_id", e.engagement().id()}, {"contact", e.engagement().contact()}};
    entry.set_message(absl::StrCat("Engagement of ", e.engagement().contact(), " ",
                                   EndedAs(e.engagement()), ": ",
                                   e.engagement().stop_reason()));
  } else if (events::Is(event, events::kPageSent)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kPageSent));
    data = PageData(e.page());
    data["attempt"] = e.attempt();
    entry.set_message(absl::StrCat("Sending ", PageLabel(e.page()), " (attempt ", e.attempt(),
                                   ")"));
  } else if (events::Is(event, events::kPageDelivered)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kPageDelivered));
    data = PageData(e.page());
    entry.set_message(absl::StrCat(
        "Delivered ", PageLabel(e.page()),
        e.page().digest_of().empty() ? std::string()
                                     : absl::StrCat(" (sent in digest with page ",
                                                    e.page().digest_of(), ")")));
  } else if (events::Is(event, events::kPageHeld)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kPageHeld));
    data = PageData(e.page());
    entry.set_message(absl::StrCat(
        "Holding ", PageLabel(e.page()), ": ", e.reason(), "; sends with what else is held at ",
        absl::FormatTime("%H:%M UTC", FromProtoTime(e.until()), absl::UTCTimeZone())));
  } else if (events::Is(event, events::kPageFailed)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kPageFailed));
    data = PageData(e.page());
    data["final"] = e.final();
    entry.set_message(absl::StrCat("Delivery of ", PageLabel(e.page()), " failed: ", e.error(),
                                   e.final()          ? " (no more retries)"
                                   : e.fall_through() ? " (will retry; paging the next channel)"
                                                      : " (will retry)"));
  } else if (events::Is(event, events::kPageAcknowledged)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kPageAcknowledged));
    data = PageData(e.page());
    entry.set_message(absl::StrCat("Acknowledged by ", e.page().acked_by().empty()
                                                           ? std::string("someone")
                                                           : e.page().acked_by(),
                                   " (", PageLabel(e.page()), ")"));
  } else if (events::Is(event, events::kRunbookExecutionStarted)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kRunbookExecutionStarted));
    const auto& x = e.execution();
    data = {{"execution_id", x.id()}, {"runbook", x.runbook()}, {"version", x.version()}};
    entry.set_message(absl::StrCat("Runbook ", x.runbook(), " v", x.version(), " started by ",
                                   x.started_by(), " (execution ", x.id(), ", ",
                                   x.steps_size(), " steps)"));
  } else if (events::Is(event, events::kRunbookStepChanged)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kRunbookStepChanged));
    data = {{"execution_id", e.execution_id()},
            {"runbook", e.runbook()},
            {"step", e.step().name()},
            {"action", e.step().action()},
            {"state", runbook::v1::StepState_Name(e.step().state())}};
    entry.set_message(e.summary().empty()
                          ? absl::StrCat("Runbook ", e.runbook(), " step ", e.step().name(),
                                         " changed")
                          : e.summary());
  } else if (events::Is(event, events::kRunbookExecutionFinished)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kRunbookExecutionFinished));
    const auto& x = e.execution();
    data = {{"execution_id", x.id()},
            {"runbook", x.runbook()},
            {"version", x.version()},
            {"state", runbook::v1::ExecutionState_Name(x.state())}};
    const char* how = "ended";
    switch (x.state()) {
      case runbook::v1::EXECUTION_STATE_SUCCESS: how = "succeeded"; break;
      case runbook::v1::EXECUTION_STATE_FAILED: how = "failed"; break;
      case runbook::v1::EXECUTION_STATE_TIMED_OUT: how = "timed out"; break;
      case runbook::v1::EXECUTION_STATE_CANCELLED: how = "was cancelled"; break;
      default: break;
    }
    entry.set_message(absl::StrCat("Runbook ", x.runbook(), " v", x.version(), " (", x.id(),
                                   ") ", how, x.error().empty() ? "" : ": ", x.error()));
  } else if (events::Is(event, events::kRunbookNotified)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kRunbookNotified));
    data = {{"execution_id", e.execution_id()}, {"step", e.step()}};
    entry.set_message(e.message());
  } else if (events::Is(event, events::kDeadLettered)) {
    ASSIGN_OR_RETURN(auto e, events::Payload(event, events::kDeadLettered));
    const auto& d = e.dead_letter();
    data = {{"dead_letter_id", d.id()}, {"service", d.service()}};
    entry.set_message(absl::StrCat(
        "The ", d.service(), " service set aside ",
        d.event_type().empty() ? std::string("an event") : d.event_type(),
        d.event_id().empty() ? std::string() : absl::StrCat(" ", d.event_id()), " (",
        d.source(), ", after ", d.attempts(), " tries): ", d.error(),
        ". It waits as dead letter ", d.id(), ": fix the cause, then `tocsin deadletters replay ",
        d.id(), "`"));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("event type ", type, " is not one the timeline records"));
  }
  if (event.has_time()) {
    data["occurred"] = absl::FormatTime(absl::RFC3339_full, FromProtoTime(event.time()),
                                        absl::UTCTimeZone());
  }
  entry.set_data_json(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return entry;
}

absl::Status RecordReportedEvent(IncidentsCore& core, const Envelope& event) {
  // An event about no incident is on no timeline: a dead letter of a
  // malformed message (for the operators: metrics, tocsin deadletters list),
  // an engagement by hand without an incident and its pages, a channel's
  // activation page.
  if (event.incident_id().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(v1::AddTimelineEventRequest entry, TimelineEntryFor(event));
  auto added = core.AddTimelineEvent(entry);
  if (added.status().code() == absl::StatusCode::kNotFound) {
    log::Warn("event about an unknown incident; not on any timeline",
              {{"event_id", event.event_id()}, {"incident_id", event.incident_id()},
               {"type", event.type()}});
    return absl::OkStatus();
  }
  return added.status();
}

}  // namespace tocsin::incidents
