// Runs tocsin commands against a real gRPC server on 127.0.0.1:0 whose
// services (IncidentService, ResponsePlanService, ContactService,
// EngagementService, PagingService) keep their state in memory.
#include "tools/cli/commands.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"
#include "tools/cli/client.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::incidents::v1;
namespace escalation_v1 = ::tocsin::escalation::v1;
namespace paging_v1 = ::tocsin::paging::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kNewYear2026 = 1767225600;  // 2026-01-01T00:00:00Z

// Returns items[token..] up to `page_size`, and the token of the next page.
template <typename T, typename Items>
std::string Page(const std::vector<T>& all, const std::string& token,
                 int page_size, Items* items) {
  size_t start = 0;
  if (!token.empty()) {
    EXPECT_TRUE(absl::SimpleAtoi(token, &start)) << token;
  }
  const size_t end = std::min(all.size(), start + page_size);
  for (size_t i = start; i < end; ++i) *items->Add() = all[i];
  return end < all.size() ? absl::StrCat(end) : "";
}

class FakeIncidentService final : public v1::IncidentService::Service {
 public:
  // Small pages, so clients must follow page tokens.
  static constexpr int kPageSize = 2;

  void AddIncident(const v1::Incident& incident) {
    absl::MutexLock lock(&mu_);
    incidents_[incident.id()] = incident;
  }
  void AddTimelineEvent(const v1::TimelineEvent& event) {
    absl::MutexLock lock(&mu_);
    timeline_.push_back(event);
  }
  void AddUnmatched(const v1::UnmatchedAlarm& alarm) {
    absl::MutexLock lock(&mu_);
    unmatched_.push_back(alarm);
  }
  v1::Incident incident(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return incidents_.at(id);
  }
  std::vector<v1::ResolveIncidentRequest> resolves() {
    absl::MutexLock lock(&mu_);
    return resolves_;
  }

  grpc::Status GetIncident(grpc::ServerContext*,
                           const v1::GetIncidentRequest* request,
                           v1::Incident* response) override {
    absl::MutexLock lock(&mu_);
    auto it = incidents_.find(request->id());
    if (it == incidents_.end()) return NotFound(request->id());
    *response = it->second;
    return grpc::Status::OK;
  }

  grpc::Status ListIncidents(grpc::ServerContext*,
                             const v1::ListIncidentsRequest* request,
                             v1::ListIncidentsResponse* response) override {
    absl::MutexLock lock(&mu_);
    std::vector<v1::Incident> matching;
    for (const auto& [id, incident] : incidents_) {
      if (request->status() != v1::INCIDENT_STATUS_UNSPECIFIED &&
          incident.status() != request->status()) {
        continue;
      }
      if (!request->response_plan().empty() &&
          incident.response_plan() != request->response_plan()) {
        continue;
      }
      matching.push_back(incident);
    }
    response->set_next_page_token(Page(matching, request->page_token(),
                                       kPageSize,
                                       response->mutable_incidents()));
    return grpc::Status::OK;
  }

  grpc::Status ResolveIncident(grpc::ServerContext*,
                               const v1::ResolveIncidentRequest* request,
                               v1::Incident* response) override {
    absl::MutexLock lock(&mu_);
    auto it = incidents_.find(request->id());
    if (it == incidents_.end()) return NotFound(request->id());
    resolves_.push_back(*request);
    it->second.set_status(v1::INCIDENT_STATUS_RESOLVED);
    *response = it->second;
    return grpc::Status::OK;
  }

  grpc::Status ListTimelineEvents(
      grpc::ServerContext*, const v1::ListTimelineEventsRequest* request,
      v1::ListTimelineEventsResponse* response) override {
    absl::MutexLock lock(&mu_);
    std::vector<v1::TimelineEvent> events;
    for (const v1::TimelineEvent& event : timeline_) {
      if (event.incident_id() == request->incident_id())
        events.push_back(event);
    }
    response->set_next_page_token(Page(events, request->page_token(), kPageSize,
                                       response->mutable_events()));
    return grpc::Status::OK;
  }

  grpc::Status ListUnmatchedAlarms(
      grpc::ServerContext*, const v1::ListUnmatchedAlarmsRequest* request,
      v1::ListUnmatchedAlarmsResponse* response) override {
    absl::MutexLock lock(&mu_);
    response->set_next_page_token(Page(unmatched_, request->page_token(),
                                       kPageSize, response->mutable_alarms()));
    return grpc::Status::OK;
  }

 private:
  static grpc::Status NotFound(const std::string& id) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("incident \"", id, "\" not found"));
  }

  absl::Mutex mu_;
  std::map<std::string, v1::Incident> incidents_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::TimelineEvent> timeline_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::UnmatchedAlarm> unmatched_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ResolveIncidentRequest> resolves_ ABSL_GUARDED_BY(mu_);
};

class FakeResponsePlanService final : public v1::ResponsePlanService::Service {
 public:
  std::map<std::string, v1::ResponsePlan> plans() {
    absl::MutexLock lock(&mu_);
    return plans_;
  }
  // Creates and updates so far.
  int writes() {
    absl::MutexLock lock(&mu_);
    return writes_;
  }

  grpc::Status CreateResponsePlan(grpc::ServerContext*,
                                  const v1::CreateResponsePlanRequest* request,
                                  v1::ResponsePlan* response) override {
    absl::MutexLock lock(&mu_);
    const std::string& name = request->plan().name();
    if (plans_.count(name) > 0) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                          absl::StrCat("response plan \"", name, "\" exists"));
    }
    v1::ResponsePlan& plan = plans_[name] = WithDefaults(request->plan());
    plan.set_version(1);
    plan.mutable_create_time()->set_seconds(kNewYear2026);
    plan.mutable_update_time()->set_seconds(kNewYear2026);
    ++writes_;
    *response = plan;
    return grpc::Status::OK;
  }

  grpc::Status UpdateResponsePlan(grpc::ServerContext*,
                                  const v1::UpdateResponsePlanRequest* request,
                                  v1::ResponsePlan* response) override {
    absl::MutexLock lock(&mu_);
    auto it = plans_.find(request->plan().name());
    if (it == plans_.end()) return NotFound(request->plan().name());
    if (request->expected_version() != 0 &&
        request->expected_version() != it->second.version()) {
      return grpc::Status(grpc::StatusCode::ABORTED, "version mismatch");
    }
    v1::ResponsePlan plan = WithDefaults(request->plan());
    plan.set_version(it->second.version() + 1);
    *plan.mutable_create_time() = it->second.create_time();
    plan.mutable_update_time()->set_seconds(kNewYear2026 + 60);
    it->second = plan;
    ++writes_;
    *response = plan;
    return grpc::Status::OK;
  }

  grpc::Status GetResponsePlan(grpc::ServerContext*,
                               const v1::GetResponsePlanRequest* request,
                               v1::ResponsePlan* response) override {
    absl::MutexLock lock(&mu_);
    auto it = plans_.find(request->name());
    if (it == plans_.end()) return NotFound(request->name());
    *response = it->second;
    return grpc::Status::OK;
  }

  grpc::Status ListResponsePlans(
      grpc::ServerContext*, const v1::ListResponsePlansRequest*,
      v1::ListResponsePlansResponse* response) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, plan] : plans_) *response->add_plans() = plan;
    return grpc::Status::OK;
  }

 private:
  // Like the incidents service: an impact left out is stored as 3.
  static v1::ResponsePlan WithDefaults(v1::ResponsePlan plan) {
    if (plan.incident_template().impact() == 0) {
      plan.mutable_incident_template()->set_impact(3);
    }
    return plan;
  }

  static grpc::Status NotFound(const std::string& name) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("response plan \"", name, "\" not found"));
  }

  absl::Mutex mu_;
  std::map<std::string, v1::ResponsePlan> plans_ ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeContactService final : public escalation_v1::ContactService::Service {
 public:
  std::map<std::string, escalation_v1::Contact> contacts() {
    absl::MutexLock lock(&mu_);
    return contacts_;
  }
  // Creates and updates so far.
  int writes() {
    absl::MutexLock lock(&mu_);
    return writes_;
  }

  grpc::Status CreateContact(grpc::ServerContext*,
                             const escalation_v1::CreateContactRequest* request,
                             escalation_v1::Contact* response) override {
    absl::MutexLock lock(&mu_);
    const std::string& name = request->contact().name();
    if (contacts_.count(name) > 0) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                          absl::StrCat("contact \"", name, "\" exists"));
    }
    escalation_v1::Contact& contact = contacts_[name] =
        WithDefaults(request->contact());
    contact.set_version(1);
    contact.mutable_create_time()->set_seconds(kNewYear2026);
    contact.mutable_update_time()->set_seconds(kNewYear2026);
    ++writes_;
    *response = contact;
    return grpc::Status::OK;
  }

  grpc::Status UpdateContact(grpc::ServerContext*,
                             const escalation_v1::UpdateContactRequest* request,
                             escalation_v1::Contact* response) override {
    absl::MutexLock lock(&mu_);
    auto it = contacts_.find(request->contact().name());
    if (it == contacts_.end()) return NotFound(request->contact().name());
    if (request->expected_version() != 0 &&
        request->expected_version() != it->second.version()) {
      return grpc::Status(grpc::StatusCode::ABORTED, "version mismatch");
    }
    escalation_v1::Contact contact = WithDefaults(request->contact());
    contact.set_version(it->second.version() + 1);
    *contact.mutable_create_time() = it->second.create_time();
    contact.mutable_update_time()->set_seconds(kNewYear2026 + 60);
    it->second = contact;
    ++writes_;
    *response = contact;
    return grpc::Status::OK;
  }

  grpc::Status GetContact(grpc::ServerContext*,
                          const escalation_v1::GetContactRequest* request,
                          escalation_v1::Contact* response) override {
    absl::MutexLock lock(&mu_);
    auto it = contacts_.find(request->name());
    if (it == contacts_.end()) return NotFound(request->name());
    *response = it->second;
    return grpc::Status::OK;
  }

  grpc::Status ListContacts(
      grpc::ServerContext*, const escalation_v1::ListContactsRequest*,
      escalation_v1::ListContactsResponse* response) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, contact] : contacts_) {
      *response->add_contacts() = contact;
    }
    return grpc::Status::OK;
  }

 private:
  // Like escalation.proto says: a channel without a delay waits 5 minutes.
  static escalation_v1::Contact WithDefaults(escalation_v1::Contact contact) {
    for (auto& channel : *contact.mutable_channels()) {
      if (!channel.has_delay()) channel.mutable_delay()->set_seconds(300);
    }
    return contact;
  }

  static grpc::Status NotFound(const std::string& name) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("contact \"", name, "\" not found"));
  }

  absl::Mutex mu_;
  std::map<std::string, escalation_v1::Contact> contacts_ ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeEngagementService final
    : public escalation_v1::EngagementService::Service {
 public:
  void AddEngagement(const escalation_v1::Engagement& engagement) {
    absl::MutexLock lock(&mu_);
    engagements_.push_back(engagement);
  }

  grpc::Status ListEngagements(
      grpc::ServerContext*,
      const escalation_v1::ListEngagementsRequest* request,
      escalation_v1::ListEngagementsResponse* response) override {
    absl::MutexLock lock(&mu_);
    for (const escalation_v1::Engagement& engagement : engagements_) {
      const bool listed =
          request->incident_id().empty()
              ? engagement.state() == escalation_v1::ENGAGEMENT_STATE_ACTIVE
              : engagement.incident_id() == request->incident_id();
      if (listed) *response->add_engagements() = engagement;
    }
    return grpc::Status::OK;
  }

 private:
  absl::Mutex mu_;
  std::vector<escalation_v1::Engagement> engagements_ ABSL_GUARDED_BY(mu_);
};

class FakePagingService final : public paging_v1::PagingService::Service {
 public:
  void AddPage(const paging_v1::Page& page) {
    absl::MutexLock lock(&mu_);
    pages_[page.id()] = page;
  }
  paging_v1::Page page(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return pages_.at(id);
  }
  std::vector<paging_v1::AcceptPageRequest> accepts() {
    absl::MutexLock lock(&mu_);
    return accepts_;
  }

  grpc::Status AcceptPage(grpc::ServerContext*,
                          const paging_v1::AcceptPageRequest* request,
                          paging_v1::Page* response) override {
    absl::MutexLock lock(&mu_);
    accepts_.push_back(*request);
    auto it = pages_.find(request->page_id());
    if (it == pages_.end()) return NotFound(request->page_id());
    if (request->accept_code() != it->second.accept_code()) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat("accept code does not match page \"",
                                       request->page_id(), "\""));
    }
    it->second.set_state(paging_v1::PAGE_STATE_ACKNOWLEDGED);
    it->second.set_acked_by(request->author());
    it->second.mutable_ack_time()->set_seconds(kNewYear2026 + 300);
    *response = it->second;
    return grpc::Status::OK;
  }

  // Like the paging service, List calls leave the accept code out.
  grpc::Status ListPages(grpc::ServerContext*,
                         const paging_v1::ListPagesRequest* request,
                         paging_v1::ListPagesResponse* response) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, page] : pages_) {
      if (page.incident_id() != request->incident_id()) continue;
      paging_v1::Page* listed = response->add_pages();
      *listed = page;
      listed->clear_accept_code();
    }
    return grpc::Status::OK;
  }

  grpc::Status GetPage(grpc::ServerContext*,
                       const paging_v1::GetPageRequest* request,
                       paging_v1::Page* response) override {
    absl::MutexLock lock(&mu_);
    auto it = pages_.find(request->page_id());
    if (it == pages_.end()) return NotFound(request->page_id());
    *response = it->second;
    return grpc::Status::OK;
  }

 private:
  static grpc::Status NotFound(const std::string& id) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("page \"", id, "\" not found"));
  }

  absl::Mutex mu_;
  std::map<std::string, paging_v1::Page> pages_ ABSL_GUARDED_BY(mu_);
  std::vector<paging_v1::AcceptPageRequest> accepts_ ABSL_GUARDED_BY(mu_);
};

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&incidents_);
    builder.RegisterService(&plans_);
    builder.RegisterService(&contacts_);
    builder.RegisterService(&engagements_);
    builder.RegisterService(&paging_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Runs `tocsin ARGS` as user "alice", with every service's address
  // defaulting to the fake's.
  Result Run(std::vector<std::string> args,
             const std::string& stdin_text = "") {
    GlobalOptions defaults;
    defaults.server = address_;
    defaults.escalation = address_;
    defaults.paging = address_;
    defaults.author = "alice";
    std::istringstream in(stdin_text);
    std::ostringstream out;
    std::ostringstream err;
    const int exit_code = RunCli(args, defaults, Connect, in, out, err);
    return {exit_code, out.str(), err.str()};
  }

  static ServiceClients Connect(const GlobalOptions& options) {
    auto channel = [](const std::string& address) {
      return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    };
    return ServiceClients{
        IncidentsClient::Create(channel(options.server), options.timeout),
        EscalationClient::Create(channel(options.escalation), options.timeout),
        PagingClient::Create(channel(options.paging), options.timeout),
    };
  }

  static v1::Incident MakeIncident(const std::string& id,
                                   v1::IncidentStatus status,
                                   const std::string& plan,
                                   const std::string& title) {
    v1::Incident incident;
    incident.set_id(id);
    incident.set_status(status);
    incident.set_response_plan(plan);
    incident.set_title(title);
    incident.set_impact(2);
    incident.mutable_create_time()->set_seconds(kNewYear2026);
    return incident;
  }

  // Three incidents: more than one page of the fake.
  void AddThreeIncidents() {
    incidents_.AddIncident(MakeIncident("inc-1", v1::INCIDENT_STATUS_OPEN,
                                        "payments", "Payments latency"));
    incidents_.AddIncident(MakeIncident("inc-2", v1::INCIDENT_STATUS_RESOLVED,
                                        "payments", "Checkout errors"));
    incidents_.AddIncident(MakeIncident("inc-3", v1::INCIDENT_STATUS_OPEN,
                                        "search", "Search down"));
  }

  static paging_v1::Page MakePage(const std::string& id,
                                  const std::string& incident_id,
                                  const std::string& contact,
                                  const std::string& channel,
                                  paging_v1::PageState state, int attempts) {
    paging_v1::Page page;
    page.set_id(id);
    page.set_incident_id(incident_id);
    page.set_engagement_id("eng-1");
    page.set_contact(contact);
    page.mutable_channel()->set_name(channel);
    page.mutable_channel()->mutable_email()->set_address(contact +
                                                         "@example.com");
    page.set_state(state);
    page.set_incident_title("Payments latency");
    page.set_impact(2);
    page.set_accept_code("code-" + id);
    for (int i = 1; i <= attempts; ++i) {
      paging_v1::DeliveryAttempt* attempt = page.add_attempts();
      attempt->set_number(i);
      attempt->mutable_time()->set_seconds(kNewYear2026 + 60 * i);
      attempt->set_ok(i == attempts);
      attempt->set_detail(i == attempts ? "250 OK" : "connection refused");
    }
    page.mutable_create_time()->set_seconds(kNewYear2026);
    return page;
  }

  // Two pages of inc-1 (one delivered after a retry) and one of inc-3.
  void AddThreePages() {
    paging_.AddPage(MakePage("pg-1", "inc-1", "alice", "work-email",
                             paging_v1::PAGE_STATE_DELIVERED, 2));
    paging_.AddPage(MakePage("pg-2", "inc-1", "bob", "pager",
                             paging_v1::PAGE_STATE_PENDING, 0));
    paging_.AddPage(MakePage("pg-3", "inc-3", "alice", "work-email",
                             paging_v1::PAGE_STATE_DELIVERED, 1));
  }

  FakeIncidentService incidents_;
  FakeResponsePlanService plans_;
  FakeContactService contacts_;
  FakeEngagementService engagements_;
  FakePagingService paging_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

constexpr char kTwoPlans[] = R"yaml(
kind: ResponsePlan
name: payments
displayName: Payments
incidentTemplate: {title: "Payments: {alarm_name}", impact: 2}
engagements: [alice]
priority: 10
---
kind: ResponsePlan
name: search
incidentTemplate: {title: Search degraded, impact: 3}
resolveOnOk: true
)yaml";

TEST_F(CommandsTest, ApplyCreatesThenReportsUnchangedThenUpdates) {
  Result created = Run({"apply", "-f", "-"}, kTwoPlans);
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out,
            "responseplan/payments created\nresponseplan/search created\n");
  EXPECT_EQ(plans_.plans().at("payments").incident_template().title(),
            "Payments: {alarm_name}");
  EXPECT_TRUE(plans_.plans().at("search").resolve_on_ok());

  Result again = Run({"apply", "-f", "-"}, kTwoPlans);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "responseplan/payments unchanged\nresponseplan/search unchanged\n");
  EXPECT_EQ(plans_.writes(), 2);

  std::string edited = kTwoPlans;
  edited.replace(edited.find("impact: 3"), 9, "impact: 1");
  Result updated = Run({"apply", "-f", "-"}, edited);
  ASSERT_EQ(updated.exit_code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out,
            "responseplan/payments unchanged\nresponseplan/search updated\n");
  const v1::ResponsePlan search = plans_.plans().at("search");
  EXPECT_EQ(search.incident_template().impact(), 1);
  EXPECT_EQ(search.version(), 2);
}

TEST_F(CommandsTest, ApplyReadsAFile) {
  const std::string path = ::testing::TempDir() + "/plans.yaml";
  {
    std::ofstream file(path);
    file << kTwoPlans;
  }

  Result result = Run({"apply", "-f", path});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(plans_.plans().size(), 2u);
}

TEST_F(CommandsTest, ApplyWithOneInvalidDocumentChangesNothing) {
  const std::string manifest = absl::StrCat(kTwoPlans, R"yaml(
---
kind: ResponsePlan
name: billing
titel: Billing down
)yaml");

  Result result = Run({"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: document 3 (ResponsePlan \"billing\"): "
            "unknown field \"titel\"\n");
  EXPECT_THAT(plans_.plans(), IsEmpty());
}

TEST_F(CommandsTest, ApplyOfAMissingFileFails) {
  Result result = Run({"apply", "-f", ::testing::TempDir() + "/missing.yaml"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, StartsWith("error: INVALID_ARGUMENT: cannot read"));
}

TEST_F(CommandsTest, PlansCreateThenListAndShow) {
  Result created =
      Run({"plans", "create", "-f", "-"},
          "kind: ResponsePlan\nname: payments\npriority: 10\n"
          "displayName: Payments team\nengagements: [alice, bob]\n");
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "responseplan/payments created\n");

  Result listed = Run({"plans", "list"});
  ASSERT_EQ(listed.exit_code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out,
            "NAME      PRIORITY  VERSION  DISPLAY NAME\n"
            "payments  10        1        Payments team\n");

  Result shown = Run({"plans", "show", "payments"});
  ASSERT_EQ(shown.exit_code, kExitOk) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("Name:                       payments\n"));
  EXPECT_THAT(shown.out, HasSubstr("Engagements:                alice, bob\n"));
  EXPECT_THAT(shown.out,
              HasSubstr("Created:                    2026-01-01T00:00:00Z\n"));

  Result json = Run({"plans", "show", "payments", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json plan = nlohmann::json::parse(json.out);
  EXPECT_EQ(plan["name"], "payments");
  EXPECT_EQ(plan["priority"], 10);
}

TEST_F(CommandsTest, PlansCreateOfAnExistingPlanFails) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kTwoPlans).exit_code, kExitOk);

  Result result =
      Run({"plans", "create", "-f", "-"}, "kind: ResponsePlan\nname: search\n");

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err,
            "error: ALREADY_EXISTS: response plan \"search\" exists\n");
}

TEST_F(CommandsTest, PlansCreateTakesExactlyOnePlan) {
  Result result = Run({"plans", "create", "-f", "-"}, kTwoPlans);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, HasSubstr("must declare exactly one ResponsePlan"));
  EXPECT_THAT(plans_.plans(), IsEmpty());
}

TEST_F(CommandsTest, PlansShowOfAnUnknownNameExitsOneWithNotFound) {
  Result result = Run({"plans", "show", "nope"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "error: NOT_FOUND: response plan \"nope\" not found\n");
}

TEST_F(CommandsTest, IncidentsListJsonIsAnArrayOfEveryPage) {
  AddThreeIncidents();

  Result result = Run({"incidents", "list", "--output", "json"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  nlohmann::json incidents = nlohmann::json::parse(result.out);
  ASSERT_TRUE(incidents.is_array());
  std::vector<std::string> ids;
  for (const auto& incident : incidents) ids.push_back(incident["id"]);
  EXPECT_THAT(ids, ElementsAre("inc-1", "inc-2", "inc-3"));
  EXPECT_EQ(incidents[1]["status"], "INCIDENT_STATUS_RESOLVED");
}

TEST_F(CommandsTest, IncidentsListFiltersAndPrintsATable) {
  AddThreeIncidents();

  Result result = Run({"incidents", "list", "--status", "open"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "ID     STATUS  IMPACT  TITLE             CREATED\n"
            "inc-1  open    2       Payments latency  2026-01-01T00:00:00Z\n"
            "inc-3  open    2       Search down       2026-01-01T00:00:00Z\n");

  Result by_plan =
      Run({"--output=json", "incidents", "list", "--plan", "search"});
  ASSERT_EQ(by_plan.exit_code, kExitOk) << by_plan.err;
  nlohmann::json incidents = nlohmann::json::parse(by_plan.out);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0]["id"], "inc-3");
}

TEST_F(CommandsTest, IncidentsShowPrintsTheIncidentAndItsTimeline) {
  AddThreeIncidents();
  for (const auto& [id, type, message] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"ev-1", "incident.opened", "Opened by payments"},
           {"ev-2", "alarm", "payments-p99 ALARM"},
           {"ev-3", "note", "Rolling back"}}) {
    v1::TimelineEvent event;
    event.set_id(id);
    event.set_incident_id("inc-1");
    event.set_type(type);
    event.set_message(message);
    event.set_author("incidents");
    event.mutable_event_time()->set_seconds(kNewYear2026 + 60);
    incidents_.AddTimelineEvent(event);
  }

  Result table = Run({"incidents", "show", "inc-1"});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_THAT(table.out, StartsWith("ID:             inc-1\n"
                                    "Title:          Payments latency\n"
                                    "Status:         open\n"));
  EXPECT_THAT(
      table.out,
      HasSubstr(
          "\nTIME                  TYPE             AUTHOR     MESSAGE\n"
          "2026-01-01T00:01:00Z  incident.opened  incidents  Opened by "
          "payments\n"
          "2026-01-01T00:01:00Z  alarm            incidents  payments-p99 "
          "ALARM\n"
          "2026-01-01T00:01:00Z  note             incidents  Rolling back\n"));

  Result json = Run({"incidents", "show", "inc-1", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json shown = nlohmann::json::parse(json.out);
  EXPECT_EQ(shown["incident"]["id"], "inc-1");
  ASSERT_EQ(shown["timeline"].size(), 3u);
  EXPECT_EQ(shown["timeline"][2]["message"], "Rolling back");
}

TEST_F(CommandsTest, IncidentsResolveRecordsTheCliAuthorAndNote) {
  AddThreeIncidents();

  Result result =
      Run({"incidents", "resolve", "inc-1", "--note", "rolled back"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "incident/inc-1 resolved\n");
  ASSERT_EQ(incidents_.resolves().size(), 1u);
  EXPECT_EQ(incidents_.resolves()[0].id(), "inc-1");
  EXPECT_EQ(incidents_.resolves()[0].author(), "cli:alice");
  EXPECT_EQ(incidents_.resolves()[0].note(), "rolled back");
  EXPECT_EQ(incidents_.incident("inc-1").status(),
            v1::INCIDENT_STATUS_RESOLVED);
}

TEST_F(CommandsTest, AuthorFlagOverridesTheUser) {
  AddThreeIncidents();

  Result result = Run({"--author", "bob", "incidents", "resolve", "inc-3"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_EQ(incidents_.resolves().size(), 1u);
  EXPECT_EQ(incidents_.resolves()[0].author(), "cli:bob");
}

TEST_F(CommandsTest, IncidentsResolveOfAnUnknownIdFails) {
  Result result = Run({"incidents", "resolve", "inc-404"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err, "error: NOT_FOUND: incident \"inc-404\" not found\n");
}

TEST_F(CommandsTest, IncidentsUnmatchedListsEveryAlarm) {
  for (const std::string name : {"orders-5xx", "disk-full", "cpu-high"}) {
    v1::UnmatchedAlarm unmatched;
    unmatched.mutable_alarm()->set_alarm_name(name);
    unmatched.mutable_alarm()->set_state(v1::ALARM_STATE_ALARM);
    unmatched.mutable_alarm()->set_source("aws.cloudwatch");
    unmatched.mutable_alarm()->set_account("111111111111");
    unmatched.mutable_alarm()->set_region("eu-west-1");
    unmatched.mutable_receive_time()->set_seconds(kNewYear2026);
    incidents_.AddUnmatched(unmatched);
  }

  Result result = Run({"incidents", "unmatched"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "RECEIVED              STATE  SOURCE          ACCOUNT       REGION "
            "    ALARM\n"
            "2026-01-01T00:00:00Z  alarm  aws.cloudwatch  111111111111  "
            "eu-west-1  orders-5xx\n"
            "2026-01-01T00:00:00Z  alarm  aws.cloudwatch  111111111111  "
            "eu-west-1  disk-full\n"
            "2026-01-01T00:00:00Z  alarm  aws.cloudwatch  111111111111  "
            "eu-west-1  cpu-high\n");
}

TEST_F(CommandsTest, HelpListsEveryCommand) {
  Result result = Run({"help"});

  EXPECT_EQ(result.exit_code, kExitOk);
  for (const char* command :
       {"incidents list [--status open|resolved] [--plan NAME]",
        "incidents show ID",
        "incidents resolve ID [--note TEXT]",
        "incidents unmatched",
        "plans list",
        "plans show NAME",
        "plans create -f FILE",
        "contacts list",
        "contacts show NAME",
        "contacts create -f FILE",
        "engagements list [--incident ID]",
        "pages list --incident ID",
        "pages show PAGE_ID",
        "pages ack PAGE_ID --code CODE",
        "apply -f FILE",
        "--server HOST:PORT",
        "--escalation HOST:PORT",
        "--paging HOST:PORT",
        "--output table|json",
        "--timeout DURATION",
        "--author USER"}) {
    EXPECT_THAT(result.out, HasSubstr(command));
  }
}

TEST_F(CommandsTest, NoArgumentsIsAUsageError) {
  GlobalOptions defaults;
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;

  const int exit_code = RunCli({}, defaults, Connect, in, out, err);

  EXPECT_EQ(exit_code, kExitUsage);
  EXPECT_THAT(err.str(), StartsWith("error: no command given\n"));
  EXPECT_THAT(err.str(), HasSubstr("incidents list"));
}

TEST_F(CommandsTest, CommandLineMistakesAreUsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"bogus"}, "error: unknown command \"bogus\""},
      {{"incidents"},
       "error: \"incidents\" needs one of: list, show, resolve, unmatched"},
      {{"incidents", "close"}, "error: unknown command \"incidents close\""},
      {{"incidents", "show"}, "error: expected \"tocsin incidents show ID\""},
      {{"incidents", "list", "--status", "closed"},
       "error: --status must be one of open, resolved, not \"closed\""},
      {{"incidents", "list", "--note", "x"},
       "error: unknown flag --note for \"incidents list\""},
      {{"apply"}, "error: \"apply\" needs -f FILE"},
      {{"plans", "list", "--timeout", "10"},
       "error: --timeout \"10\" is not a positive duration such as 10s"},
      {{"plans", "show", "x", "--output"},
       "error: flag --output needs a value"},
      {{"plans", "list", "--output", "json", "--output", "table"},
       "error: flag --output given twice"},
  };
  for (const auto& [args, message] : cases) {
    Result result = Run(args);
    EXPECT_EQ(result.exit_code, kExitUsage) << args[0];
    EXPECT_THAT(result.err, StartsWith(message + "\n\nUsage: tocsin"));
  }
  EXPECT_EQ(plans_.writes(), 0);
}

TEST_F(CommandsTest, ResolveWithoutAnyAuthorIsAUsageError) {
  GlobalOptions defaults;
  defaults.server = address_;
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;

  const int exit_code = RunCli({"incidents", "resolve", "inc-1"}, defaults,
                               Connect, in, out, err);

  EXPECT_EQ(exit_code, kExitUsage);
  EXPECT_THAT(err.str(),
              StartsWith("error: \"incidents resolve\" needs --author"));
  EXPECT_THAT(incidents_.resolves(), IsEmpty());
}

// ---- Contacts and apply ----

constexpr char kPlanAndContact[] = R"yaml(
kind: ResponsePlan
name: payments
incidentTemplate: {title: Payments down}
engagements: [payments-oncall]
---
kind: Contact
name: payments-oncall
displayName: Payments on-call
channels:
  - name: work-email
    email: {address: oncall@example.com}
  - name: pager
    webhook: {url: "https://pager.example.com/hook"}
    delay: 120s
  - name: lead
    email: {address: lead@example.com}
)yaml";

TEST_F(CommandsTest, ApplyOfPlansAndContactsCreatesBothThenReportsUnchanged) {
  Result created = Run({"apply", "-f", "-"}, kPlanAndContact);
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out,
            "responseplan/payments created\ncontact/payments-oncall created\n");
  const escalation_v1::Contact contact =
      contacts_.contacts().at("payments-oncall");
  EXPECT_EQ(contact.display_name(), "Payments on-call");
  ASSERT_EQ(contact.channels_size(), 3);
  EXPECT_EQ(contact.channels(0).email().address(), "oncall@example.com");
  EXPECT_EQ(contact.channels(1).webhook().url(),
            "https://pager.example.com/hook");
  EXPECT_EQ(contact.channels(1).delay().seconds(), 120);
  EXPECT_THAT(plans_.plans().at("payments").engagements(),
              ElementsAre("payments-oncall"));

  // The servers filled in defaults (impact 3, delays of 300s) that the
  // manifest leaves out; they are no difference.
  Result again = Run({"apply", "-f", "-"}, kPlanAndContact);
  ASSERT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_EQ(again.out,
            "responseplan/payments unchanged\n"
            "contact/payments-oncall unchanged\n");
  EXPECT_EQ(plans_.writes(), 1);
  EXPECT_EQ(contacts_.writes(), 1);
}

TEST_F(CommandsTest, ApplyUpdatesAChangedContactAtTheVersionItRead) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kPlanAndContact).exit_code, kExitOk);
  std::string edited = kPlanAndContact;
  edited.replace(edited.find("delay: 120s"), 11, "delay: 60s");

  Result updated = Run({"apply", "-f", "-"}, edited);

  ASSERT_EQ(updated.exit_code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out,
            "responseplan/payments unchanged\n"
            "contact/payments-oncall updated\n");
  const escalation_v1::Contact contact =
      contacts_.contacts().at("payments-oncall");
  EXPECT_EQ(contact.channels(1).delay().seconds(), 60);
  EXPECT_EQ(contact.version(), 2);
}

TEST_F(CommandsTest, ApplyOfAContactWithoutChannelsAppliesNothing) {
  const std::string manifest = absl::StrCat(kPlanAndContact, R"yaml(
---
kind: Contact
name: bob
displayName: Bob
)yaml");

  Result result = Run({"apply", "-f", "-"}, manifest);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: document 3 (Contact \"bob\"): contact "
            "\"bob\" has no channels: add an email or webhook channel\n");
  EXPECT_THAT(plans_.plans(), IsEmpty());
  EXPECT_THAT(contacts_.contacts(), IsEmpty());
}

TEST_F(CommandsTest, ContactsCreateThenListAndShow) {
  Result created = Run({"contacts", "create", "-f", "-"},
                       "kind: Contact\nname: alice\ndisplayName: Alice\n"
                       "channels:\n"
                       "  - {name: mail, email: {address: a@example.com}}\n"
                       "  - {name: hook, webhook: {url: 'http://h/x'}, "
                       "delay: 90s}\n");
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "contact/alice created\n");

  Result listed = Run({"contacts", "list"});
  ASSERT_EQ(listed.exit_code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out,
            "NAME   CHANNELS    VERSION  DISPLAY NAME\n"
            "alice  mail, hook  1        Alice\n");

  Result shown = Run({"contacts", "show", "alice"});
  ASSERT_EQ(shown.exit_code, kExitOk) << shown.err;
  EXPECT_EQ(shown.out,
            "Name:          alice\n"
            "Display name:  Alice\n"
            "Version:       1\n"
            "Created:       2026-01-01T00:00:00Z\n"
            "Updated:       2026-01-01T00:00:00Z\n"
            "\n"
            "STAGE  CHANNEL  AFTER    DESTINATION\n"
            "0      mail     at once  email a@example.com\n"
            "1      hook     1m30s    webhook http://h/x\n");

  Result json = Run({"contacts", "list", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json contacts = nlohmann::json::parse(json.out);
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0]["channels"][1]["delay"], "90s");
  EXPECT_EQ(contacts[0]["channels"][1]["webhook"]["url"], "http://h/x");
}

TEST_F(CommandsTest, ContactsCreateOfAContactWithoutChannelsFails) {
  Result result =
      Run({"contacts", "create", "-f", "-"}, "kind: Contact\nname: bob\n");

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err,
            "error: INVALID_ARGUMENT: document 1 (Contact \"bob\"): contact "
            "\"bob\" has no channels: add an email or webhook channel\n");
  EXPECT_THAT(contacts_.contacts(), IsEmpty());
}

TEST_F(CommandsTest, ContactsCreateTakesExactlyOneContact) {
  Result result = Run({"contacts", "create", "-f", "-"}, kPlanAndContact);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, HasSubstr("must declare exactly one Contact"));
  EXPECT_THAT(contacts_.contacts(), IsEmpty());
  EXPECT_THAT(plans_.plans(), IsEmpty());
}

TEST_F(CommandsTest, ContactsShowOfAnUnknownNameExitsOneWithNotFound) {
  Result result = Run({"contacts", "show", "nobody"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.err, "error: NOT_FOUND: contact \"nobody\" not found\n");
}

// ---- Engagements ----

TEST_F(CommandsTest, EngagementsListShowsAnIncidentsEngagements) {
  escalation_v1::Engagement active;
  active.set_id("eng-1");
  active.set_incident_id("inc-1");
  active.set_contact("alice");
  active.set_state(escalation_v1::ENGAGEMENT_STATE_ACTIVE);
  active.set_next_stage(1);
  active.mutable_next_due()->set_seconds(kNewYear2026 + 300);
  active.mutable_start_time()->set_seconds(kNewYear2026);
  active.mutable_contact_snapshot()->add_channels()->set_name("mail");
  active.mutable_contact_snapshot()->add_channels()->set_name("hook");
  escalation_v1::Engagement acked = active;
  acked.set_id("eng-2");
  acked.set_contact("bob");
  acked.set_state(escalation_v1::ENGAGEMENT_STATE_ACKNOWLEDGED);
  acked.clear_next_due();
  acked.set_stop_reason("acknowledged by page pg-7");
  escalation_v1::Engagement other = active;
  other.set_id("eng-3");
  other.set_incident_id("inc-2");
  engagements_.AddEngagement(active);
  engagements_.AddEngagement(acked);
  engagements_.AddEngagement(other);

  Result table = Run({"engagements", "list", "--incident", "inc-1"});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_EQ(table.out,
            "ID     INCIDENT  CONTACT  STATE         PAGED  NEXT DUE        "
            "      STARTED               STOP REASON\n"
            "eng-1  inc-1     alice    active        1/2    "
            "2026-01-01T00:05:00Z  2026-01-01T00:00:00Z\n"
            "eng-2  inc-1     bob      acknowledged  1/2    -                 "
            "    2026-01-01T00:00:00Z  acknowledged by page pg-7\n");

  Result json = Run({"engagements", "list", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  std::vector<std::string> ids;
  for (const auto& engagement : nlohmann::json::parse(json.out)) {
    ids.push_back(engagement["id"]);
  }
  EXPECT_THAT(ids, ElementsAre("eng-1", "eng-3"));
}

// ---- Pages ----

TEST_F(CommandsTest, PagesListPrintsATable) {
  AddThreePages();

  Result result = Run({"pages", "list", "--incident", "inc-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "ID    CONTACT  CHANNEL     STATE      ATTEMPTS  CREATED\n"
            "pg-1  alice    work-email  delivered  2         "
            "2026-01-01T00:00:00Z\n"
            "pg-2  bob      pager       pending    0         "
            "2026-01-01T00:00:00Z\n");
}

TEST_F(CommandsTest, PagesListJsonParsesBackIntoThePages) {
  AddThreePages();

  Result result =
      Run({"--output", "json", "pages", "list", "--incident", "inc-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  nlohmann::json pages = nlohmann::json::parse(result.out);
  ASSERT_TRUE(pages.is_array());
  ASSERT_EQ(pages.size(), 2u);
  for (const auto& json : pages) {
    paging_v1::Page page;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(json.dump(), &page).ok())
        << json.dump();
    paging_v1::Page expected = paging_.page(page.id());
    expected.clear_accept_code();
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(page, expected))
        << page.DebugString();
  }
  EXPECT_EQ(pages[0]["state"], "PAGE_STATE_DELIVERED");
  EXPECT_EQ(pages[0]["attempts"][1]["detail"], "250 OK");
}

TEST_F(CommandsTest, PagesShowPrintsThePageAndItsAttempts) {
  AddThreePages();

  Result result = Run({"pages", "show", "pg-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith("ID:               pg-1\n"
                                     "Incident:         inc-1\n"));
  EXPECT_THAT(result.out,
              HasSubstr("Destination:      email alice@example.com\n"));
  EXPECT_THAT(result.out, HasSubstr("State:            delivered\n"));
  EXPECT_THAT(result.out,
              HasSubstr("\nATTEMPT  TIME                  RESULT  DETAIL\n"
                        "1        2026-01-01T00:01:00Z  failed  connection "
                        "refused\n"
                        "2        2026-01-01T00:02:00Z  ok      250 OK\n"));
}

TEST_F(CommandsTest, PagesAckAcknowledgesWithTheCodeAsTheCliUser) {
  AddThreePages();

  Result result = Run({"pages", "ack", "pg-2", "--code", "code-pg-2"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "page/pg-2 acknowledged\n");
  ASSERT_EQ(paging_.accepts().size(), 1u);
  EXPECT_EQ(paging_.accepts()[0].page_id(), "pg-2");
  EXPECT_EQ(paging_.accepts()[0].accept_code(), "code-pg-2");
  EXPECT_EQ(paging_.accepts()[0].author(), "cli:alice");
  EXPECT_EQ(paging_.page("pg-2").state(), paging_v1::PAGE_STATE_ACKNOWLEDGED);
}

TEST_F(CommandsTest, PagesAckOfAnUnknownPageExitsOneWithNotFound) {
  AddThreePages();

  Result result = Run({"pages", "ack", "pg-404", "--code", "code-pg-1"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "error: NOT_FOUND: page \"pg-404\" not found\n");
}

TEST_F(CommandsTest, PagesAckWithAWrongCodeExitsOneWithPermissionDenied) {
  AddThreePages();

  Result result = Run({"pages", "ack", "pg-2", "--code", "code-pg-1"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: PERMISSION_DENIED: accept code does not match page "
            "\"pg-2\"\n");
  EXPECT_EQ(paging_.page("pg-2").state(), paging_v1::PAGE_STATE_PENDING);
}

TEST_F(CommandsTest, PagesAckWithoutACodeIsAUsageError) {
  Result result = Run({"pages", "ack", "pg-2"});

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err,
              StartsWith("error: \"pages ack\" needs --code CODE\n"));
  EXPECT_THAT(paging_.accepts(), IsEmpty());
}

// ---- incidents show with pages ----

TEST_F(CommandsTest, IncidentsShowListsTheIncidentsPages) {
  AddThreeIncidents();
  AddThreePages();

  Result table = Run({"incidents", "show", "inc-1"});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_EQ(table.err, "");
  EXPECT_THAT(table.out,
              HasSubstr("\n\nID    CONTACT  CHANNEL     STATE      ATTEMPTS  "
                        "CREATED\n"
                        "pg-1  alice    work-email  delivered  2         "
                        "2026-01-01T00:00:00Z\n"
                        "pg-2  bob      pager       pending    0         "
                        "2026-01-01T00:00:00Z\n"));

  Result json = Run({"incidents", "show", "inc-1", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json shown = nlohmann::json::parse(json.out);
  ASSERT_EQ(shown["pages"].size(), 2u);
  EXPECT_EQ(shown["pages"][1]["id"], "pg-2");
}

TEST_F(CommandsTest, IncidentsShowWithoutThePagingServiceNotesItAndGoesOn) {
  AddThreeIncidents();
  ASSERT_OK_AND_ASSIGN(const int unused_port,
                       ::tocsin::testing::PickUnusedPort());
  const std::string nowhere = absl::StrCat("127.0.0.1:", unused_port);

  Result table = Run({"incidents", "show", "inc-1", "--paging", nowhere});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_THAT(table.out, StartsWith("ID:             inc-1\n"));
  EXPECT_THAT(table.out, Not(HasSubstr("CONTACT")));
  EXPECT_THAT(table.err, StartsWith(absl::StrCat(
                             "note: pages not shown: paging service at ",
                             nowhere, ": UNAVAILABLE: ")));
  EXPECT_EQ(std::count(table.err.begin(), table.err.end(), '\n'), 1);

  Result json = Run(
      {"incidents", "show", "inc-1", "--output", "json", "--paging", nowhere});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  nlohmann::json shown = nlohmann::json::parse(json.out);
  EXPECT_EQ(shown["incident"]["id"], "inc-1");
  EXPECT_FALSE(shown.contains("pages"));
}

// ---- Addresses ----

TEST_F(CommandsTest, EachServiceHasItsOwnAddressFlag) {
  AddThreeIncidents();
  AddThreePages();
  GlobalOptions defaults;
  defaults.author = "alice";
  // Nothing listens on the defaults: only the flags lead to the fakes.
  ASSERT_OK_AND_ASSIGN(const int unused_port,
                       ::tocsin::testing::PickUnusedPort());
  defaults.server = defaults.escalation = defaults.paging =
      absl::StrCat("127.0.0.1:", unused_port);
  auto run = [&](const std::vector<std::string>& args) {
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    return RunCli(args, defaults, Connect, in, out, err);
  };

  EXPECT_EQ(run({"--server", address_, "incidents", "list"}), kExitOk);
  EXPECT_EQ(run({"--incidents", address_, "incidents", "list"}), kExitOk);
  EXPECT_EQ(run({"--escalation", address_, "contacts", "list"}), kExitOk);
  EXPECT_EQ(run({"--paging", address_, "pages", "list", "--incident", "x"}),
            kExitOk);
  EXPECT_EQ(run({"--server", address_, "contacts", "list"}), kExitFailed);
  EXPECT_EQ(run({"--escalation", address_, "incidents", "list"}), kExitFailed);
}

TEST_F(CommandsTest, ServerAndItsAliasTogetherIsAUsageError) {
  Result result =
      Run({"--server", address_, "--incidents", address_, "incidents", "list"});

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err,
              StartsWith("error: flags --server and --incidents are the same "
                         "flag\n"));
}

}  // namespace
}  // namespace tocsin::cli
