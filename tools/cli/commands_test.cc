// Runs tocsin commands against a real gRPC server on 127.0.0.1:0 whose
// IncidentService and ResponsePlanService keep their state in memory.
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
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "nlohmann/json.hpp"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"
#include "tools/cli/client.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::incidents::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
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
    v1::ResponsePlan& plan = plans_[name] = request->plan();
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
    v1::ResponsePlan plan = request->plan();
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
  static grpc::Status NotFound(const std::string& name) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("response plan \"", name, "\" not found"));
  }

  absl::Mutex mu_;
  std::map<std::string, v1::ResponsePlan> plans_ ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
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
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Runs `tocsin --server <the fake> ARGS` as user "alice".
  Result Run(std::vector<std::string> args,
             const std::string& stdin_text = "") {
    args.insert(args.begin(), {"--server", address_});
    GlobalOptions defaults;
    defaults.author = "alice";
    std::istringstream in(stdin_text);
    std::ostringstream out;
    std::ostringstream err;
    const int exit_code = RunCli(args, defaults, Connect, in, out, err);
    return {exit_code, out.str(), err.str()};
  }

  static std::unique_ptr<IncidentsClient> Connect(
      const GlobalOptions& options) {
    return IncidentsClient::Create(
        grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials()),
        options.timeout);
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

  FakeIncidentService incidents_;
  FakeResponsePlanService plans_;
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
        "incidents show ID", "incidents resolve ID [--note TEXT]",
        "incidents unmatched", "plans list", "plans show NAME",
        "plans create -f FILE", "apply -f FILE", "--server HOST:PORT",
        "--output table|json", "--timeout DURATION", "--author USER"}) {
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

}  // namespace
}  // namespace tocsin::cli
