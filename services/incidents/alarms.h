// Alarms from outside: what makes one acceptable, and how big the copies of
// its fields may be. Shared by the incidents service and the gateway, so the
// gateway refuses bad input with the very rules the incidents service applies
// (and nothing reaches the store when it would be refused there).
//
// Validity is about meaning: an alarm without an event id (the idempotency
// key), a source, a kind, or (for CloudWatch alarms) an ARN or a state can
// never be handled, and is refused (InvalidArgument naming the field).
//
// Size is never a reason to refuse an alarm: a sender such as EventBridge
// never retries a 4xx, so a refusal would lose it. The incidents service keeps
// every alarm in full; titles, summaries, timeline entries and every event it
// emits carry BoundedAlarm() copies, cut at the limits below with a visible
// marker ("…[truncated N bytes]", libs/text), so each event stays far below
// the bus's payload limit whatever the input. The limits leave real CloudWatch
// alarms untouched (its own limits are in brackets).
//
//   RETURN_IF_ERROR(ValidateAlarmBatch(request.alarms()));
//   const Alarm shown = BoundedAlarm(alarm);   // for events and the timeline
//
// All functions are pure and thread-safe.
#ifndef TOCSIN_SERVICES_INCIDENTS_ALARMS_H_
#define TOCSIN_SERVICES_INCIDENTS_ALARMS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "libs/text/text.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::incidents {

// ---- Validation (refused above) ----
// The event id is the idempotency key: cutting it would merge distinct
// events, so a longer one is refused (EventBridge ids are 36 bytes).
inline constexpr size_t kMaxEventIdBytes = 256;
// Alarms in one IngestAlarms call (one gateway request).
inline constexpr int kMaxAlarmsPerBatch = 1000;

// ---- Copies in events, titles and the timeline (cut above, never refused) ----
// alarm_name [255 characters].
inline constexpr size_t kMaxAlarmNameBytes = 256;
// reason [1023], description [1024], alarm_rule [10240].
inline constexpr size_t kMaxAlarmTextBytes = text::kMaxFieldBytes;  // 16 KiB
// alarm_arn and each triggering alarm, actions_suppressed_by [an alarm ARN
// is its name (255) and about 70 bytes more; the API allows 1600].
inline constexpr size_t kMaxArnBytes = 1024;
// source, detail_type, account, region.
inline constexpr size_t kMaxLabelBytes = 256;
// Triggering alarms listed; the rest are counted in a last "…[N more]" entry.
inline constexpr int kMaxTriggeringAlarms = 10;
// detail_json, the raw "detail" object. Over the limit it is replaced by a
// small JSON object saying how large it was (cut JSON would not parse).
inline constexpr size_t kMaxDetailJsonBytes = 8 * 1024;
// console_link: over the limit it is left out (a cut URL points elsewhere).
inline constexpr size_t kMaxConsoleLinkBytes = 2048;

// ---- Incident fields made from alarms (or given through the API) ----
// A title made from an alarm is cut there; one given through the API over it
// is refused.
inline constexpr size_t kMaxTitleBytes = 1024;
inline constexpr size_t kMaxSummaryBytes = text::kMaxFieldBytes;
// A timeline entry's message is cut there; data_json over
// kMaxTimelineDataBytes is replaced like detail_json.
inline constexpr size_t kMaxTimelineMessageBytes = text::kMaxFieldBytes;
inline constexpr size_t kMaxTimelineDataBytes = 64 * 1024;

// Checks an alarm handed to IngestAlarm(s); InvalidArgument names the field.
absl::Status ValidateAlarm(const v1::Alarm& alarm);

// Checks a batch whole: 1 to kMaxAlarmsPerBatch alarms, each valid.
// InvalidArgument names the first bad one by index and event id, e.g.
//   alarms[2] (event id "abc"): alarm.source is required
absl::Status ValidateAlarmBatch(const google::protobuf::RepeatedPtrField<v1::Alarm>& alarms);

// A copy of alarm with every field within the limits above (and valid
// UTF-8): what events, titles and the timeline show. Equal to alarm when
// nothing is over a limit.
v1::Alarm BoundedAlarm(const v1::Alarm& alarm);

// JSON text of at most max_bytes: json itself when it fits, else
// {"truncated":"…[truncated N bytes]"} (valid JSON that says what is missing).
std::string BoundedJson(const std::string& json, size_t max_bytes);

}  // namespace tocsin::incidents

#endif  // TOCSIN_SERVICES_INCIDENTS_ALARMS_H_
