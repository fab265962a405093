#include "services/escalation/plans.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/oncall/rotation.h"
#include "services/escalation/contacts.h"
#include "services/escalation/oncall_convert.h"

namespace tocsin::escalation {
namespace {

const v1::ContactChannel* FindChannel(const v1::Contact& contact, const std::string& name) {
  for (const v1::ContactChannel& c : contact.channels()) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

std::string StageOf(const v1::Contact& contact, int stage, int stages) {
  return absl::StrCat(contact.name(), ", stage ", stage + 1, " of ", stages);
}

}  // namespace

v1::ContactType EffectiveType(const v1::Contact& contact) {
  return contact.type() == v1::CONTACT_TYPE_UNSPECIFIED ? v1::CONTACT_TYPE_PERSONAL
                                                        : contact.type();
}

std::vector<PersonalStagePlan> EffectivePersonalPlan(const v1::Contact& contact) {
  std::vector<PersonalStagePlan> plan;
  if (contact.has_personal_plan() && !contact.personal_plan().stages().empty()) {
    for (const v1::PersonalStage& s : contact.personal_plan().stages()) {
      PersonalStagePlan stage;
      stage.duration = absl::Minutes(s.duration_in_minutes());
      for (const v1::ChannelTarget& t : s.targets()) {
        stage.targets.push_back({t.channel(), absl::Minutes(t.retry_interval_in_minutes())});
      }
      plan.push_back(std::move(stage));
    }
    return plan;
  }
  const auto& channels = contact.channels();
  for (int k = 0; k < channels.size(); ++k) {
    PersonalStagePlan stage;
    stage.duration =
        k + 1 < channels.size() ? ChannelDelay(channels.Get(k + 1)) : absl::ZeroDuration();
    stage.targets.push_back({channels.Get(k).name(), absl::ZeroDuration()});
    plan.push_back(std::move(stage));
  }
  return plan;
}

std::string ChannelLabel(const v1::ContactChannel& channel) {
  const char* kind = "unknown kind";
  switch (channel.destination_case()) {
    case v1::ContactChannel::kEmail:
      kind = "email";
      break;
    case v1::ContactChannel::kWebhook:
      kind = "webhook";
      break;
    case v1::ContactChannel::kSms:
      kind = "sms";
      break;
    case v1::ContactChannel::kVoice:
      kind = "voice";
      break;
    default:
      break;
  }
  return absl::StrCat(channel.name(), " (", kind, ")");
}

std::optional<std::string> ChannelNotPageable(const v1::Contact& contact,
                                              const std::string& channel) {
  const v1::ContactChannel* c = FindChannel(contact, channel);
  if (c == nullptr) {
    return absl::StrCat(channel, ": ", contact.name(), " has no channel of that name");
  }
  switch (c->activation().state()) {
    case v1::ACTIVATION_STATE_UNSPECIFIED:  // stored before activation: grandfathered
    case v1::ACTIVATION_STATE_ACTIVATED:
      return std::nullopt;
    case v1::ACTIVATION_STATE_PENDING:
      return absl::StrCat(ChannelLabel(*c),
                          ": not activated (a code was sent; confirm it with `tocsin contacts "
                          "activate ",
                          contact.name(), " ", channel, " CODE`)");
    case v1::ACTIVATION_STATE_DEACTIVATED:
      return absl::StrCat(ChannelLabel(*c),
                          ": deactivated (activate it again with `tocsin contacts send-code ",
                          contact.name(), " ", channel, "`)");
    default:
      return absl::StrCat(ChannelLabel(*c), ": activation state ",
                          static_cast<int>(c->activation().state()), " is unknown");
  }
}

PersonalStageStart PlanPersonalStage(const v1::Contact& contact, int stage) {
  const std::vector<PersonalStagePlan> plan = EffectivePersonalPlan(contact);
  PersonalStageStart start;
  const PersonalStagePlan& s = plan.at(stage);
  start.duration = s.duration;
  std::vector<std::string> paged;
  std::vector<std::string> skipped;
  for (const ChannelTargetPlan& t : s.targets) {
    if (std::optional<std::string> why = ChannelNotPageable(contact, t.channel)) {
      skipped.push_back(*std::move(why));
      continue;
    }
    const v1::ContactChannel* c = FindChannel(contact, t.channel);
    start.pages.push_back(*c);
    start.retry_intervals.push_back(t.retry_interval);
    paged.push_back(ChannelLabel(*c));
  }
  start.detail = StageOf(contact, stage, static_cast<int>(plan.size()));
  if (!paged.empty()) {
    absl::StrAppend(&start.detail, ": paging ", absl::StrJoin(paged, ", "));
  } else {
    absl::StrAppend(&start.detail, ": pages nobody");
  }
  if (!skipped.empty()) {
    absl::StrAppend(&start.detail, "; not paging ", absl::StrJoin(skipped, "; "));
  }
  return start;
}

EscalationStageStart PlanEscalationStage(const v1::Contact& contact, int stage, int repeats_done) {
  const v1::EscalationPlan& plan = contact.escalation_plan();
  const v1::EscalationStage& s = plan.stages(stage);
  EscalationStageStart start;
  start.duration = absl::Minutes(s.duration_in_minutes());
  std::vector<std::string> names;
  for (const v1::ContactTarget& t : s.targets()) {
    start.targets.push_back(t);
    names.push_back(t.is_essential() ? absl::StrCat(t.contact(), " (essential)") : t.contact());
  }
  start.detail = StageOf(contact, stage, plan.stages_size());
  if (repeats_done > 0) {
    absl::StrAppend(&start.detail, " (repeat ", repeats_done, " of ", plan.repeat(), ")");
  }
  absl::StrAppend(&start.detail, ": ",
                  names.empty() ? std::string("engages nobody")
                                : absl::StrCat("engaging ", absl::StrJoin(names, ", ")));
  return start;
}

ScheduleStart PlanSchedule(const v1::Contact& schedule,
                           const std::vector<RotationSnapshot>& rotations, absl::Time at) {
  ScheduleStart start;
  std::vector<std::string> problems;
  std::vector<oncall::ScheduleRotation> usable;
  for (const RotationSnapshot& r : rotations) {
    if (!r.rotation.has_value()) {
      problems.push_back(absl::StrCat("rotation ", r.name, " does not exist"));
      continue;
    }
    absl::StatusOr<oncall::RotationSpec> spec = ToRotationSpec(*r.rotation);
    if (!spec.ok()) {
      problems.push_back(
          absl::StrCat("rotation ", r.name, " cannot be used: ", spec.status().message()));
      continue;
    }
    oncall::ScheduleRotation sr;
    sr.spec = *std::move(spec);
    sr.overrides = ToOncallOverrides(r.overrides);
    // One rotation that cannot be computed must not hide the others.
    if (absl::StatusOr<oncall::OnCall> one = oncall::OnCallAt(sr.spec, sr.overrides, at);
        !one.ok()) {
      problems.push_back(
          absl::StrCat("rotation ", r.name, " cannot be computed: ", one.status().message()));
      continue;
    }
    usable.push_back(std::move(sr));
  }
  std::string explanation;
  if (!usable.empty()) {
    absl::StatusOr<oncall::ScheduleOnCall> on_call = oncall::ScheduleOnCallAt(usable, at);
    if (on_call.ok()) {
      start.on_call = on_call->contacts;
      explanation = std::string(absl::StripPrefix(on_call->explanation, "nobody on call: "));
    } else {
      problems.push_back(std::string(on_call.status().message()));
    }
  } else if (rotations.empty()) {
    problems.push_back("it has no rotations");
  }
  if (!start.on_call.empty()) {
    start.detail = absl::StrCat("schedule ", schedule.name(), ": on call ",
                                absl::StrJoin(start.on_call, ", "));
    if (!problems.empty()) {
      absl::StrAppend(&start.detail, " (", absl::StrJoin(problems, "; "), ")");
    }
    return start;
  }
  if (!explanation.empty()) problems.insert(problems.begin(), explanation);
  start.detail = absl::StrCat("schedule ", schedule.name(),
                              " has nobody on call: ", absl::StrJoin(problems, "; "));
  return start;
}

}  // namespace tocsin::escalation
