#include "services/runbook/engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/bus/new_event.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"
#include "services/runbook/builtin_template.h"
#include "services/runbook/conditions.h"
#include "services/runbook/selectors.h"
#include "services/runbook/values.h"

namespace tocsin::runbook {
namespace {

using ::nlohmann::json;
using Envelope = ::tocsin::events::v1::Envelope;
using Events = std::vector<Envelope>;

constexpr char kService[] = "runbook";
// A step's result kept for people (tocsin executions show), at most.
constexpr size_t kMaxResultBytes = 16 * 1024;
constexpr size_t kMaxMessageBytes = 16 * 1024;
constexpr size_t kMaxErrorBytes = 2 * 1024;
constexpr int kMaxListed = 500;

bool Ended(v1::ExecutionState s) {
  return s == v1::EXECUTION_STATE_SUCCESS || s == v1::EXECUTION_STATE_FAILED ||
         s == v1::EXECUTION_STATE_TIMED_OUT || s == v1::EXECUTION_STATE_CANCELLED;
}

bool External(const std::string& action) {
  return action == "tocsin:http" || action == "tocsin:command" || action == "tocsin:waitFor" ||
         action == "tocsin:updateIncident";
}

// In-flight external steps that may run again after a crash without asking.
bool SafeToRepeat(const Step& step) {
  return step.idempotent || step.action == "tocsin:updateIncident";
}

std::string StateName(v1::StepState s) {
  switch (s) {
    case v1::STEP_STATE_PENDING: return "Pending";
    case v1::STEP_STATE_IN_PROGRESS: return "InProgress";
    case v1::STEP_STATE_WAITING: return "Waiting";
    case v1::STEP_STATE_SUCCESS: return "Success";
    case v1::STEP_STATE_FAILED: return "Failed";
    case v1::STEP_STATE_TIMED_OUT: return "TimedOut";
    case v1::STEP_STATE_CANCELLED: return "Cancelled";
    case v1::STEP_STATE_SKIPPED: return "Skipped";
    default: return "Unspecified";
  }
}

std::string Cut(absl::string_view text, size_t max) {
  return text::Truncate(std::string(text), max);
}

// Context fields (see store.h: the engine's JSON beside each execution).
std::optional<absl::Time> TimeField(const json& ctx, const char* key) {
  auto it = ctx.find(key);
  if (it == ctx.end() || !it->is_number_integer()) return std::nullopt;
  return absl::FromUnixMicros(it->get<int64_t>());
}
void SetTime(json& ctx, const char* key, std::optional<absl::Time> t) {
  if (t.has_value()) {
    ctx[key] = absl::ToUnixMicros(*t);
  } else {
    ctx.erase(key);
  }
}

EngineValues ValuesOf(const json& ctx) {
  EngineValues values;
  auto it = ctx.find("values");
  if (it != ctx.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) values[k] = v;
  }
  return values;
}

// The earliest time the engine must look at the execution again.
std::optional<absl::Time> NextDue(const json& ctx) {
  std::optional<absl::Time> due;
  for (const char* key : {"wake", "retry_at", "deadline"}) {
    if (auto t = TimeField(ctx, key); t.has_value() && (!due || *t < *due)) due = *t;
  }
  return due;
}

bool Retryable(const absl::Status& s) {
  return !absl::IsInvalidArgument(s) && !absl::IsPermissionDenied(s) && !absl::IsNotFound(s);
}

// A parameter value given as text, as its type.
absl::StatusOr<json> ParameterValue(const Parameter& p, const std::string& text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("parameter ", p.name, ": \"", Cut(text, 200),
                                                   "\" ", why));
  };
  switch (p.type) {
    case ValueType::kString:
      return json(text);
    case ValueType::kInteger: {
      int64_t n = 0;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &n)) {
        return bad("is not an Integer");
      }
      return json(n);
    }
    case ValueType::kBoolean: {
      const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
      if (t == "true") return json(true);
      if (t == "false") return json(false);
      return bad("is not a Boolean (true or false)");
    }
    case ValueType::kStringList: {
      const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
      if (absl::StartsWith(trimmed, "[")) {
        json list = json::parse(trimmed, nullptr, false);
        if (list.is_discarded() || !list.is_array()) return bad("is not a JSON list");
        for (const json& item : list) {
          if (!item.is_string()) return bad("must be a list of strings");
        }
        return list;
      }
      json list = json::array();
      if (trimmed.empty()) return list;
      for (absl::string_view item : absl::StrSplit(trimmed, ',')) {
        list.push_back(std::string(absl::StripAsciiWhitespace(item)));
      }
      return list;
    }
    case ValueType::kStringMap: {
      json map = json::parse(text, nullptr, false);
      if (map.is_discarded() || !map.is_object()) return bad("is not a JSON object");
      for (const auto& [k, v] : map.items()) {
        if (!v.is_string()) return bad("must map names to strings");
      }
      return map;
    }
  }
  return bad("has an unknown type");
}

absl::StatusOr<json> ResolveParameters(const std::string& runbook, const RunbookDocument& doc,
                                       const google::protobuf::Map<std::string, std::string>& in) {
  std::vector<std::string> names;
  for (const Parameter& p : doc.parameters) names.push_back(p.name);
  for (const auto& [name, value] : in) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "runbook ", runbook, " has no parameter \"", Cut(name, 64), "\"",
          names.empty() ? std::string(" (it takes none)")
                        : absl::StrCat(" (it has: ", absl::StrJoin(names, ", "), ")")));
    }
  }
  json out = json::object();
  for (const Parameter& p : doc.parameters) {
    json value;
    auto given = in.find(p.name);
    if (given != in.end()) {
      ASSIGN_OR_RETURN(value, ParameterValue(p, given->second));
    } else if (p.default_value.has_value()) {
      value = *p.default_value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("runbook ", runbook, ": parameter ", p.name,
                                                     " is required (it has no default)"));
    }
    if (!p.allowed_values.empty() &&
        std::find(p.allowed_values.begin(), p.allowed_values.end(), value) ==
            p.allowed_values.end()) {
      std::vector<std::string> allowed;
      for (const json& a : p.allowed_values) allowed.push_back(a.dump());
      return absl::InvalidArgumentError(absl::StrCat("parameter ", p.name, ": ", value.dump(),
                                                     " is not one of ",
                                                     absl::StrJoin(allowed, ", ")));
    }
    out[p.name] = value;
  }
  return out;
}

void PutIncidentValues(json& values, const incidents::v1::Incident& incident) {
  values["incident.id"] = incident.id();
  values["incident.title"] = incident.title();
  values["incident.impact"] = incident.impact();
}

void PutAlarmValues(json& values, const std::optional<incidents::v1::Alarm>& alarm) {
  values["alarm.name"] = alarm ? alarm->alarm_name() : "";
  values["alarm.account"] = alarm ? alarm->account() : "";
  values["alarm.region"] = alarm ? alarm->region() : "";
  json resources = json::array();
  if (alarm && !alarm->alarm_arn().empty()) resources.push_back(alarm->alarm_arn());
  values["alarm.resources"] = resources;
}

// Who may decide an approval: "cli:alice" is matched by that identity; a
// contact name "alice" by "alice" or "cli:alice" (the CLI's --author alice).
bool IsApprover(const std::vector<std::string>& approvers, const std::string& author) {
  for (const std::string& a : approvers) {
    if (a == author || absl::StrCat("cli:", a) == author) return true;
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> StringList(const json& value, absl::string_view what) {
  std::vector<std::string> out;
  if (value.is_string()) {
    for (absl::string_view s : absl::StrSplit(value.get<std::string>(), ',', absl::SkipEmpty())) {
      out.push_back(std::string(absl::StripAsciiWhitespace(s)));
    }
    return out;
  }
  if (!value.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be a list of names"));
  }
  for (const json& v : value) {
    if (!v.is_string()) return absl::InvalidArgumentError(absl::StrCat(what, " must be names"));
    out.push_back(v.get<std::string>());
  }
  return out;
}

// The result as kept on the step for people: JSON, cut.
std::string ResultText(const json& result) {
  return Cut(result.dump(-1, ' ', false, json::error_handler_t::replace), kMaxResultBytes);
}

}  // namespace

// What Advance works on: the row and the document it runs.
struct RunbookEngine::Loaded {
  ExecutionRow row;
  std::shared_ptr<const RunbookDocument> doc;
};

RunbookEngine::RunbookEngine(RunbookStore* store, IncidentsPort* incidents, StepRunner* runner,
                             const Clock* clock, IdGenerator* ids, EngineOptions options)
    : store_(store),
      incidents_(incidents),
      runner_(runner),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)) {}

// ---------------------------------------------------------------- runbooks

absl::StatusOr<v1::ApplyRunbookResponse> RunbookEngine::ApplyRunbook(
    const v1::ApplyRunbookRequest& request) {
  const std::string& name = request.name();
  if (name.empty() || name.size() > 128 ||
      !std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
               c == '.';
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "runbook name \"", Cut(name, 128),
        "\" must be 1 to 128 letters, digits, '-', '_' or '.'"));
  }
  if (name == kBuiltinTemplateName) {
    return absl::AlreadyExistsError(absl::StrCat(
        name, " is built in and cannot be saved over; copy it under another name"));
  }
  if (request.document().size() > 1024 * 1024) {
    return absl::InvalidArgumentError("runbook document is larger than 1 MiB");
  }
  absl::StatusOr<RunbookDocument> doc = ParseRunbookDocument(request.document());
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("runbook ", name, ": ", doc.status().message()));
  }
  v1::ApplyRunbookResponse response;
  RETURN_IF_ERROR(store_->Write([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::Runbook> latest, tx.GetRunbook(name, 0));
    if (latest.has_value() && latest->document() == request.document()) {
      *response.mutable_runbook() = *latest;
      response.set_outcome(v1::APPLY_OUTCOME_UNCHANGED);
      return absl::OkStatus();
    }
    v1::Runbook r;
    r.set_name(name);
    r.set_version(latest.has_value() ? latest->version() + 1 : 1);
    r.set_description(doc->description);
    r.set_document(request.document());
    r.set_step_count(static_cast<int>(doc->main_steps.size()));
    for (const Parameter& p : doc->parameters) r.add_parameters(p.name);
    *r.mutable_create_time() = ToProtoTime(clock_->Now());
    r.set_author(request.author());
    r.set_latest_version(r.version());
    response.set_outcome(latest.has_value() ? v1::APPLY_OUTCOME_UPDATED
                                            : v1::APPLY_OUTCOME_CREATED);
    *response.mutable_runbook() = r;
    if (request.dry_run()) return absl::OkStatus();
    return tx.InsertRunbook(r);
  }));
  return response;
}

namespace {
v1::Runbook BuiltinRunbook() {
  static const v1::Runbook* const runbook = [] {
    auto* r = new v1::Runbook();
    r->set_name(std::string(kBuiltinTemplateName));
    r->set_version(1);
    r->set_latest_version(1);
    r->set_document(std::string(BuiltinTemplateDocument()));
    r->set_builtin(true);
    r->set_author("tocsin");
    absl::StatusOr<RunbookDocument> doc = ParseRunbookDocument(BuiltinTemplateDocument());
    if (doc.ok()) {
      r->set_description(doc->description);
      r->set_step_count(static_cast<int>(doc->main_steps.size()));
      for (const Parameter& p : doc->parameters) r->add_parameters(p.name);
    }
    return r;
  }();
  return *runbook;
}
}  // namespace

absl::StatusOr<v1::Runbook> RunbookEngine::GetRunbook(const std::string& name, int64_t version) {
  if (name == kBuiltinTemplateName) {
    if (version > 1) {
      return absl::NotFoundError(absl::StrCat(name, " has only version 1"));
    }
    return BuiltinRunbook();
  }
  std::optional<v1::Runbook> found;
  RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(found, tx.GetRunbook(name, version));
    return absl::OkStatus();
  }));
  if (!found.has_value()) {
    return absl::NotFoundError(version == 0 ? absl::StrCat("no runbook named \"", Cut(name, 128),
                                                           "\"")
                                            : absl::StrCat("runbook ", Cut(name, 128),
                                                           " has no version ", version));
  }
  return *found;
}

absl::StatusOr<std::vector<v1::Runbook>> RunbookEngine::ListRunbooks() {
  std::vector<v1::Runbook> out;
  RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(out, tx.ListRunbooks());
    return absl::OkStatus();
  }));
  for (v1::Runbook& r : out) r.clear_document();
  v1::Runbook builtin = BuiltinRunbook();
  builtin.clear_document();
  out.insert(std::lower_bound(out.begin(), out.end(), builtin,
                              [](const v1::Runbook& a, const v1::Runbook& b) {
                                return a.name() < b.name();
                              }),
             builtin);
  return out;
}

absl::StatusOr<std::vector<v1::Runbook>> RunbookEngine::ListRunbookVersions(
    const std::string& name) {
  std::vector<v1::Runbook> out;
  if (name == kBuiltinTemplateName) {
    out.push_back(BuiltinRunbook());
  } else {
    RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(out, tx.ListRunbookVersions(name));
      return absl::OkStatus();
    }));
  }
  if (out.empty()) {
    return absl::NotFoundError(absl::StrCat("no runbook named \"", Cut(name, 128), "\""));
  }
  for (v1::Runbook& r : out) r.clear_document();
  return out;
}

absl::StatusOr<std::pair<v1::Runbook, RunbookDocument>> RunbookEngine::LoadRunbook(
    const std::string& name, int64_t version) {
  ASSIGN_OR_RETURN(v1::Runbook runbook, GetRunbook(name, version));
  absl::StatusOr<RunbookDocument> doc = ParseRunbookDocument(runbook.document());
  if (!doc.ok()) {
    // Saved documents were valid when saved; a newer validator may refuse
    // an old one. Say so rather than run half of it.
    return absl::FailedPreconditionError(absl::StrCat("runbook ", name, " version ",
                                                      runbook.version(), " no longer validates: ",
                                                      doc.status().message()));
  }
  return std::make_pair(std::move(runbook), *std::move(doc));
}

// -------------------------------------------------------------- executions

namespace {

std::string ExecutionLabel(const v1::Execution& e) {
  return absl::StrCat("Runbook ", e.runbook(), " v", e.version(), " (", e.id(), ")");
}

}  // namespace

absl::StatusOr<v1::Execution> RunbookEngine::Start(const v1::StartExecutionRequest& request) {
  return StartFor(request, nullptr, nullptr);
}

absl::StatusOr<v1::Execution> RunbookEngine::StartFor(
    const v1::StartExecutionRequest& request, const incidents::v1::Incident* known_incident,
    const std::optional<incidents::v1::Alarm>* known_alarm) {
  if (request.incident_id().empty()) {
    return absl::InvalidArgumentError("an execution runs for an incident: give --incident ID");
  }
  if (request.client_token().size() > 256) {
    return absl::InvalidArgumentError("client_token is longer than 256 characters");
  }
  if (!request.client_token().empty()) {
    std::optional<std::string> existing;
    RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(existing, tx.FindExecutionByToken(request.client_token()));
      return absl::OkStatus();
    }));
    if (existing.has_value()) return GetExecution(*existing);
  }
  ASSIGN_OR_RETURN(auto loaded, LoadRunbook(request.runbook(), request.version()));
  auto& [runbook, doc] = loaded;
  ASSIGN_OR_RETURN(json parameters, ResolveParameters(runbook.name(), doc, request.parameters()));
  incidents::v1::Incident incident;
  if (known_incident != nullptr) {
    incident = *known_incident;
  } else {
    ASSIGN_OR_RETURN(incident, incidents_->GetIncident(request.incident_id()));
  }
  std::optional<incidents::v1::Alarm> alarm;
  if (known_alarm != nullptr) {
    alarm = *known_alarm;
  } else {
    ASSIGN_OR_RETURN(alarm, incidents_->FirstAlarm(request.incident_id()));
  }

  const absl::Time now = clock_->Now();
  ExecutionRow row;
  v1::Execution& e = row.execution;
  e.set_id(ids_->Next("exe"));
  e.set_runbook(runbook.name());
  e.set_version(runbook.version());
  e.set_incident_id(incident.id());
  e.set_state(v1::EXECUTION_STATE_PENDING);
  for (const auto& [k, v] : parameters.items()) (*e.mutable_parameters())[k] = v.dump();
  *e.mutable_start_time() = ToProtoTime(now);
  *e.mutable_update_time() = ToProtoTime(now);
  e.set_started_by(request.author().empty() ? std::string("api") : request.author());
  for (const Step& step : doc.main_steps) {
    v1::StepExecution* s = e.add_steps();
    s->set_name(step.name);
    s->set_action(step.action);
    s->set_state(v1::STEP_STATE_PENDING);
  }
  json values = parameters;
  PutIncidentValues(values, incident);
  PutAlarmValues(values, alarm);
  row.context = json{{"values", values}, {"index", 0}, {"transitions", 0}};
  row.next_due = now;

  v1::ExecutionStarted started;
  *started.mutable_execution() = e;
  Events events = {bus::NewEvent(*ids_, *clock_, kService, events::kRunbookExecutionStarted,
                                 e.incident_id(), request.client_token(), started)};
  bool raced = false;
  RETURN_IF_ERROR(store_->Write([&](RunbookStore::Tx& tx) -> absl::Status {
    if (!request.client_token().empty()) {
      ASSIGN_OR_RETURN(std::optional<std::string> existing,
                       tx.FindExecutionByToken(request.client_token()));
      if (existing.has_value()) {
        raced = true;
        e.set_id(*existing);
        return absl::OkStatus();
      }
    }
    RETURN_IF_ERROR(tx.InsertExecution(row, request.client_token()));
    for (const Envelope& ev : events) RETURN_IF_ERROR(tx.Emit(ev));
    return absl::OkStatus();
  }));
  if (raced) return GetExecution(e.id());
  Announce(events);
  return e;
}

absl::Status RunbookEngine::StartForOpenedIncident(const incidents::v1::IncidentOpened& opened,
                                                   const std::string& event_id) {
  const incidents::v1::Incident& incident = opened.incident();
  if (!incident.has_runbook() || incident.runbook().name().empty()) return absl::OkStatus();
  v1::StartExecutionRequest request;
  request.set_runbook(incident.runbook().name());
  request.set_version(incident.runbook().version());
  request.set_incident_id(incident.id());
  *request.mutable_parameters() = incident.runbook().parameters();
  request.set_author(absl::StrCat("plan:", incident.response_plan()));
  // One automatic execution per incident, whatever redelivers the event.
  request.set_client_token(absl::StrCat("plan-start:", incident.id()));
  // The event carries the incident and the alarm that opened it.
  const std::optional<incidents::v1::Alarm> alarm =
      opened.has_alarm() ? std::optional<incidents::v1::Alarm>(opened.alarm()) : std::nullopt;
  absl::StatusOr<v1::Execution> started = StartFor(request, &incident, &alarm);
  if (started.ok()) return absl::OkStatus();
  const absl::Status& s = started.status();
  if (!absl::IsInvalidArgument(s) && !absl::IsNotFound(s) && !absl::IsFailedPrecondition(s)) {
    return s;  // transient: the consumer retries the event
  }
  // The plan names a runbook that cannot start: say so where people look.
  incidents::v1::AddTimelineEventRequest note;
  note.set_incident_id(incident.id());
  note.set_type("runbook.start_failed");
  note.set_message(absl::StrCat("Runbook ", incident.runbook().name(), " of response plan ",
                                incident.response_plan(), " did not start: ", s.message()));
  note.set_source_event_id(event_id);
  note.set_author(kService);
  return incidents_->AddTimelineEvent(note);
}

absl::StatusOr<v1::Execution> RunbookEngine::GetExecution(const std::string& id) {
  std::optional<ExecutionRow> row;
  RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(row, tx.GetExecution(id));
    return absl::OkStatus();
  }));
  if (!row.has_value()) {
    return absl::NotFoundError(absl::StrCat("no execution \"", Cut(id, 64), "\""));
  }
  return row->execution;
}

absl::StatusOr<std::vector<v1::Execution>> RunbookEngine::ListExecutions(
    const std::string& incident_id, int limit) {
  if (limit <= 0 || limit > kMaxListed) limit = kMaxListed;
  std::vector<v1::Execution> out;
  RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(out, tx.ListExecutions(incident_id, limit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::pair<v1::ExecutionState, int64_t>>>
RunbookEngine::CountByState() {
  std::vector<std::pair<v1::ExecutionState, int64_t>> out;
  RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(out, tx.CountExecutionsByState());
    return absl::OkStatus();
  }));
  return out;
}

void RunbookEngine::Announce(const Events& events) {
  if (!options_.on_event) return;
  for (const Envelope& e : events) options_.on_event(e);
}

// ------------------------------------------------------ the state machine

// Builds the changes of one transition: the row is edited in place, events
// collected, and the whole committed by compare-and-set.
struct RunbookEngine::Outcome {
  RunbookEngine& engine;
  Loaded& loaded;
  absl::Time now;
  Events events;

  v1::Execution& e() { return loaded.row.execution; }
  json& ctx() { return loaded.row.context; }
  const RunbookDocument& doc() { return *loaded.doc; }
  int index() { return ctx().value("index", 0); }
  const Step& step() { return doc().main_steps[index()]; }
  v1::StepExecution& rec() { return *e().mutable_steps(index()); }

  std::string StepLabel() {
    return absl::StrCat("Runbook ", e().runbook(), " step ", step().name, " (", step().action,
                        ")");
  }

  void StepEvent(std::string summary) {
    v1::StepChanged changed;
    changed.set_execution_id(e().id());
    changed.set_runbook(e().runbook());
    *changed.mutable_step() = rec();
    changed.set_summary(Cut(summary, 4096));
    events.push_back(bus::NewEvent(*engine.ids_, *engine.clock_, kService,
                                   events::kRunbookStepChanged, e().incident_id(), e().id(),
                                   changed));
  }

  void Finish(v1::ExecutionState state, std::string error) {
    e().set_state(state);
    e().set_error(Cut(error, kMaxErrorBytes));
    *e().mutable_end_time() = ToProtoTime(now);
    e().clear_current_step();
    for (const char* k : {"wake", "retry_at", "deadline", "inflight", "decision"}) {
      ctx().erase(k);
    }
    v1::ExecutionFinished finished;
    *finished.mutable_execution() = e();
    events.push_back(bus::NewEvent(*engine.ids_, *engine.clock_, kService,
                                   events::kRunbookExecutionFinished, e().incident_id(), e().id(),
                                   finished));
  }

  // Enters step `next` (index), or ends the execution successfully when -1.
  void GoTo(int next) {
    for (const char* k : {"wake", "retry_at", "deadline", "inflight", "decision"}) {
      ctx().erase(k);
    }
    if (next < 0) {
      Finish(v1::EXECUTION_STATE_SUCCESS, "");
      return;
    }
    const int transitions = ctx().value("transitions", 0) + 1;
    ctx()["transitions"] = transitions;
    ctx()["index"] = next;
    if (transitions > engine.options_.max_transitions) {
      Finish(v1::EXECUTION_STATE_FAILED,
             absl::StrCat("more than ", engine.options_.max_transitions,
                          " steps run: the document loops (stopped at step ",
                          doc().main_steps[next].name, ")"));
      return;
    }
    v1::StepExecution& r = rec();
    const std::string name = r.name(), action = r.action();
    r.Clear();  // a step entered again (a loop) starts afresh
    r.set_name(name);
    r.set_action(action);
    r.set_state(v1::STEP_STATE_PENDING);
    e().set_current_step(name);
    e().set_state(v1::EXECUTION_STATE_IN_PROGRESS);
  }

  int IndexOf(const std::string& name) {
    for (size_t i = 0; i < doc().main_steps.size(); ++i) {
      if (doc().main_steps[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  // The step's normal successor (document.h: isEnd, nextStep, the next).
  int Successor() {
    const Step& s = step();
    if (s.is_end) return -1;
    if (!s.next_step.empty()) return IndexOf(s.next_step);
    const int next = index() + 1;
    return next < static_cast<int>(doc().main_steps.size()) ? next : -1;
  }

  void Succeed(std::string detail, int next) {
    rec().set_state(v1::STEP_STATE_SUCCESS);
    *rec().mutable_end_time() = ToProtoTime(now);
    rec().clear_waiting_for();
    rec().clear_wake_time();
    rec().clear_error();
    StepEvent(absl::StrCat(StepLabel(), " succeeded", detail));
    GoTo(next);
  }

  // The step failed for good (or timed out): onFailure decides.
  void FailStep(v1::StepState state, const std::string& error) {
    rec().set_state(state);
    rec().set_error(Cut(error, kMaxErrorBytes));
    *rec().mutable_end_time() = ToProtoTime(now);
    rec().clear_waiting_for();
    rec().clear_wake_time();
    const bool timed_out = state == v1::STEP_STATE_TIMED_OUT;
    const OnFailure& of = step().on_failure;
    std::string then;
    switch (of.mode) {
      case OnFailure::Mode::kAbort: then = "; the execution stops"; break;
      case OnFailure::Mode::kContinue: then = "; continuing (onFailure: Continue)"; break;
      case OnFailure::Mode::kStep: then = absl::StrCat("; going to step ", of.step); break;
    }
    StepEvent(absl::StrCat(StepLabel(), timed_out ? " timed out" : " failed",
                           rec().attempts() > 1 ? absl::StrCat(" after ", rec().attempts(),
                                                               " attempts")
                                                : std::string(),
                           ": ", Cut(error, 1024), then));
    switch (of.mode) {
      case OnFailure::Mode::kAbort:
        ctx()["failed_step"] = index();
        Finish(timed_out ? v1::EXECUTION_STATE_TIMED_OUT : v1::EXECUTION_STATE_FAILED,
               absl::StrCat("step ", step().name, timed_out ? " timed out: " : " failed: ",
                            error));
        return;
      case OnFailure::Mode::kContinue:
        GoTo(Successor());
        return;
      case OnFailure::Mode::kStep:
        GoTo(IndexOf(of.step));
        return;
    }
  }

  // One attempt failed: retried later when it may be, else FailStep.
  void FailAttempt(const absl::Status& status) {
    const std::string error(status.message());
    if (Retryable(status) && rec().attempts() < step().max_attempts) {
      const int n = rec().attempts();
      absl::Duration backoff = engine.options_.backoff;
      for (int i = 1; i < n && backoff < engine.options_.max_backoff; ++i) backoff *= 2;
      backoff = std::min(backoff, engine.options_.max_backoff);
      const absl::Time at = now + backoff;
      SetTime(ctx(), "retry_at", at);
      rec().set_error(Cut(error, kMaxErrorBytes));
      *rec().mutable_wake_time() = ToProtoTime(at);
      rec().set_waiting_for(absl::StrCat("attempt ", n + 1, " of ", step().max_attempts));
      StepEvent(absl::StrCat(StepLabel(), " attempt ", n, " failed: ", Cut(error, 1024),
                             "; retrying at ",
                             absl::FormatTime("%H:%M:%S UTC", at, absl::UTCTimeZone())));
      return;
    }
    FailStep(v1::STEP_STATE_FAILED, error);
  }

  // Waiting for a person: the execution is Waiting too.
  void WaitFor(std::string what, std::string summary) {
    rec().set_state(v1::STEP_STATE_WAITING);
    rec().set_waiting_for(Cut(what, 1024));
    e().set_state(v1::EXECUTION_STATE_WAITING);
    StepEvent(std::move(summary));
  }
};

namespace {
// When the engine must look at the row next: at once when its current step
// is still to start (or was left in flight), else its earliest timer.
std::optional<absl::Time> DueOf(const ExecutionRow& row, absl::Time now) {
  const v1::Execution& e = row.execution;
  if (Ended(e.state())) return std::nullopt;
  const int i = row.context.value("index", 0);
  if (e.state() == v1::EXECUTION_STATE_PENDING || row.context.contains("inflight") ||
      (i >= 0 && i < e.steps_size() && e.steps(i).state() == v1::STEP_STATE_PENDING)) {
    return now;
  }
  return NextDue(row.context);
}
}  // namespace

absl::Status RunbookEngine::Commit(ExecutionRow& row, Events events, bool* lost) {
  row.next_due = DueOf(row, clock_->Now());
  *row.execution.mutable_update_time() = ToProtoTime(clock_->Now());
  *lost = false;
  RETURN_IF_ERROR(store_->Write([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool written, tx.UpdateExecution(row));
    if (!written) {
      *lost = true;
      return absl::OkStatus();
    }
    for (const Envelope& e : events) RETURN_IF_ERROR(tx.Emit(e));
    return absl::OkStatus();
  }));
  if (!*lost) {
    ++row.revision;
    Announce(events);
  }
  return absl::OkStatus();
}

absl::Status RunbookEngine::Advance(const std::string& execution_id) {
  // Each pass commits one transition; a step that waits ends the loop.
  for (int pass = 0; pass < options_.max_transitions * 2 + 10; ++pass) {
    ASSIGN_OR_RETURN(bool more, AdvanceOnce(execution_id));
    if (!more) return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RunbookEngine::AdvanceOnce(const std::string& execution_id) {
  std::optional<ExecutionRow> found;
  RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(found, tx.GetExecution(execution_id));
    return absl::OkStatus();
  }));
  if (!found.has_value() || Ended(found->execution.state())) return false;
  Loaded loaded{*std::move(found), nullptr};
  {
    absl::StatusOr<std::pair<v1::Runbook, RunbookDocument>> rb =
        LoadRunbook(loaded.row.execution.runbook(), loaded.row.execution.version());
    if (!rb.ok()) {
      if (absl::IsUnavailable(rb.status())) return rb.status();
      Outcome out{*this, loaded, clock_->Now(), {}};
      out.Finish(v1::EXECUTION_STATE_FAILED, std::string(rb.status().message()));
      bool lost = false;
      RETURN_IF_ERROR(Commit(loaded.row, std::move(out.events), &lost));
      return lost;
    }
    loaded.doc = std::make_shared<const RunbookDocument>(std::move(rb->second));
  }
  const absl::Time now = clock_->Now();
  Outcome out{*this, loaded, now, {}};
  json& ctx = loaded.row.context;
  if (out.index() < 0 || out.index() >= static_cast<int>(out.doc().main_steps.size()) ||
      loaded.row.execution.steps_size() != static_cast<int>(out.doc().main_steps.size())) {
    out.Finish(v1::EXECUTION_STATE_FAILED, "the execution's state does not match its document");
    bool lost = false;
    RETURN_IF_ERROR(Commit(loaded.row, std::move(out.events), &lost));
    return lost;
  }
  if (loaded.row.execution.state() == v1::EXECUTION_STATE_PENDING) {
    loaded.row.execution.set_state(v1::EXECUTION_STATE_IN_PROGRESS);
    loaded.row.execution.set_current_step(out.step().name);
  }
  const Step& step = out.step();
  v1::StepExecution& rec = out.rec();
  const EngineValues values = ValuesOf(ctx);

  // A person's decision is awaited: nothing moves it but them (or a timeout).
  const std::optional<absl::Time> deadline = TimeField(ctx, "deadline");
  if (ctx.value("decision", false)) return false;
  if (deadline.has_value() && now >= *deadline &&
      (rec.state() == v1::STEP_STATE_WAITING || rec.state() == v1::STEP_STATE_IN_PROGRESS) &&
      !ctx.contains("inflight")) {
    out.FailStep(v1::STEP_STATE_TIMED_OUT,
                 absl::StrCat("no result within ", step.timeout_seconds.value_or(0), " s"));
    bool lost = false;
    RETURN_IF_ERROR(Commit(loaded.row, std::move(out.events), &lost));
    return true;
  }

  bool run_external = false;
  switch (rec.state()) {
    case v1::STEP_STATE_PENDING: {
      rec.set_state(v1::STEP_STATE_IN_PROGRESS);
      *rec.mutable_start_time() = ToProtoTime(now);
      rec.set_attempts(1);
      loaded.row.execution.set_current_step(step.name);
      absl::Duration timeout = absl::ZeroDuration();
      if (step.timeout_seconds.has_value()) {
        timeout = absl::Seconds(*step.timeout_seconds);
      } else if (step.action == "tocsin:waitFor") {
        timeout = options_.wait_for_timeout;
      }
      if (timeout > absl::ZeroDuration() && step.action != "aws:sleep") {
        SetTime(ctx, "deadline", now + timeout);
      }
      const std::string& a = step.action;
      if (a == "aws:pause" || a == "tocsin:manual" || a == "aws:approve") {
        std::string message;
        if (step.inputs.contains("Message")) {
          absl::StatusOr<std::string> m =
              SubstituteText(step.inputs["Message"].get<std::string>(), values);
          if (!m.ok()) {
            out.FailStep(v1::STEP_STATE_FAILED, std::string(m.status().message()));
            break;
          }
          message = *std::move(m);
        }
        rec.set_message(Cut(message, kMaxMessageBytes));
        const std::string first_line = Cut(message.substr(0, message.find('\n')), 300);
        if (a == "aws:approve") {
          absl::StatusOr<json> approvers = SubstituteJson(step.inputs["Approvers"], values);
          absl::StatusOr<std::vector<std::string>> names =
              approvers.ok() ? StringList(*approvers, "Approvers") : approvers.status();
          if (!names.ok()) {
            out.FailStep(v1::STEP_STATE_FAILED, std::string(names.status().message()));
            break;
          }
          ctx["approvers"] = *names;
          int min = 1;
          if (step.inputs.contains("MinRequiredApprovals")) {
            absl::StatusOr<json> m = SubstituteJson(step.inputs["MinRequiredApprovals"], values);
            if (m.ok() && m->is_number_integer()) min = m->get<int>();
            if (m.ok() && m->is_string()) absl::SimpleAtoi(m->get<std::string>(), &min);
          }
          min = std::max(1, std::min<int>(min, static_cast<int>(names->size())));
          ctx["min_approvals"] = min;
          const std::string who = absl::StrJoin(*names, ", ");
          out.WaitFor(absl::StrCat(min, " approval", min > 1 ? "s" : "", " from ", who),
                      absl::StrCat(out.StepLabel(), " waits for ", min, " approval",
                                   min > 1 ? "s" : "", " from ", who,
                                   first_line.empty() ? "" : ": ", first_line,
                                   " (tocsin executions approve|reject ",
                                   loaded.row.execution.id(), " ", step.name, ")"));
        } else {
          out.WaitFor("a person to complete it",
                      absl::StrCat(out.StepLabel(), " waits for a person",
                                   first_line.empty() ? "" : ": ", first_line,
                                   " (tocsin executions complete-step ",
                                   loaded.row.execution.id(), " ", step.name, ")"));
        }
        break;
      }
      if (a == "aws:sleep") {
        absl::Duration d = step.duration;
        if (d == absl::ZeroDuration()) {
          absl::StatusOr<std::string> text =
              SubstituteText(step.inputs["Duration"].get<std::string>(), values);
          absl::StatusOr<absl::Duration> parsed =
              text.ok() ? ParseIsoDuration(*text) : text.status();
          if (!parsed.ok()) {
            out.FailStep(v1::STEP_STATE_FAILED, std::string(parsed.status().message()));
            break;
          }
          d = *parsed;
        }
        SetTime(ctx, "wake", now + d);
        *rec.mutable_wake_time() = ToProtoTime(now + d);
        rec.set_waiting_for(absl::StrCat("sleeping until ",
                                         absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", now + d,
                                                          absl::UTCTimeZone())));
        out.StepEvent(absl::StrCat(out.StepLabel(), " sleeps ", absl::FormatDuration(d)));
        break;
      }
      if (a == "aws:branch") {
        int next = -2;
        std::string chose;
        for (const Choice& choice : step.choices) {
          absl::StatusOr<bool> holds = Evaluate(
              choice.condition, [&](const std::string& variable) -> absl::StatusOr<json> {
                return SubstituteJson(json(variable), values);
              });
          if (!holds.ok()) {
            out.FailStep(v1::STEP_STATE_FAILED, std::string(holds.status().message()));
            next = -3;
            break;
          }
          if (*holds) {
            next = out.IndexOf(choice.next_step);
            chose = choice.next_step;
            break;
          }
        }
        if (next == -3) break;
        if (next == -2) {
          if (!step.default_step.empty()) {
            next = out.IndexOf(step.default_step);
            chose = absl::StrCat(step.default_step, " (Default)");
          } else {
            next = out.Successor();
            chose = next < 0 ? std::string("the end (no choice held)")
                             : absl::StrCat(out.doc().main_steps[next].name, " (no choice held)");
          }
        }
        rec.set_attempts(1);
        (*rec.mutable_outputs())["NextStep"] = json(chose).dump();
        out.Succeed(absl::StrCat(": going to ", chose), next);
        break;
      }
      if (a == "tocsin:notify") {
        absl::StatusOr<std::string> m =
            SubstituteText(step.inputs["Message"].get<std::string>(), values);
        if (!m.ok()) {
          out.FailStep(v1::STEP_STATE_FAILED, std::string(m.status().message()));
          break;
        }
        rec.set_message(Cut(*m, kMaxMessageBytes));
        v1::Notified notified;
        notified.set_execution_id(loaded.row.execution.id());
        notified.set_step(step.name);
        notified.set_message(Cut(*m, kMaxMessageBytes));
        out.events.push_back(bus::NewEvent(*ids_, *clock_, kService, events::kRunbookNotified,
                                           loaded.row.execution.incident_id(),
                                           loaded.row.execution.id(), notified));
        out.Succeed("", out.Successor());
        break;
      }
      // External: mark in flight, commit, then call.
      ctx["inflight"] = rec.attempts();
      out.StepEvent(absl::StrCat(out.StepLabel(), " started"));
      run_external = true;
      break;
    }
    case v1::STEP_STATE_IN_PROGRESS: {
      if (ctx.contains("inflight")) {
        // Found in flight: the service stopped during the call (no advance
        // of this execution runs elsewhere: busy_ guards this process).
        if (SafeToRepeat(step)) {
          rec.set_attempts(rec.attempts() + 1);
          ctx["inflight"] = rec.attempts();
          out.StepEvent(absl::StrCat(out.StepLabel(), " was running when the runbook service "
                                                      "stopped; running it again (idempotent)"));
          run_external = true;
          break;
        }
        ctx.erase("inflight");
        ctx.erase("deadline");  // a person's choice has no timeout
        ctx["decision"] = true;
        out.WaitFor(
            "a person to retry, skip or cancel it: it was running when the runbook service "
            "stopped and may or may not have taken effect",
            absl::StrCat(out.StepLabel(),
                         " was running when the runbook service stopped and may or may not have "
                         "taken effect; it is not marked idempotent, so it waits for a person: "
                         "tocsin executions retry|skip ",
                         loaded.row.execution.id(), " ", step.name, ", or cancel"));
        break;
      }
      if (auto wake = TimeField(ctx, "wake"); wake.has_value()) {
        if (now < *wake) return false;
        if (step.action == "aws:sleep") {
          ctx.erase("wake");
          out.Succeed("", out.Successor());
          break;
        }
        // tocsin:waitFor: the next check.
        ctx.erase("wake");
        ctx["inflight"] = rec.attempts();
        run_external = true;
        break;
      }
      if (auto retry = TimeField(ctx, "retry_at"); retry.has_value()) {
        if (now < *retry) return false;
        ctx.erase("retry_at");
        rec.set_attempts(rec.attempts() + 1);
        rec.clear_wake_time();
        rec.clear_waiting_for();
        ctx["inflight"] = rec.attempts();
        out.StepEvent(absl::StrCat(out.StepLabel(), " attempt ", rec.attempts(), " started"));
        run_external = true;
        break;
      }
      return false;
    }
    default:
      return false;  // Waiting for a person; ended steps are not current
  }

  bool lost = false;
  RETURN_IF_ERROR(Commit(loaded.row, std::move(out.events), &lost));
  if (lost) return true;  // changed meanwhile (a decision, a cancel): read again
  if (!run_external) return true;

  // ---- the call, outside any transaction
  const int attempt = ctx["inflight"].get<int>();
  absl::Duration timeout = step.timeout_seconds.has_value()
                               ? absl::Seconds(*step.timeout_seconds)
                               : (step.action == "tocsin:command" ? options_.command_timeout
                                  : step.action == "tocsin:updateIncident"
                                      ? options_.update_incident_timeout
                                      : options_.http_timeout);
  if (const std::optional<absl::Time> d = TimeField(ctx, "deadline"); d.has_value()) {
    timeout = std::max(absl::Seconds(1), std::min(timeout, *d - clock_->Now()));
  }
  absl::StatusOr<json> result;
  std::optional<incidents::v1::Incident> updated_incident;
  const v1::Execution& e = loaded.row.execution;
  if (step.action == "tocsin:http" || step.action == "tocsin:waitFor") {
    json inputs = step.inputs;
    inputs.erase("Until");
    inputs.erase("Interval");
    result = runner_->Http(inputs, values, timeout);
  } else if (step.action == "tocsin:command") {
    result = runner_->Command(step.inputs, values, timeout,
                              {{"TOCSIN_INCIDENT_ID", e.incident_id()},
                               {"TOCSIN_EXECUTION_ID", e.id()},
                               {"TOCSIN_STEP", step.name}});
  } else {  // tocsin:updateIncident
    result = [&]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(json in, SubstituteJson(step.inputs, values));
      const std::string author = absl::StrCat("runbook:", e.runbook(), "/", e.id());
      incidents::v1::UpdateIncidentRequest update;
      update.set_id(e.incident_id());
      update.set_author(author);
      bool any = false;
      if (in.contains("Impact")) {
        int64_t impact = 0;
        if (in["Impact"].is_number_integer()) {
          impact = in["Impact"].get<int64_t>();
        } else if (!in["Impact"].is_string() ||
                   !absl::SimpleAtoi(in["Impact"].get<std::string>(), &impact)) {
          return absl::InvalidArgumentError(absl::StrCat("Impact ", in["Impact"].dump(),
                                                         " is not an integer 1..5"));
        }
        if (impact < 1 || impact > 5) {
          return absl::InvalidArgumentError(absl::StrCat("Impact ", impact,
                                                         " is not an integer 1..5"));
        }
        update.set_impact(static_cast<int32_t>(impact));
        any = true;
      }
      if (in.contains("Title")) {
        if (!in["Title"].is_string()) return absl::InvalidArgumentError("Title is not text");
        update.set_title(in["Title"].get<std::string>());
        any = true;
      }
      json done = json::object();
      if (any) {
        ASSIGN_OR_RETURN(incidents::v1::Incident i, incidents_->UpdateIncident(update));
        updated_incident = i;
        done["updated"] = true;
      }
      if (in.contains("Note")) {
        incidents::v1::AddTimelineEventRequest note;
        note.set_incident_id(e.incident_id());
        note.set_type("runbook.note");
        note.set_message(in["Note"].is_string() ? in["Note"].get<std::string>()
                                                : in["Note"].dump());
        note.set_source_event_id(absl::StrCat(e.id(), "/", step.name, "/",
                                              ctx.value("transitions", 0)));
        note.set_author(author);
        RETURN_IF_ERROR(incidents_->AddTimelineEvent(note));
        done["note"] = true;
      }
      bool resolve = false;
      if (in.contains("Resolve")) {
        resolve = in["Resolve"].is_boolean() ? in["Resolve"].get<bool>()
                                             : in["Resolve"] == json("true");
      }
      if (resolve) {
        ASSIGN_OR_RETURN(incidents::v1::Incident i,
                         incidents_->ResolveIncident(e.incident_id(),
                                                     absl::StrCat("Resolved by runbook ",
                                                                  e.runbook(), " step ", step.name),
                                                     author));
        updated_incident = i;
        done["resolved"] = true;
      }
      return done;
    }();
  }

  // ---- the result, committed if the execution is still where we left it
  for (int tries = 0; tries < 5; ++tries) {
    std::optional<ExecutionRow> again;
    RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(again, tx.GetExecution(execution_id));
      return absl::OkStatus();
    }));
    if (!again.has_value() || Ended(again->execution.state()) ||
        again->context.value("index", -1) != ctx.value("index", -2) ||
        !again->context.contains("inflight") || again->context["inflight"] != attempt) {
      return true;  // cancelled or decided meanwhile: the result is dropped
    }
    Loaded fresh{*std::move(again), loaded.doc};
    Outcome o{*this, fresh, clock_->Now(), {}};
    json& c = fresh.row.context;
    c.erase("inflight");
    v1::StepExecution& r = o.rec();
    if (result.ok()) r.set_result(ResultText(*result));
    if (updated_incident.has_value()) PutIncidentValues(c["values"], *updated_incident);
    absl::Status failure = result.status();
    if (result.ok() && step.action == "tocsin:command") {
      const int code = result->value("exitCode", 0);
      if (code != 0) {
        failure = absl::UnavailableError(absl::StrCat(
            "exited with status ", code, ": ",
            Cut(result->value("stderr", std::string()), 300)));
      }
    }
    if (failure.ok() && step.action == "tocsin:waitFor") {
      absl::StatusOr<bool> met = Evaluate(
          step.until, [&](const std::string& selector) { return Select(*result, selector); });
      if (!met.ok()) {
        failure = met.status();
      } else if (!*met) {
        const absl::Duration interval =
            step.interval > absl::ZeroDuration() ? step.interval : absl::Seconds(30);
        const int checks = c.value("checks", 0) + 1;
        c["checks"] = checks;
        const absl::Time at = o.now + interval;
        auto dl = TimeField(c, "deadline");
        if (dl.has_value() && at >= *dl) {
          SetTime(c, "wake", *dl);  // one last look at the deadline: TimedOut
        } else {
          SetTime(c, "wake", at);
        }
        *r.mutable_wake_time() = ToProtoTime(*TimeField(c, "wake"));
        r.set_waiting_for(absl::StrCat("not yet (check ", checks, "); next check at ",
                                       absl::FormatTime("%H:%M:%S UTC", *TimeField(c, "wake"),
                                                        absl::UTCTimeZone())));
        bool lost2 = false;
        RETURN_IF_ERROR(Commit(fresh.row, std::move(o.events), &lost2));
        if (lost2) continue;
        return true;
      }
    }
    if (failure.ok()) {
      std::vector<std::string> shown;
      for (const Output& output : step.outputs) {
        absl::StatusOr<json> v = SelectOutput(*result, output);
        if (!v.ok()) {
          failure = absl::InvalidArgumentError(v.status().message());
          break;
        }
        c["values"][absl::StrCat(step.name, ".", output.name)] = *v;
        (*r.mutable_outputs())[output.name] = v->dump();
        shown.push_back(absl::StrCat(output.name, "=", Cut(v->dump(), 80)));
      }
      if (failure.ok()) {
        o.Succeed(shown.empty() ? std::string()
                                : absl::StrCat(" (", absl::StrJoin(shown, ", "), ")"),
                  o.Successor());
      }
    }
    if (!failure.ok()) o.FailAttempt(failure);
    bool lost2 = false;
    RETURN_IF_ERROR(Commit(fresh.row, std::move(o.events), &lost2));
    if (!lost2) return true;
  }
  return absl::AbortedError(absl::StrCat("execution ", execution_id,
                                         " kept changing while its step result was saved"));
}

// ---------------------------------------------------------------- people

absl::StatusOr<v1::Execution> RunbookEngine::Decide(const v1::DecideStepRequest& request) {
  if (request.author().empty()) {
    return absl::InvalidArgumentError("a decision needs an author (tocsin --author USER)");
  }
  if (request.comment().size() > 4096) {
    return absl::InvalidArgumentError("comment is longer than 4096 characters");
  }
  for (int tries = 0; tries < 5; ++tries) {
    std::optional<ExecutionRow> found;
    RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(found, tx.GetExecution(request.execution_id()));
      return absl::OkStatus();
    }));
    if (!found.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("no execution \"", Cut(request.execution_id(), 64), "\""));
    }
    ASSIGN_OR_RETURN(auto rb, LoadRunbook(found->execution.runbook(), found->execution.version()));
    Loaded loaded{*std::move(found), std::make_shared<const RunbookDocument>(rb.second)};
    Outcome out{*this, loaded, clock_->Now(), {}};
    v1::Execution& e = loaded.row.execution;
    json& ctx = loaded.row.context;
    int target = out.IndexOf(request.step());
    if (target < 0) {
      return absl::NotFoundError(absl::StrCat("runbook ", e.runbook(), " has no step \"",
                                              Cut(request.step(), 64), "\""));
    }
    const bool resumable_end =
        (e.state() == v1::EXECUTION_STATE_FAILED || e.state() == v1::EXECUTION_STATE_TIMED_OUT) &&
        ctx.value("failed_step", -1) == target;
    if (Ended(e.state()) && !resumable_end) {
      return absl::FailedPreconditionError(absl::StrCat(
          "execution ", e.id(), " has ended (", StateName(e.steps(target).state()),
          " step ", request.step(), "); nothing waits for a decision"));
    }
    if (!Ended(e.state()) && out.index() != target) {
      return absl::FailedPreconditionError(absl::StrCat(
          "step ", request.step(), " is not the current step of ", e.id(), " (",
          e.current_step(), " is)"));
    }
    ctx["index"] = target;
    const Step& step = out.step();
    v1::StepExecution& rec = out.rec();
    const std::string who = request.author();
    const std::string comment = request.comment();
    auto decided = [&]() {
      rec.set_decided_by(who);
      rec.set_comment(Cut(comment, 4096));
      return absl::StrCat(" by ", who, comment.empty() ? "" : ": ", Cut(comment, 300));
    };
    const bool waiting = rec.state() == v1::STEP_STATE_WAITING;
    const bool needs_decision = ctx.value("decision", false);
    switch (request.decision()) {
      case v1::STEP_DECISION_COMPLETE:
        if (!waiting || (step.action != "aws:pause" && step.action != "tocsin:manual")) {
          return absl::FailedPreconditionError(absl::StrCat(
              "step ", step.name, " (", step.action, ", ", StateName(rec.state()),
              ") is not a manual step waiting to be completed",
              needs_decision ? "; it waits for retry, skip or cancel" : ""));
        }
        out.Succeed(absl::StrCat(": completed", decided()), out.Successor());
        break;
      case v1::STEP_DECISION_APPROVE:
      case v1::STEP_DECISION_REJECT: {
        if (!waiting || step.action != "aws:approve") {
          return absl::FailedPreconditionError(absl::StrCat(
              "step ", step.name, " (", step.action, ", ", StateName(rec.state()),
              ") is not an approval waiting for a decision"));
        }
        std::vector<std::string> approvers;
        if (ctx.contains("approvers")) approvers = ctx["approvers"].get<std::vector<std::string>>();
        if (!IsApprover(approvers, who)) {
          return absl::PermissionDeniedError(absl::StrCat(
              who, " is not an approver of step ", step.name, " (approvers: ",
              absl::StrJoin(approvers, ", "), ")"));
        }
        for (const v1::Approval& a : rec.approvals()) {
          if (a.approver() == who) {
            return absl::FailedPreconditionError(absl::StrCat(
                who, " already ", a.approved() ? "approved" : "rejected", " step ", step.name));
          }
        }
        v1::Approval* a = rec.add_approvals();
        a->set_approver(who);
        a->set_approved(request.decision() == v1::STEP_DECISION_APPROVE);
        a->set_comment(Cut(comment, 4096));
        *a->mutable_time() = ToProtoTime(out.now);
        if (request.decision() == v1::STEP_DECISION_REJECT) {
          rec.set_decided_by(who);
          rec.set_comment(Cut(comment, 4096));
          out.FailStep(v1::STEP_STATE_FAILED,
                       absl::StrCat("rejected by ", who, comment.empty() ? "" : ": ", comment));
          break;
        }
        int approvals = 0;
        for (const v1::Approval& x : rec.approvals()) approvals += x.approved();
        const int min = ctx.value("min_approvals", 1);
        if (approvals >= min) {
          rec.set_decided_by(who);
          out.Succeed(absl::StrCat(": approved by ", approvals, " of ", min, " (last ", who,
                                   comment.empty() ? "" : ": ", Cut(comment, 300), ")"),
                      out.Successor());
        } else {
          rec.set_waiting_for(absl::StrCat(min - approvals, " more approval",
                                           min - approvals > 1 ? "s" : "", " from ",
                                           absl::StrJoin(approvers, ", ")));
          out.StepEvent(absl::StrCat(out.StepLabel(), ": ", who, " approved (", approvals,
                                     " of ", min, ")", comment.empty() ? "" : ": ",
                                     Cut(comment, 300)));
        }
        break;
      }
      case v1::STEP_DECISION_RETRY: {
        const bool failed = rec.state() == v1::STEP_STATE_FAILED ||
                            rec.state() == v1::STEP_STATE_TIMED_OUT;
        if (!needs_decision && !(resumable_end && failed)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "step ", step.name, " (", StateName(rec.state()),
              ") can be retried only when it failed and stopped the execution, or was running "
              "when the service stopped"));
        }
        ctx.erase("decision");
        ctx.erase("failed_step");
        e.clear_end_time();
        e.clear_error();
        const std::string by = decided();
        // Entered afresh (attempts start again), as a person asked.
        ctx["transitions"] = std::max(0, ctx.value("transitions", 0) - 1);
        out.GoTo(target);
        out.rec().set_decided_by(who);
        out.rec().set_comment(Cut(comment, 4096));
        out.StepEvent(absl::StrCat(out.StepLabel(), " will run again", by));
        break;
      }
      case v1::STEP_DECISION_SKIP: {
        const bool failed = rec.state() == v1::STEP_STATE_FAILED ||
                            rec.state() == v1::STEP_STATE_TIMED_OUT;
        if (!waiting && !(resumable_end && failed)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "step ", step.name, " (", StateName(rec.state()),
              ") is not waiting for a person and did not stop the execution"));
        }
        ctx.erase("decision");
        ctx.erase("failed_step");
        e.clear_end_time();
        e.clear_error();
        rec.set_state(v1::STEP_STATE_SKIPPED);
        *rec.mutable_end_time() = ToProtoTime(out.now);
        rec.clear_waiting_for();
        const std::string by = decided();
        out.StepEvent(absl::StrCat(out.StepLabel(), " skipped", by));
        for (const char* k : {"wake", "retry_at", "deadline", "inflight"}) ctx.erase(k);
        out.GoTo(out.Successor());
        break;
      }
      default:
        return absl::InvalidArgumentError(
            "decision must be complete, approve, reject, retry or skip");
    }
    bool lost = false;
    RETURN_IF_ERROR(Commit(loaded.row, std::move(out.events), &lost));
    if (!lost) return e;
  }
  return absl::AbortedError("the execution kept changing; try again");
}

absl::StatusOr<v1::Execution> RunbookEngine::Cancel(const v1::CancelExecutionRequest& request) {
  if (request.author().empty()) {
    return absl::InvalidArgumentError("cancelling needs an author (tocsin --author USER)");
  }
  for (int tries = 0; tries < 5; ++tries) {
    std::optional<ExecutionRow> found;
    RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(found, tx.GetExecution(request.id()));
      return absl::OkStatus();
    }));
    if (!found.has_value()) {
      return absl::NotFoundError(absl::StrCat("no execution \"", Cut(request.id(), 64), "\""));
    }
    if (Ended(found->execution.state())) {
      return absl::FailedPreconditionError(absl::StrCat("execution ", request.id(),
                                                        " has already ended"));
    }
    Loaded loaded{*std::move(found), nullptr};
    Outcome out{*this, loaded, clock_->Now(), {}};
    v1::Execution& e = loaded.row.execution;
    const int i = loaded.row.context.value("index", 0);
    if (i >= 0 && i < e.steps_size()) {
      v1::StepExecution* s = e.mutable_steps(i);
      if (s->state() == v1::STEP_STATE_IN_PROGRESS || s->state() == v1::STEP_STATE_WAITING ||
          s->state() == v1::STEP_STATE_PENDING) {
        s->set_state(v1::STEP_STATE_CANCELLED);
        *s->mutable_end_time() = ToProtoTime(out.now);
        s->clear_waiting_for();
        s->clear_wake_time();
      }
    }
    out.Finish(v1::EXECUTION_STATE_CANCELLED,
               absl::StrCat("cancelled by ", request.author(),
                            request.reason().empty() ? "" : ": ", Cut(request.reason(), 1024)));
    bool lost = false;
    RETURN_IF_ERROR(Commit(loaded.row, std::move(out.events), &lost));
    if (!lost) return e;
  }
  return absl::AbortedError("the execution kept changing; try again");
}

// ----------------------------------------------------------------- timers

absl::StatusOr<int> RunbookEngine::RunDue() {
  std::vector<std::string> due;
  RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(due, tx.DueExecutions(clock_->Now(), 100));
    return absl::OkStatus();
  }));
  int handed = 0;
  for (const std::string& id : due) {
    {
      absl::MutexLock lock(&mu_);
      if (!busy_.insert(id).second) continue;
    }
    ++handed;
    auto run = [this, id] {
      absl::Status s = Advance(id);
      (void)s;  // logged by the caller's executor wrapper; the timer stays due
      absl::MutexLock lock(&mu_);
      busy_.erase(id);
    };
    if (options_.executor) {
      options_.executor(std::move(run));
    } else {
      run();
    }
  }
  return handed;
}

absl::Status RunbookEngine::Recover() {
  std::vector<std::string> ids;
  RETURN_IF_ERROR(store_->Read([&](RunbookStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(ids, tx.UnfinishedExecutions());
    return absl::OkStatus();
  }));
  const absl::Time now = clock_->Now();
  for (const std::string& id : ids) {
    RETURN_IF_ERROR(store_->Write([&](RunbookStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<ExecutionRow> row, tx.GetExecution(id));
      if (!row.has_value()) return absl::OkStatus();
      const std::optional<absl::Time> due = DueOf(*row, now);
      if (due == row->next_due) return absl::OkStatus();
      row->next_due = due;
      return tx.UpdateExecution(*row).status();
    }));
  }
  return absl::OkStatus();
}

}  // namespace tocsin::runbook
