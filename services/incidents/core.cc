#include "services/incidents/core.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/bus/new_event.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/incidents/matching.h"

namespace tocsin::incidents {
namespace {

constexpr char kService[] = "incidents";
constexpr int kMaxPageSize = 1000;
constexpr int kDefaultPageSize = 100;

int PageSize(int requested) {
  if (requested <= 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

absl::Status ValidateImpact(int impact) {
  if (impact < 1 || impact > 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "impact must be 1 (critical) to 5 (no impact), got ", impact));
  }
  return absl::OkStatus();
}

// Text given through the API: refused over its limit (the caller can fix it).
absl::Status CheckLength(absl::string_view what, const std::string& value, size_t max_bytes) {
  if (value.size() <= max_bytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " is ", value.size(),
                                                 " bytes long, over the limit of ", max_bytes));
}

// Related items given through StartIncident: how many, and how long a value
// (a URL) may be.
constexpr int kMaxRelatedItems = 50;
constexpr size_t kMaxRelatedValueBytes = 2048;

absl::Status IncidentNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("incident \"", id, "\" does not exist"));
}

absl::Status PlanNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("response plan \"", name, "\" does not exist"));
}

std::string AlarmLabel(const v1::Alarm& alarm) {
  if (!alarm.alarm_name().empty()) return absl::StrCat("alarm ", alarm.alarm_name());
  return absl::StrCat("event \"", alarm.detail_type(), "\" from ", alarm.source());
}

std::string AlarmData(const v1::Alarm& alarm) {
  nlohmann::json j;
  j["eventId"] = alarm.event_id();
  j["source"] = alarm.source();
  j["detailType"] = alarm.detail_type();
  if (!alarm.alarm_arn().empty()) j["alarmArn"] = alarm.alarm_arn();
  if (!alarm.alarm_name().empty()) j["alarmName"] = alarm.alarm_name();
  j["state"] = StateName(alarm.state());
  if (!alarm.reason().empty()) j["reason"] = alarm.reason();
  if (!alarm.account().empty()) j["account"] = alarm.account();
  if (!alarm.region().empty()) j["region"] = alarm.region();
  if (!alarm.alarm_rule().empty()) j["alarmRule"] = alarm.alarm_rule();
  if (alarm.triggering_alarms_size() > 0) {
    j["triggeringAlarms"] = std::vector<std::string>(alarm.triggering_alarms().begin(),
                                                     alarm.triggering_alarms().end());
  }
  if (alarm.muted()) j["muted"] = true;
  if (!alarm.actions_suppressed_by().empty()) {
    j["actionsSuppressedBy"] = alarm.actions_suppressed_by();
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

IncidentsCore::IncidentsCore(IncidentStore* store, const Clock* clock, IdGenerator* ids,
                             IncidentsOptions options)
    : store_(store), clock_(clock), ids_(ids), options_(std::move(options)) {}

absl::Status IncidentsCore::Write(
    const std::function<absl::Status(IncidentStore::Tx&)>& body) {
  return store_->Write(body);
}

template <typename T>
Envelope IncidentsCore::NewEvent(const events::EventType<T>& type,
                                 const std::string& incident_id,
                                 const std::string& causation_id, const T& payload) {
  return bus::NewEvent(*ids_, *clock_, kService, type, incident_id, causation_id, payload);
}

absl::StatusOr<TimelineEvent> IncidentsCore::AddTimeline(
    IncidentStore::Tx& tx, const std::string& incident_id, const std::string& type,
    const std::string& message, const std::string& data_json,
    const std::string& source_event_id, const std::string& author) {
  if (!source_event_id.empty()) {
    ASSIGN_OR_RETURN(auto existing, tx.FindTimelineEvent(incident_id, source_event_id, type));
    if (existing.has_value()) return *existing;
  }
  TimelineEvent event;
  event.set_id(ids_->Next("tl"));
  event.set_incident_id(incident_id);
  *event.mutable_event_time() = ToProtoTime(clock_->Now());
  event.set_type(text::Untrusted(type, kMaxLabelBytes));
  event.set_message(text::Untrusted(message, kMaxTimelineMessageBytes));
  event.set_data_json(BoundedJson(data_json, kMaxTimelineDataBytes));
  event.set_source_event_id(source_event_id);
  event.set_author(author);
  RETURN_IF_ERROR(tx.InsertTimelineEvent(event));
  v1::TimelineAdded added;
  *added.mutable_event() = event;
  // Read in this transaction: the incident with every change made before
  // this entry.
  ASSIGN_OR_RETURN(std::optional<Incident> incident, tx.GetIncident(incident_id));
  if (incident.has_value()) *added.mutable_incident() = *std::move(incident);
  RETURN_IF_ERROR(tx.Emit(NewEvent(events::kTimelineAdded, incident_id, source_event_id, added)));
  return event;
}

absl::Status IncidentsCore::OpenIncident(IncidentStore::Tx& tx, const ResponsePlan& plan,
                                         const v1::Alarm& alarm, const std::string& dedupe,
                                         v1::IngestAlarmResponse& response) {
  const absl::Time now = clock_->Now();
  Incident incident;
  incident.set_id(ids_->Next("inc"));
  incident.set_title(text::Truncate(IncidentTitle(plan, alarm), kMaxTitleBytes));
  incident.set_impact(plan.incident_template().impact());
  incident.set_summary(
      text::Truncate(ExpandTemplate(plan.incident_template().summary(), alarm), kMaxSummaryBytes));
  incident.set_status(v1::INCIDENT_STATUS_OPEN);
  incident.set_source(alarm.source());
  incident.set_dedupe_string(dedupe);
  incident.set_response_plan(plan.name());
  *incident.mutable_create_time() = ToProtoTime(now);
  *incident.mutable_update_time() = ToProtoTime(now);
  *incident.mutable_engagements() = plan.engagements();
  *incident.mutable_chat_channels() = plan.chat_channels();
  if (plan.has_runbook()) *incident.mutable_runbook() = plan.runbook();
  incident.set_post_incident_template(plan.post_incident_template());
  incident.set_version(1);
  incident.set_alarm_count(1);
  if (!alarm.alarm_arn().empty()) {
    auto* item = incident.add_related_items();
    item->set_type(v1::RELATED_ITEM_TYPE_ALARM);
    item->set_title(alarm.alarm_name().empty() ? "Alarm" : alarm.alarm_name());
    item->set_value(alarm.alarm_arn());
  }
  if (!alarm.console_link().empty()) {
    auto* item = incident.add_related_items();
    item->set_type(v1::RELATED_ITEM_TYPE_URL);
    item->set_title("Alarm in the AWS console");
    item->set_value(alarm.console_link());
  }
  // BoundedAlarm keeps kMaxTriggeringAlarms and counts the rest in one more.
  for (int i = 0; i < alarm.triggering_alarms_size(); ++i) {
    auto* item = incident.add_related_items();
    const bool listed = i < kMaxTriggeringAlarms;
    item->set_type(listed ? v1::RELATED_ITEM_TYPE_ALARM : v1::RELATED_ITEM_TYPE_OTHER);
    item->set_title(listed ? "Triggering alarm" : "More triggering alarms (ListIncidentAlarms)");
    item->set_value(alarm.triggering_alarms(i));
  }
  RETURN_IF_ERROR(tx.InsertIncident(incident));
  v1::IncidentOpened opened;
  *opened.mutable_incident() = incident;
  *opened.mutable_alarm() = alarm;
  RETURN_IF_ERROR(
      tx.Emit(NewEvent(events::kIncidentOpened, incident.id(), alarm.event_id(), opened)));
  std::string message = absl::StrCat("Incident opened by ", AlarmLabel(alarm), " (",
                                     StateName(alarm.state()), ")");
  if (!alarm.reason().empty()) absl::StrAppend(&message, ": ", alarm.reason());
  RETURN_IF_ERROR(AddTimeline(tx, incident.id(), events::kIncidentOpened.name, message,
                              AlarmData(alarm), alarm.event_id(), kService)
                      .status());
  response.set_outcome(v1::INGEST_OUTCOME_OPENED);
  response.set_incident_id(incident.id());
  response.set_detail(absl::StrCat("opened incident under plan ", plan.name()));
  return absl::OkStatus();
}

absl::Status IncidentsCore::ResolveInTx(IncidentStore::Tx& tx, Incident& incident,
                                        const std::string& message,
                                        const std::string& causation_id,
                                        const std::string& author) {
  const absl::Time now = clock_->Now();
  incident.set_status(v1::INCIDENT_STATUS_RESOLVED);
  *incident.mutable_resolve_time() = ToProtoTime(now);
  *incident.mutable_update_time() = ToProtoTime(now);
  incident.set_version(incident.version() + 1);
  RETURN_IF_ERROR(tx.UpdateIncident(incident));
  v1::IncidentResolved resolved;
  *resolved.mutable_incident() = incident;
  RETURN_IF_ERROR(
      tx.Emit(NewEvent(events::kIncidentResolved, incident.id(), causation_id, resolved)));
  return AddTimeline(tx, incident.id(), events::kIncidentResolved.name, message, "", causation_id,
                     author)
      .status();
}

absl::StatusOr<v1::IngestAlarmResponse> IncidentsCore::IngestAlarm(const v1::Alarm& alarm) {
  RETURN_IF_ERROR(ValidateAlarm(alarm));
  v1::IngestAlarmsRequest batch;
  *batch.add_alarms() = alarm;
  ASSIGN_OR_RETURN(v1::IngestAlarmsResponse answered, IngestAlarms(batch));
  return std::move(*answered.mutable_results(0));
}

absl::StatusOr<v1::IngestAlarmsResponse> IncidentsCore::IngestAlarms(
    const v1::IngestAlarmsRequest& request) {
  RETURN_IF_ERROR(ValidateAlarmBatch(request.alarms()));
  v1::IngestAlarmsResponse response;
  RETURN_IF_ERROR(store_->Write([&](IncidentStore::Tx& tx) -> absl::Status {
    response.Clear();
    // Plans do not change inside the transaction: read them once per batch.
    ASSIGN_OR_RETURN(const std::vector<ResponsePlan> plans, tx.ListPlans());
    for (const v1::Alarm& alarm : request.alarms()) {
      ASSIGN_OR_RETURN(v1::IngestAlarmResponse result, IngestInTx(tx, plans, alarm));
      *response.add_results() = std::move(result);
    }
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::TestAlarmResponse> IncidentsCore::TestAlarm(
    const v1::TestAlarmRequest& request) {
  v1::Alarm alarm = request.alarm();
  // A fresh id: the question is what this alarm does, not whether it was
  // delivered before.
  alarm.set_event_id(ids_->Next("evt-dry-run"));
  RETURN_IF_ERROR(ValidateAlarm(alarm));
  v1::TestAlarmResponse response;
  // Rolls the dry run back: nothing it wrote is committed (nor signalled to
  // the outbox relay).
  const absl::Status kRollBack = absl::AbortedError("dry run: rolled back");
  absl::Status ran = store_->Write([&](IncidentStore::Tx& tx) -> absl::Status {
    response.Clear();
    ASSIGN_OR_RETURN(std::vector<ResponsePlan> plans, tx.ListPlans());
    std::sort(plans.begin(), plans.end(), [](const ResponsePlan& a, const ResponsePlan& b) {
      return std::make_tuple(a.priority(), a.name()) < std::make_tuple(b.priority(), b.name());
    });
    const ResponsePlan* chosen = SelectPlan(plans, alarm);
    for (const ResponsePlan& plan : plans) {
      v1::PlanVerdict* verdict = response.add_plans();
      verdict->set_plan(plan.name());
      verdict->set_priority(plan.priority());
      std::vector<std::string> reasons = MismatchReasons(plan.match(), alarm);
      verdict->set_matches(reasons.empty());
      if (reasons.empty()) {
        reasons.push_back(&plan == chosen
                              ? std::string("matches; chosen (lowest priority, then name)")
                              : absl::StrCat("matches, but plan \"", chosen->name(),
                                             "\" comes first (priority ", chosen->priority(),
                                             ")"));
      }
      for (std::string& r : reasons) verdict->add_reasons(std::move(r));
    }
    ASSIGN_OR_RETURN(*response.mutable_result(), IngestInTx(tx, plans, alarm));
    if (!response.result().incident_id().empty()) {
      ASSIGN_OR_RETURN(std::optional<Incident> incident,
                       tx.GetIncident(response.result().incident_id()));
      if (incident.has_value()) *response.mutable_incident() = *std::move(incident);
    }
    return kRollBack;
  });
  if (ran != kRollBack) return ran;
  return response;
}

absl::StatusOr<v1::IngestAlarmResponse> IncidentsCore::IngestInTx(
    IncidentStore::Tx& tx, const std::vector<ResponsePlan>& plans, const v1::Alarm& alarm) {
  v1::IngestAlarmResponse response;
  ASSIGN_OR_RETURN(auto seen, tx.GetIngestRecord(alarm.event_id()));
  if (seen.has_value()) {
    response = seen->response;
    response.set_duplicate(true);
    return response;
  }
  // Matching and the dedupe string see the alarm as received; everything
  // shown (titles, timeline, events, details) sees the bounded copy.
  const v1::Alarm shown = BoundedAlarm(alarm);
  // Records the outcome under the event id and, when the alarm reached an
  // incident, keeps the alarm in full beside it.
  auto record = [&]() -> absl::StatusOr<v1::IngestAlarmResponse> {
    const absl::Time now = clock_->Now();
    if (!response.incident_id().empty()) {
      v1::IncidentAlarm kept;
      *kept.mutable_alarm() = alarm;
      kept.set_incident_id(response.incident_id());
      *kept.mutable_receive_time() = ToProtoTime(now);
      kept.set_outcome(response.outcome());
      RETURN_IF_ERROR(tx.InsertIncidentAlarm(kept));
    }
    RETURN_IF_ERROR(tx.PutIngestRecord({alarm.event_id(), response, now}));
    return response;
  };

  if (alarm.kind() == v1::ALARM_KIND_CONFIGURATION_CHANGE) {
    response.set_outcome(v1::INGEST_OUTCOME_IGNORED);
    response.set_detail("alarm configuration change: recorded, opens nothing");
    return record();
  }

  const ResponsePlan* plan = SelectPlan(plans, alarm);
  std::optional<ResponsePlan> fallback;
  if (plan == nullptr && !options_.default_plan.empty()) {
    ASSIGN_OR_RETURN(fallback, tx.GetPlan(options_.default_plan));
    if (fallback.has_value()) plan = &*fallback;
  }
  if (plan == nullptr) {
    UnmatchedAlarm unmatched;
    *unmatched.mutable_alarm() = alarm;
    *unmatched.mutable_receive_time() = ToProtoTime(clock_->Now());
    RETURN_IF_ERROR(tx.InsertUnmatched(unmatched));
    response.set_outcome(v1::INGEST_OUTCOME_UNMATCHED);
    response.set_detail(
        options_.default_plan.empty()
            ? "no response plan matches; kept as unmatched (tocsin incidents unmatched)"
            : absl::StrCat("no response plan matches and the default plan \"",
                           options_.default_plan, "\" does not exist; kept as unmatched"));
    return record();
  }
  response.set_response_plan(plan->name());

  const std::string dedupe = DedupeString(*plan, alarm);
  ASSIGN_OR_RETURN(std::optional<Incident> open, tx.FindOpenIncident(dedupe));
  auto join = [&](const std::string& what) -> absl::StatusOr<v1::IngestAlarmResponse> {
    open->set_alarm_count(open->alarm_count() + 1);
    *open->mutable_update_time() = ToProtoTime(clock_->Now());
    open->set_version(open->version() + 1);
    RETURN_IF_ERROR(tx.UpdateIncident(*open));
    std::string message =
        absl::StrCat(AlarmLabel(shown), " is ", StateName(shown.state()), what);
    if (!shown.reason().empty()) absl::StrAppend(&message, ": ", shown.reason());
    RETURN_IF_ERROR(AddTimeline(tx, open->id(), "alarm", message, AlarmData(shown),
                                alarm.event_id(), kService)
                        .status());
    response.set_outcome(v1::INGEST_OUTCOME_JOINED);
    response.set_incident_id(open->id());
    response.set_detail("added to the open incident's timeline");
    return record();
  };
  auto ignore = [&](const std::string& why) -> absl::StatusOr<v1::IngestAlarmResponse> {
    response.set_outcome(v1::INGEST_OUTCOME_IGNORED);
    response.set_detail(why);
    return record();
  };

  if (alarm.muted() || !alarm.actions_suppressed_by().empty()) {
    const std::string why =
        alarm.muted() ? " (muted: not paged)"
                      : absl::StrCat(" (actions suppressed by ", shown.actions_suppressed_by(),
                                     ": not paged)");
    if (open.has_value()) return join(why);
    return ignore(absl::StrCat("alarm", why, "; no incident opened"));
  }

  const bool opens =
      alarm.state() == v1::ALARM_STATE_ALARM ||
      (alarm.state() == v1::ALARM_STATE_INSUFFICIENT_DATA && plan->open_on_insufficient_data());
  if (opens) {
    if (open.has_value()) return join("");
    RETURN_IF_ERROR(OpenIncident(tx, *plan, shown, dedupe, response));
    return record();
  }
  if (alarm.state() == v1::ALARM_STATE_OK) {
    if (!open.has_value()) return ignore("OK with no open incident");
    if (!plan->resolve_on_ok()) return join(" (the plan does not resolve on OK)");
    open->set_alarm_count(open->alarm_count() + 1);
    std::string message = absl::StrCat("Resolved: ", AlarmLabel(shown), " returned to OK");
    if (!shown.reason().empty()) absl::StrAppend(&message, ": ", shown.reason());
    RETURN_IF_ERROR(ResolveInTx(tx, *open, message, alarm.event_id(), kService));
    response.set_outcome(v1::INGEST_OUTCOME_RESOLVED);
    response.set_incident_id(open->id());
    response.set_detail("the plan resolves on OK");
    return record();
  }
  // INSUFFICIENT_DATA under a plan that does not open on it.
  if (open.has_value()) return join(" (neither pages nor resolves)");
  return ignore("INSUFFICIENT_DATA with no open incident (the plan does not open on it)");
}

absl::StatusOr<Incident> IncidentsCore::StartIncident(const v1::StartIncidentRequest& request) {
  if (request.client_token().empty()) {
    return absl::InvalidArgumentError("client_token is required (the idempotency key)");
  }
  if (request.impact() != 0) RETURN_IF_ERROR(ValidateImpact(request.impact()));
  RETURN_IF_ERROR(CheckLength("client_token", request.client_token(), kMaxEventIdBytes));
  RETURN_IF_ERROR(CheckLength("title", request.title(), kMaxTitleBytes));
  RETURN_IF_ERROR(CheckLength("summary", request.summary(), kMaxSummaryBytes));
  if (request.related_items_size() > kMaxRelatedItems) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxRelatedItems,
                                                   " related items, got ",
                                                   request.related_items_size()));
  }
  for (const v1::RelatedItem& item : request.related_items()) {
    RETURN_IF_ERROR(CheckLength("related item title", item.title(), kMaxAlarmNameBytes));
    RETURN_IF_ERROR(CheckLength("related item value", item.value(), kMaxRelatedValueBytes));
  }
  Incident incident;
  RETURN_IF_ERROR(Write([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto existing_id, tx.GetClientToken(request.client_token()));
    if (existing_id.has_value()) {
      ASSIGN_OR_RETURN(auto existing, tx.GetIncident(*existing_id));
      if (!existing.has_value()) return IncidentNotFound(*existing_id);
      incident = *existing;
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(auto plan, tx.GetPlan(request.response_plan()));
    if (!plan.has_value()) return PlanNotFound(request.response_plan());
    const absl::Time now = clock_->Now();
    incident.set_id(ids_->Next("inc"));
    incident.set_title(request.title().empty() ? plan->incident_template().title()
                                               : request.title());
    if (incident.title().empty() || incident.title().find('{') != std::string::npos) {
      if (request.title().empty()) incident.set_title(plan->display_name().empty()
                                                          ? plan->name()
                                                          : plan->display_name());
    }
    incident.set_impact(request.impact() != 0 ? request.impact()
                                              : plan->incident_template().impact());
    incident.set_summary(request.summary().empty() ? plan->incident_template().summary()
                                                   : request.summary());
    incident.set_status(v1::INCIDENT_STATUS_OPEN);
    incident.set_source("api");
    incident.set_response_plan(plan->name());
    *incident.mutable_create_time() = ToProtoTime(now);
    *incident.mutable_update_time() = ToProtoTime(now);
    *incident.mutable_related_items() = request.related_items();
    *incident.mutable_engagements() = plan->engagements();
    *incident.mutable_chat_channels() = plan->chat_channels();
    if (plan->has_runbook()) *incident.mutable_runbook() = plan->runbook();
    incident.set_post_incident_template(plan->post_incident_template());
    incident.set_version(1);
    RETURN_IF_ERROR(tx.InsertIncident(incident));
    RETURN_IF_ERROR(tx.PutClientToken(request.client_token(), incident.id()));
    v1::IncidentOpened opened;
    *opened.mutable_incident() = incident;
    RETURN_IF_ERROR(
        tx.Emit(NewEvent(events::kIncidentOpened, incident.id(), request.client_token(), opened)));
    return AddTimeline(tx, incident.id(), events::kIncidentOpened.name,
                       absl::StrCat("Incident started with plan ", plan->name()), "",
                       request.client_token(), "api")
        .status();
  }));
  return incident;
}

absl::StatusOr<Incident> IncidentsCore::GetIncident(const std::string& id) {
  std::optional<Incident> incident;
  RETURN_IF_ERROR(store_->Read([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(incident, tx.GetIncident(id));
    return absl::OkStatus();
  }));
  if (!incident.has_value()) return IncidentNotFound(id);
  return *incident;
}

absl::StatusOr<v1::ListIncidentsResponse> IncidentsCore::ListIncidents(
    const v1::ListIncidentsRequest& request) {
  IncidentFilter filter;
  filter.status = request.status();
  filter.response_plan = request.response_plan();
  if (request.has_created_after()) filter.created_after = FromProtoTime(request.created_after());
  filter.before_id = request.page_token();
  filter.limit = PageSize(request.page_size());
  v1::ListIncidentsResponse response;
  RETURN_IF_ERROR(store_->Read([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<Incident> incidents, tx.ListIncidents(filter));
    for (auto& i : incidents) *response.add_incidents() = std::move(i);
    return absl::OkStatus();
  }));
  if (response.incidents_size() == filter.limit) {
    response.set_next_page_token(response.incidents(response.incidents_size() - 1).id());
  }
  return response;
}

absl::StatusOr<Incident> IncidentsCore::UpdateIncident(const v1::UpdateIncidentRequest& request) {
  if (request.has_impact()) RETURN_IF_ERROR(ValidateImpact(request.impact()));
  if (request.has_title() && request.title().empty()) {
    return absl::InvalidArgumentError("title must not be empty");
  }
  RETURN_IF_ERROR(CheckLength("title", request.title(), kMaxTitleBytes));
  RETURN_IF_ERROR(CheckLength("summary", request.summary(), kMaxSummaryBytes));
  Incident incident;
  RETURN_IF_ERROR(Write([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto found, tx.GetIncident(request.id()));
    if (!found.has_value()) return IncidentNotFound(request.id());
    incident = *found;
    std::vector<std::string> changed;
    std::string what;
    if (request.has_title() && request.title() != incident.title()) {
      absl::StrAppend(&what, what.empty() ? "" : ", ", "title \"", incident.title(), "\" → \"",
                      request.title(), "\"");
      incident.set_title(request.title());
      changed.push_back("title");
    }
    if (request.has_impact() && request.impact() != incident.impact()) {
      absl::StrAppend(&what, what.empty() ? "" : ", ", "impact ", incident.impact(), " → ",
                      request.impact());
      incident.set_impact(request.impact());
      changed.push_back("impact");
    }
    if (request.has_summary() && request.summary() != incident.summary()) {
      absl::StrAppend(&what, what.empty() ? "" : ", ", "summary changed");
      incident.set_summary(request.summary());
      changed.push_back("summary");
    }
    if (changed.empty()) return absl::OkStatus();
    incident.set_version(incident.version() + 1);
    *incident.mutable_update_time() = ToProtoTime(clock_->Now());
    RETURN_IF_ERROR(tx.UpdateIncident(incident));
    v1::IncidentUpdated updated;
    *updated.mutable_incident() = incident;
    for (const auto& f : changed) updated.add_changed_fields(f);
    Envelope event = NewEvent(events::kIncidentUpdated, incident.id(), "", updated);
    RETURN_IF_ERROR(tx.Emit(event));
    const std::string author = request.author().empty() ? "api" : request.author();
    return AddTimeline(tx, incident.id(), events::kIncidentUpdated.name,
                       absl::StrCat("Updated: ", what), "", event.event_id(), author)
        .status();
  }));
  return incident;
}

absl::StatusOr<Incident> IncidentsCore::ResolveIncident(
    const v1::ResolveIncidentRequest& request) {
  Incident incident;
  RETURN_IF_ERROR(Write([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto found, tx.GetIncident(request.id()));
    if (!found.has_value()) return IncidentNotFound(request.id());
    incident = *found;
    // Resolving a resolved incident changes nothing (a retried call).
    if (incident.status() == v1::INCIDENT_STATUS_RESOLVED) return absl::OkStatus();
    const std::string author = request.author().empty() ? "api" : request.author();
    std::string message = absl::StrCat("Resolved by ", author);
    if (!request.note().empty()) absl::StrAppend(&message, ": ", request.note());
    return ResolveInTx(tx, incident, message, ids_->Next("req"), author);
  }));
  return incident;
}

absl::StatusOr<TimelineEvent> IncidentsCore::AddTimelineEvent(
    const v1::AddTimelineEventRequest& request) {
  if (request.type().empty()) return absl::InvalidArgumentError("type is required");
  if (request.message().empty() && request.data_json().empty()) {
    return absl::InvalidArgumentError("message or data_json is required");
  }
  if (!request.data_json().empty() &&
      !nlohmann::json::accept(request.data_json())) {
    return absl::InvalidArgumentError("data_json is not valid JSON");
  }
  TimelineEvent event;
  RETURN_IF_ERROR(Write([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto found, tx.GetIncident(request.incident_id()));
    if (!found.has_value()) return IncidentNotFound(request.incident_id());
    ASSIGN_OR_RETURN(event, AddTimeline(tx, request.incident_id(), request.type(),
                                        request.message(), request.data_json(),
                                        request.source_event_id(),
                                        request.author().empty() ? "api" : request.author()));
    return absl::OkStatus();
  }));
  return event;
}

absl::StatusOr<v1::ListTimelineEventsResponse> IncidentsCore::ListTimelineEvents(
    const v1::ListTimelineEventsRequest& request) {
  int64_t after = 0;
  if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &after)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", request.page_token(), "\" is not one this API returned"));
  }
  v1::ListTimelineEventsResponse response;
  RETURN_IF_ERROR(store_->Read([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto found, tx.GetIncident(request.incident_id()));
    if (!found.has_value()) return IncidentNotFound(request.incident_id());
    const int limit = PageSize(request.page_size());
    ASSIGN_OR_RETURN(TimelinePage page, tx.ListTimeline(request.incident_id(), after, limit));
    for (auto& e : page.events) *response.add_events() = std::move(e);
    if (static_cast<int>(response.events_size()) == limit && page.next_after > 0) {
      response.set_next_page_token(absl::StrCat(page.next_after));
    }
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::ListUnmatchedAlarmsResponse> IncidentsCore::ListUnmatchedAlarms(
    const v1::ListUnmatchedAlarmsRequest& request) {
  int64_t before = 0;
  if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &before)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", request.page_token(), "\" is not one this API returned"));
  }
  v1::ListUnmatchedAlarmsResponse response;
  const int limit = PageSize(request.page_size());
  RETURN_IF_ERROR(store_->Read([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto page, tx.ListUnmatched(before, limit, kMaxPageBytes));
    for (auto& [seq, alarm] : page.rows) *response.add_alarms() = std::move(alarm);
    if (page.more) response.set_next_page_token(absl::StrCat(page.rows.back().first));
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::ListIncidentAlarmsResponse> IncidentsCore::ListIncidentAlarms(
    const v1::ListIncidentAlarmsRequest& request) {
  int64_t after = 0;
  if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &after)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", request.page_token(), "\" is not one this API returned"));
  }
  // Alarms may be large: fewer per page than other listings.
  constexpr int kMaxAlarmsPerPage = 100;
  const int limit = std::min(PageSize(request.page_size()), kMaxAlarmsPerPage);
  v1::ListIncidentAlarmsResponse response;
  RETURN_IF_ERROR(store_->Read([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto found, tx.GetIncident(request.incident_id()));
    if (!found.has_value()) return IncidentNotFound(request.incident_id());
    ASSIGN_OR_RETURN(auto page,
                     tx.ListIncidentAlarms(request.incident_id(), after, limit, kMaxPageBytes));
    for (auto& [seq, alarm] : page.rows) *response.add_alarms() = std::move(alarm);
    if (page.more) response.set_next_page_token(absl::StrCat(page.rows.back().first));
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<int64_t> IncidentsCore::PruneIngestRecords(absl::Time older_than) {
  const absl::Time newest_allowed = clock_->Now() - kMinIngestRecordRetention;
  if (older_than > newest_allowed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ingest records are kept at least ", absl::FormatDuration(kMinIngestRecordRetention),
        " (senders retry for 24 h): cannot prune those younger than ",
        absl::FormatDuration(clock_->Now() - older_than)));
  }
  int64_t total = 0;
  while (true) {
    int64_t deleted = 0;
    RETURN_IF_ERROR(store_->Write([&](IncidentStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(deleted, tx.DeleteIngestRecordsBefore(older_than, kPruneBatchSize));
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < kPruneBatchSize) return total;
  }
}

absl::StatusOr<int64_t> IncidentsCore::CountOpenIncidents() {
  int64_t count = 0;
  RETURN_IF_ERROR(store_->Read([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(count, tx.CountIncidents(v1::INCIDENT_STATUS_OPEN));
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<ResponsePlan> IncidentsCore::CreatePlan(const ResponsePlan& request) {
  RETURN_IF_ERROR(ValidatePlan(request));
  ResponsePlan plan = WithDefaults(request);
  const absl::Time now = clock_->Now();
  plan.set_version(1);
  *plan.mutable_create_time() = ToProtoTime(now);
  *plan.mutable_update_time() = ToProtoTime(now);
  RETURN_IF_ERROR(store_->Write([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto existing, tx.GetPlan(plan.name()));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("response plan \"", plan.name(), "\" already exists; update it instead"));
    }
    return tx.InsertPlan(plan);
  }));
  return plan;
}

absl::StatusOr<ResponsePlan> IncidentsCore::UpdatePlan(const ResponsePlan& request,
                                                       int64_t expected_version) {
  RETURN_IF_ERROR(ValidatePlan(request));
  ResponsePlan plan = WithDefaults(request);
  RETURN_IF_ERROR(store_->Write([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto existing, tx.GetPlan(plan.name()));
    if (!existing.has_value()) return PlanNotFound(plan.name());
    if (expected_version != 0 && existing->version() != expected_version) {
      return absl::AbortedError(absl::StrCat(
          "response plan \"", plan.name(), "\" is at version ", existing->version(),
          ", not ", expected_version, "; read it again and retry"));
    }
    plan.set_version(existing->version() + 1);
    *plan.mutable_create_time() = existing->create_time();
    *plan.mutable_update_time() = ToProtoTime(clock_->Now());
    return tx.UpdatePlan(plan);
  }));
  return plan;
}

absl::StatusOr<ResponsePlan> IncidentsCore::GetPlan(const std::string& name) {
  std::optional<ResponsePlan> plan;
  RETURN_IF_ERROR(store_->Read([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(plan, tx.GetPlan(name));
    return absl::OkStatus();
  }));
  if (!plan.has_value()) return PlanNotFound(name);
  return *plan;
}

absl::StatusOr<std::vector<ResponsePlan>> IncidentsCore::ListPlans() {
  std::vector<ResponsePlan> plans;
  RETURN_IF_ERROR(store_->Read([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(plans, tx.ListPlans());
    return absl::OkStatus();
  }));
  return plans;
}

absl::Status IncidentsCore::DeletePlan(const std::string& name) {
  return store_->Write([&](IncidentStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool deleted, tx.DeletePlan(name));
    if (!deleted) return PlanNotFound(name);
    return absl::OkStatus();
  });
}

}  // namespace tocsin::incidents
