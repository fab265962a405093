// tocsin oncall; rotations list|show|shifts|preview|gaps; overrides
// list|create|delete; calendars create. Every shift, gap and on-call answer
// is computed by the escalation service (libs/oncall, the code that pages);
// the CLI only asks and prints.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/oncall/rotation.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::escalation::v1;
using Json = nlohmann::ordered_json;

std::string Contacts(const google::protobuf::RepeatedPtrField<std::string>& c) {
  return c.empty() ? "nobody" : absl::StrJoin(c, ", ");
}

std::string HandOff(const v1::HandOffTime& time) {
  return absl::StrFormat("%02d:%02d", time.hour_of_day(),
                         time.minute_of_hour());
}

std::string Day(v1::DayOfWeek day) {
  const std::string& full = v1::DayOfWeek_Name(day);
  absl::string_view name = full;
  absl::ConsumePrefix(&name, "DAY_OF_WEEK_");
  return std::string(name);
}

// "weekly MON 09:00", "daily 09:00, 21:00", "monthly 31 09:00".
std::string HandOffs(const v1::Recurrence& recurrence) {
  if (!recurrence.daily_settings().empty()) {
    return absl::StrCat(
        "daily ", absl::StrJoin(recurrence.daily_settings(), ", ",
                                [](std::string* out, const v1::HandOffTime& t) {
                                  absl::StrAppend(out, HandOff(t));
                                }));
  }
  if (!recurrence.weekly_settings().empty()) {
    return absl::StrCat(
        "weekly ",
        absl::StrJoin(recurrence.weekly_settings(), ", ",
                      [](std::string* out, const v1::WeeklySetting& s) {
                        absl::StrAppend(out, Day(s.day_of_week()), " ",
                                        HandOff(s.hand_off_time()));
                      }));
  }
  if (!recurrence.monthly_settings().empty()) {
    return absl::StrCat(
        "monthly ",
        absl::StrJoin(recurrence.monthly_settings(), ", ",
                      [](std::string* out, const v1::MonthlySetting& s) {
                        absl::StrAppend(out, s.day_of_month(), " ",
                                        HandOff(s.hand_off_time()));
                      }));
  }
  return "-";
}

// "MON 09:00-18:00, TUE ..." or "always".
std::string Coverage(const v1::Recurrence& recurrence) {
  if (recurrence.shift_coverages().empty()) return "always";
  std::vector<std::string> days;
  for (const v1::ShiftCoverage& coverage : recurrence.shift_coverages()) {
    days.push_back(absl::StrCat(
        Day(coverage.day_of_week()), " ",
        absl::StrJoin(coverage.coverage_times(), " ",
                      [](std::string* out, const v1::CoverageTime& t) {
                        absl::StrAppend(out, HandOff(t.start()), "-",
                                        HandOff(t.end()));
                      })));
  }
  return absl::StrJoin(days, ", ");
}

int OrOne(int value) { return value == 0 ? 1 : value; }

// ---- oncall ----

absl::Status ShowOnCall(const std::string& name, const std::string& at,
                        const Context& context) {
  std::optional<absl::Time> when;
  if (!at.empty()) when = ParseRfc3339(at);
  ASSIGN_OR_RETURN(v1::OnCall on_call,
                   context.clients.escalation->GetOnCall(name, when));
  if (context.options.output == OutputFormat::kJson) {
    Json json = Json::object();
    json["name"] = on_call.name().empty() ? name : on_call.name();
    json["at"] = TimestampJson(on_call.at());
    json["onCall"] = Json::array();
    for (const std::string& contact : on_call.on_call()) {
      json["onCall"].push_back(contact);
    }
    json["shiftStart"] = TimestampJson(on_call.shift_start());
    json["shiftEnd"] = TimestampJson(on_call.shift_end());
    return PrintJson(json, context.out);
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Name", on_call.name().empty() ? name : on_call.name()},
      {"At", FormatTimestamp(on_call.at())},
      {"On call", Contacts(on_call.on_call())},
  };
  if (on_call.on_call().empty()) {
    fields.push_back({"Reason", on_call.reason()});
  } else {
    fields.push_back(
        {"Shift", absl::StrCat(FormatTimestamp(on_call.shift_start()), " to ",
                               FormatTimestamp(on_call.shift_end()))});
  }
  PrintFields(fields, context.out);
  return absl::OkStatus();
}

// ---- rotations ----

absl::Status ListRotations(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Rotation> rotations,
                   context.clients.escalation->ListRotations());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(rotations), context.out);
  }
  Table table;
  table.AddRow({"NAME", "TIME ZONE", "HAND-OFFS", "ON CALL", "CONTACTS"});
  for (const v1::Rotation& rotation : rotations) {
    table.AddRow(
        {rotation.name(), rotation.time_zone_id(),
         HandOffs(rotation.recurrence()),
         absl::StrCat(OrOne(rotation.recurrence().number_of_on_calls())),
         absl::StrJoin(rotation.contacts(), ", ")});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status ShowRotation(const std::string& name, const Context& context) {
  ASSIGN_OR_RETURN(v1::Rotation rotation,
                   context.clients.escalation->GetRotation(name));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(rotation), context.out);
  }
  const v1::Recurrence& recurrence = rotation.recurrence();
  PrintFields(
      {
          {"Name", rotation.name()},
          {"Contacts", absl::StrJoin(rotation.contacts(), ", ")},
          {"Time zone", rotation.time_zone_id()},
          {"Start", FormatTimestamp(rotation.start_time())},
          {"Hand-offs", HandOffs(recurrence)},
          {"Turn", absl::StrCat(OrOne(recurrence.recurrence_multiplier()),
                                " hand-off(s)")},
          {"On call at once",
           absl::StrCat(OrOne(recurrence.number_of_on_calls()))},
          {"Coverage", Coverage(recurrence)},
          {"Version", absl::StrCat(rotation.version())},
          {"Created", FormatTimestamp(rotation.create_time())},
          {"Updated", FormatTimestamp(rotation.update_time())},
      },
      context.out);
  return absl::OkStatus();
}

absl::Status PrintShifts(const std::vector<v1::Shift>& shifts,
                         const Context& context) {
  if (context.options.output == OutputFormat::kJson) {
    Json list = Json::array();
    for (const v1::Shift& shift : shifts) {
      Json json = Json::object();
      json["start"] = TimestampJson(shift.start());
      json["end"] = TimestampJson(shift.end());
      json["contacts"] = Json::array();
      for (const std::string& contact : shift.contacts()) {
        json["contacts"].push_back(contact);
      }
      json["type"] =
          shift.type() == v1::SHIFT_TYPE_OVERRIDDEN ? "OVERRIDDEN" : "REGULAR";
      list.push_back(std::move(json));
    }
    return PrintJson(list, context.out);
  }
  Table table;
  table.AddRow({"START", "END", "TYPE", "CONTACTS"});
  for (const v1::Shift& shift : shifts) {
    table.AddRow(
        {FormatTimestamp(shift.start()), FormatTimestamp(shift.end()),
         shift.type() == v1::SHIFT_TYPE_OVERRIDDEN ? "overridden" : "regular",
         Contacts(shift.contacts())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

// --from and --to.
struct Range {
  std::string from;
  std::string to;
};

void AddRange(CLI::App* command, Range& range, bool required) {
  CLI::Option* from =
      command->add_option("--from", range.from, "start of the range (RFC 3339)")
          ->check(Rfc3339Time())
          ->type_name("TIME");
  CLI::Option* to =
      command->add_option("--to", range.to, "end of the range (RFC 3339)")
          ->check(Rfc3339Time())
          ->type_name("TIME");
  if (required) {
    from->required();
    to->required();
  }
}

absl::Status ListShifts(const std::string& name, const Range& range,
                        const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Shift> shifts,
                   context.clients.escalation->ListShifts(
                       name, ParseRfc3339(range.from), ParseRfc3339(range.to)));
  return PrintShifts(shifts, context);
}

absl::Status PreviewShifts(const std::string& path, const Range& range,
                           const Context& context) {
  ASSIGN_OR_RETURN(std::string yaml, ReadInput(path, context.in));
  ASSIGN_OR_RETURN(std::vector<ManifestObject> objects, LoadManifest(yaml));
  const v1::Rotation* rotation = nullptr;
  std::vector<v1::RotationOverride> overrides;
  for (const ManifestObject& object : objects) {
    if (const auto* r = google::protobuf::DynamicCastToGenerated<v1::Rotation>(
            object.message.get());
        r != nullptr && rotation == nullptr) {
      rotation = r;
    } else if (const auto* o = google::protobuf::DynamicCastToGenerated<
                   v1::RotationOverride>(object.message.get())) {
      overrides.push_back(*o);
    } else {
      return absl::InvalidArgumentError(absl::StrFormat(
          "\"%s\" must declare one Rotation and optionally Overrides of it; "
          "document %d is a%s %s",
          path, object.document, r != nullptr ? "nother" : "", object.kind));
    }
  }
  if (rotation == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" declares no Rotation", path));
  }
  for (const v1::RotationOverride& override_ : overrides) {
    if (override_.rotation() != rotation->name()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "override \"%s\" is of rotation \"%s\", not of \"%s\" that \"%s\" "
          "declares",
          override_.name(), override_.rotation(), rotation->name(), path));
    }
  }
  ASSIGN_OR_RETURN(std::vector<v1::Shift> shifts,
                   context.clients.escalation->PreviewShifts(
                       *rotation, overrides, ParseRfc3339(range.from),
                       ParseRfc3339(range.to)));
  return PrintShifts(shifts, context);
}

absl::Status ListGaps(const std::string& name, const Range& range,
                      const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Gap> gaps,
                   context.clients.escalation->ListGaps(
                       name, ParseRfc3339(range.from), ParseRfc3339(range.to)));
  if (context.options.output == OutputFormat::kJson) {
    Json list = Json::array();
    for (const v1::Gap& gap : gaps) {
      list.push_back({{"start", TimestampJson(gap.start())},
                      {"end", TimestampJson(gap.end())}});
    }
    return PrintJson(list, context.out);
  }
  Table table;
  table.AddRow({"START", "END", "DURATION"});
  for (const v1::Gap& gap : gaps) {
    table.AddRow({FormatTimestamp(gap.start()), FormatTimestamp(gap.end()),
                  absl::FormatDuration(FromProtoTime(gap.end()) -
                                       FromProtoTime(gap.start()))});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

// ---- overrides ----

std::string OverrideLabel(const std::string& rotation,
                          const std::string& name) {
  return absl::StrCat("override/", rotation, "/", name);
}

absl::Status ListOverrides(const std::string& rotation, const Range& range,
                           const Context& context) {
  client::TimeRangeParams params;
  if (!range.from.empty()) params.from = ParseRfc3339(range.from);
  if (!range.to.empty()) params.to = ParseRfc3339(range.to);
  ASSIGN_OR_RETURN(std::vector<v1::RotationOverride> overrides,
                   context.clients.escalation->ListOverrides(rotation, params));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(overrides), context.out);
  }
  Table table;
  table.AddRow({"NAME", "START", "END", "CONTACTS"});
  for (const v1::RotationOverride& override_ : overrides) {
    table.AddRow({override_.name(), FormatTimestamp(override_.start()),
                  FormatTimestamp(override_.end()),
                  Contacts(override_.contacts())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status CreateOverride(const std::string& path, const Context& context) {
  ASSIGN_OR_RETURN(auto loaded,
                   LoadOne<v1::RotationOverride>(path, context.in, "Override"));
  ASSIGN_OR_RETURN(v1::RotationOverride created,
                   context.clients.escalation->CreateOverride(*loaded.second));
  context.out << OverrideLabel(created.rotation(), created.name())
              << " created\n";
  return absl::OkStatus();
}

// ---- calendars ----

absl::Status CreateCalendar(const std::string& rotation,
                            const std::string& contact,
                            const Context& context) {
  if (rotation.empty() == contact.empty()) {
    return UsageError(
        "\"calendars create\" needs exactly one of --rotation ROTATION and "
        "--contact CONTACT");
  }
  ASSIGN_OR_RETURN(
      v1::CalendarFeed feed,
      context.clients.escalation->CreateCalendarFeed(rotation, contact));
  context.out << feed.url() << "\n";
  context.err << "note: the URL is the feed's secret, shown only now; "
                 "subscribe to it in a calendar application\n";
  return absl::OkStatus();
}

}  // namespace

void AddOnCallCommands(CommandTable& table) {
  {
    auto name = std::make_shared<std::string>();
    auto at = std::make_shared<std::string>();
    CLI::App* oncall = table.AddCommand(
        &table.root(), "oncall",
        "Who is on call for a schedule or a rotation (default: now).",
        [name, at](const Context& context) {
          return ShowOnCall(*name, *at, context);
        });
    oncall->add_option("NAME", *name, "a schedule or a rotation")
        ->required()
        ->type_name("");
    oncall->add_option("--at", *at, "the instant (RFC 3339; default: now)")
        ->check(Rfc3339Time())
        ->type_name("TIME");
  }

  CLI::App* rotations = table.AddFamily(
      "rotations", "Rotations: who takes turns on call, in which time zone.");
  table.AddCommand(rotations, "list", "List rotations.", ListRotations);
  {
    auto name = std::make_shared<std::string>();
    table
        .AddCommand(rotations, "show", "Show a rotation.",
                    [name](const Context& context) {
                      return ShowRotation(*name, context);
                    })
        ->add_option("NAME", *name, "the rotation")
        ->required()
        ->type_name("");
  }
  {
    auto name = std::make_shared<std::string>();
    auto range = std::make_shared<Range>();
    CLI::App* shifts = table.AddCommand(
        rotations, "shifts",
        "The shifts of a rotation (or a schedule's rotations) in a range.",
        [name, range](const Context& context) {
          return ListShifts(*name, *range, context);
        });
    shifts->add_option("NAME", *name, "a rotation or a schedule")
        ->required()
        ->type_name("");
    AddRange(shifts, *range, /*required=*/true);
  }
  {
    auto path = std::make_shared<std::string>();
    auto range = std::make_shared<Range>();
    CLI::App* preview = table.AddCommand(
        rotations, "preview",
        "The shifts of a rotation FILE declares, not saved yet, with the "
        "Overrides of it the file declares.",
        [path, range](const Context& context) {
          return PreviewShifts(*path, *range, context);
        });
    preview
        ->add_option("-f", *path,
                     "a YAML manifest of one Rotation and its Overrides")
        ->required()
        ->type_name("FILE");
    AddRange(preview, *range, /*required=*/true);
  }
  {
    auto name = std::make_shared<std::string>();
    auto range = std::make_shared<Range>();
    CLI::App* gaps = table.AddCommand(rotations, "gaps",
                                      "The ranges in which nobody is on call.",
                                      [name, range](const Context& context) {
                                        return ListGaps(*name, *range, context);
                                      });
    gaps->add_option("NAME", *name, "a rotation or a schedule")
        ->required()
        ->type_name("");
    AddRange(gaps, *range, /*required=*/true);
  }

  CLI::App* overrides = table.AddFamily(
      "overrides",
      "Overrides: who is on call instead of a rotation's members, and when.");
  {
    auto rotation = std::make_shared<std::string>();
    auto range = std::make_shared<Range>();
    CLI::App* list = table.AddCommand(
        overrides, "list",
        "List a rotation's overrides (those ending after --from and starting "
        "before --to).",
        [rotation, range](const Context& context) {
          return ListOverrides(*rotation, *range, context);
        });
    list->add_option("ROTATION", *rotation, "the rotation")
        ->required()
        ->type_name("");
    AddRange(list, *range, /*required=*/false);
  }
  {
    auto path = std::make_shared<std::string>();
    table
        .AddCommand(overrides, "create",
                    "Create the override FILE declares (\"-\": stdin).",
                    [path](const Context& context) {
                      return CreateOverride(*path, context);
                    })
        ->add_option("-f", *path, "a YAML manifest of one Override")
        ->required()
        ->type_name("FILE");
  }
  {
    auto rotation = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    CLI::App* remove = table.AddCommand(
        overrides, "delete", "Delete an override.",
        [rotation, name](const Context& context) -> absl::Status {
          RETURN_IF_ERROR(
              context.clients.escalation->DeleteOverride(*rotation, *name));
          context.out << OverrideLabel(*rotation, *name) << " deleted\n";
          return absl::OkStatus();
        });
    remove->add_option("ROTATION", *rotation, "the rotation")
        ->required()
        ->type_name("");
    remove->add_option("NAME", *name, "the override")
        ->required()
        ->type_name("");
  }

  CLI::App* calendars = table.AddFamily(
      "calendars", "Calendar feeds (iCalendar) of on-call shifts.");
  {
    auto rotation = std::make_shared<std::string>();
    auto contact = std::make_shared<std::string>();
    CLI::App* create = table.AddCommand(
        calendars, "create",
        "Create a secret feed URL of a rotation's or a person's shifts.",
        [rotation, contact](const Context& context) {
          return CreateCalendar(*rotation, *contact, context);
        });
    CLI::Option* by_rotation =
        create->add_option("--rotation", *rotation, "the rotation")
            ->type_name("ROTATION");
    create->add_option("--contact", *contact, "the person")
        ->type_name("CONTACT")
        ->excludes(by_rotation);
  }
}

}  // namespace tocsin::cli
