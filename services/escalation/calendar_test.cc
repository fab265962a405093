#include "services/escalation/calendar.h"

#include <libical/ical.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "libs/proto/time.h"
#include "libs/status/status_matchers.h"

namespace tocsin::escalation {
namespace {

using ::testing::ElementsAre;

v1::Shift MakeShift(const std::string& rotation, int64_t start, int64_t end,
                    const std::vector<std::string>& contacts) {
  v1::Shift s;
  s.set_rotation(rotation);
  s.mutable_start()->set_seconds(start);
  s.mutable_end()->set_seconds(end);
  for (const auto& c : contacts) s.add_contacts(c);
  s.set_type(v1::SHIFT_TYPE_REGULAR);
  return s;
}

struct ParsedEvent {
  std::string uid;
  std::string summary;
  int64_t start = 0;
  int64_t end = 0;
};

// Parses ics with libical, as a calendar application would.
std::vector<ParsedEvent> Parse(const std::string& ics) {
  std::vector<ParsedEvent> out;
  icalcomponent* cal = icalparser_parse_string(ics.c_str());
  EXPECT_NE(cal, nullptr);
  if (cal == nullptr) return out;
  EXPECT_EQ(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
  for (icalcomponent* e = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
       e != nullptr; e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
    ParsedEvent p;
    p.uid = icalcomponent_get_uid(e);
    p.summary = icalcomponent_get_summary(e);
    p.start = icaltime_as_timet(icalcomponent_get_dtstart(e));
    p.end = icaltime_as_timet(icalcomponent_get_dtend(e));
    EXPECT_TRUE(icaltime_is_utc(icalcomponent_get_dtstart(e)));
    out.push_back(p);
  }
  icalcomponent_free(cal);
  return out;
}

TEST(CalendarTest, OneEventPerShiftWithStableUids) {
  const int64_t t0 = 1772978400;  // 2026-03-08T14:00:00Z
  std::vector<v1::Shift> shifts = {MakeShift("ny", t0 - 86400, t0 - 3600, {"alice"}),
                                   MakeShift("ny", t0 - 3600, t0 + 82800, {"bob", "carol"}),
                                   MakeShift("ny", t0 + 82800, t0 + 90000, {})};
  ASSERT_OK_AND_ASSIGN(std::string ics, RenderShiftsCalendar("Tocsin on call: rotation ny", shifts,
                                                             absl::FromUnixSeconds(t0), ""));
  EXPECT_THAT(ics, ::testing::HasSubstr("X-WR-CALNAME:Tocsin on call: rotation ny"));
  EXPECT_THAT(ics, ::testing::HasSubstr("VERSION:2.0"));
  std::vector<ParsedEvent> events = Parse(ics);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].summary, "ny: alice");
  EXPECT_EQ(events[1].summary, "ny: bob, carol");
  EXPECT_EQ(events[2].summary, "ny: nobody on call");
  EXPECT_EQ(events[1].start, t0 - 3600);
  EXPECT_EQ(events[1].end, t0 + 82800);
  EXPECT_EQ(events[0].uid, absl::StrCat("ny-", t0 - 86400, "@tocsin"));

  // The same shift with another end keeps its UID.
  shifts[1].mutable_end()->set_seconds(t0);
  ASSERT_OK_AND_ASSIGN(std::string again,
                       RenderShiftsCalendar("x", shifts, absl::FromUnixSeconds(t0), ""));
  EXPECT_EQ(Parse(again)[1].uid, events[1].uid);
}

TEST(CalendarTest, APersonsFeedNamesTheOthersOnCall) {
  std::vector<v1::Shift> shifts = {MakeShift("ny", 100, 200, {"bob"}),
                                   MakeShift("tokyo", 300, 400, {"bob", "kenji"})};
  ASSERT_OK_AND_ASSIGN(std::string ics, RenderShiftsCalendar("Tocsin on call: bob", shifts,
                                                             absl::FromUnixSeconds(50), "bob"));
  std::vector<ParsedEvent> events = Parse(ics);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].summary, "On call: ny");
  EXPECT_EQ(events[1].summary, "On call: tokyo (with kenji)");
}

TEST(CalendarTest, NoShiftsIsAnEmptyCalendar) {
  ASSERT_OK_AND_ASSIGN(std::string ics,
                       RenderShiftsCalendar("empty", {}, absl::FromUnixSeconds(0), ""));
  EXPECT_THAT(Parse(ics), ::testing::IsEmpty());
  EXPECT_THAT(ics, ::testing::HasSubstr("BEGIN:VCALENDAR"));
}

TEST(ServeCalendarTest, AnswersTheFeedOr404SayingNothingMore) {
  std::string asked;
  auto render = [&](const std::string& token) -> absl::StatusOr<std::string> {
    asked = token;
    if (token == "abc123") return std::string("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    if (token == "broken") return absl::InternalError("database on fire");
    return absl::NotFoundError("no such calendar");
  };
  http::HttpRequest req;
  req.method = "GET";
  req.path = "/v1/calendars/abc123.ics";
  http::HttpResponse r = ServeCalendar(req, render);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/calendar; charset=utf-8");
  EXPECT_EQ(asked, "abc123");
  req.path = "/v1/calendars/unknown.ics";
  r = ServeCalendar(req, render);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "not found\n");
  asked.clear();
  for (const char* path : {"/v1/calendars/abc123", "/v1/calendars/.ics", "/v1/calendars/a/b.ics",
                           "/v1/calendars/a%20b.ics"}) {
    req.path = path;
    EXPECT_EQ(ServeCalendar(req, render).status, 404) << path;
  }
  EXPECT_EQ(asked, "") << "a malformed path is never looked up";
  req.path = "/v1/calendars/broken.ics";
  r = ServeCalendar(req, render);
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, ::testing::Not(::testing::HasSubstr("fire")));
}

}  // namespace
}  // namespace tocsin::escalation
