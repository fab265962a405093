// The fixture of the tocsin CLI's tests (testonly): runs `tocsin ARGS`
// through RunCli, as user "alice", against fakes of every service's API that
// one in-process gRPC server (libs/client/test_server.h) serves on
// 127.0.0.1:0; every address defaults to it.
#ifndef TOCSIN_TOOLS_CLI_CLI_TEST_FIXTURE_H_
#define TOCSIN_TOOLS_CLI_CLI_TEST_FIXTURE_H_

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "libs/client/fake_escalation_service.h"
#include "libs/client/fake_incidents_service.h"
#include "libs/client/fake_paging_service.h"
#include "libs/client/fake_time.h"
#include "libs/client/test_server.h"
#include "libs/status/status_matchers.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tools/cli/cli.h"

namespace tocsin::cli {

// 2026-01-01T00:00:00Z, the time the fakes stamp.
inline constexpr int64_t kNewYear2026 = client::kFakeNowSeconds;

// Two response plans.
inline constexpr char kTwoPlans[] = R"yaml(
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

// A plan and the contact it engages.
inline constexpr char kPlanAndContact[] = R"yaml(
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

// What one run printed and returned.
struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, client::TestServer::Start(
                                      {&incidents_, &plans_, &contacts_,
                                       &rotations_, &engagements_, &paging_,
                                       &chat_}));
    address_ = server_->address();
  }

  // Every address the fake server's, the author "alice".
  GlobalOptions Defaults() const {
    GlobalOptions defaults;
    defaults.server = defaults.escalation = defaults.paging = defaults.runbook =
        defaults.postmortem = address_;
    defaults.author = "alice";
    return defaults;
  }

  // Runs `tocsin ARGS` with `stdin_text` on stdin.
  Result Run(const std::vector<std::string>& args,
             const std::string& stdin_text = "") const {
    return RunWith(Defaults(), args, stdin_text);
  }

  static Result RunWith(const GlobalOptions& defaults,
                        const std::vector<std::string>& args,
                        const std::string& stdin_text = "") {
    std::istringstream in(stdin_text);
    std::ostringstream out;
    std::ostringstream err;
    const int exit_code = RunCli(args, defaults, ConnectInsecure, in, out, err);
    return {exit_code, out.str(), err.str()};
  }

  static incidents::v1::Incident MakeIncident(
      const std::string& id, incidents::v1::IncidentStatus status,
      const std::string& plan, const std::string& title) {
    incidents::v1::Incident incident;
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
    incidents_.AddIncident(MakeIncident("inc-1",
                                        incidents::v1::INCIDENT_STATUS_OPEN,
                                        "payments", "Payments latency"));
    incidents_.AddIncident(MakeIncident("inc-2",
                                        incidents::v1::INCIDENT_STATUS_RESOLVED,
                                        "payments", "Checkout errors"));
    incidents_.AddIncident(MakeIncident(
        "inc-3", incidents::v1::INCIDENT_STATUS_OPEN, "search", "Search down"));
  }

  static paging::v1::Page MakePage(const std::string& id,
                                   const std::string& incident_id,
                                   const std::string& contact,
                                   const std::string& channel,
                                   paging::v1::PageState state, int attempts) {
    paging::v1::Page page;
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
      paging::v1::DeliveryAttempt* attempt = page.add_attempts();
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
                             paging::v1::PAGE_STATE_DELIVERED, 2));
    paging_.AddPage(MakePage("pg-2", "inc-1", "bob", "pager",
                             paging::v1::PAGE_STATE_PENDING, 0));
    paging_.AddPage(MakePage("pg-3", "inc-3", "alice", "work-email",
                             paging::v1::PAGE_STATE_DELIVERED, 1));
  }

  client::FakeIncidentService incidents_;
  client::FakeResponsePlanService plans_;
  client::FakeRotationService rotations_;
  // Apply stores rotations and overrides in rotations_.
  client::FakeContactService contacts_{&rotations_};
  client::FakeEngagementService engagements_;
  client::FakePagingService paging_;
  client::FakeChatService chat_;
  std::unique_ptr<client::TestServer> server_;
  std::string address_;
};

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_CLI_TEST_FIXTURE_H_
