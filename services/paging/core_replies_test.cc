// PagingCore's provider-facing methods: acknowledgement by SMS reply
// (AcceptReply), by a verified provider callback (provider_verified), and
// delivery receipts (RecordReceipt).
#include <cstdlib>
#include <memory>

#include "gmock/gmock.h"
#include "libs/clock/clock.h"
#include "libs/ids/ids.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"
#include "services/paging/core.h"
#include "services/paging/fake_random.h"
#include "services/paging/sqlite_store.h"
#include "services/paging/test_pages.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

constexpr char kAlice[] = "+81312345678";

class OkNotifier final : public Notifier {
 public:
  absl::Status Deliver(const Page&, const std::string&) override { return absl::OkStatus(); }
};

escalation::v1::ContactChannel Sms(const std::string& number) {
  escalation::v1::ContactChannel c;
  c.set_name("phone");
  c.mutable_sms()->set_number(number);
  return c;
}

escalation::v1::ContactChannel Voice(const std::string& number) {
  escalation::v1::ContactChannel c;
  c.set_name("call");
  c.mutable_voice()->set_number(number);
  return c;
}

class CoreRepliesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    random_.Script({11111111, 22222222, 33333333, 44444444});
    ASSERT_OK_AND_ASSIGN(store_, SqlitePagingStore::Open(path_, &clock_));
    PagingOptions options;
    options.public_url = "https://tocsin.example";
    options.max_wrong_codes = 3;
    options.registry = &registry_;
    core_ =
        std::make_unique<PagingCore>(store_.get(), &clock_, &ids_, &random_, &notifier_, options);
  }

  void Send(const std::string& id, const escalation::v1::ContactChannel& channel) {
    ASSERT_OK(core_->HandlePageRequested(PageRequestedEvent("evt-" + id, id, channel)));
    ASSERT_OK(core_->RunDueDeliveries());
    clock_.Advance(absl::Minutes(1));
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  FixedRandom random_;
  OkNotifier notifier_;
  prometheus::Registry registry_;
  std::unique_ptr<SqlitePagingStore> store_;
  std::unique_ptr<PagingCore> core_;
};

TEST_F(CoreRepliesTest, AReplyWithTheCodeAcknowledgesThatPage) {
  Send("pg-1", Sms(kAlice));  // code 11111111
  Send("pg-2", Sms(kAlice));  // code 22222222
  ASSERT_OK_AND_ASSIGN(v1::Page acked,
                       core_->AcceptReply(kAlice, "ok 11111111 thanks", "sms:+81312345678"));
  EXPECT_EQ(acked.id(), "pg-1");
  EXPECT_EQ(acked.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.acked_by(), "sms:+81312345678");
  ASSERT_OK_AND_ASSIGN(v1::Page other, core_->GetPage("pg-2"));
  EXPECT_EQ(other.state(), v1::PAGE_STATE_DELIVERED);
}

TEST_F(CoreRepliesTest, AReplyAfterAnotherAckSaysWhoAcknowledged) {
  Send("pg-1", Sms(kAlice));
  ASSERT_OK(core_->AcceptPage(
      {.page_id = "pg-1", .accept_code = "11111111", .author = "cli:bob", .source = "x"}));
  ASSERT_OK_AND_ASSIGN(v1::Page page, core_->AcceptReply(kAlice, "11111111", "sms:+8131"));
  EXPECT_EQ(page.acked_by(), "cli:bob");
}

TEST_F(CoreRepliesTest, WrongCodesAreCountedPerSenderAndThenRefused) {
  Send("pg-1", Sms(kAlice));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(core_->AcceptReply(kAlice, "99999999", "sms:+81312345678"),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("wrong accept code")));
  }
  EXPECT_THAT(core_->AcceptReply(kAlice, "11111111", "sms:+81312345678"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("too many")));
  ASSERT_OK_AND_ASSIGN(v1::Page page, core_->GetPage("pg-1"));
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
}

TEST_F(CoreRepliesTest, NoCodeNoPagesAndOtherNumbers) {
  Send("pg-1", Sms(kAlice));
  EXPECT_THAT(core_->AcceptReply(kAlice, "help", "sms:x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no accept code")));
  EXPECT_THAT(core_->AcceptReply("+15005550006", "11111111", "sms:+15005550006"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no page was sent")));
  // Too old: outside the reply window.
  clock_.Advance(kReplyWindow + absl::Minutes(1));
  EXPECT_THAT(core_->AcceptReply(kAlice, "11111111", "sms:x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no page was sent")));
}

TEST_F(CoreRepliesTest, AVerifiedProviderCallbackAcknowledgesWithoutACode) {
  Send("pg-1", Voice(kAlice));
  ASSERT_OK_AND_ASSIGN(v1::Page page, core_->AcceptPage({.page_id = "pg-1",
                                                         .author = "voice:+81312345678",
                                                         .provider_verified = true}));
  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(page.acked_by(), "voice:+81312345678");
  // Without the flag a code or token is still required.
  EXPECT_THAT(core_->AcceptPage({.page_id = "pg-1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("accept_code")));
  EXPECT_THAT(core_->AcceptPage({.page_id = "nope", .provider_verified = true}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
}

TEST_F(CoreRepliesTest, ReceiptsAreRecordedBoundedAndKeptNewest) {
  Send("pg-1", Sms(kAlice));
  v1::Receipt r;
  r.set_status(v1::RECEIPT_STATUS_DELIVERED);
  r.set_provider("twilio");
  r.set_provider_id("SM1");
  r.set_detail("MessageStatus=delivered \xff");
  ASSERT_OK_AND_ASSIGN(v1::Page page, core_->RecordReceipt("pg-1", r));
  ASSERT_EQ(page.receipts_size(), 1);
  EXPECT_EQ(page.receipts(0).status(), v1::RECEIPT_STATUS_DELIVERED);
  EXPECT_EQ(FromProtoTime(page.receipts(0).time()), clock_.Now());
  EXPECT_EQ(page.receipts(0).detail(), "MessageStatus=delivered \xEF\xBF\xBD");
  for (int i = 0; i < kMaxReceipts + 5; ++i) {
    r.set_detail(absl::StrCat("n", i));
    ASSERT_OK(core_->RecordReceipt("pg-1", r));
  }
  ASSERT_OK_AND_ASSIGN(page, core_->GetPage("pg-1"));
  ASSERT_EQ(page.receipts_size(), kMaxReceipts);
  EXPECT_EQ(page.receipts(kMaxReceipts - 1).detail(), absl::StrCat("n", kMaxReceipts + 4));
  EXPECT_EQ(page.state(), v1::PAGE_STATE_DELIVERED);
  EXPECT_THAT(core_->RecordReceipt("pg-x", r),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("pg-x")));
}

}  // namespace
}  // namespace tocsin::paging
