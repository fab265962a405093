// Engagement planning: what one stage of a contact's plan does at an instant,
// as pure functions over snapshots (the contact as it was when engaged, the
// rotations and overrides as they are when a schedule's stage starts). The
// engagement engine (core.h) and the preview (EscalationCore::
// PreviewEngagement, which runs the engine itself on a scratch store) both
// page through these, so a preview says what the engine does.
//
//   std::vector<PersonalStagePlan> plan = EffectivePersonalPlan(alice);
//   PersonalStageStart s = PlanPersonalStage(alice, 0);
//   for (const ContactChannel& c : s.pages) ...;   // one page each
//   timeline.Add(s.detail);                          // who, and who not and why
//
// Thread-safe; no I/O; nothing here fails: what cannot be paged is explained
// in the detail line instead.
#ifndef TOCSIN_SERVICES_ESCALATION_PLANS_H_
#define TOCSIN_SERVICES_ESCALATION_PLANS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::escalation {

// How deep engagement trees may nest (escalation plans of escalation plans);
// cycles are refused on save, this guards at run time.
inline constexpr int kMaxEngagementDepth = 10;

// A contact's type, PERSONAL when unset.
v1::ContactType EffectiveType(const v1::Contact& contact);

// One channel of a personal stage.
struct ChannelTargetPlan {
  std::string channel;
  // A page that failed for good is sent again after this while the stage
  // lasts; zero: not again.
  absl::Duration retry_interval;
};

struct PersonalStagePlan {
  absl::Duration duration;
  std::vector<ChannelTargetPlan> targets;
};

// The stages a PERSONAL contact is paged in: its personal_plan; without one,
// the plan synthesized from its channels (the model before plans): stage k
// pages channel k and lasts the delay of channel k+1 (the last one lasts 0),
// with no retries.
std::vector<PersonalStagePlan> EffectivePersonalPlan(const v1::Contact& contact);

// Why the named channel of the contact is not paged, or nullopt when it is.
// Channels ACTIVATED, and UNSPECIFIED (stored before activation existed,
// grandfathered), are paged; PENDING and DEACTIVATED are not, and the reason
// says how to activate them.
std::optional<std::string> ChannelNotPageable(const v1::Contact& contact,
                                              const std::string& channel);

// "work-email (email)".
std::string ChannelLabel(const v1::ContactChannel& channel);

// What stage `stage` (0-based, < EffectivePersonalPlan(contact).size()) of a
// personal contact does when it starts.
struct PersonalStageStart {
  absl::Duration duration;
  // The channels paged, one page each, in target order.
  std::vector<v1::ContactChannel> pages;
  // Each paged channel's retry interval, parallel to pages.
  std::vector<absl::Duration> retry_intervals;
  // "alice, stage 1 of 3: paging work-email (email); not paging phone (sms):
  // not activated (a code was sent; confirm it with `tocsin contacts activate
  // alice phone CODE`)".
  std::string detail;
};
PersonalStageStart PlanPersonalStage(const v1::Contact& contact, int stage);

// What stage `stage` of an ESCALATION contact does when it starts;
// repeats_done says which round it is (for the detail).
struct EscalationStageStart {
  absl::Duration duration;
  std::vector<v1::ContactTarget> targets;
  // "sre-escalation, stage 2 of 3: engaging primary (essential), bob".
  std::string detail;
};
EscalationStageStart PlanEscalationStage(const v1::Contact& contact, int stage, int repeats_done);

// A rotation as a schedule's stage finds it: nullopt when it does not exist.
struct RotationSnapshot {
  std::string name;
  std::optional<v1::Rotation> rotation;
  std::vector<v1::RotationOverride> overrides;
};

// Who an ONCALL_SCHEDULE contact engages at `at`: its rotations' members on
// call then, with overrides; nobody (and why) when none is, also when a
// rotation is missing or cannot be computed.
struct ScheduleStart {
  std::vector<std::string> on_call;
  // "schedule primary: on call alice, bob" or "schedule primary has nobody
  // on call: coverage of rotation tokyo ended FRI 17:00 Asia/Tokyo; next on
  // call at ...".
  std::string detail;
};
ScheduleStart PlanSchedule(const v1::Contact& schedule,
                           const std::vector<RotationSnapshot>& rotations, absl::Time at);

}  // namespace tocsin::escalation

#endif  // TOCSIN_SERVICES_ESCALATION_PLANS_H_
