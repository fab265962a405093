// PostmortemStore: the postmortem service's state (templates, analyses,
// action items, which incidents were analysed automatically) behind a narrow
// interface, so the same core runs on SQLite (sqlite_store.h) and, later,
// PostgreSQL.
//
// Everything happens inside Write() or Read() bodies. A Write() body is one
// database transaction: an analysis and the record that the incident had its
// automatic analysis commit together or not at all, so a crash during
// creation leaves either no analysis or a complete one, and a redelivered
// incident.resolved finds the record and makes no second one.
#ifndef TOCSIN_SERVICES_POSTMORTEM_STORE_H_
#define TOCSIN_SERVICES_POSTMORTEM_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::postmortem {

struct AnalysisFilter {
  // Empty: any.
  std::string incident_id;
  std::string plan;
  // Incidents opened in [opened_from, opened_to); unset: unbounded.
  std::optional<absl::Time> opened_from;
  std::optional<absl::Time> opened_to;
  int limit = 1000;
};

struct ActionItemFilter {
  // Empty / unspecified: any.
  std::string owner;
  std::string analysis_id;
  v1::ActionItemState state = v1::ACTION_ITEM_STATE_UNSPECIFIED;
  int limit = 1000;
};

class PostmortemStore {
 public:
  // Operations valid only inside a Write() or Read() body.
  class Tx {
   public:
    virtual ~Tx() = default;

    // Saved templates (not the built-in one).
    virtual absl::StatusOr<std::optional<v1::Template>> GetTemplate(const std::string& name) = 0;
    // By name.
    virtual absl::StatusOr<std::vector<v1::Template>> ListTemplates() = 0;
    // Inserts or replaces the template of that name.
    virtual absl::Status PutTemplate(const v1::Template& t) = 0;

    // An analysis without its action items (ListActionItems has them).
    virtual absl::StatusOr<std::optional<v1::Analysis>> GetAnalysis(const std::string& id) = 0;
    // AlreadyExists if the id is taken.
    virtual absl::Status InsertAnalysis(const v1::Analysis& analysis) = 0;
    // Records analysis_id as the incident's automatic analysis (the one made
    // or brought up to date on incident.resolved); AlreadyExists if the
    // incident has one.
    virtual absl::Status RecordAutomaticAnalysis(const std::string& incident_id,
                                                 const std::string& analysis_id) = 0;
    // Replaces the stored analysis of that id (NotFound if there is none).
    virtual absl::Status UpdateAnalysis(const v1::Analysis& analysis) = 0;
    // The id of the incident's automatic analysis, if it has one.
    virtual absl::StatusOr<std::optional<std::string>> FindAutomaticAnalysis(
        const std::string& incident_id) = 0;
    // Newest first, as summaries: without timeline, people, answers, history
    // and the template's sections (GetAnalysis has them).
    virtual absl::StatusOr<std::vector<v1::Analysis>> ListAnalyses(
        const AnalysisFilter& filter) = 0;
    virtual absl::StatusOr<std::vector<std::pair<v1::AnalysisState, int64_t>>>
    CountAnalysesByState() = 0;

    virtual absl::StatusOr<std::optional<v1::ActionItem>> GetActionItem(
        const std::string& id) = 0;
    // AlreadyExists if the id is taken.
    virtual absl::Status InsertActionItem(const v1::ActionItem& item) = 0;
    virtual absl::Status UpdateActionItem(const v1::ActionItem& item) = 0;
    // Oldest first.
    virtual absl::StatusOr<std::vector<v1::ActionItem>> ListActionItems(
        const ActionItemFilter& filter) = 0;
  };

  virtual ~PostmortemStore() = default;
  virtual absl::Status Write(const std::function<absl::Status(Tx&)>& body) = 0;
  virtual absl::Status Read(const std::function<absl::Status(Tx&)>& body) = 0;
  // Readiness: the database answers.
  virtual absl::Status Ping() = 0;
};

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_STORE_H_
