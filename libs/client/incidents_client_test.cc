#include "libs/client/incidents_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/client/fake_incidents_service.h"
#include "libs/client/test_server.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::incidents::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

v1::Incident MakeIncident(const std::string& id, v1::IncidentStatus status) {
  v1::Incident incident;
  incident.set_id(id);
  incident.set_status(status);
  incident.set_response_plan("payments");
  return incident;
}

class IncidentsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, TestServer::Start({&incidents_, &plans_}));
    client_ = IncidentsClient::Create(MakeChannel(server_->address()));
  }

  FakeIncidentService incidents_;
  FakeResponsePlanService plans_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<IncidentsClient> client_;
};

TEST_F(IncidentsClientTest, ListIncidentsFollowsPageTokensToTheLastPage) {
  // More incidents than fit on two of the fake's pages.
  for (int i = 1; i <= 5; ++i) {
    incidents_.AddIncident(MakeIncident(
        absl::StrCat("inc-", i),
        i == 2 ? v1::INCIDENT_STATUS_RESOLVED : v1::INCIDENT_STATUS_OPEN));
  }

  ASSERT_OK_AND_ASSIGN(std::vector<v1::Incident> open,
                       client_->ListIncidents({v1::INCIDENT_STATUS_OPEN, ""}));

  std::vector<std::string> ids;
  for (const v1::Incident& incident : open) ids.push_back(incident.id());
  EXPECT_THAT(ids, ElementsAre("inc-1", "inc-3", "inc-4", "inc-5"));
}

TEST_F(IncidentsClientTest, ResolveSendsTheNoteAndAuthor) {
  incidents_.AddIncident(MakeIncident("inc-1", v1::INCIDENT_STATUS_OPEN));

  ASSERT_OK_AND_ASSIGN(v1::Incident resolved,
                       client_->ResolveIncident("inc-1", "fixed", "cli:bob"));

  EXPECT_EQ(resolved.status(), v1::INCIDENT_STATUS_RESOLVED);
  ASSERT_EQ(incidents_.resolves().size(), 1u);
  EXPECT_EQ(incidents_.resolves()[0].note(), "fixed");
  EXPECT_EQ(incidents_.resolves()[0].author(), "cli:bob");
}

TEST_F(IncidentsClientTest, ServerErrorsKeepTheirCodeAndMessage) {
  EXPECT_THAT(client_->GetIncident("inc-404"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("incident \"inc-404\" not found")));

  v1::ResponsePlan plan;
  plan.set_name("payments");
  ASSERT_OK(client_->CreatePlan(plan).status());
  EXPECT_THAT(client_->CreatePlan(plan),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(client_->UpdatePlan(plan, /*expected_version=*/7),
              StatusIs(absl::StatusCode::kAborted, ::testing::_));
}

TEST_F(IncidentsClientTest, PlansRoundTrip) {
  v1::ResponsePlan plan;
  plan.set_name("payments");
  plan.set_priority(10);
  ASSERT_OK(client_->CreatePlan(plan).status());

  ASSERT_OK_AND_ASSIGN(v1::ResponsePlan stored, client_->GetPlan("payments"));
  EXPECT_EQ(stored.priority(), 10);
  EXPECT_EQ(stored.version(), 1);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::ResponsePlan> plans,
                       client_->ListPlans());
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].name(), "payments");
}

TEST(IncidentsClientWithoutServerTest, CallsAnswerUnavailable) {
  ASSERT_OK_AND_ASSIGN(const int port, ::tocsin::testing::PickUnusedPort());
  auto client =
      IncidentsClient::Create(MakeChannel(absl::StrCat("127.0.0.1:", port)),
                              {.deadline = absl::Seconds(5)});

  EXPECT_THAT(client->ListIncidents({}),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
}

}  // namespace
}  // namespace tocsin::client
