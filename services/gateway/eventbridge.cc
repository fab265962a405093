#include "services/gateway/eventbridge.h"

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/timestamp.pb.h"
#include "libs/status/status_macros.h"
#include "services/gateway/aws_time.h"
#include "services/incidents/alarms.h"

namespace tocsin::gateway {
namespace {

using ::nlohmann::json;
using ::tocsin::incidents::v1::Alarm;
using ::tocsin::incidents::v1::AlarmKind;
using ::tocsin::incidents::v1::AlarmState;

constexpr char kCloudWatchSource[] = "aws.cloudwatch";
constexpr char kStateChange[] = "CloudWatch Alarm State Change";
constexpr char kConfigurationChange[] = "CloudWatch Alarm Configuration Change";
// Real events nest a handful of levels; the bound keeps dump() (recursive)
// safe from a hostile body.
constexpr int kMaxDepth = 64;
// Longest value quoted back in an error message.
constexpr size_t kMaxQuoted = 64;

// Compact JSON that never throws: invalid UTF-8 becomes U+FFFD.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A string as a JSON literal for an error message, cut at kMaxQuoted bytes
// (on a UTF-8 character boundary).
std::string Quote(absl::string_view text) {
  if (text.size() <= kMaxQuoted) return Dump(std::string(text));
  size_t cut = kMaxQuoted;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return Dump(absl::StrCat(text.substr(0, cut), "..."));
}

// nlohmann's exception text without its "[json.exception.parse_error.101] "
// prefix, and with bytes outside printable ASCII (the parser quotes raw input)
// replaced by '?', so that the message is safe in any log or JSON body.
std::string ParserMessage(absl::string_view what) {
  if (absl::StartsWith(what, "[json.exception.")) {
    const size_t end = what.find("] ");
    if (end != absl::string_view::npos) what.remove_prefix(end + 2);
  }
  std::string message(what);
  for (char& c : message) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = '?';
  }
  return message;
}

std::optional<AlarmState> StateFromName(absl::string_view name) {
  if (name == "ALARM") return AlarmState::ALARM_STATE_ALARM;
  if (name == "OK") return AlarmState::ALARM_STATE_OK;
  if (name == "INSUFFICIENT_DATA") {
    return AlarmState::ALARM_STATE_INSUFFICIENT_DATA;
  }
  return std::nullopt;
}

// The member of an object, or nullptr when the value is not an object, or the
// member is absent or null. For lenient reading: never an error.
const json* Member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

enum class Presence { kRequired, kOptional };

// Strict reading of one event by dotted path ("detail.state.value"). Every
// error names the event (index, and id once known) and the path.
class EventReader {
 public:
  EventReader(size_t index, const json& event) : index_(index), event_(event) {}

  void set_id(absl::string_view id) { id_ = std::string(id); }

  absl::Status Error(absl::string_view problem) const {
    std::string where = absl::StrCat("event[", index_, "]");
    if (!id_.empty()) absl::StrAppend(&where, " (id ", Quote(id_), ")");
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", problem));
  }

  absl::Status WrongType(absl::string_view path, absl::string_view expected,
                         const json& value) const {
    return Error(absl::StrCat("field \"", path, "\" must be ", expected,
                              ", got ", value.type_name()));
  }

  // The value at `path` (possibly null), or nullptr when it or a parent is
  // absent or null. A parent that is neither an object nor null is an error.
  absl::StatusOr<const json*> Find(absl::string_view path) const {
    const json* value = &event_;
    absl::string_view parent_path;
    for (absl::string_view key : absl::StrSplit(path, '.')) {
      if (value->is_null()) return static_cast<const json*>(nullptr);
      if (!value->is_object()) {
        return WrongType(parent_path, "an object", *value);
      }
      const auto it = value->find(std::string(key));
      if (it == value->end()) return static_cast<const json*>(nullptr);
      value = &*it;
      parent_path = path.substr(0, key.data() + key.size() - path.data());
    }
    return value;
  }

  // The value at `path` if it has the given type; nullptr when optional and
  // absent or null.
  absl::StatusOr<const json*> Get(absl::string_view path, Presence presence,
                                  json::value_t type,
                                  absl::string_view expected) const {
    ASSIGN_OR_RETURN(const json* value, Find(path));
    if (presence == Presence::kOptional &&
        (value == nullptr || value->is_null())) {
      return static_cast<const json*>(nullptr);
    }
    if (value == nullptr) {
      return Error(absl::StrCat("missing required field \"", path, "\""));
    }
    if (value->type() != type) return WrongType(path, expected, *value);
    return value;
  }

  // A string field; empty when optional and absent.
  absl::StatusOr<std::string> String(absl::string_view path,
                                     Presence presence) const {
    ASSIGN_OR_RETURN(const json* value,
                     Get(path, presence, json::value_t::string, "a string"));
    if (value == nullptr) return std::string();
    return value->get<std::string>();
  }

  // ALARM | OK | INSUFFICIENT_DATA; UNSPECIFIED when optional and absent.
  absl::StatusOr<AlarmState> State(absl::string_view path,
                                   Presence presence) const {
    ASSIGN_OR_RETURN(const json* value,
                     Get(path, presence, json::value_t::string, "a string"));
    if (value == nullptr) return AlarmState::ALARM_STATE_UNSPECIFIED;
    const std::string& name = value->get_ref<const std::string&>();
    std::optional<AlarmState> state = StateFromName(name);
    if (!state.has_value()) {
      return Error(absl::StrCat("field \"", path,
                                "\" must be one of ALARM, OK, "
                                "INSUFFICIENT_DATA, got ",
                                Quote(name)));
    }
    return *state;
  }

  // A time field; nullopt when optional and absent.
  absl::StatusOr<std::optional<google::protobuf::Timestamp>> Time(
      absl::string_view path, Presence presence) const {
    ASSIGN_OR_RETURN(const json* value,
                     Get(path, presence, json::value_t::string, "a string"));
    if (value == nullptr) return std::optional<google::protobuf::Timestamp>();
    absl::StatusOr<absl::Time> time =
        ParseAwsTimestamp(value->get_ref<const std::string&>());
    if (!time.ok()) {
      return Error(
          absl::StrCat("field \"", path, "\": ", time.status().message()));
    }
    return std::optional<google::protobuf::Timestamp>(ToProtoTimestamp(*time));
  }

  // "resources", an optional array of strings.
  absl::StatusOr<std::vector<std::string>> Resources() const {
    ASSIGN_OR_RETURN(const json* value, Get("resources", Presence::kOptional,
                                            json::value_t::array, "an array"));
    std::vector<std::string> resources;
    if (value == nullptr) return resources;
    for (size_t i = 0; i < value->size(); ++i) {
      const json& resource = (*value)[i];
      if (!resource.is_string()) {
        return WrongType(absl::StrCat("resources[", i, "]"), "a string",
                         resource);
      }
      resources.push_back(resource.get<std::string>());
    }
    return resources;
  }

 private:
  const size_t index_;
  const json& event_;
  std::string id_;
};

// The child alarm ARNs in a composite alarm's reasonData, a JSON document in
// a string. Its shape is not a contract, so anything unexpected yields none.
std::vector<std::string> TriggeringAlarms(const json& detail) {
  std::vector<std::string> arns;
  const json* state = Member(detail, "state");
  const json* reason_data = state ? Member(*state, "reasonData") : nullptr;
  if (reason_data == nullptr || !reason_data->is_string()) return arns;
  const json parsed = json::parse(reason_data->get_ref<const std::string&>(),
                                  nullptr, /*allow_exceptions=*/false);
  const json* triggering = Member(parsed, "triggeringAlarms");
  if (triggering == nullptr || !triggering->is_array()) return arns;
  for (const json& child : *triggering) {
    const json* arn = Member(child, "arn");
    if (arn != nullptr && arn->is_string())
      arns.push_back(arn->get<std::string>());
  }
  return arns;
}

absl::StatusOr<Alarm> MapStateChange(const EventReader& reader,
                                     const json& detail,
                                     const std::vector<std::string>& resources,
                                     Alarm alarm) {
  if (resources.empty() || resources[0].empty()) {
    return reader.Error(
        "field \"resources\" must hold the alarm ARN as its first element "
        "(CloudWatch alarm names are unique only per account and region)");
  }
  alarm.set_alarm_arn(resources[0]);
  ASSIGN_OR_RETURN(*alarm.mutable_alarm_name(),
                   reader.String("detail.alarmName", Presence::kRequired));
  ASSIGN_OR_RETURN(const AlarmState state,
                   reader.State("detail.state.value", Presence::kRequired));
  alarm.set_state(state);
  ASSIGN_OR_RETURN(const std::optional<google::protobuf::Timestamp> state_time,
                   reader.Time("detail.state.timestamp", Presence::kRequired));
  *alarm.mutable_state_time() = *state_time;
  ASSIGN_OR_RETURN(*alarm.mutable_reason(),
                   reader.String("detail.state.reason", Presence::kOptional));
  ASSIGN_OR_RETURN(
      const AlarmState previous_state,
      reader.State("detail.previousState.value", Presence::kOptional));
  alarm.set_previous_state(previous_state);
  ASSIGN_OR_RETURN(
      *alarm.mutable_description(),
      reader.String("detail.configuration.description", Presence::kOptional));
  ASSIGN_OR_RETURN(const json* mute_detail,
                   reader.Get("detail.muteDetail", Presence::kOptional,
                              json::value_t::object, "an object"));
  alarm.set_muted(mute_detail != nullptr);

  ASSIGN_OR_RETURN(
      const json* alarm_rule,
      reader.Get("detail.configuration.alarmRule", Presence::kOptional,
                 json::value_t::string, "a string"));
  if (alarm_rule != nullptr) {
    alarm.set_kind(AlarmKind::ALARM_KIND_COMPOSITE);
    alarm.set_alarm_rule(alarm_rule->get<std::string>());
    for (std::string& arn : TriggeringAlarms(detail)) {
      alarm.add_triggering_alarms(std::move(arn));
    }
    ASSIGN_OR_RETURN(
        std::string suppressed_by,
        reader.String("detail.state.actionsSuppressedBy", Presence::kOptional));
    if (suppressed_by.empty()) {
      ASSIGN_OR_RETURN(
          suppressed_by,
          reader.String("detail.actionsSuppressedBy", Presence::kOptional));
    }
    alarm.set_actions_suppressed_by(std::move(suppressed_by));
    return alarm;
  }

  ASSIGN_OR_RETURN(
      const json* metrics,
      reader.Get("detail.configuration.metrics", Presence::kOptional,
                 json::value_t::array, "an array"));
  bool math = false;
  if (metrics != nullptr) {
    for (const json& metric : *metrics) {
      math = math || Member(metric, "expression") != nullptr;
    }
  }
  alarm.set_kind(math ? AlarmKind::ALARM_KIND_METRIC_MATH
                      : AlarmKind::ALARM_KIND_METRIC);
  return alarm;
}

absl::StatusOr<Alarm> MapConfigurationChange(
    const EventReader& reader, const std::vector<std::string>& resources,
    Alarm alarm) {
  alarm.set_kind(AlarmKind::ALARM_KIND_CONFIGURATION_CHANGE);
  if (!resources.empty()) alarm.set_alarm_arn(resources[0]);
  ASSIGN_OR_RETURN(*alarm.mutable_alarm_name(),
                   reader.String("detail.alarmName", Presence::kOptional));
  ASSIGN_OR_RETURN(
      *alarm.mutable_description(),
      reader.String("detail.configuration.description", Presence::kOptional));
  ASSIGN_OR_RETURN(const AlarmState state,
                   reader.State("detail.state.value", Presence::kOptional));
  alarm.set_state(state);
  if (state != AlarmState::ALARM_STATE_UNSPECIFIED) {
    ASSIGN_OR_RETURN(
        const std::optional<google::protobuf::Timestamp> state_time,
        reader.Time("detail.state.timestamp", Presence::kOptional));
    if (state_time.has_value()) *alarm.mutable_state_time() = *state_time;
  }
  return alarm;
}

// Any other event is an alert in a shape we do not know: read what we
// recognise, never reject it for its detail.
Alarm MapGeneric(const json& detail, const std::vector<std::string>& resources,
                 Alarm alarm) {
  alarm.set_kind(AlarmKind::ALARM_KIND_GENERIC);
  if (!resources.empty()) alarm.set_alarm_arn(resources[0]);
  const json* name = Member(detail, "alarmName");
  if (name != nullptr && name->is_string()) {
    alarm.set_alarm_name(name->get<std::string>());
  }
  const json* state = Member(detail, "state");
  if (state != nullptr && state->is_object()) state = Member(*state, "value");
  std::optional<AlarmState> known;
  if (state != nullptr && state->is_string()) {
    known = StateFromName(state->get_ref<const std::string&>());
  }
  alarm.set_state(known.value_or(AlarmState::ALARM_STATE_ALARM));
  *alarm.mutable_state_time() = alarm.event_time();
  for (const char* key : {"message", "description"}) {
    const json* reason = Member(detail, key);
    if (reason != nullptr && reason->is_string()) {
      alarm.set_reason(reason->get<std::string>());
      break;
    }
  }
  return alarm;
}

absl::StatusOr<Alarm> ParseEvent(size_t index, const json& event) {
  EventReader reader(index, event);
  if (!event.is_object()) {
    return reader.Error(
        absl::StrCat("must be a JSON object, got ", event.type_name()));
  }
  Alarm alarm;
  ASSIGN_OR_RETURN(*alarm.mutable_event_id(),
                   reader.String("id", Presence::kRequired));
  if (alarm.event_id().empty()) {
    return reader.Error(
        "field \"id\" must not be empty (it is the event's idempotency key)");
  }
  reader.set_id(alarm.event_id());
  ASSIGN_OR_RETURN(*alarm.mutable_source(),
                   reader.String("source", Presence::kRequired));
  ASSIGN_OR_RETURN(*alarm.mutable_detail_type(),
                   reader.String("detail-type", Presence::kRequired));
  ASSIGN_OR_RETURN(*alarm.mutable_account(),
                   reader.String("account", Presence::kRequired));
  ASSIGN_OR_RETURN(*alarm.mutable_region(),
                   reader.String("region", Presence::kRequired));
  ASSIGN_OR_RETURN(const std::optional<google::protobuf::Timestamp> time,
                   reader.Time("time", Presence::kRequired));
  *alarm.mutable_event_time() = *time;
  ASSIGN_OR_RETURN(const json* detail,
                   reader.Get("detail", Presence::kRequired,
                              json::value_t::object, "an object"));
  alarm.set_detail_json(Dump(*detail));
  ASSIGN_OR_RETURN(const std::vector<std::string> resources,
                   reader.Resources());

  if (alarm.source() == kCloudWatchSource &&
      alarm.detail_type() == kStateChange) {
    return MapStateChange(reader, *detail, resources, std::move(alarm));
  }
  if (alarm.detail_type() == kConfigurationChange) {
    return MapConfigurationChange(reader, resources, std::move(alarm));
  }
  return MapGeneric(*detail, resources, std::move(alarm));
}

// Percent-encodes all but RFC 3986 unreserved characters.
std::string UrlEncode(absl::string_view text) {
  std::string encoded;
  for (const char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      encoded.push_back(c);
    } else {
      absl::StrAppendFormat(&encoded, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return encoded;
}

bool IsRegionName(absl::string_view region) {
  if (region.empty()) return false;
  for (const char c : region) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<Alarm>> ParseEventBridgeBody(
    absl::string_view body) {
  bool too_deep = false;
  json parsed;
  // Only parsing throws; everything after reads the document with
  // non-throwing calls (find, is_*, get on checked types, dump with replace).
  try {
    parsed =
        json::parse(body.begin(), body.end(),
                    [&too_deep](int depth, json::parse_event_t event, json&) {
                      if ((event == json::parse_event_t::object_start ||
                           event == json::parse_event_t::array_start) &&
                          depth >= kMaxDepth) {
                        too_deep = true;
                      }
                      return true;
                    });
  } catch (const json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("body is not valid JSON (byte ", e.byte,
                     "): ", ParserMessage(e.what())));
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("body is not valid JSON: ", ParserMessage(e.what())));
  }
  if (too_deep) {
    return absl::InvalidArgumentError(absl::StrCat(
        "body nests objects and arrays more than ", kMaxDepth, " levels deep"));
  }

  std::vector<Alarm> alarms;
  // Filled in last, from the parsed fields, for every event however it came.
  auto with_links = [&alarms]() {
    for (Alarm& alarm : alarms) alarm.set_console_link(ConsoleLinkForAlarm(alarm));
    return alarms;
  };
  if (parsed.is_object()) {
    ASSIGN_OR_RETURN(Alarm alarm, ParseEvent(0, parsed));
    alarms.push_back(std::move(alarm));
    return with_links();
  }
  if (!parsed.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "body must be a JSON object (one event) or an array of events, got ",
        parsed.type_name()));
  }
  if (parsed.empty()) {
    return absl::InvalidArgumentError(
        "body is an empty array: send at least one event");
  }
  const json& events = parsed;
  alarms.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    ASSIGN_OR_RETURN(Alarm alarm, ParseEvent(i, events[i]));
    alarms.push_back(std::move(alarm));
  }
  return with_links();
}

std::string ConsoleLinkForAlarm(const Alarm& alarm) {
  const bool cloudwatch_alarm =
      alarm.source() == kCloudWatchSource &&
      alarm.kind() != AlarmKind::ALARM_KIND_GENERIC &&
      alarm.kind() != AlarmKind::ALARM_KIND_UNSPECIFIED;
  // Longer names are not CloudWatch's (255 at most), and would make a link
  // three times as long.
  if (!cloudwatch_alarm || alarm.alarm_name().empty() ||
      alarm.alarm_name().size() > incidents::kMaxAlarmNameBytes ||
      !IsRegionName(alarm.region())) {
    return "";
  }
  return absl::StrCat(
      "https://", alarm.region(),
      ".console.aws.amazon.com/cloudwatch/home?region=", alarm.region(),
      "#alarmsV2:alarm/", UrlEncode(alarm.alarm_name()));
}

}  // namespace tocsin::gateway
