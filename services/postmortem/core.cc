#include "services/postmortem/core.h"

#include <algorithm>
#include <optional>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "services/postmortem/aggregate.h"
#include "services/postmortem/export.h"
#include "services/postmortem/templates.h"

namespace tocsin::postmortem {
namespace {

constexpr char kAutomatic[] = "auto";

absl::Status AnalysisNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("no post-incident analysis ", id,
                                          " (tocsin postmortems list shows them)"));
}

// The question ids of a template, for error messages.
std::string QuestionIds(const v1::Template& t) {
  std::vector<std::string> ids;
  for (const v1::Section& s : t.sections()) {
    for (const v1::Question& q : s.questions()) ids.push_back(q.id());
  }
  return absl::StrJoin(ids, ", ");
}

bool ValidLink(absl::string_view link) {
  if (!absl::StartsWith(link, "https://") && !absl::StartsWith(link, "http://")) return false;
  if (link.size() > 2048) return false;
  return std::none_of(link.begin(), link.end(), [](char c) {
    return absl::ascii_isspace(static_cast<unsigned char>(c)) ||
           absl::ascii_iscntrl(static_cast<unsigned char>(c));
  });
}

bool ValidOwner(absl::string_view owner) {
  if (owner.empty() || owner.size() > 128) return false;
  return std::none_of(owner.begin(), owner.end(), [](char c) {
    return absl::ascii_iscntrl(static_cast<unsigned char>(c));
  });
}

}  // namespace

PostmortemCore::PostmortemCore(PostmortemStore* store, IncidentFactsPort* incidents,
                               const Clock* clock, IdGenerator* ids, CoreOptions options)
    : store_(store),
      incidents_(incidents),
      clock_(clock),
      ids_(ids),
      options_(std::move(options)) {}

// ---- Templates ----

absl::StatusOr<std::vector<v1::Template>> PostmortemCore::ListTemplates() {
  std::vector<v1::Template> out = {DefaultTemplate()};
  RETURN_IF_ERROR(store_->Read([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<v1::Template> saved, tx.ListTemplates());
    for (auto& t : saved) out.push_back(std::move(t));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Template> PostmortemCore::GetTemplate(const std::string& name) {
  if (name == kDefaultTemplate) return DefaultTemplate();
  std::optional<v1::Template> found;
  RETURN_IF_ERROR(store_->Read([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(found, tx.GetTemplate(name));
    return absl::OkStatus();
  }));
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrCat("no analysis template \"", name,
                                            "\" (tocsin templates list shows them)"));
  }
  return *std::move(found);
}

absl::StatusOr<v1::SaveTemplateResponse> PostmortemCore::SaveTemplate(
    const v1::SaveTemplateRequest& request) {
  v1::Template desired = request.template_();
  if (desired.name() == kDefaultTemplate) {
    return absl::AlreadyExistsError(absl::StrCat(
        kDefaultTemplate, " is built in and cannot be saved over; save yours under another "
        "name and name it in the plan's postIncidentTemplate"));
  }
  // What the service sets is not the caller's to give.
  desired.set_builtin(false);
  desired.clear_version();
  desired.clear_update_time();
  desired.clear_author();
  RETURN_IF_ERROR(ValidateTemplate(desired));
  v1::SaveTemplateResponse response;
  auto body = [&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::Template> stored, tx.GetTemplate(desired.name()));
    if (stored.has_value()) {
      v1::Template comparable = *stored;
      comparable.clear_version();
      comparable.clear_update_time();
      comparable.clear_author();
      comparable.set_builtin(false);
      if (google::protobuf::util::MessageDifferencer::Equals(comparable, desired)) {
        *response.mutable_template_() = *stored;
        response.set_outcome(v1::SAVE_OUTCOME_UNCHANGED);
        return absl::OkStatus();
      }
    }
    v1::Template saved = desired;
    saved.set_version(stored.has_value() ? stored->version() + 1 : 1);
    *saved.mutable_update_time() = ToProtoTime(clock_->Now());
    saved.set_author(request.author());
    response.set_outcome(stored.has_value() ? v1::SAVE_OUTCOME_UPDATED
                                            : v1::SAVE_OUTCOME_CREATED);
    *response.mutable_template_() = saved;
    if (request.dry_run()) return absl::OkStatus();
    return tx.PutTemplate(saved);
  };
  RETURN_IF_ERROR(request.dry_run() ? store_->Read(body) : store_->Write(body));
  return response;
}

// ---- Analyses ----

absl::StatusOr<v1::Template> PostmortemCore::ResolveTemplate(
    PostmortemStore::Tx& tx, const std::string& name, const incidents::v1::Incident& incident,
    bool strict, std::string& note) {
  const std::string wanted = !name.empty() ? name : incident.post_incident_template();
  if (wanted.empty() || wanted == kDefaultTemplate) return DefaultTemplate();
  ASSIGN_OR_RETURN(std::optional<v1::Template> found, tx.GetTemplate(wanted));
  if (found.has_value()) return *std::move(found);
  if (strict) {
    return absl::NotFoundError(absl::StrCat("no analysis template \"", wanted,
                                            "\" (tocsin templates list shows them)"));
  }
  note = absl::StrCat("the response plan names template \"", wanted,
                      "\", which does not exist; used ", kDefaultTemplate);
  return DefaultTemplate();
}

void PostmortemCore::Fill(v1::Analysis& analysis, const IncidentFacts& facts) const {
  ComputedFacts computed = ComputeFacts(facts);
  *analysis.mutable_incident() = facts.incident;
  analysis.set_incident_id(facts.incident.id());
  analysis.clear_timeline();
  for (const auto& entry : facts.timeline) *analysis.add_timeline() = entry;
  analysis.clear_people();
  for (auto& person : computed.people) *analysis.add_people() = std::move(person);
  *analysis.mutable_metrics() = computed.metrics;
  if (computed.first_alarm_time.has_value()) {
    *analysis.mutable_first_alarm_time() = ToProtoTime(*computed.first_alarm_time);
  } else {
    analysis.clear_first_alarm_time();
  }
}

void PostmortemCore::AddHistory(v1::Analysis& analysis, const std::string& author,
                                const std::string& action, const std::string& reason) const {
  v1::HistoryEntry* entry = analysis.add_history();
  *entry->mutable_time() = ToProtoTime(clock_->Now());
  entry->set_author(author.empty() ? "api" : author);
  entry->set_action(action);
  entry->set_reason(reason);
}

void PostmortemCore::Touch(v1::Analysis& analysis) const {
  *analysis.mutable_update_time() = ToProtoTime(clock_->Now());
  analysis.set_revision(analysis.revision() + 1);
}

absl::Status PostmortemCore::AnalyseResolved(const incidents::v1::Incident& incident) {
  const std::string& incident_id = incident.id();
  if (incident_id.empty()) return absl::InvalidArgumentError("incident.resolved without an id");
  std::optional<std::string> done;
  RETURN_IF_ERROR(store_->Read([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(done, tx.FindAutomaticAnalysis(incident_id));
    return absl::OkStatus();
  }));
  if (done.has_value()) return absl::OkStatus();
  // Outside the transaction: the incidents service may be slow.
  ASSIGN_OR_RETURN(IncidentFacts facts, incidents_->Fetch(incident_id));
  std::optional<v1::Analysis> created;
  std::optional<v1::Analysis> analysed;
  RETURN_IF_ERROR(store_->Write([&](PostmortemStore::Tx& tx) -> absl::Status {
    created.reset();
    analysed.reset();
    ASSIGN_OR_RETURN(std::optional<std::string> again, tx.FindAutomaticAnalysis(incident_id));
    if (again.has_value()) return absl::OkStatus();
    // One made by hand and still open to edits becomes the automatic one.
    AnalysisFilter filter;
    filter.incident_id = incident_id;
    ASSIGN_OR_RETURN(std::vector<v1::Analysis> existing, tx.ListAnalyses(filter));
    for (const v1::Analysis& summary : existing) {
      if (summary.state() == v1::ANALYSIS_STATE_PUBLISHED) continue;
      ASSIGN_OR_RETURN(std::optional<v1::Analysis> full, tx.GetAnalysis(summary.id()));
      if (!full.has_value()) continue;
      v1::Analysis& a = *full;
      Fill(a, facts);
      AddHistory(a, kAutomatic, "refreshed",
                 "the incident was resolved: timeline and metrics brought up to date");
      a.set_automatic(true);
      Touch(a);
      RETURN_IF_ERROR(tx.UpdateAnalysis(a));
      RETURN_IF_ERROR(tx.RecordAutomaticAnalysis(incident_id, a.id()));
      analysed = a;
      return absl::OkStatus();
    }
    std::string note;
    ASSIGN_OR_RETURN(v1::Template t,
                     ResolveTemplate(tx, "", facts.incident, /*strict=*/false, note));
    v1::Analysis a;
    a.set_id(ids_->Next("pia"));
    *a.mutable_template_() = std::move(t);
    a.set_state(v1::ANALYSIS_STATE_DRAFT);
    a.set_created_by(kAutomatic);
    a.set_automatic(true);
    *a.mutable_create_time() = ToProtoTime(clock_->Now());
    *a.mutable_update_time() = a.create_time();
    a.set_revision(1);
    Fill(a, facts);
    AddHistory(a, kAutomatic, "created", "the incident was resolved");
    if (!note.empty()) AddHistory(a, kAutomatic, "note", note);
    RETURN_IF_ERROR(tx.InsertAnalysis(a));
    RETURN_IF_ERROR(tx.RecordAutomaticAnalysis(incident_id, a.id()));
    analysed = a;
    created = std::move(a);
    return absl::OkStatus();
  }));
  if (created.has_value() && options_.on_created) options_.on_created(*created, true);
  if (analysed.has_value() && options_.on_analysed) options_.on_analysed(*analysed);
  return absl::OkStatus();
}

absl::StatusOr<v1::Analysis> PostmortemCore::Create(const v1::CreateAnalysisRequest& request) {
  if (request.incident_id().empty()) {
    return absl::InvalidArgumentError("incident_id is required (--incident ID)");
  }
  ASSIGN_OR_RETURN(IncidentFacts facts, incidents_->Fetch(request.incident_id()));
  v1::Analysis a;
  RETURN_IF_ERROR(store_->Write([&](PostmortemStore::Tx& tx) -> absl::Status {
    std::string note;
    ASSIGN_OR_RETURN(v1::Template t, ResolveTemplate(tx, request.template_(), facts.incident,
                                                     /*strict=*/!request.template_().empty(),
                                                     note));
    a.Clear();
    a.set_id(ids_->Next("pia"));
    *a.mutable_template_() = std::move(t);
    a.set_state(v1::ANALYSIS_STATE_DRAFT);
    a.set_created_by(request.author().empty() ? "api" : request.author());
    *a.mutable_create_time() = ToProtoTime(clock_->Now());
    *a.mutable_update_time() = a.create_time();
    a.set_revision(1);
    Fill(a, facts);
    AddHistory(a, a.created_by(), "created",
               facts.incident.status() == incidents::v1::INCIDENT_STATUS_RESOLVED
                   ? "by hand"
                   : "by hand, before the incident was resolved (its resolution brings the "
                     "timeline and metrics up to date)");
    if (!note.empty()) AddHistory(a, a.created_by(), "note", note);
    return tx.InsertAnalysis(a);
  }));
  if (options_.on_created) options_.on_created(a, false);
  return a;
}

void PostmortemCore::MarkOverdue(v1::ActionItem& item) const {
  item.set_overdue(IsOverdue(item, absl::ToCivilDay(clock_->Now(), absl::UTCTimeZone())));
}

absl::StatusOr<v1::Analysis> PostmortemCore::Get(const std::string& id) {
  std::optional<v1::Analysis> found;
  RETURN_IF_ERROR(store_->Read([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(found, tx.GetAnalysis(id));
    if (!found.has_value()) return absl::OkStatus();
    ActionItemFilter filter;
    filter.analysis_id = id;
    ASSIGN_OR_RETURN(std::vector<v1::ActionItem> items, tx.ListActionItems(filter));
    for (auto& item : items) {
      MarkOverdue(item);
      *found->add_action_items() = std::move(item);
    }
    return absl::OkStatus();
  }));
  if (!found.has_value()) return AnalysisNotFound(id);
  return *std::move(found);
}

absl::StatusOr<std::vector<v1::Analysis>> PostmortemCore::List(const std::string& incident_id) {
  std::vector<v1::Analysis> out;
  RETURN_IF_ERROR(store_->Read([&](PostmortemStore::Tx& tx) -> absl::Status {
    AnalysisFilter filter;
    filter.incident_id = incident_id;
    ASSIGN_OR_RETURN(out, tx.ListAnalyses(filter));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Analysis> PostmortemCore::Editable(PostmortemStore::Tx& tx,
                                                      const std::string& id,
                                                      absl::string_view doing) {
  ASSIGN_OR_RETURN(std::optional<v1::Analysis> found, tx.GetAnalysis(id));
  if (!found.has_value()) return AnalysisNotFound(id);
  if (found->state() == v1::ANALYSIS_STATE_PUBLISHED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "analysis ", id, " is published: its answers are read-only. To ", doing,
        ", reopen it first: tocsin postmortems status ", id, " reopen --reason TEXT"));
  }
  return *std::move(found);
}

absl::StatusOr<v1::Analysis> PostmortemCore::Answer(const v1::AnswerQuestionRequest& request) {
  RETURN_IF_ERROR(store_->Write([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Analysis a, Editable(tx, request.analysis_id(), "change an answer"));
    const v1::Question* q = FindQuestion(a.template_(), request.question_id());
    if (q == nullptr) {
      return absl::NotFoundError(absl::StrCat("analysis ", a.id(), " has no question \"",
                                              request.question_id(), "\"; its questions: ",
                                              QuestionIds(a.template_())));
    }
    ASSIGN_OR_RETURN(std::string text, NormalizeAnswer(*q, request.text()));
    v1::Answer* answer = nullptr;
    for (v1::Answer& existing : *a.mutable_answers()) {
      if (existing.question_id() == q->id()) answer = &existing;
    }
    if (answer == nullptr) {
      answer = a.add_answers();
      answer->set_question_id(q->id());
    }
    answer->set_text(text);
    answer->set_author(request.author().empty() ? "api" : request.author());
    *answer->mutable_update_time() = ToProtoTime(clock_->Now());
    Touch(a);
    return tx.UpdateAnalysis(a);
  }));
  return Get(request.analysis_id());
}

absl::StatusOr<v1::ActionItem> PostmortemCore::AddActionItem(
    const v1::AddActionItemRequest& request) {
  const std::string title(absl::StripAsciiWhitespace(request.title()));
  if (title.empty() || title.size() > 500) {
    return absl::InvalidArgumentError("title is required (--title, at most 500 characters)");
  }
  if (!ValidOwner(request.owner())) {
    return absl::InvalidArgumentError(
        "owner is required (--owner: a contact, a person or a team, at most 128 characters)");
  }
  absl::CivilDay due;
  if (!absl::ParseCivilTime(request.due_date(), &due) ||
      absl::FormatCivilTime(due) != request.due_date()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "due date \"", request.due_date(), "\" must be a day as YYYY-MM-DD (--due 2026-12-31)"));
  }
  std::string priority = absl::AsciiStrToLower(request.priority());
  if (priority.empty()) priority = "medium";
  if (priority != "critical" && priority != "high" && priority != "medium" &&
      priority != "low") {
    return absl::InvalidArgumentError(absl::StrCat(
        "priority \"", request.priority(), "\" must be critical, high, medium or low"));
  }
  if (!request.link().empty() && !ValidLink(request.link())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "link \"", request.link().substr(0, 200),
        "\" must be an http or https URL without spaces (at most 2048 characters)"));
  }
  v1::ActionItem item;
  RETURN_IF_ERROR(store_->Write([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Analysis a, Editable(tx, request.analysis_id(), "add action items"));
    item.Clear();
    item.set_id(ids_->Next("act"));
    item.set_analysis_id(a.id());
    item.set_incident_id(a.incident_id());
    item.set_title(title);
    item.set_owner(request.owner());
    item.set_due_date(request.due_date());
    item.set_priority(priority);
    item.set_state(v1::ACTION_ITEM_STATE_OPEN);
    item.set_link(request.link());
    *item.mutable_create_time() = ToProtoTime(clock_->Now());
    item.set_author(request.author().empty() ? "api" : request.author());
    RETURN_IF_ERROR(tx.InsertActionItem(item));
    Touch(a);
    return tx.UpdateAnalysis(a);
  }));
  MarkOverdue(item);
  return item;
}

absl::StatusOr<v1::Analysis> PostmortemCore::SetState(
    const v1::SetAnalysisStateRequest& request) {
  const std::string reason(absl::StripAsciiWhitespace(request.reason()));
  RETURN_IF_ERROR(store_->Write([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::Analysis> found, tx.GetAnalysis(request.analysis_id()));
    if (!found.has_value()) return AnalysisNotFound(request.analysis_id());
    v1::Analysis& a = *found;
    const v1::AnalysisState from = a.state();
    v1::AnalysisState to = from;
    std::string action;
    switch (request.change()) {
      case v1::STATE_CHANGE_DRAFT:
        if (from == v1::ANALYSIS_STATE_PUBLISHED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "analysis ", a.id(), " is published; to edit it again, reopen it with a reason: "
              "tocsin postmortems status ", a.id(), " reopen --reason TEXT"));
        }
        to = v1::ANALYSIS_STATE_DRAFT;
        action = "draft";
        break;
      case v1::STATE_CHANGE_IN_REVIEW:
        if (from == v1::ANALYSIS_STATE_PUBLISHED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "analysis ", a.id(), " is published; reopen it (with --reason) before another "
              "review"));
        }
        to = v1::ANALYSIS_STATE_IN_REVIEW;
        action = "in-review";
        break;
      case v1::STATE_CHANGE_PUBLISHED:
        if (from == v1::ANALYSIS_STATE_DRAFT) {
          return absl::FailedPreconditionError(absl::StrCat(
              "analysis ", a.id(), " is a draft; move it to in-review first (tocsin "
              "postmortems status ", a.id(), " in-review), then publish it"));
        }
        to = v1::ANALYSIS_STATE_PUBLISHED;
        action = "published";
        break;
      case v1::STATE_CHANGE_REOPEN:
        if (from != v1::ANALYSIS_STATE_PUBLISHED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "analysis ", a.id(), " is ", AnalysisStateName(from),
              ", not published: there is nothing to reopen"));
        }
        if (reason.empty()) {
          return absl::InvalidArgumentError(
              "reopening needs a reason (--reason TEXT), kept on the analysis's history");
        }
        to = v1::ANALYSIS_STATE_DRAFT;
        action = "reopened";
        break;
      default:
        return absl::InvalidArgumentError(
            "change must be draft, in-review, published or reopen");
    }
    if (to == from) return absl::OkStatus();
    a.set_state(to);
    AddHistory(a, request.author(), action, reason);
    Touch(a);
    return tx.UpdateAnalysis(a);
  }));
  return Get(request.analysis_id());
}

absl::StatusOr<v1::ExportAnalysisResponse> PostmortemCore::Export(
    const v1::ExportAnalysisRequest& request) {
  ASSIGN_OR_RETURN(v1::Analysis a, Get(request.analysis_id()));
  v1::ExportAnalysisResponse response;
  if (request.format() == v1::EXPORT_FORMAT_JSON) {
    response.set_content(ExportJson(a).dump(2, ' ', false,
                                            nlohmann::json::error_handler_t::replace) +
                         "\n");
    response.set_content_type("application/json");
  } else {
    response.set_content(ExportMarkdown(a));
    response.set_content_type("text/markdown");
  }
  return response;
}

// ---- Action items ----

absl::StatusOr<std::vector<v1::ActionItem>> PostmortemCore::ListActionItems(
    const v1::ListActionItemsRequest& request) {
  ActionItemFilter filter;
  filter.owner = request.owner();
  filter.analysis_id = request.analysis_id();
  filter.state = request.overdue() ? v1::ACTION_ITEM_STATE_OPEN : request.state();
  filter.limit = 10000;
  std::vector<v1::ActionItem> items;
  RETURN_IF_ERROR(store_->Read([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(items, tx.ListActionItems(filter));
    return absl::OkStatus();
  }));
  std::vector<v1::ActionItem> out;
  for (v1::ActionItem& item : items) {
    MarkOverdue(item);
    if (request.overdue() && !item.overdue()) continue;
    out.push_back(std::move(item));
  }
  return out;
}

absl::StatusOr<v1::ActionItem> PostmortemCore::CompleteActionItem(
    const v1::CompleteActionItemRequest& request) {
  v1::ActionItem item;
  RETURN_IF_ERROR(store_->Write([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::ActionItem> found, tx.GetActionItem(request.id()));
    if (!found.has_value()) {
      return absl::NotFoundError(absl::StrCat("no action item ", request.id(),
                                              " (tocsin actions list shows them)"));
    }
    item = *std::move(found);
    if (item.state() == v1::ACTION_ITEM_STATE_DONE) return absl::OkStatus();
    item.set_state(v1::ACTION_ITEM_STATE_DONE);
    *item.mutable_done_time() = ToProtoTime(clock_->Now());
    item.set_done_by(request.author().empty() ? "api" : request.author());
    return tx.UpdateActionItem(item);
  }));
  MarkOverdue(item);
  return item;
}

// ---- Across incidents ----

absl::StatusOr<v1::GetMetricsResponse> PostmortemCore::Metrics(
    const v1::GetMetricsRequest& request) {
  AnalysisFilter filter;
  filter.plan = request.plan();
  if (request.has_from()) filter.opened_from = FromProtoTime(request.from());
  if (request.has_to()) filter.opened_to = FromProtoTime(request.to());
  if (filter.opened_from && filter.opened_to && *filter.opened_to <= *filter.opened_from) {
    return absl::InvalidArgumentError("--to must be after --from");
  }
  filter.limit = 100000;
  std::vector<v1::Analysis> newest;
  std::vector<v1::ActionItem> items;
  RETURN_IF_ERROR(store_->Read([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<v1::Analysis> all, tx.ListAnalyses(filter));
    // One per incident: its automatic analysis, else its newest (all is
    // newest first).
    std::map<std::string, size_t> chosen;
    std::vector<std::string> order;
    std::set<std::string> selected;
    for (size_t i = 0; i < all.size(); ++i) {
      selected.insert(all[i].id());
      auto [it, inserted] = chosen.emplace(all[i].incident_id(), i);
      if (inserted) {
        order.push_back(all[i].incident_id());
      } else if (all[i].automatic() && !all[it->second].automatic()) {
        it->second = i;
      }
    }
    for (const std::string& incident : order) newest.push_back(std::move(all[chosen[incident]]));
    ActionItemFilter item_filter;
    item_filter.limit = 100000;
    ASSIGN_OR_RETURN(std::vector<v1::ActionItem> every, tx.ListActionItems(item_filter));
    const bool all_analyses = request.plan().empty() && !request.has_from() && !request.has_to();
    for (v1::ActionItem& item : every) {
      if (all_analyses || selected.count(item.analysis_id()) > 0) items.push_back(std::move(item));
    }
    return absl::OkStatus();
  }));
  return Aggregate(newest, items, absl::ToCivilDay(clock_->Now(), absl::UTCTimeZone()));
}

absl::StatusOr<std::vector<std::pair<v1::AnalysisState, int64_t>>>
PostmortemCore::CountAnalysesByState() {
  std::vector<std::pair<v1::AnalysisState, int64_t>> out;
  RETURN_IF_ERROR(store_->Read([&](PostmortemStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(out, tx.CountAnalysesByState());
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<PostmortemCore::ActionCounts> PostmortemCore::CountActionItems() {
  v1::ListActionItemsRequest request;
  request.set_state(v1::ACTION_ITEM_STATE_OPEN);
  ASSIGN_OR_RETURN(std::vector<v1::ActionItem> open, ListActionItems(request));
  ActionCounts counts;
  counts.open = static_cast<int64_t>(open.size());
  for (const auto& item : open) counts.overdue += item.overdue() ? 1 : 0;
  return counts;
}

}  // namespace tocsin::postmortem
