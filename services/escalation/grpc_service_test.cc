#include "services/escalation/engagement_service.h"
#include "services/escalation/grpc_service.h"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "libs/bus/new_event.h"
#include "libs/events/types.h"
#include "libs/grpc/status.h"
#include "libs/service/runtime.h"
#include "libs/status/status_matchers.h"
#include "services/escalation/sqlite_store.h"

namespace tocsin::escalation {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

class GrpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteEscalationStore::Open(path_, &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    core_ = std::make_unique<EscalationCore>(store_.get(), &clock_, &ids_, EscalationOptions{});
    DirectoryOptions options;
    options.activation_required = true;
    directory_ = std::make_unique<DirectoryCore>(store_.get(), &clock_, &ids_, options);
    contacts_ = std::make_unique<ContactServiceImpl>(directory_.get());
    rotations_ = std::make_unique<RotationServiceImpl>(directory_.get());
    engagements_ = std::make_unique<EngagementServiceImpl>(core_.get());
    auto server = service::StartGrpcServer("127.0.0.1:0",
                                           {contacts_.get(), rotations_.get(), engagements_.get()});
    ASSERT_OK(server);
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_.port),
                                       grpc::InsecureChannelCredentials());
    contact_stub_ = v1::ContactService::NewStub(channel);
    engagement_stub_ = v1::EngagementService::NewStub(channel);
    rotation_stub_ = v1::RotationService::NewStub(channel);
  }

  void TearDown() override {
    if (server_.server) server_.server->Shutdown();
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  absl::StatusOr<Contact> Create(const Contact& c) {
    v1::CreateContactRequest req;
    *req.mutable_contact() = c;
    Contact resp;
    RETURN_IF_ERROR(FromGrpcStatus(contact_stub_->CreateContact(Context().get(), req, &resp)));
    return resp;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  std::unique_ptr<SqliteEscalationStore> store_;
  std::unique_ptr<EscalationCore> core_;
  std::unique_ptr<DirectoryCore> directory_;
  std::unique_ptr<ContactServiceImpl> contacts_;
  std::unique_ptr<RotationServiceImpl> rotations_;
  std::unique_ptr<v1::RotationService::Stub> rotation_stub_;
  std::unique_ptr<EngagementServiceImpl> engagements_;
  service::GrpcServer server_;
  std::unique_ptr<v1::ContactService::Stub> contact_stub_;
  std::unique_ptr<v1::EngagementService::Stub> engagement_stub_;
};

Contact Carol() {
  Contact c;
  c.set_name("carol");
  auto* ch = c.add_channels();
  ch->set_name("email");
  ch->mutable_email()->set_address("carol@example.com");
  return c;
}

TEST_F(GrpcServiceTest, ContactLifecycleWithClearErrors) {
  Contact empty = Carol();
  empty.clear_channels();
  EXPECT_THAT(Create(empty), StatusIs(absl::StatusCode::kInvalidArgument,
                                      "contact \"carol\" has no channels: add an email or "
                                      "webhook channel"));
  ASSERT_OK_AND_ASSIGN(Contact created, Create(Carol()));
  EXPECT_EQ(created.version(), 1);
  EXPECT_THAT(Create(Carol()), StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("carol")));

  v1::UpdateContactRequest update;
  *update.mutable_contact() = Carol();
  update.mutable_contact()->set_display_name("Carol C.");
  update.set_expected_version(7);
  Contact updated;
  EXPECT_THAT(FromGrpcStatus(contact_stub_->UpdateContact(Context().get(), update, &updated)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at version 1, not 7")));
  update.set_expected_version(1);
  ASSERT_OK(FromGrpcStatus(contact_stub_->UpdateContact(Context().get(), update, &updated)));
  EXPECT_EQ(updated.version(), 2);

  v1::ListContactsResponse list;
  ASSERT_OK(FromGrpcStatus(contact_stub_->ListContacts(Context().get(), {}, &list)));
  ASSERT_EQ(list.contacts_size(), 1);
  EXPECT_EQ(list.contacts(0).display_name(), "Carol C.");

  v1::DeleteContactRequest del;
  del.set_name("carol");
  v1::DeleteContactResponse deleted;
  ASSERT_OK(FromGrpcStatus(contact_stub_->DeleteContact(Context().get(), del, &deleted)));
  v1::GetContactRequest get;
  get.set_name("carol");
  Contact got;
  EXPECT_THAT(FromGrpcStatus(contact_stub_->GetContact(Context().get(), get, &got)),
              StatusIs(absl::StatusCode::kNotFound, "contact \"carol\" does not exist"));
}

TEST_F(GrpcServiceTest, ListsEngagementsOfAnIncident) {
  ASSERT_OK(Create(Carol()));
  incidents::v1::IncidentOpened opened;
  opened.mutable_incident()->set_id("inc-9");
  opened.mutable_incident()->add_engagements("carol");
  Envelope e =
      bus::NewEvent(ids_, clock_, "incidents", events::kIncidentOpened, "inc-9", "", opened);
  ASSERT_OK(core_->HandleIncidentEvent(e));

  v1::ListEngagementsRequest req;
  req.set_incident_id("inc-9");
  v1::ListEngagementsResponse resp;
  ASSERT_OK(FromGrpcStatus(engagement_stub_->ListEngagements(Context().get(), req, &resp)));
  ASSERT_EQ(resp.engagements_size(), 1);
  EXPECT_EQ(resp.engagements(0).contact(), "carol");
  EXPECT_EQ(resp.engagements(0).state(), v1::ENGAGEMENT_STATE_EXHAUSTED);
}

TEST_F(GrpcServiceTest, ActivationThroughTheApi) {
  ASSERT_OK_AND_ASSIGN(Contact created, Create(Carol()));
  EXPECT_EQ(created.channels(0).activation().state(), v1::ACTIVATION_STATE_PENDING);
  EXPECT_TRUE(created.channels(0).activation().code_sha256().empty());

  v1::ActivateChannelRequest activate;
  activate.set_contact("carol");
  activate.set_channel("email");
  activate.set_code("not-the-code");
  Contact resp;
  EXPECT_THAT(FromGrpcStatus(contact_stub_->ActivateChannel(Context().get(), activate, &resp)),
              StatusIs(absl::StatusCode::kInvalidArgument, "wrong activation code"));
  activate.set_channel("sms");
  EXPECT_THAT(FromGrpcStatus(contact_stub_->ActivateChannel(Context().get(), activate, &resp)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no channel \"sms\"")));

  v1::DeactivateChannelRequest deactivate;
  deactivate.set_contact("carol");
  deactivate.set_channel("email");
  ASSERT_OK(FromGrpcStatus(contact_stub_->DeactivateChannel(Context().get(), deactivate, &resp)));
  EXPECT_EQ(resp.channels(0).activation().state(), v1::ACTIVATION_STATE_DEACTIVATED);
  v1::SendActivationCodeRequest send;
  send.set_contact("carol");
  send.set_channel("email");
  ASSERT_OK(FromGrpcStatus(contact_stub_->SendActivationCode(Context().get(), send, &resp)));
  EXPECT_EQ(resp.channels(0).activation().state(), v1::ACTIVATION_STATE_PENDING);
}

v1::Rotation Weekly(const std::string& name, const std::vector<std::string>& members) {
  v1::Rotation r;
  r.set_name(name);
  for (const auto& m : members) r.add_contacts(m);
  r.mutable_start_time()->set_seconds(1767225600);  // 2026-01-01T00:00:00Z, a Thursday
  r.set_time_zone_id("UTC");
  auto* w = r.mutable_recurrence()->add_weekly_settings();
  w->set_day_of_week(v1::DAY_OF_WEEK_THU);
  return r;
}

TEST_F(GrpcServiceTest, RotationsApplyAndOnCallWithClearErrors) {
  v1::ApplyRequest apply;
  Contact dave = Carol();
  dave.set_name("dave");
  *apply.add_contacts() = Carol();
  *apply.add_contacts() = dave;
  *apply.add_rotations() = Weekly("weekly", {"carol", "dave"});
  v1::ApplyResponse applied;
  ASSERT_OK(FromGrpcStatus(contact_stub_->Apply(Context().get(), apply, &applied)));
  EXPECT_THAT(applied.outcomes(), ::testing::ElementsAre("created", "created", "created"));

  v1::CreateRotationRequest create;
  *create.mutable_rotation() = Weekly("weekly", {"carol"});
  v1::Rotation rotation;
  EXPECT_THAT(FromGrpcStatus(rotation_stub_->CreateRotation(Context().get(), create, &rotation)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("weekly")));
  *create.mutable_rotation() = Weekly("other", {"erin"});
  EXPECT_THAT(FromGrpcStatus(rotation_stub_->CreateRotation(Context().get(), create, &rotation)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rotation \"other\": contact \"erin\" does not exist"));

  v1::GetOnCallRequest on;
  on.set_name("weekly");
  on.mutable_at()->set_seconds(1767225600 + 8 * 86400);
  v1::OnCall now;
  ASSERT_OK(FromGrpcStatus(rotation_stub_->GetOnCall(Context().get(), on, &now)));
  EXPECT_THAT(now.on_call(), ::testing::ElementsAre("dave"));

  v1::CreateOverrideRequest o;
  o.mutable_override()->set_name("swap");
  o.mutable_override()->set_rotation("weekly");
  o.mutable_override()->add_contacts("carol");
  o.mutable_override()->mutable_start()->set_seconds(1767225600 + 8 * 86400);
  o.mutable_override()->mutable_end()->set_seconds(1767225600 + 9 * 86400);
  v1::RotationOverride created;
  ASSERT_OK(FromGrpcStatus(rotation_stub_->CreateOverride(Context().get(), o, &created)));
  o.mutable_override()->set_name("clash");
  EXPECT_THAT(FromGrpcStatus(rotation_stub_->CreateOverride(Context().get(), o, &created)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("swap")));
  ASSERT_OK(FromGrpcStatus(rotation_stub_->GetOnCall(Context().get(), on, &now)));
  EXPECT_THAT(now.on_call(), ::testing::ElementsAre("carol"));

  v1::ListShiftsRequest shifts;
  shifts.set_name("weekly");
  shifts.mutable_from()->set_seconds(1767225600);
  shifts.mutable_to()->set_seconds(1767225600 + 14 * 86400);
  v1::ListShiftsResponse listed;
  ASSERT_OK(FromGrpcStatus(rotation_stub_->ListShifts(Context().get(), shifts, &listed)));
  EXPECT_EQ(listed.shifts_size(), 4);  // carol, dave, carol (override), dave

  v1::DeleteContactRequest del;
  del.set_name("dave");
  v1::DeleteContactResponse deleted;
  EXPECT_THAT(FromGrpcStatus(contact_stub_->DeleteContact(Context().get(), del, &deleted)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("rotation \"weekly\"")));

  v1::CreateCalendarFeedRequest feed_req;
  feed_req.set_rotation("weekly");
  v1::CalendarFeed feed;
  ASSERT_OK(FromGrpcStatus(rotation_stub_->CreateCalendarFeed(Context().get(), feed_req, &feed)));
  EXPECT_THAT(feed.url(), ::testing::StartsWith("http://127.0.0.1:7103/v1/calendars/"));
  on.set_name("nope");
  EXPECT_THAT(FromGrpcStatus(rotation_stub_->GetOnCall(Context().get(), on, &now)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
}

}  // namespace
}  // namespace tocsin::escalation
