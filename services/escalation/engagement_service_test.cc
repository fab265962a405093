#include "services/escalation/engagement_service.h"

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "libs/grpc/status.h"
#include "libs/proto/time.h"
#include "libs/service/runtime.h"
#include "libs/status/status_macros.h"
#include "libs/status/status_matchers.h"
#include "services/escalation/sqlite_store.h"

namespace tocsin::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

class EngagementServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteEscalationStore::Open(path_, &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    core_ = std::make_unique<EscalationCore>(store_.get(), &clock_, &ids_, EscalationOptions{});
    service_ = std::make_unique<EngagementServiceImpl>(core_.get());
    auto server = service::StartGrpcServer("127.0.0.1:0", {service_.get()});
    ASSERT_OK(server);
    server_ = std::move(*server);
    stub_ = v1::EngagementService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_.port), grpc::InsecureChannelCredentials()));
    // alice: mail now, hook after 2 minutes.
    Contact alice;
    alice.set_name("alice");
    auto* mail = alice.add_channels();
    mail->set_name("mail");
    mail->mutable_email()->set_address("alice@example.com");
    auto* hook = alice.add_channels();
    hook->set_name("hook");
    hook->mutable_webhook()->set_url("https://hooks.example.com/alice");
    hook->mutable_delay()->set_seconds(120);
    ASSERT_OK(store_->Write([&](EscalationStore::Tx& tx) { return tx.InsertContact(alice); }));
  }

  void TearDown() override {
    if (server_.server) server_.server->Shutdown();
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  std::unique_ptr<SqliteEscalationStore> store_;
  std::unique_ptr<EscalationCore> core_;
  std::unique_ptr<EngagementServiceImpl> service_;
  service::GrpcServer server_;
  std::unique_ptr<v1::EngagementService::Stub> stub_;
};

TEST_F(EngagementServiceTest, StartGetStopAnEngagementByHand) {
  v1::StartEngagementRequest start;
  start.set_contact("alice");
  start.set_sender("bob");
  start.set_subject("Disk full on db-3");
  start.set_content("Please look at /var");
  v1::Engagement started;
  ASSERT_OK(FromGrpcStatus(stub_->StartEngagement(Context().get(), start, &started)));
  EXPECT_EQ(started.state(), v1::ENGAGEMENT_STATE_ACTIVE);
  EXPECT_EQ(started.subject(), "Disk full on db-3");
  EXPECT_EQ(started.sender(), "bob");
  EXPECT_TRUE(started.incident_id().empty());

  v1::GetEngagementRequest get;
  get.set_id(started.id());
  v1::Engagement got;
  ASSERT_OK(FromGrpcStatus(stub_->GetEngagement(Context().get(), get, &got)));
  EXPECT_EQ(got.id(), started.id());
  EXPECT_EQ(got.next_stage(), 1);

  v1::StopEngagementRequest stop;
  stop.set_id(started.id());
  stop.set_reason("fixed it myself");
  v1::Engagement stopped;
  ASSERT_OK(FromGrpcStatus(stub_->StopEngagement(Context().get(), stop, &stopped)));
  EXPECT_EQ(stopped.state(), v1::ENGAGEMENT_STATE_STOPPED);
  EXPECT_EQ(stopped.stop_reason(), "stopped by hand: fixed it myself");
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(int fired, core_->RunDueTimers());
  EXPECT_EQ(fired, 0);
}

TEST_F(EngagementServiceTest, ErrorsSayWhatIsWrong) {
  v1::StartEngagementRequest start;
  start.set_contact("ghost");
  start.set_subject("x");
  v1::Engagement e;
  EXPECT_THAT(FromGrpcStatus(stub_->StartEngagement(Context().get(), start, &e)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("ghost")));
  start.set_contact("alice");
  start.clear_subject();
  EXPECT_THAT(FromGrpcStatus(stub_->StartEngagement(Context().get(), start, &e)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("subject")));
  start.set_incident_id("inc-unknown");
  EXPECT_THAT(FromGrpcStatus(stub_->StartEngagement(Context().get(), start, &e)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("inc-unknown")));
  v1::GetEngagementRequest get;
  get.set_id("eng-none");
  EXPECT_THAT(FromGrpcStatus(stub_->GetEngagement(Context().get(), get, &e)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("eng-none")));
  v1::PreviewEngagementRequest preview;
  v1::PreviewEngagementResponse planned;
  EXPECT_THAT(FromGrpcStatus(stub_->PreviewEngagement(Context().get(), preview, &planned)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contacts")));
}

TEST_F(EngagementServiceTest, PreviewListsThePagesAndStoresNothing) {
  v1::PreviewEngagementRequest preview;
  preview.add_contacts("alice");
  *preview.mutable_at() = ToProtoTime(clock_.Now() + absl::Hours(1));
  v1::PreviewEngagementResponse planned;
  ASSERT_OK(FromGrpcStatus(stub_->PreviewEngagement(Context().get(), preview, &planned)));
  ASSERT_EQ(planned.pages_size(), 2);
  EXPECT_EQ(planned.pages(0).channel(), "mail");
  EXPECT_EQ(FromProtoTime(planned.pages(0).time()), clock_.Now() + absl::Hours(1));
  EXPECT_EQ(planned.pages(1).channel(), "hook");
  EXPECT_EQ(FromProtoTime(planned.pages(1).time()),
            clock_.Now() + absl::Hours(1) + absl::Minutes(2));
  EXPECT_THAT(
      std::vector<std::string>(planned.pages(1).path().begin(), planned.pages(1).path().end()),
      ElementsAre("alice"));
  EXPECT_THAT(planned.pages(1).detail(), HasSubstr("alice, stage 2 of 2: paging hook (webhook)"));
  v1::ListEngagementsRequest list;
  v1::ListEngagementsResponse listed;
  ASSERT_OK(FromGrpcStatus(stub_->ListEngagements(Context().get(), list, &listed)));
  EXPECT_EQ(listed.engagements_size(), 0);
}

}  // namespace
}  // namespace tocsin::escalation
