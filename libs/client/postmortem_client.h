// Client of the postmortem service's gRPC API (PostmortemService), as plain
// calls that return absl::StatusOr.
//
//   auto postmortems = PostmortemClient::Create(MakeChannel("127.0.0.1:7006"));
//   ASSIGN_OR_RETURN(Analysis analysis,
//                    postmortems->CreateAnalysis("inc-1", "", "cli:alice"));
//   ASSIGN_OR_RETURN(ExportAnalysisResponse markdown,
//                    postmortems->ExportAnalysis(analysis.id()));
//
// Deadlines and errors as in incidents_client.h: every call has the
// options' deadline, and the service's codes come back as they are, with
// its messages, which are written for the person who ran the command
// (InvalidArgument naming the field; NotFound for an analysis, template,
// question, action item or incident; FailedPrecondition for a published
// analysis or a transition that is not allowed; AlreadyExists for saving
// over the built-in template; Unavailable: retry). Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_POSTMORTEM_CLIENT_H_
#define TOCSIN_LIBS_CLIENT_POSTMORTEM_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "libs/client/options.h"
#include "tocsin/postmortem/v1/postmortem.grpc.pb.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::client {

class PostmortemClient {
 public:
  static std::unique_ptr<PostmortemClient> Create(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  PostmortemClient(const PostmortemClient&) = delete;
  PostmortemClient& operator=(const PostmortemClient&) = delete;

  // ---- Templates ----

  // The built-in template first, then the saved ones by name.
  absl::StatusOr<std::vector<postmortem::v1::Template>> ListTemplates() const;
  absl::StatusOr<postmortem::v1::Template> GetTemplate(
      const std::string& name) const;
  // Saves `t` as the template's next version, or nothing when it equals the
  // saved one (UNCHANGED); with `dry_run`, only validates it and says what
  // would happen.
  absl::StatusOr<postmortem::v1::SaveTemplateResponse> SaveTemplate(
      const postmortem::v1::Template& t, const std::string& author,
      bool dry_run = false) const;

  // ---- Analyses ----

  // `template_name` empty: the incident's plan's postIncidentTemplate, else
  // Tocsin-Default.
  absl::StatusOr<postmortem::v1::Analysis> CreateAnalysis(
      const std::string& incident_id, const std::string& template_name,
      const std::string& author) const;
  // With its action items.
  absl::StatusOr<postmortem::v1::Analysis> GetAnalysis(
      const std::string& id) const;
  // Of one incident, or of all (empty), newest first; without timeline,
  // people, answers and history.
  absl::StatusOr<std::vector<postmortem::v1::Analysis>> ListAnalyses(
      const std::string& incident_id) const;
  // The analysis as it is after the answer.
  absl::StatusOr<postmortem::v1::Analysis> AnswerQuestion(
      const std::string& analysis_id, const std::string& question_id,
      const std::string& text, const std::string& author) const;
  absl::StatusOr<postmortem::v1::ActionItem> AddActionItem(
      const postmortem::v1::AddActionItemRequest& request) const;
  absl::StatusOr<postmortem::v1::Analysis> SetAnalysisState(
      const std::string& analysis_id, postmortem::v1::StateChange change,
      const std::string& reason, const std::string& author) const;
  // `content` as the service made it (Markdown, or JSON with null for a
  // missing metric).
  absl::StatusOr<postmortem::v1::ExportAnalysisResponse> ExportAnalysis(
      const std::string& analysis_id,
      postmortem::v1::ExportFormat format =
          postmortem::v1::EXPORT_FORMAT_MARKDOWN) const;

  // ---- Action items ----

  absl::StatusOr<std::vector<postmortem::v1::ActionItem>> ListActionItems(
      const postmortem::v1::ListActionItemsRequest& request) const;
  // Marks it done (done again answers it as it is).
  absl::StatusOr<postmortem::v1::ActionItem> CompleteActionItem(
      const std::string& id, const std::string& author) const;

  // ---- Across incidents ----

  absl::StatusOr<postmortem::v1::GetMetricsResponse> GetMetrics(
      const postmortem::v1::GetMetricsRequest& request) const;

  // ---- Received events ----

  // Of one incident, or of all (empty).
  absl::StatusOr<std::vector<postmortem::v1::ReceivedEvent>>
  ListReceivedEvents(const std::string& incident_id) const;

 private:
  PostmortemClient(
      std::unique_ptr<postmortem::v1::PostmortemService::Stub> stub,
      const ClientOptions& options);

  std::unique_ptr<postmortem::v1::PostmortemService::Stub> stub_;
  ClientOptions options_;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_POSTMORTEM_CLIENT_H_
