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
    ASSERT_OK_AND_ASSIGN(server_,
                         TestServer::Start({&contacts_, &engagements_}));
    client_ = EscalationClient::Create(MakeChannel(server_->address()));
  }

  FakeContactService contacts_;
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

}  // namespace
}  // namespace tocsin::client
