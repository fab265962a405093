#include "libs/client/postmortem_client.h"

#include <utility>

#include "libs/client/call.h"
#include "libs/status/status_macros.h"

namespace tocsin::client {

namespace v1 = ::tocsin::postmortem::v1;
using internal::Call;
using Stub = v1::PostmortemService::Stub;

std::unique_ptr<PostmortemClient> PostmortemClient::Create(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<PostmortemClient>(
      new PostmortemClient(v1::PostmortemService::NewStub(channel), options));
}

PostmortemClient::PostmortemClient(std::unique_ptr<Stub> stub,
                                   const ClientOptions& options)
    : stub_(std::move(stub)), options_(options) {}

absl::StatusOr<std::vector<v1::Template>> PostmortemClient::ListTemplates()
    const {
  ASSIGN_OR_RETURN(v1::ListTemplatesResponse response,
                   Call(*stub_, &Stub::ListTemplates,
                        v1::ListTemplatesRequest(), options_.deadline));
  return internal::ToVector(response.mutable_templates());
}

absl::StatusOr<v1::Template> PostmortemClient::GetTemplate(
    const std::string& name) const {
  v1::GetTemplateRequest request;
  request.set_name(name);
  return Call(*stub_, &Stub::GetTemplate, request, options_.deadline);
}

absl::StatusOr<v1::SaveTemplateResponse> PostmortemClient::SaveTemplate(
    const v1::Template& t, const std::string& author, bool dry_run) const {
  v1::SaveTemplateRequest request;
  *request.mutable_template_() = t;
  request.set_author(author);
  request.set_dry_run(dry_run);
  return Call(*stub_, &Stub::SaveTemplate, request, options_.deadline);
}

absl::StatusOr<v1::Analysis> PostmortemClient::CreateAnalysis(
    const std::string& incident_id, const std::string& template_name,
    const std::string& author) const {
  v1::CreateAnalysisRequest request;
  request.set_incident_id(incident_id);
  request.set_template_(template_name);
  request.set_author(author);
  return Call(*stub_, &Stub::CreateAnalysis, request, options_.deadline);
}

absl::StatusOr<v1::Analysis> PostmortemClient::GetAnalysis(
    const std::string& id) const {
  v1::GetAnalysisRequest request;
  request.set_id(id);
  return Call(*stub_, &Stub::GetAnalysis, request, options_.deadline);
}

absl::StatusOr<std::vector<v1::Analysis>> PostmortemClient::ListAnalyses(
    const std::string& incident_id) const {
  v1::ListAnalysesRequest request;
  request.set_incident_id(incident_id);
  ASSIGN_OR_RETURN(
      v1::ListAnalysesResponse response,
      Call(*stub_, &Stub::ListAnalyses, request, options_.deadline));
  return internal::ToVector(response.mutable_analyses());
}

absl::StatusOr<v1::Analysis> PostmortemClient::AnswerQuestion(
    const std::string& analysis_id, const std::string& question_id,
    const std::string& text, const std::string& author) const {
  v1::AnswerQuestionRequest request;
  request.set_analysis_id(analysis_id);
  request.set_question_id(question_id);
  request.set_text(text);
  request.set_author(author);
  return Call(*stub_, &Stub::AnswerQuestion, request, options_.deadline);
}

absl::StatusOr<v1::ActionItem> PostmortemClient::AddActionItem(
    const v1::AddActionItemRequest& request) const {
  return Call(*stub_, &Stub::AddActionItem, request, options_.deadline);
}

absl::StatusOr<v1::Analysis> PostmortemClient::SetAnalysisState(
    const std::string& analysis_id, v1::StateChange change,
    const std::string& reason, const std::string& author) const {
  v1::SetAnalysisStateRequest request;
  request.set_analysis_id(analysis_id);
  request.set_change(change);
  request.set_reason(reason);
  request.set_author(author);
  return Call(*stub_, &Stub::SetAnalysisState, request, options_.deadline);
}

absl::StatusOr<v1::ExportAnalysisResponse> PostmortemClient::ExportAnalysis(
    const std::string& analysis_id, v1::ExportFormat format) const {
  v1::ExportAnalysisRequest request;
  request.set_analysis_id(analysis_id);
  request.set_format(format);
  return Call(*stub_, &Stub::ExportAnalysis, request, options_.deadline);
}

absl::StatusOr<std::vector<v1::ActionItem>> PostmortemClient::ListActionItems(
    const v1::ListActionItemsRequest& request) const {
  ASSIGN_OR_RETURN(
      v1::ListActionItemsResponse response,
      Call(*stub_, &Stub::ListActionItems, request, options_.deadline));
  return internal::ToVector(response.mutable_items());
}

absl::StatusOr<v1::ActionItem> PostmortemClient::CompleteActionItem(
    const std::string& id, const std::string& author) const {
  v1::CompleteActionItemRequest request;
  request.set_id(id);
  request.set_author(author);
  return Call(*stub_, &Stub::CompleteActionItem, request, options_.deadline);
}

absl::StatusOr<v1::GetMetricsResponse> PostmortemClient::GetMetrics(
    const v1::GetMetricsRequest& request) const {
  return Call(*stub_, &Stub::GetMetrics, request, options_.deadline);
}

absl::StatusOr<std::vector<v1::ReceivedEvent>>
PostmortemClient::ListReceivedEvents(const std::string& incident_id) const {
  v1::ListReceivedEventsRequest request;
  request.set_incident_id(incident_id);
  ASSIGN_OR_RETURN(
      v1::ListReceivedEventsResponse response,
      Call(*stub_, &Stub::ListReceivedEvents, request, options_.deadline));
  return internal::ToVector(response.mutable_events());
}

}  // namespace tocsin::client
