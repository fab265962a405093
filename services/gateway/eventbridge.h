// EventBridge events in, Alarm messages out: the gateway's translation of what
// an EventBridge API destination (or any sender of EventBridge-shaped JSON)
// POSTs into the alarms the incidents service ingests.
//
//   ASSIGN_OR_RETURN(std::vector<Alarm> alarms, ParseEventBridgeBody(body));
//   for (const Alarm& alarm : alarms) { ... IngestAlarm(alarm) ... }
//
// The body is one event (a JSON object) or a non-empty JSON array of events,
// nesting objects and arrays at most 64 levels deep.
// Parsing is all or nothing: one bad event rejects the whole body, so the
// caller stores nothing and answers 400 with the message, which names the
// event (its index in the body and its id when known) and the JSON path of the
// problem, e.g.
//   event[2] (id "abc"): field "detail.state.value" must be one of ALARM, OK,
//   INSUFFICIENT_DATA, got "BROKEN"
//
// Mapping (every event: event_id, source, detail_type, account, region,
// event_time and detail_json, the "detail" object as compact JSON):
// - "CloudWatch Alarm State Change" from "aws.cloudwatch": alarm_arn is
//   resources[0] (required: alarm names are unique only per account and
//   region), alarm_name, state and state_time, previous_state, reason and
//   description from the detail. Kind COMPOSITE when the configuration has an
//   alarmRule (alarm_rule, triggering_alarms from the reasonData's
//   triggeringAlarms[].arn, actions_suppressed_by), METRIC_MATH when a metric
//   has an expression, METRIC otherwise. muted when the detail has a
//   muteDetail object (its contents are not interpreted).
// - "CloudWatch Alarm Configuration Change" (any source): kind
//   CONFIGURATION_CHANGE; alarm_arn (resources[0]) and alarm_name when
//   present; state and state_time only when the detail carries a state.
// - Anything else: kind GENERIC, state ALARM unless detail.state (a string,
//   or an object with a value) says OK or INSUFFICIENT_DATA; alarm_name from
//   detail.alarmName, alarm_arn from resources[0], reason from detail.message
//   or detail.description, when present; state_time is the event time.
#ifndef TOCSIN_SERVICES_GATEWAY_EVENTBRIDGE_H_
#define TOCSIN_SERVICES_GATEWAY_EVENTBRIDGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::gateway {

// Parses an EventBridge request body into one Alarm per event, in order.
// Every error is InvalidArgument; nothing is thrown.
absl::StatusOr<std::vector<tocsin::incidents::v1::Alarm>> ParseEventBridgeBody(
    absl::string_view body);

// The AWS console page of a CloudWatch alarm (source "aws.cloudwatch", any
// kind but GENERIC), e.g.
// https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/ServerCpuTooHigh
// Empty for other alarms, when the name is missing or longer than any
// CloudWatch alarm name (incidents::kMaxAlarmNameBytes), and when a
// well-formed region (lowercase letters, digits and '-') is missing, so that a
// forged region cannot point the link at another host.
std::string ConsoleLinkForAlarm(const tocsin::incidents::v1::Alarm& alarm);

}  // namespace tocsin::gateway

#endif  // TOCSIN_SERVICES_GATEWAY_EVENTBRIDGE_H_
