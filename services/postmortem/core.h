// PostmortemCore: post-incident analyses, their templates and action items.
//
// Templates. The built-in Tocsin-Default (templates.h) is always there and
// cannot be saved over; teams save their own (SaveTemplate validates; an
// identical template is UNCHANGED; a changed one is the next version).
// An analysis keeps a copy of the template it was made from, so later edits
// of the template change no existing analysis.
//
// Analyses. AnalyseResolved (the consumer of incident.resolved) gives the
// incident its automatic analysis exactly once, however often the event is
// delivered: the analysis and the record "this incident has its automatic
// analysis" commit in one transaction. If people already made one by hand
// (still a draft or in review), that one is brought up to date with the
// final facts instead and becomes the automatic one: no second analysis.
// Create makes one by hand for any incident, resolved or not. Either way the
// analysis is filled with what the incidents service knows (IncidentFactsPort):
// the incident, its complete timeline, its alarms; metrics and people engaged
// come from them (metrics.h). The template is the one asked for, else the
// plan's postIncidentTemplate, else Tocsin-Default; a plan naming a template
// that does not exist gets Tocsin-Default and a note on the history.
//
// States: draft → in-review → published; in-review → draft; published →
// draft only by reopening, with a reason, recorded on the history. Setting
// the state an analysis is in already changes nothing. Answers and new
// action items need a draft or in-review analysis; action items of a
// published one can still be marked done.
//
// Errors: InvalidArgument (bad input, saying which field and why), NotFound
// (analysis, template, question, action item or incident), FailedPrecondition
// (a published analysis without reopening; a transition not allowed: the
// message says which are), AlreadyExists (saving over the built-in
// template), Unavailable (the database or the incidents service is busy:
// retry; the consumer's event is redelivered).
//
// Thread-safety: thread-safe (the store serializes transactions).
#ifndef TOCSIN_SERVICES_POSTMORTEM_CORE_H_
#define TOCSIN_SERVICES_POSTMORTEM_CORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/clock/clock.h"
#include "libs/ids/ids.h"
#include "services/postmortem/metrics.h"
#include "services/postmortem/store.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::postmortem {

// What the incidents service knows of an incident. NotFound for an unknown
// incident; Unavailable (or DeadlineExceeded) when it cannot answer now.
class IncidentFactsPort {
 public:
  virtual ~IncidentFactsPort() = default;
  virtual absl::StatusOr<IncidentFacts> Fetch(const std::string& incident_id) = 0;
};

struct CoreOptions {
  // Called after a new analysis is committed, automatic or by hand (for the
  // service's counter). May be empty.
  std::function<void(const v1::Analysis&, bool automatic)> on_created;
  // Called once per incident, after its automatic analysis is committed
  // (made, or a hand-made one brought up to date): the incident's final
  // metrics, for the service's histograms. May be empty.
  std::function<void(const v1::Analysis&)> on_analysed;
};

class PostmortemCore {
 public:
  // All pointers outlive the core.
  PostmortemCore(PostmortemStore* store, IncidentFactsPort* incidents, const Clock* clock,
                 IdGenerator* ids, CoreOptions options = {});

  // ---- Templates ----
  // The built-in template first, then the saved ones by name.
  absl::StatusOr<std::vector<v1::Template>> ListTemplates();
  absl::StatusOr<v1::Template> GetTemplate(const std::string& name);
  absl::StatusOr<v1::SaveTemplateResponse> SaveTemplate(const v1::SaveTemplateRequest& request);

  // ---- Analyses ----
  // The incident's automatic analysis, made (or brought up to date) once.
  absl::Status AnalyseResolved(const incidents::v1::Incident& incident);
  absl::StatusOr<v1::Analysis> Create(const v1::CreateAnalysisRequest& request);
  // With its action items.
  absl::StatusOr<v1::Analysis> Get(const std::string& id);
  // Newest first, without timeline, people, answers and history.
  absl::StatusOr<std::vector<v1::Analysis>> List(const std::string& incident_id);
  absl::StatusOr<v1::Analysis> Answer(const v1::AnswerQuestionRequest& request);
  absl::StatusOr<v1::ActionItem> AddActionItem(const v1::AddActionItemRequest& request);
  absl::StatusOr<v1::Analysis> SetState(const v1::SetAnalysisStateRequest& request);
  absl::StatusOr<v1::ExportAnalysisResponse> Export(const v1::ExportAnalysisRequest& request);

  // ---- Action items ----
  absl::StatusOr<std::vector<v1::ActionItem>> ListActionItems(
      const v1::ListActionItemsRequest& request);
  // Marks it done (once: done again answers it as it is).
  absl::StatusOr<v1::ActionItem> CompleteActionItem(const v1::CompleteActionItemRequest& request);

  // ---- Across incidents ----
  absl::StatusOr<v1::GetMetricsResponse> Metrics(const v1::GetMetricsRequest& request);

  // For the gauges.
  absl::StatusOr<std::vector<std::pair<v1::AnalysisState, int64_t>>> CountAnalysesByState();
  struct ActionCounts {
    int64_t open = 0;
    int64_t overdue = 0;
  };
  absl::StatusOr<ActionCounts> CountActionItems();

 private:
  // The template to use: `name`, else the incident's plan's, else the
  // default; `note` says why the default was used instead of a missing one.
  absl::StatusOr<v1::Template> ResolveTemplate(PostmortemStore::Tx& tx, const std::string& name,
                                               const incidents::v1::Incident& incident,
                                               bool strict, std::string& note);
  void Fill(v1::Analysis& analysis, const IncidentFacts& facts) const;
  void AddHistory(v1::Analysis& analysis, const std::string& author, const std::string& action,
                  const std::string& reason) const;
  void Touch(v1::Analysis& analysis) const;
  // The analysis, for a change: NotFound, or FailedPrecondition if published.
  static absl::StatusOr<v1::Analysis> Editable(PostmortemStore::Tx& tx, const std::string& id,
                                               absl::string_view doing);
  void MarkOverdue(v1::ActionItem& item) const;

  PostmortemStore* const store_;
  IncidentFactsPort* const incidents_;
  const Clock* const clock_;
  IdGenerator* const ids_;
  const CoreOptions options_;
};

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_CORE_H_
