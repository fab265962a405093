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
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

class PagesCommandsTest : public CliTest {};

TEST_F(PagesCommandsTest, PagesListPrintsATable) {
  AddThreePages();

  Result result = Run({"pages", "list", "--incident", "inc-1"});

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "ID    CONTACT  CHANNEL     STATE      ATTEMPTS  CREATED\n"
            "pg-1  alice    work-email  delivered  2         "
            "2026-01-01T00:00:00Z\n"
            "pg-2  bob      pager       pending    0         "
            "2026-01-01T00:00:00Z\n");
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
