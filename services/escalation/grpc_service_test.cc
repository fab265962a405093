#include "services/escalation/grpc_service.h"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

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
    contacts_ = std::make_unique<ContactServiceImpl>(core_.get());
    engagements_ = std::make_unique<EngagementServiceImpl>(core_.get());
    auto server = service::StartGrpcServer("127.0.0.1:0", {contacts_.get(), engagements_.get()});
    ASSERT_OK(server);
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_.port),
                                       grpc::InsecureChannelCredentials());
    contact_stub_ = v1::ContactService::NewStub(channel);
    engagement_stub_ = v1::EngagementService::NewStub(channel);
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
  std::unique_ptr<ContactServiceImpl> contacts_;
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

}  // namespace
}  // namespace tocsin::escalation
