#include "libs/client/escalation_client.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/client/fake_escalation_service.h"
#include "libs/client/test_server.h"
#include "libs/status/status_matchers.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::escalation::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

class EscalationClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        server_, TestServer::Start({&contacts_, &rotations_, &engagements_}));
    client_ = EscalationClient::Create(MakeChannel(server_->address()));
  }

  FakeRotationService rotations_;
  FakeContactService contacts_{&rotations_};
  FakeEngagementService engagements_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<EscalationClient> client_;
};

TEST_F(EscalationClientTest, ContactUpdateIsConditionalOnTheVersion) {
  v1::Contact contact;
  contact.set_name("alice");
  contact.add_channels()->set_name("mail");
  ASSERT_OK(client_->CreateContact(contact).status());

  contact.set_display_name("Alice");
  EXPECT_THAT(client_->UpdateContact(contact, /*expected_version=*/2),
              StatusIs(absl::StatusCode::kAborted, ::testing::_));
  ASSERT_OK_AND_ASSIGN(v1::Contact updated,
                       client_->UpdateContact(contact, /*expected_version=*/1));

  EXPECT_EQ(updated.version(), 2);
  ASSERT_OK_AND_ASSIGN(v1::Contact stored, client_->GetContact("alice"));
  EXPECT_EQ(stored.display_name(), "Alice");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Contact> all, client_->ListContacts());
  EXPECT_EQ(all.size(), 1u);
  EXPECT_THAT(client_->GetContact("bob"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("bob")));
}

TEST_F(EscalationClientTest, ListEngagementsOfOneIncident) {
  for (const auto& [id, incident] :
       std::vector<std::pair<std::string, std::string>>{
           {"eng-1", "inc-1"}, {"eng-2", "inc-2"}, {"eng-3", "inc-1"}}) {
    v1::Engagement engagement;
    engagement.set_id(id);
    engagement.set_incident_id(incident);
    engagements_.AddEngagement(engagement);
  }

  ASSERT_OK_AND_ASSIGN(std::vector<v1::Engagement> engagements,
                       client_->ListEngagements("inc-1"));

  std::vector<std::string> ids;
  for (const v1::Engagement& engagement : engagements) {
    ids.push_back(engagement.id());
  }
  EXPECT_THAT(ids, ElementsAre("eng-1", "eng-3"));
}

TEST_F(EscalationClientTest, ANewChannelIsActivatedWithItsCode) {
  v1::Contact contact;
  contact.set_name("alice");
  v1::ContactChannel* mail = contact.add_channels();
  mail->set_name("mail");
  mail->mutable_email()->set_address("alice@example.com");
  ASSERT_OK_AND_ASSIGN(v1::Contact created, client_->CreateContact(contact));
  EXPECT_EQ(created.channels(0).activation().state(),
            v1::ACTIVATION_STATE_PENDING);

  EXPECT_THAT(client_->ActivateChannel("alice", "mail", "000000"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("wrong activation code")));
  ASSERT_OK_AND_ASSIGN(
      v1::Contact activated,
      client_->ActivateChannel("alice", "mail", kFakeActivationCode));
  EXPECT_EQ(activated.channels(0).activation().state(),
            v1::ACTIVATION_STATE_ACTIVATED);
  ASSERT_OK_AND_ASSIGN(v1::Contact deactivated,
                       client_->DeactivateChannel("alice", "mail"));
  EXPECT_EQ(deactivated.channels(0).activation().state(),
            v1::ACTIVATION_STATE_DEACTIVATED);
  ASSERT_OK_AND_ASSIGN(v1::Contact pending,
                       client_->SendActivationCode("alice", "mail"));
  EXPECT_EQ(pending.channels(0).activation().state(),
            v1::ACTIVATION_STATE_PENDING);
  EXPECT_THAT(client_->SendActivationCode("alice", "pager"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("pager")));
}

TEST_F(EscalationClientTest, ApplyStoresEverythingOrNothing) {
  v1::ApplyRequest request;
  v1::Contact* alice = request.add_contacts();
  alice->set_name("alice");
  alice->add_channels()->set_name("mail");
  v1::Rotation* tokyo = request.add_rotations();
  tokyo->set_name("tokyo");
  tokyo->add_contacts("alice");
  v1::RotationOverride* cover = request.add_overrides();
  cover->set_name("cover");
  cover->set_rotation("nowhere");
  cover->mutable_end()->set_seconds(60);

  EXPECT_THAT(client_->Apply(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"nowhere\" is not a rotation")));
  EXPECT_TRUE(contacts_.contacts().empty());
  EXPECT_TRUE(rotations_.rotations().empty());

  cover->set_rotation("tokyo");
  ASSERT_OK_AND_ASSIGN(v1::ApplyResponse applied, client_->Apply(request));
  EXPECT_THAT(applied.outcomes(), ElementsAre("created", "created", "created"));
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Rotation> rotations,
                       client_->ListRotations());
  ASSERT_EQ(rotations.size(), 1u);
  ASSERT_OK_AND_ASSIGN(std::vector<v1::RotationOverride> overrides,
                       client_->ListOverrides("tokyo", {}));
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0].name(), "cover");
}

TEST_F(EscalationClientTest, OnCallAtAnInstantAndNow) {
  v1::OnCall on_call;
  on_call.set_name("primary");
  on_call.add_on_call("alice");
  rotations_.SetOnCall(on_call);

  ASSERT_OK_AND_ASSIGN(
      v1::OnCall at, client_->GetOnCall("primary", absl::FromUnixSeconds(99)));
  EXPECT_EQ(at.at().seconds(), 99);
  ASSERT_OK_AND_ASSIGN(v1::OnCall now, client_->GetOnCall("primary", {}));
  EXPECT_THAT(now.on_call(), ElementsAre("alice"));
  EXPECT_FALSE(rotations_.on_call_requests().back().has_at());
}

TEST_F(EscalationClientTest, StartedEngagementsAreStoppedWithTheirSubtree) {
  ASSERT_OK_AND_ASSIGN(v1::Engagement started,
                       client_->StartEngagement({.contact = "sre",
                                                 .sender = "cli:alice",
                                                 .subject = "Disk full",
                                                 .content = "db-1"}));
  v1::Engagement child;
  child.set_id("eng-child");
  child.set_parent_id(started.id());
  child.set_root_id(started.id());
  child.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
  engagements_.AddEngagement(child);

  ASSERT_OK_AND_ASSIGN(v1::Engagement stopped,
                       client_->StopEngagement(started.id(), "test"));

  EXPECT_EQ(stopped.state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(engagements_.engagement("eng-child").state(),
            v1::ENGAGEMENT_STATE_STOPPED);
  ASSERT_OK_AND_ASSIGN(v1::Engagement got,
                       client_->GetEngagement(started.id()));
  EXPECT_EQ(got.subject(), "Disk full");
  EXPECT_THAT(client_->GetEngagement("eng-x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("eng-x")));
}

}  // namespace
}  // namespace tocsin::client
