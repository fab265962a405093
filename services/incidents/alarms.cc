#include "services/incidents/alarms.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace tocsin::incidents {
namespace {

// Longest event id quoted back in an error message.
constexpr size_t kMaxQuotedIdBytes = 80;

void Bound(std::string* field, size_t max_bytes) {
  if (field->size() <= max_bytes && text::IsValidUtf8(*field)) return;
  *field = text::Untrusted(*field, max_bytes);
}

}  // namespace

absl::Status ValidateAlarm(const v1::Alarm& alarm) {
  if (alarm.event_id().empty()) {
    return absl::InvalidArgumentError("alarm.event_id is required (the idempotency key)");
  }
  if (alarm.event_id().size() > kMaxEventIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("alarm.event_id is ", alarm.event_id().size(),
                                                   " bytes long, over the limit of ",
                                                   kMaxEventIdBytes, " (the idempotency key)"));
  }
  if (alarm.source().empty()) return absl::InvalidArgumentError("alarm.source is required");
  if (alarm.kind() == v1::ALARM_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("alarm.kind is required");
  }
  if (alarm.kind() != v1::ALARM_KIND_CONFIGURATION_CHANGE &&
      alarm.kind() != v1::ALARM_KIND_GENERIC && alarm.alarm_arn().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("alarm.alarm_arn is required for CloudWatch alarm \"",
                     text::UntrustedLine(alarm.alarm_name(), kMaxAlarmNameBytes), "\""));
  }
  if (alarm.kind() != v1::ALARM_KIND_CONFIGURATION_CHANGE &&
      alarm.state() == v1::ALARM_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError("alarm.state is required");
  }
  return absl::OkStatus();
}

absl::Status ValidateAlarmBatch(const google::protobuf::RepeatedPtrField<v1::Alarm>& alarms) {
  if (alarms.empty()) return absl::InvalidArgumentError("alarms is empty: send at least one");
  if (alarms.size() > kMaxAlarmsPerBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("a batch holds at most ", kMaxAlarmsPerBatch, " alarms, got ", alarms.size()));
  }
  for (int i = 0; i < alarms.size(); ++i) {
    if (absl::Status s = ValidateAlarm(alarms[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "alarms[", i, "] (event id \"",
          text::UntrustedLine(alarms[i].event_id(), kMaxQuotedIdBytes), "\"): ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::string BoundedJson(const std::string& json, size_t max_bytes) {
  if (json.size() <= max_bytes && text::IsValidUtf8(json)) return json;
  nlohmann::json note;
  note["truncated"] = text::TruncationMarker(json.size());
  return note.dump();
}

v1::Alarm BoundedAlarm(const v1::Alarm& alarm) {
  v1::Alarm b = alarm;
  Bound(b.mutable_event_id(), kMaxEventIdBytes);
  Bound(b.mutable_source(), kMaxLabelBytes);
  Bound(b.mutable_detail_type(), kMaxLabelBytes);
  Bound(b.mutable_account(), kMaxLabelBytes);
  Bound(b.mutable_region(), kMaxLabelBytes);
  Bound(b.mutable_alarm_arn(), kMaxArnBytes);
  Bound(b.mutable_alarm_name(), kMaxAlarmNameBytes);
  Bound(b.mutable_reason(), kMaxAlarmTextBytes);
  Bound(b.mutable_description(), kMaxAlarmTextBytes);
  Bound(b.mutable_alarm_rule(), kMaxAlarmTextBytes);
  Bound(b.mutable_actions_suppressed_by(), kMaxArnBytes);
  const int children = b.triggering_alarms_size();
  if (children > kMaxTriggeringAlarms) {
    b.mutable_triggering_alarms()->DeleteSubrange(kMaxTriggeringAlarms,
                                                  children - kMaxTriggeringAlarms);
  }
  for (std::string& child : *b.mutable_triggering_alarms()) Bound(&child, kMaxArnBytes);
  if (children > kMaxTriggeringAlarms) {
    b.add_triggering_alarms(
        absl::StrCat("\xE2\x80\xA6[", children - kMaxTriggeringAlarms, " more]"));
  }
  *b.mutable_detail_json() = BoundedJson(b.detail_json(), kMaxDetailJsonBytes);
  if (b.console_link().size() > kMaxConsoleLinkBytes || !text::IsValidUtf8(b.console_link())) {
    b.clear_console_link();
  }
  return b;
}

}  // namespace tocsin::incidents
