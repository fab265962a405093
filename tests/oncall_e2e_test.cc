// On-call end to end, with every real service binary and real webhook
// receivers: an alarm engages an escalation plan whose first stage is an
// on-call schedule (a rotation) and whose second is a person; the escalation
// service is killed with SIGKILL mid-plan, and after the restart the due
// stage fires once and no stage fires twice; an essential acknowledgement
// stops the whole plan. A second case walks a new channel's activation: its
// code arrives as a page, a wrong code is refused, the right one activates it.
#include <fstream>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tests/suite.h"

namespace tocsin::e2e {
namespace {

using ::testing::HasSubstr;
namespace ev1 = ::tocsin::escalation::v1;

ev1::Contact Person(const std::string& name, const std::string& url) {
  ev1::Contact c;
  c.set_name(name);
  auto* ch = c.add_channels();
  ch->set_name("hook");
  ch->mutable_webhook()->set_url(url);
  return c;
}

absl::Status Apply(Suite& suite, const ev1::ApplyRequest& request) {
  ev1::ApplyResponse response;
  grpc::Status s = suite.contacts().Apply(Ctx().get(), request, &response);
  if (!s.ok()) return absl::InternalError(s.error_message());
  return absl::OkStatus();
}

class OnCallE2E : public ::testing::Test {
 protected:
  void Start(bool activation) {
    ASSERT_OK_AND_ASSIGN(alice_, testing::HttpReceiver::Start("/alice"));
    ASSERT_OK_AND_ASSIGN(bob_, testing::HttpReceiver::Start("/bob"));
    SuiteOptions options;
    options.paging_path = true;
    options.channel_activation = activation;
    ASSERT_OK_AND_ASSIGN(suite_, Suite::Start(options));
  }
  void TearDown() override {
    if (HasFailure() && suite_ != nullptr) std::cerr << suite_->Logs();
  }

  std::vector<incidents::v1::TimelineEvent> Timeline(const std::string& id) {
    auto t = suite_->Timeline(id);
    return t.ok() ? *t : std::vector<incidents::v1::TimelineEvent>{};
  }
  int Count(const std::string& id, const std::string& type) {
    int n = 0;
    for (const auto& e : Timeline(id)) n += e.type() == type;
    return n;
  }

  std::unique_ptr<testing::HttpReceiver> alice_;
  std::unique_ptr<testing::HttpReceiver> bob_;
  std::unique_ptr<Suite> suite_;
};

TEST_F(OnCallE2E, AScheduleThenAPersonSurviveKillNineAndAnEssentialAckStopsThePlan) {
  Start(/*activation=*/false);
  // alice is on call (a rotation of one, since January); bob is stage 2.
  ev1::ApplyRequest request;
  *request.add_contacts() = Person("alice", alice_->url());
  *request.add_contacts() = Person("bob", bob_->url());
  ev1::Rotation* rotation = request.add_rotations();
  rotation->set_name("primary");
  rotation->add_contacts("alice");
  *rotation->mutable_start_time() = ToProtoTime(absl::FromUnixSeconds(1767225600));  // 2026-01-01
  rotation->set_time_zone_id("Europe/London");
  auto* handoff = rotation->mutable_recurrence()->add_weekly_settings();
  handoff->set_day_of_week(ev1::DAY_OF_WEEK_MON);
  handoff->mutable_hand_off_time()->set_hour_of_day(9);
  ev1::Contact* schedule = request.add_contacts();
  schedule->set_name("primary-oncall");
  schedule->set_type(ev1::CONTACT_TYPE_ONCALL_SCHEDULE);
  schedule->mutable_schedule()->add_rotation_ids("primary");
  ev1::Contact* sre = request.add_contacts();
  sre->set_name("sre");
  sre->set_type(ev1::CONTACT_TYPE_ESCALATION);
  auto* stage1 = sre->mutable_escalation_plan()->add_stages();
  stage1->set_duration_in_minutes(1);
  auto* t1 = stage1->add_targets();
  t1->set_contact("primary-oncall");
  t1->set_is_essential(true);
  auto* stage2 = sre->mutable_escalation_plan()->add_stages();
  stage2->set_duration_in_minutes(1);
  auto* t2 = stage2->add_targets();
  t2->set_contact("bob");
  t2->set_is_essential(true);
  ASSERT_OK(Apply(*suite_, request));
  incidents::v1::ResponsePlan plan;
  plan.set_name("cpu");
  plan.mutable_match()->set_alarm_name_pattern("ServerCpu*");
  plan.mutable_incident_template()->set_title("{alarm_name} is {state}");
  plan.add_engagements("sre");
  ASSERT_OK(suite_->CreatePlan(plan));

  // Who is on call, as the CLI answers it.
  ASSERT_OK_AND_ASSIGN(CliResult oncall,
                       suite_->RunCli({"oncall", "primary-oncall", "--output", "json"}));
  ASSERT_EQ(oncall.exit_code, 0) << oncall.output;
  EXPECT_EQ(nlohmann::json::parse(oncall.output)["onCall"], nlohmann::json::array({"alice"}));

  // The dry run of the whole route: the plan matches, and the schedule's
  // alice is paged first, then bob; nothing is stored or paged.
  const std::string alarm_file = suite_->dir() + "/alarm.json";
  std::ofstream(alarm_file) << AlarmEvent("oncall-1");
  ASSERT_OK_AND_ASSIGN(CliResult dry,
                       suite_->RunCli({"plans", "test", "-f", alarm_file, "--output", "json"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  auto route = nlohmann::json::parse(dry.output);
  EXPECT_EQ(route["incident"]["responsePlan"], "cpu") << dry.output;
  std::vector<std::string> paged;
  for (const auto& page : route["pages"]) {
    if (!page.value("channel", "").empty()) paged.push_back(page.value("contact", ""));
  }
  EXPECT_EQ(paged, (std::vector<std::string>{"alice", "bob"})) << dry.output;
  EXPECT_EQ(alice_->Requests().size(), 0u);
  ASSERT_OK_AND_ASSIGN(auto none, suite_->ListIncidents());
  EXPECT_TRUE(none.empty());

  ASSERT_OK_AND_ASSIGN(auto posted, suite_->PostEventBridge(AlarmEvent("oncall-1")));
  ASSERT_EQ(posted.status, 200) << posted.body;
  const std::string incident =
      nlohmann::json::parse(posted.body)["results"][0].value("incidentId", "");
  ASSERT_FALSE(incident.empty());
  const absl::Time opened = absl::Now();

  // Stage 1: the schedule's member, alice, at once.
  ASSERT_OK(alice_->WaitForCount(1, absl::Seconds(30)));
  // Kill -9 before stage 2 is due (a minute after the start), and bring the
  // service back only after it is due: the due stage fires once.
  suite_->KillService("escalation");
  ASSERT_OK(testing::WaitFor([&] { return absl::Now() > opened + absl::Seconds(65); },
                             absl::Seconds(90)));
  EXPECT_EQ(bob_->Requests().size(), 0u);
  ASSERT_OK(suite_->StartService("escalation"));
  ASSERT_OK(bob_->WaitForCount(1, absl::Seconds(30)));
  // Nothing more arrives: no stage twice.
  const absl::Time settled = absl::Now() + absl::Seconds(3);
  ASSERT_OK(testing::WaitFor([&] { return absl::Now() > settled; }, absl::Seconds(10)));
  EXPECT_EQ(alice_->Requests().size(), 1u);
  EXPECT_EQ(bob_->Requests().size(), 1u);

  // bob acknowledges: an essential target, so the whole plan stops.
  auto hook = nlohmann::json::parse(bob_->Requests()[0].body);
  paging::v1::AcceptPageRequest accept;
  accept.set_page_id(hook["pageId"].get<std::string>());
  accept.set_accept_code(hook["acceptCode"].get<std::string>());
  accept.set_author("bob");
  paging::v1::Page accepted;
  ASSERT_TRUE(suite_->paging().AcceptPage(Ctx().get(), accept, &accepted).ok());
  ASSERT_OK(testing::WaitFor(
      [&] {
        ev1::ListEngagementsRequest list;
        list.set_incident_id(incident);
        ev1::ListEngagementsResponse response;
        if (!suite_->engagements().ListEngagements(Ctx().get(), list, &response).ok()) {
          return false;
        }
        for (const auto& e : response.engagements()) {
          if (e.contact() == "sre") return e.state() == ev1::ENGAGEMENT_STATE_ACKNOWLEDGED;
        }
        return false;
      },
      absl::Seconds(30)));

  // The timeline tells who was engaged at each stage, each once.
  ASSERT_OK(testing::WaitFor([&] { return Count(incident, "page.acknowledged") == 1; },
                             absl::Seconds(30)));
  std::string text;
  for (const auto& e : Timeline(incident)) absl::StrAppend(&text, e.type(), ": ", e.message(), "\n");
  EXPECT_THAT(text, HasSubstr("primary-oncall"));
  EXPECT_THAT(text, HasSubstr("alice"));
  EXPECT_THAT(text, HasSubstr("bob"));
  EXPECT_EQ(Count(incident, "page.delivered"), 2) << text;
}

TEST_F(OnCallE2E, ANewChannelIsPagedOnlyAfterItsCodeIsConfirmed) {
  Start(/*activation=*/true);
  ev1::CreateContactRequest create;
  *create.mutable_contact() = Person("alice", alice_->url());
  ev1::Contact created;
  ASSERT_TRUE(suite_->contacts().CreateContact(Ctx().get(), create, &created).ok());
  EXPECT_EQ(created.channels(0).activation().state(), ev1::ACTIVATION_STATE_PENDING);
  EXPECT_TRUE(created.channels(0).activation().code_sha256().empty());  // never returned

  // The code arrives on the channel itself.
  ASSERT_OK(alice_->WaitForCount(1, absl::Seconds(30)));
  const std::string body = alice_->Requests()[0].body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(body, m, std::regex("\\b([0-9]{6})\\b"))) << body;
  const std::string code = m[1];

  // Until confirmed, engaging alice pages nobody.
  ASSERT_OK_AND_ASSIGN(CliResult engage,
                       suite_->RunCli({"engage", "alice", "--subject", "Failover drill",
                                       "--content", "Join the bridge"}));
  ASSERT_EQ(engage.exit_code, 0) << engage.output;
  const absl::Time waited = absl::Now() + absl::Seconds(3);
  ASSERT_OK(testing::WaitFor([&] { return absl::Now() > waited; }, absl::Seconds(10)));
  EXPECT_EQ(alice_->Requests().size(), 1u);

  const std::string wrong = code == "000000" ? "111111" : "000000";
  ASSERT_OK_AND_ASSIGN(CliResult bad,
                       suite_->RunCli({"contacts", "activate", "alice", "hook", wrong}));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, HasSubstr("wrong activation code"));
  ASSERT_OK_AND_ASSIGN(CliResult good,
                       suite_->RunCli({"contacts", "activate", "alice", "hook", code}));
  ASSERT_EQ(good.exit_code, 0) << good.output;

  // Now an engagement by hand reaches the channel, with its subject.
  ASSERT_OK_AND_ASSIGN(engage, suite_->RunCli({"engage", "alice", "--subject", "Failover drill",
                                               "--content", "Join the bridge"}));
  ASSERT_EQ(engage.exit_code, 0) << engage.output;
  ASSERT_OK(alice_->WaitForCount(2, absl::Seconds(30)));
  EXPECT_THAT(alice_->Requests()[1].body, HasSubstr("Failover drill"));
}

}  // namespace
}  // namespace tocsin::e2e
