// tocsin oncall, rotations, overrides and calendars, against fakes of the
// escalation service (which answer shifts and on-call as the test sets them:
// the computing is the service's, tested there).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "nlohmann/json.hpp"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tools/cli/cli.h"
#include "tools/cli/cli_test_fixture.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::escalation::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// 2026-01-05T00:00:00Z, a Monday.
constexpr int64_t kMonday = kNewYear2026 + 4 * 86400;

constexpr char kTokyo[] = R"yaml(
kind: Contact
name: kenji
channels: [{name: mail, email: {address: kenji@example.com}}]
---
kind: Contact
name: yuki
channels: [{name: mail, email: {address: yuki@example.com}}]
---
kind: Rotation
name: tokyo
contacts: [kenji, yuki]
startTime: "2026-01-05T09:00:00+09:00"
timeZoneId: Asia/Tokyo
recurrence:
  weeklySettings: [{dayOfWeek: MON, handOffTime: "09:00"}]
  shiftCoverages: {MON: [{start: "09:00", end: "18:00"}]}
)yaml";

v1::Shift MakeShift(int64_t start, int64_t end,
                    const std::vector<std::string>& contacts,
                    v1::ShiftType type = v1::SHIFT_TYPE_REGULAR) {
  v1::Shift shift;
  shift.mutable_start()->set_seconds(start);
  shift.mutable_end()->set_seconds(end);
  for (const std::string& contact : contacts) shift.add_contacts(contact);
  shift.set_type(type);
  shift.set_rotation("tokyo");
  return shift;
}

class OnCallCommandsTest : public CliTest {};

TEST_F(OnCallCommandsTest, OnCallPrintsWhoAndTheShift) {
  v1::OnCall on_call;
  on_call.set_name("primary");
  on_call.add_on_call("kenji");
  on_call.mutable_shift_start()->set_seconds(kMonday);
  on_call.mutable_shift_end()->set_seconds(kMonday + 9 * 3600);
  rotations_.SetOnCall(on_call);

  Result text = Run({"oncall", "primary", "--at", "2026-01-05T12:00:00+09:00"});
  ASSERT_EQ(text.exit_code, kExitOk) << text.err;
  EXPECT_EQ(text.out,
            "Name:     primary\n"
            "At:       2026-01-05T03:00:00Z\n"
            "On call:  kenji\n"
            "Shift:    2026-01-05T00:00:00Z to 2026-01-05T09:00:00Z\n");
  EXPECT_EQ(rotations_.on_call_requests().back().at().seconds(),
            kMonday + 3 * 3600);

  Result json = Run({"oncall", "primary", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  EXPECT_EQ(
      nlohmann::ordered_json::parse(json.out).dump(),
      R"({"name":"primary","at":"2026-01-01T00:00:00Z","onCall":["kenji"],)"
      R"("shiftStart":"2026-01-05T00:00:00Z","shiftEnd":)"
      R"("2026-01-05T09:00:00Z"})");
  EXPECT_FALSE(rotations_.on_call_requests().back().has_at());
}

TEST_F(OnCallCommandsTest, OnCallInAGapSaysWhyAndHasNullShift) {
  v1::OnCall gap;
  gap.set_name("tokyo");
  gap.set_reason("coverage of rotation tokyo ended MON 18:00 Asia/Tokyo");
  rotations_.SetOnCall(gap);

  Result text = Run({"oncall", "tokyo"});
  ASSERT_EQ(text.exit_code, kExitOk) << text.err;
  EXPECT_EQ(
      text.out,
      "Name:     tokyo\n"
      "At:       2026-01-01T00:00:00Z\n"
      "On call:  nobody\n"
      "Reason:   coverage of rotation tokyo ended MON 18:00 Asia/Tokyo\n");

  Result json = Run({"oncall", "tokyo", "--output", "json"});
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  EXPECT_EQ(nlohmann::ordered_json::parse(json.out).dump(),
            R"({"name":"tokyo","at":"2026-01-01T00:00:00Z","onCall":[],)"
            R"("shiftStart":null,"shiftEnd":null})");
}

TEST_F(OnCallCommandsTest, OnCallMistakes) {
  Result bad_time = Run({"oncall", "primary", "--at", "tomorrow"});
  EXPECT_EQ(bad_time.exit_code, kExitUsage);
  EXPECT_THAT(bad_time.err, HasSubstr("not an RFC 3339 time"));

  Result unknown = Run({"oncall", "nobody"});
  EXPECT_EQ(unknown.exit_code, kExitFailed);
  EXPECT_THAT(unknown.err, StartsWith("error: NOT_FOUND: "));
}

TEST_F(OnCallCommandsTest, RotationsListAndShowAnAppliedRotation) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kTokyo).exit_code, kExitOk);

  Result list = Run({"rotations", "list"});
  ASSERT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_EQ(list.out,
            "NAME   TIME ZONE   HAND-OFFS         ON CALL  CONTACTS\n"
            "tokyo  Asia/Tokyo  weekly MON 09:00  1        kenji, yuki\n");

  Result show = Run({"rotations", "show", "tokyo"});
  ASSERT_EQ(show.exit_code, kExitOk) << show.err;
  EXPECT_EQ(show.out,
            "Name:             tokyo\n"
            "Contacts:         kenji, yuki\n"
            "Time zone:        Asia/Tokyo\n"
            "Start:            2026-01-05T00:00:00Z\n"
            "Hand-offs:        weekly MON 09:00\n"
            "Turn:             1 hand-off(s)\n"
            "On call at once:  1\n"
            "Coverage:         MON 09:00-18:00\n"
            "Version:          1\n"
            "Created:          2026-01-01T00:00:00Z\n"
            "Updated:          2026-01-01T00:00:00Z\n");
}

TEST_F(OnCallCommandsTest, RotationsShiftsAsTableAndJson) {
  rotations_.SetShifts(
      "tokyo", {MakeShift(kMonday, kMonday + 9 * 3600, {"kenji"}),
                MakeShift(kMonday + 9 * 3600, kMonday + 10 * 3600, {"yuki"},
                          v1::SHIFT_TYPE_OVERRIDDEN),
                MakeShift(kMonday + 30 * 86400, kMonday + 31 * 86400, {"x"})});
  const std::vector<std::string> args = {"rotations",
                                         "shifts",
                                         "tokyo",
                                         "--from",
                                         "2026-01-05T00:00:00Z",
                                         "--to",
                                         "2026-01-06T00:00:00Z"};

  Result table = Run(args);
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_EQ(table.out,
            "START                 END                   TYPE        CONTACTS\n"
            "2026-01-05T00:00:00Z  2026-01-05T09:00:00Z  regular     kenji\n"
            "2026-01-05T09:00:00Z  2026-01-05T10:00:00Z  overridden  yuki\n");

  std::vector<std::string> json_args = args;
  json_args.insert(json_args.end(), {"--output", "json"});
  Result json = Run(json_args);
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  EXPECT_EQ(nlohmann::ordered_json::parse(json.out)[1].dump(),
            R"({"start":"2026-01-05T09:00:00Z","end":"2026-01-05T10:00:00Z",)"
            R"("contacts":["yuki"],"type":"OVERRIDDEN"})");

  Result missing =
      Run({"rotations", "shifts", "tokyo", "--from", "2026-01-05T00:00:00Z"});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_THAT(missing.err, HasSubstr("--to TIME"));
}

TEST_F(OnCallCommandsTest, RotationsPreviewSendsTheFilesRotationAndOverrides) {
  rotations_.SetPreviewShifts(
      {MakeShift(kMonday, kMonday + 9 * 3600, {"kenji"})});
  const std::string file =
      std::string(kTokyo).substr(std::string(kTokyo).find("kind: Rotation")) +
      R"yaml(
---
kind: Override
name: cover
rotation: tokyo
contacts: [yuki]
start: "2026-01-05T01:00:00Z"
end: "2026-01-05T02:00:00Z"
)yaml";

  Result result = Run({"rotations", "preview", "-f", "-", "--from",
                       "2026-01-05T00:00:00Z", "--to", "2026-01-12T00:00:00Z"},
                      file);

  ASSERT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_EQ(result.out,
            "START                 END                   TYPE     CONTACTS\n"
            "2026-01-05T00:00:00Z  2026-01-05T09:00:00Z  regular  kenji\n");
  ASSERT_EQ(rotations_.preview_requests().size(), 1u);
  const v1::PreviewShiftsRequest request = rotations_.preview_requests()[0];
  EXPECT_EQ(request.rotation().name(), "tokyo");
  EXPECT_EQ(request.rotation().recurrence().shift_coverages_size(), 1);
  ASSERT_EQ(request.overrides_size(), 1);
  EXPECT_EQ(request.overrides(0).name(), "cover");
  EXPECT_EQ(request.to().seconds(), kMonday + 7 * 86400);
  EXPECT_THAT(rotations_.rotations(), IsEmpty());
}

TEST_F(OnCallCommandsTest, RotationsPreviewRefusesOtherObjects) {
  Result result = Run({"rotations", "preview", "-f", "-", "--from",
                       "2026-01-05T00:00:00Z", "--to", "2026-01-12T00:00:00Z"},
                      kTokyo);

  EXPECT_EQ(result.exit_code, kExitFailed);
  EXPECT_THAT(result.err, HasSubstr("document 1 is a Contact"));
  EXPECT_THAT(rotations_.preview_requests(), IsEmpty());
}

TEST_F(OnCallCommandsTest, RotationsGaps) {
  v1::Gap gap;
  gap.mutable_start()->set_seconds(kMonday + 9 * 3600);
  gap.mutable_end()->set_seconds(kMonday + 24 * 3600);
  rotations_.SetGaps("tokyo", {gap});
  const std::vector<std::string> args = {"rotations",
                                         "gaps",
                                         "tokyo",
                                         "--from",
                                         "2026-01-05T00:00:00Z",
                                         "--to",
                                         "2026-01-06T00:00:00Z"};

  Result table = Run(args);
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_EQ(table.out,
            "START                 END                   DURATION\n"
            "2026-01-05T09:00:00Z  2026-01-06T00:00:00Z  15h\n");

  std::vector<std::string> json_args = args;
  json_args.insert(json_args.end(), {"--output", "json"});
  Result json = Run(json_args);
  ASSERT_EQ(json.exit_code, kExitOk) << json.err;
  EXPECT_EQ(
      nlohmann::ordered_json::parse(json.out).dump(),
      R"([{"start":"2026-01-05T09:00:00Z","end":"2026-01-06T00:00:00Z"}])");
}

TEST_F(OnCallCommandsTest, OverridesCreateListDelete) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kTokyo).exit_code, kExitOk);
  const std::string cover =
      "kind: Override\nname: cover\nrotation: tokyo\ncontacts: [yuki]\n"
      "start: \"2026-01-05T01:00:00Z\"\nend: \"2026-01-05T02:00:00Z\"\n";

  Result created = Run({"overrides", "create", "-f", "-"}, cover);
  ASSERT_EQ(created.exit_code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "override/tokyo/cover created\n");

  Result list = Run({"overrides", "list", "tokyo"});
  ASSERT_EQ(list.exit_code, kExitOk) << list.err;
  EXPECT_EQ(list.out,
            "NAME   START                 END                   CONTACTS\n"
            "cover  2026-01-05T01:00:00Z  2026-01-05T02:00:00Z  yuki\n");
  Result later =
      Run({"overrides", "list", "tokyo", "--from", "2026-01-05T03:00:00Z"});
  ASSERT_EQ(later.exit_code, kExitOk) << later.err;
  EXPECT_EQ(later.out, "NAME  START  END  CONTACTS\n");

  std::string overlapping = cover;
  overlapping.replace(overlapping.find("cover"), 5, "other");
  Result refused = Run({"overrides", "create", "-f", "-"}, overlapping);
  EXPECT_EQ(refused.exit_code, kExitFailed);
  EXPECT_THAT(refused.err, HasSubstr("overlaps override \"cover\""));

  Result deleted = Run({"overrides", "delete", "tokyo", "cover"});
  ASSERT_EQ(deleted.exit_code, kExitOk) << deleted.err;
  EXPECT_EQ(deleted.out, "override/tokyo/cover deleted\n");
  EXPECT_THAT(rotations_.overrides("tokyo"), IsEmpty());
}

TEST_F(OnCallCommandsTest, CalendarsCreatePrintsTheFeedUrl) {
  ASSERT_EQ(Run({"apply", "-f", "-"}, kTokyo).exit_code, kExitOk);

  Result rotation = Run({"calendars", "create", "--rotation", "tokyo"});
  ASSERT_EQ(rotation.exit_code, kExitOk) << rotation.err;
  EXPECT_EQ(rotation.out, "http://127.0.0.1:7013/v1/calendars/tok-1.ics\n");

  Result contact = Run({"calendars", "create", "--contact", "kenji"});
  ASSERT_EQ(contact.exit_code, kExitOk) << contact.err;
  EXPECT_EQ(contact.out, "http://127.0.0.1:7013/v1/calendars/tok-2.ics\n");

  Result neither = Run({"calendars", "create"});
  EXPECT_EQ(neither.exit_code, kExitUsage);
  EXPECT_THAT(neither.err, HasSubstr("exactly one of --rotation"));
  Result both =
      Run({"calendars", "create", "--rotation", "tokyo", "--contact", "kenji"});
  EXPECT_EQ(both.exit_code, kExitUsage);
}

}  // namespace
}  // namespace tocsin::cli
