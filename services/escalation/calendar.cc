#include "services/escalation/calendar.h"

#include <libical/ical.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/proto/time.h"

namespace tocsin::escalation {
namespace {

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};

icaltimetype Utc(absl::Time t) {
  return icaltime_from_timet_with_zone(static_cast<time_t>(absl::ToUnixSeconds(t)), 0,
                                       icaltimezone_get_utc_timezone());
}

std::string Summary(const v1::Shift& shift, absl::string_view for_contact) {
  if (for_contact.empty()) {
    if (shift.contacts().empty()) return absl::StrCat(shift.rotation(), ": nobody on call");
    return absl::StrCat(shift.rotation(), ": ", absl::StrJoin(shift.contacts(), ", "));
  }
  std::vector<std::string> others;
  for (const std::string& c : shift.contacts()) {
    if (c != for_contact) others.push_back(c);
  }
  std::string summary = absl::StrCat("On call: ", shift.rotation());
  if (!others.empty()) absl::StrAppend(&summary, " (with ", absl::StrJoin(others, ", "), ")");
  return summary;
}

}  // namespace

std::string ShiftUid(const v1::Shift& shift) {
  return absl::StrCat(shift.rotation(), "-", shift.start().seconds(), "@tocsin");
}

absl::StatusOr<std::string> RenderShiftsCalendar(absl::string_view title,
                                                 absl::Span<const v1::Shift> shifts, absl::Time now,
                                                 absl::string_view for_contact) {
  std::unique_ptr<icalcomponent, ComponentFree> cal(icalcomponent_new_vcalendar());
  if (cal == nullptr) return absl::InternalError("libical could not create a calendar");
  icalcomponent_add_property(cal.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(cal.get(), icalproperty_new_prodid("-//Tocsin//On call//EN"));
  icalcomponent_add_property(cal.get(), icalproperty_new_method(ICAL_METHOD_PUBLISH));
  const std::string name(title);
  icalproperty* cal_name = icalproperty_new_x(name.c_str());
  icalproperty_set_x_name(cal_name, "X-WR-CALNAME");
  icalcomponent_add_property(cal.get(), cal_name);
  const icaltimetype stamp = Utc(now);
  for (const v1::Shift& shift : shifts) {
    icalcomponent* event = icalcomponent_new_vevent();
    const std::string uid = ShiftUid(shift);
    const std::string summary = Summary(shift, for_contact);
    icalcomponent_add_property(event, icalproperty_new_uid(uid.c_str()));
    icalcomponent_add_property(event, icalproperty_new_dtstamp(stamp));
    icalcomponent_add_property(event, icalproperty_new_dtstart(Utc(FromProtoTime(shift.start()))));
    icalcomponent_add_property(event, icalproperty_new_dtend(Utc(FromProtoTime(shift.end()))));
    icalcomponent_add_property(event, icalproperty_new_summary(summary.c_str()));
    icalcomponent_add_property(event, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
    icalcomponent_add_component(cal.get(), event);
  }
  char* text = icalcomponent_as_ical_string_r(cal.get());
  if (text == nullptr) return absl::InternalError("libical could not write the calendar");
  std::string out(text);
  free(text);
  return out;
}

http::HttpResponse ServeCalendar(
    const http::HttpRequest& request,
    const std::function<absl::StatusOr<std::string>(const std::string& token)>& render) {
  const http::HttpResponse not_found{
      .status = 404, .content_type = "text/plain; charset=utf-8", .body = "not found\n"};
  absl::string_view token = request.path;
  if (!absl::ConsumePrefix(&token, kCalendarPathPrefix) || !absl::ConsumeSuffix(&token, ".ics") ||
      token.empty() || token.size() > 128) {
    return not_found;
  }
  for (char c : token) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return not_found;
  }
  absl::StatusOr<std::string> ics = render(std::string(token));
  if (absl::IsNotFound(ics.status())) return not_found;
  if (!ics.ok()) {
    return {.status = 500,
            .content_type = "text/plain; charset=utf-8",
            .body = "the calendar cannot be made now; try again later\n"};
  }
  http::HttpResponse ok{
      .status = 200, .content_type = "text/calendar; charset=utf-8", .body = *std::move(ics)};
  ok.headers.push_back({"Cache-Control", "private, max-age=300"});
  return ok;
}

}  // namespace tocsin::escalation
