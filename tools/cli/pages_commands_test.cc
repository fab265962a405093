// tocsin pages list|show|ack, against a fake paging service.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"
#include "nlohmann/json.hpp"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tools/cli/cli.h"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::incidents::v1;
namespace escalation_v1 = ::tocsin::escalation::v1;
namespace paging_v1 = ::tocsin::paging::v1;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

class PagesCommandsTest : public CliTest {
 protected:
  // Adds a receipt from "twilio", `seconds` after the fakes' now.
  static void AddReceipt(paging_v1::Page& page, paging_v1::ReceiptStatus status,
                         int seconds, const std::string& detail,
                         const std::string& provider_id) {
    paging_v1::Receipt* receipt = page.add_receipts();
    receipt->set_status(status);
    receipt->set_provider("twilio");
    receipt->mutable_time()->set_seconds(kNewYear2026 + seconds);
    receipt->set_detail(detail);
    receipt->set_provider_id(provider_id);
  }
};

TEST_F(PagesCommandsTest, PagesListPrintsATable) {
  AddThreePages();

  Result result = Run({"pages", "list", "--incident", "inc-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "ID    CONTACT  CHANNEL     STATE      ATTEMPTS  LAST RECEIPT  "
            "CREATED\n"
            "pg-1  alice    work-email  delivered  2         -             "
            "2026-01-01T00:00:00Z\n"
            "pg-2  bob      pager       pending    0         -             "
            "2026-01-01T00:00:00Z\n");
}

TEST_F(PagesCommandsTest, PagesListShowsTheStatusOfTheNewestReceipt) {
  AddThreePages();
  paging_v1::Page sms = MakePage("pg-4", "inc-1", "carol", "phone",
                                 paging_v1::PAGE_STATE_DELIVERED, 1);
  // Recorded out of order: the newest by time wins, not the last one.
  AddReceipt(sms, paging_v1::RECEIPT_STATUS_SENT, 70, "", "");
  AddReceipt(sms, paging_v1::RECEIPT_STATUS_DELIVERED, 90, "", "");
  AddReceipt(sms, paging_v1::RECEIPT_STATUS_QUEUED, 65, "", "");
  paging_.AddPage(sms);
  paging_v1::Page failed = MakePage("pg-5", "inc-1", "dave", "phone",
                                    paging_v1::PAGE_STATE_DELIVERED, 1);
  AddReceipt(failed, paging_v1::RECEIPT_STATUS_SENT, 70, "", "");
  AddReceipt(failed, paging_v1::RECEIPT_STATUS_ERROR, 80, "", "");
  paging_.AddPage(failed);

  Result result = Run({"pages", "list", "--incident", "inc-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "ID    CONTACT  CHANNEL     STATE      ATTEMPTS  LAST RECEIPT  "
            "CREATED\n"
            "pg-1  alice    work-email  delivered  2         -             "
            "2026-01-01T00:00:00Z\n"
            "pg-2  bob      pager       pending    0         -             "
            "2026-01-01T00:00:00Z\n"
            "pg-4  carol    phone       delivered  1         delivered     "
            "2026-01-01T00:00:00Z\n"
            "pg-5  dave     phone       delivered  1         error         "
            "2026-01-01T00:00:00Z\n");
}

TEST_F(PagesCommandsTest, PagesListFiltersByContactAndEngagement) {
  AddThreePages();
  paging_v1::Page second = MakePage("pg-4", "inc-1", "alice", "phone",
                                    paging_v1::PAGE_STATE_PENDING, 0);
  second.set_engagement_id("eng-2");
  paging_.AddPage(second);
  paging_v1::Page bobs = MakePage("pg-5", "inc-1", "bob", "phone",
                                  paging_v1::PAGE_STATE_PENDING, 0);
  bobs.set_engagement_id("eng-2");
  paging_.AddPage(bobs);

  auto ids = [this](std::vector<std::string> filters) {
    std::vector<std::string> args = {"--output", "json",       "pages",
                                     "list",     "--incident", "inc-1"};
    args.insert(args.end(), filters.begin(), filters.end());
    Result result = Run(args);
    EXPECT_EQ(result.exit_code, kExitOk) << result.err;
    std::vector<std::string> listed;
    for (const auto& page : nlohmann::json::parse(result.out)) {
      listed.push_back(page["id"].get<std::string>());
    }
    return listed;
  };

  EXPECT_THAT(ids({}), ElementsAre("pg-1", "pg-2", "pg-4", "pg-5"));
  EXPECT_THAT(ids({"--contact", "alice"}), ElementsAre("pg-1", "pg-4"));
  EXPECT_THAT(ids({"--engagement", "eng-2"}), ElementsAre("pg-4", "pg-5"));
  EXPECT_THAT(ids({"--contact", "bob", "--engagement", "eng-2"}),
              ElementsAre("pg-5"));
  // Pages of another incident never match (pg-3 is alice's, of inc-3).
  EXPECT_THAT(ids({"--contact", "carol"}), IsEmpty());

  Result table = Run({"pages", "list", "--incident", "inc-1", "--contact",
                      "alice", "--engagement", "eng-1"});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_EQ(table.out,
            "ID    CONTACT  CHANNEL     STATE      ATTEMPTS  LAST RECEIPT  "
            "CREATED\n"
            "pg-1  alice    work-email  delivered  2         -             "
            "2026-01-01T00:00:00Z\n");

  Result none =
      Run({"pages", "list", "--incident", "inc-1", "--contact", "nobody"});
  ASSERT_EQ(none.exit_code, kExitOk) << none.err;
  EXPECT_EQ(none.out,
            "ID  CONTACT  CHANNEL  STATE  ATTEMPTS  LAST RECEIPT  CREATED\n");
}

TEST_F(PagesCommandsTest, PagesListHelpDocumentsTheFilters) {
  Result result = Run({"pages", "list", "--help"});

  EXPECT_EQ(result.exit_code, kExitOk);
  EXPECT_THAT(result.out, HasSubstr("--incident ID REQUIRED"));
  EXPECT_THAT(result.out, HasSubstr("--contact NAME"));
  EXPECT_THAT(result.out, HasSubstr("only the pages of this contact"));
  EXPECT_THAT(result.out, HasSubstr("--engagement ID"));
  EXPECT_THAT(result.out, HasSubstr("only the pages of this engagement"));
  EXPECT_THAT(Run({"help"}).out,
              HasSubstr("pages list --incident ID [--contact NAME] "
                        "[--engagement ID]"));
}

TEST_F(PagesCommandsTest, PagesListJsonParsesBackIntoThePages) {
  AddThreePages();

  Result result =
      Run({"--output", "json", "pages", "list", "--incident", "inc-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  nlohmann::json pages = nlohmann::json::parse(result.out);
  ASSERT_TRUE(pages.is_array());
  ASSERT_EQ(pages.size(), 2u);
  for (const auto& json : pages) {
    paging_v1::Page page;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(json.dump(), &page).ok())
        << json.dump();
    paging_v1::Page expected = paging_.page(page.id());
    expected.clear_accept_code();
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(page, expected))
        << page.DebugString();
  }
  EXPECT_EQ(pages[0]["state"], "PAGE_STATE_DELIVERED");
  EXPECT_EQ(pages[0]["attempts"][1]["detail"], "250 OK");
}

TEST_F(PagesCommandsTest, PagesShowPrintsThePageAndItsAttempts) {
  AddThreePages();

  Result result = Run({"pages", "show", "pg-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith("ID:               pg-1\n"
                                     "Incident:         inc-1\n"));
  EXPECT_THAT(result.out,
              HasSubstr("Destination:      email alice@example.com\n"));
  EXPECT_THAT(result.out, HasSubstr("State:            delivered\n"));
  EXPECT_THAT(result.out,
              HasSubstr("\nATTEMPT  TIME                  RESULT  DETAIL\n"
                        "1        2026-01-01T00:01:00Z  failed  connection "
                        "refused\n"
                        "2        2026-01-01T00:02:00Z  ok      250 OK\n"));
}

TEST_F(PagesCommandsTest, PagesShowListsTheReceiptsAfterTheAttempts) {
  paging_v1::Page page = MakePage("pg-1", "inc-1", "alice", "phone",
                                  paging_v1::PAGE_STATE_DELIVERED, 1);
  AddReceipt(page, paging_v1::RECEIPT_STATUS_SENT, 70, "MessageStatus=sent",
             "SM123");
  AddReceipt(page, paging_v1::RECEIPT_STATUS_DELIVERED, 90, "", "SM123");
  AddReceipt(page, paging_v1::RECEIPT_STATUS_ERROR, 120,
             "MessageStatus=undelivered ErrorCode=30003", "");
  paging_.AddPage(page);

  Result result = Run({"pages", "show", "pg-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out,
              EndsWith("\nATTEMPT  TIME                  RESULT  DETAIL\n"
                       "1        2026-01-01T00:01:00Z  ok      250 OK\n"
                       "\n"
                       "TIME                  STATUS     PROVIDER  DETAIL\n"
                       "2026-01-01T00:01:10Z  sent       twilio    SM123: "
                       "MessageStatus=sent\n"
                       "2026-01-01T00:01:30Z  delivered  twilio    SM123\n"
                       "2026-01-01T00:02:00Z  error      twilio    "
                       "MessageStatus=undelivered ErrorCode=30003\n"));
}

TEST_F(PagesCommandsTest, PagesShowSaysWhenThereAreNoReceipts) {
  AddThreePages();

  Result result = Run({"pages", "show", "pg-2"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out,
              EndsWith("\nATTEMPT  TIME  RESULT  DETAIL\n\nReceipts: none\n"));
}

TEST_F(PagesCommandsTest, PagesShowJsonIncludesTheReceipts) {
  paging_v1::Page page = MakePage("pg-1", "inc-1", "alice", "phone",
                                  paging_v1::PAGE_STATE_DELIVERED, 1);
  AddReceipt(page, paging_v1::RECEIPT_STATUS_SENT, 70, "MessageStatus=sent",
             "SM123");
  AddReceipt(page, paging_v1::RECEIPT_STATUS_READ, 90, "", "SM123");
  paging_.AddPage(page);

  Result result = Run({"--output", "json", "pages", "show", "pg-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  paging_v1::Page shown;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(result.out, &shown).ok())
      << result.out;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(shown, page))
      << shown.DebugString();
  nlohmann::json json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json["receipts"].size(), 2u);
  EXPECT_EQ(json["receipts"][0]["status"], "RECEIPT_STATUS_SENT");
  EXPECT_EQ(json["receipts"][0]["provider"], "twilio");
  EXPECT_EQ(json["receipts"][0]["time"], "2026-01-01T00:01:10Z");
  EXPECT_EQ(json["receipts"][0]["detail"], "MessageStatus=sent");
  EXPECT_EQ(json["receipts"][0]["providerId"], "SM123");
  EXPECT_EQ(json["receipts"][1]["status"], "RECEIPT_STATUS_READ");
}

TEST_F(PagesCommandsTest, AnActivationPageShowsItsPurposeAndNoCode) {
  paging_v1::Page page = MakePage("pg-1", "", "alice", "phone",
                                  paging_v1::PAGE_STATE_DELIVERED, 1);
  page.set_engagement_id("");
  page.set_purpose(escalation_v1::PAGE_PURPOSE_ACTIVATION);
  page.set_activation_code("483920");
  paging_.AddPage(page);

  Result table = Run({"pages", "show", "pg-1"});

  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_THAT(table.out, HasSubstr("\nSummary:\n"
                                   "Purpose:          activation (nothing to "
                                   "acknowledge)\n"
                                   "Created:          "));
  EXPECT_THAT(table.out, Not(HasSubstr("Accept code")));
  EXPECT_THAT(table.out, Not(HasSubstr("code-pg-1")));
  EXPECT_THAT(table.out, Not(HasSubstr("483920")));

  Result json = Run({"--output", "json", "pages", "show", "pg-1"});

  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  EXPECT_THAT(json.out, Not(HasSubstr("code-pg-1")));
  EXPECT_THAT(json.out, Not(HasSubstr("483920")));
  EXPECT_EQ(nlohmann::json::parse(json.out)["purpose"],
            "PAGE_PURPOSE_ACTIVATION");
}

TEST_F(PagesCommandsTest, AnEngagementPageShowsItsAcceptCodeAndNoPurpose) {
  AddThreePages();

  Result result = Run({"pages", "show", "pg-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, HasSubstr("\nAccept code:      code-pg-1\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("Purpose")));
}

TEST_F(PagesCommandsTest, PagesAckAcknowledgesWithTheCodeAsTheCliUser) {
  AddThreePages();

  Result result = Run({"pages", "ack", "pg-2", "--code", "code-pg-2"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out, "page/pg-2 acknowledged\n");
  ASSERT_EQ(paging_.accepts().size(), 1u);
  EXPECT_EQ(paging_.accepts()[0].page_id(), "pg-2");
  EXPECT_EQ(paging_.accepts()[0].accept_code(), "code-pg-2");
  EXPECT_EQ(paging_.accepts()[0].author(), "cli:alice");
  EXPECT_EQ(paging_.page("pg-2").state(), paging_v1::PAGE_STATE_ACKNOWLEDGED);
}

TEST_F(PagesCommandsTest, PagesAckAfterSomeoneElseSaysWhoWasFirst) {
  AddThreePages();
  ASSERT_EQ(Run({"pages", "ack", "pg-2", "--code", "code-pg-2"}).exit_code, kExitOk);
  GlobalOptions bob = Defaults();
  bob.author = "bob";

  Result result = RunWith(bob, {"pages", "ack", "pg-2", "--code", "code-pg-2"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.out, StartsWith("page/pg-2 was already acknowledged by cli:alice at "));
  EXPECT_EQ(paging_.page("pg-2").acked_by(), "cli:alice");
}

TEST_F(PagesCommandsTest, PagesAckOfAnUnknownPageExitsOneWithNotFound) {
  AddThreePages();

  Result result = Run({"pages", "ack", "pg-404", "--code", "code-pg-1"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "error: NOT_FOUND: page \"pg-404\" not found\n");
}

TEST_F(PagesCommandsTest, PagesAckWithAWrongCodeExitsOneWithPermissionDenied) {
  AddThreePages();

  Result result = Run({"pages", "ack", "pg-2", "--code", "code-pg-1"});

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: PERMISSION_DENIED: accept code does not match page "
            "\"pg-2\"\n");
  EXPECT_EQ(paging_.page("pg-2").state(), paging_v1::PAGE_STATE_PENDING);
}

TEST_F(PagesCommandsTest, PagesAckWithoutACodeIsAUsageError) {
  Result result = Run({"pages", "ack", "pg-2"});

  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err,
              StartsWith("error: \"pages ack\" needs --code CODE\n"));
  EXPECT_THAT(paging_.accepts(), IsEmpty());
}

}  // namespace
}  // namespace tocsin::cli
