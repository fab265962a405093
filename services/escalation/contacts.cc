#include "services/escalation/contacts.h"

#include <algorithm>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/text/email_address.h"

namespace tocsin::escalation {
namespace {

bool HasSpace(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return false;
}

absl::Status ValidateUrl(absl::string_view url) {
  absl::string_view rest;
  if (absl::StartsWith(url, "http://")) {
    rest = url.substr(7);
  } else if (absl::StartsWith(url, "https://")) {
    rest = url.substr(8);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook URL \"", url, "\" must start with http:// or https://"));
  }
  if (rest.empty() || rest.front() == '/' || HasSpace(url) || url.size() > 2048) {
    return absl::InvalidArgumentError(
        absl::StrCat("webhook URL \"", url, "\" is not valid: it needs a host and no spaces"));
  }
  return absl::OkStatus();
}

// E.164: "+", then 8 to 15 digits, the first not 0.
absl::Status ValidatePhoneNumber(absl::string_view what, absl::string_view number) {
  bool ok = number.size() >= 9 && number.size() <= 16 && number[0] == '+' && number[1] != '0';
  for (size_t i = 1; ok && i < number.size(); ++i) {
    ok = absl::ascii_isdigit(static_cast<unsigned char>(number[i]));
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " number \"", number,
                     "\" is not in E.164 form: '+', then 8 to 15 digits, the first not 0, "
                     "e.g. \"+81312345678\""));
  }
  return absl::OkStatus();
}

absl::Status ValidateChannel(const ContactChannel& channel) {
  switch (channel.destination_case()) {
    case ContactChannel::kEmail:
      if (absl::Status s = text::ValidateEmailAddress(channel.email().address()); !s.ok()) {
        return s;
      }
      break;
    case ContactChannel::kWebhook:
      if (absl::Status s = ValidateUrl(channel.webhook().url()); !s.ok()) return s;
      break;
    case ContactChannel::kSms:
      if (absl::Status s = ValidatePhoneNumber("SMS", channel.sms().number()); !s.ok()) return s;
      break;
    case ContactChannel::kVoice:
      if (absl::Status s = ValidatePhoneNumber("voice", channel.voice().number()); !s.ok()) {
        return s;
      }
      break;
    case ContactChannel::DESTINATION_NOT_SET:
      return absl::InvalidArgumentError("has no destination: set email, webhook, sms or voice");
  }
  if (channel.has_delay()) {
    const auto& d = channel.delay();
    if (d.seconds() < 0 || d.nanos() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("delay must not be negative, got ", d.seconds(), "s ", d.nanos(), "ns"));
    }
    if (d.nanos() > 999999999 || ChannelDelay(channel) > kMaxChannelDelay) {
      return absl::InvalidArgumentError(absl::StrCat("delay must be at most ",
                                                     absl::FormatDuration(kMaxChannelDelay),
                                                     ", got ", d.seconds(), "s"));
    }
  }
  return absl::OkStatus();
}

absl::Status Invalid(const Contact& contact, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("contact \"", contact.name(), "\": ", message));
}

absl::Status ValidatePersonalPlan(const Contact& contact) {
  const v1::PersonalPlan& plan = contact.personal_plan();
  if (plan.stages().empty() || plan.stages_size() > kMaxStages) {
    return Invalid(contact, absl::StrCat("personal plan must have 1 to ", kMaxStages,
                                         " stages, got ", plan.stages_size()));
  }
  absl::flat_hash_set<std::string> channels;
  for (const ContactChannel& c : contact.channels()) channels.insert(c.name());
  for (int i = 0; i < plan.stages_size(); ++i) {
    const v1::PersonalStage& stage = plan.stages(i);
    const std::string where = absl::StrCat("personal plan stage ", i + 1);
    const int minutes = stage.duration_in_minutes();
    if (minutes < 0 || minutes > kMaxPersonalStageMinutes) {
      return Invalid(contact, absl::StrCat(where, ": duration must be 0 to ",
                                           kMaxPersonalStageMinutes, " minutes, got ", minutes));
    }
    if (minutes == 0 && stage.targets().empty()) {
      return Invalid(contact, absl::StrCat(where,
                                           " pages nobody and lasts 0 minutes: give it a target "
                                           "channel or a duration"));
    }
    absl::flat_hash_set<std::string> seen;
    for (const v1::ChannelTarget& target : stage.targets()) {
      if (!channels.contains(target.channel())) {
        return Invalid(contact, absl::StrCat(where, ": target channel \"", target.channel(),
                                             "\" is not a channel of this contact"));
      }
      if (!seen.insert(target.channel()).second) {
        return Invalid(contact, absl::StrCat(where, ": target channel \"", target.channel(),
                                             "\" is listed twice"));
      }
      const int retry = target.retry_interval_in_minutes();
      if (retry < 0 || retry > minutes) {
        return Invalid(
            contact, absl::StrCat(where, ": target channel \"", target.channel(),
                                  "\": retry interval must be 0 to the stage's duration (", minutes,
                                  " minutes), got ", retry));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePersonal(const Contact& contact) {
  if (contact.channels().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "contact \"", contact.name(), "\" has no channels: add an email or webhook channel"));
  }
  absl::flat_hash_set<std::string> names;
  for (const ContactChannel& channel : contact.channels()) {
    if (absl::Status s = ValidateName("channel", channel.name()); !s.ok()) {
      return Invalid(contact, s.message());
    }
    if (!names.insert(channel.name()).second) {
      return Invalid(contact, absl::StrCat("channel name \"", channel.name(),
                                           "\" is used twice; channel names must be unique "
                                           "within a contact"));
    }
    if (absl::Status s = ValidateChannel(channel); !s.ok()) {
      return Invalid(contact, absl::StrCat("channel \"", channel.name(), "\" ", s.message()));
    }
  }
  switch (contact.plan_case()) {
    case Contact::PLAN_NOT_SET:
      return absl::OkStatus();
    case Contact::kPersonalPlan:
      return ValidatePersonalPlan(contact);
    default:
      return Invalid(contact, "a personal contact may have only a personal_plan");
  }
}

absl::Status ValidateEscalation(const Contact& contact) {
  if (!contact.channels().empty()) {
    return Invalid(contact, "an escalation plan has no channels: its stages engage other contacts");
  }
  if (contact.plan_case() != Contact::kEscalationPlan) {
    return Invalid(contact, "an escalation contact needs an escalation_plan");
  }
  const v1::EscalationPlan& plan = contact.escalation_plan();
  if (plan.stages().empty() || plan.stages_size() > kMaxStages) {
    return Invalid(contact, absl::StrCat("escalation plan must have 1 to ", kMaxStages,
                                         " stages, got ", plan.stages_size()));
  }
  if (plan.repeat() < 0 || plan.repeat() > kMaxRepeat) {
    return Invalid(contact, absl::StrCat("escalation plan repeat must be 0 to ", kMaxRepeat,
                                         ", got ", plan.repeat()));
  }
  for (int i = 0; i < plan.stages_size(); ++i) {
    const v1::EscalationStage& stage = plan.stages(i);
    const std::string where = absl::StrCat("escalation plan stage ", i + 1);
    const int minutes = stage.duration_in_minutes();
    if (minutes < 0 || minutes > kMaxEscalationStageMinutes) {
      return Invalid(contact, absl::StrCat(where, ": duration must be 0 to ",
                                           kMaxEscalationStageMinutes, " minutes, got ", minutes));
    }
    if (stage.targets().empty()) {
      return Invalid(contact, absl::StrCat(where, " has no targets: add a contact to engage"));
    }
    absl::flat_hash_set<std::string> seen;
    for (const v1::ContactTarget& target : stage.targets()) {
      if (absl::Status s = ValidateName("target contact", target.contact()); !s.ok()) {
        return Invalid(contact, absl::StrCat(where, ": ", s.message()));
      }
      if (!seen.insert(target.contact()).second) {
        return Invalid(contact, absl::StrCat(where, ": target contact \"", target.contact(),
                                             "\" is listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSchedule(const Contact& contact) {
  if (!contact.channels().empty()) {
    return Invalid(contact,
                   "an on-call schedule has no channels: whoever its rotations have on call "
                   "is engaged");
  }
  if (contact.plan_case() != Contact::kSchedule || contact.schedule().rotation_ids().empty()) {
    return Invalid(contact, "an on-call schedule needs schedule.rotation_ids (at least one)");
  }
  if (contact.ack_timeout_in_minutes() != 0) {
    return Invalid(contact,
                   "an on-call schedule has no ack timeout: set it on the person or the "
                   "escalation plan");
  }
  absl::flat_hash_set<std::string> seen;
  for (const std::string& rotation : contact.schedule().rotation_ids()) {
    if (absl::Status s = ValidateName("rotation", rotation); !s.ok()) {
      return Invalid(contact, absl::StrCat("schedule: ", s.message()));
    }
    if (!seen.insert(rotation).second) {
      return Invalid(contact,
                     absl::StrCat("schedule: rotation \"", rotation, "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateName(absl::string_view what, absl::string_view name) {
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " name must be 1 to 128 characters, got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " name \"", name, "\" may contain only letters, digits, '-', '_' and '.'"));
    }
  }
  return absl::OkStatus();
}

v1::ContactType TypeOf(const Contact& contact) {
  return contact.type() == v1::CONTACT_TYPE_UNSPECIFIED ? v1::CONTACT_TYPE_PERSONAL
                                                        : contact.type();
}

absl::string_view TypeName(v1::ContactType type) {
  switch (type) {
    case v1::CONTACT_TYPE_ESCALATION:
      return "escalation plan";
    case v1::CONTACT_TYPE_ONCALL_SCHEDULE:
      return "on-call schedule";
    default:
      return "personal";
  }
}

absl::Status ValidateContact(const Contact& contact) {
  if (absl::Status s = ValidateName("contact", contact.name()); !s.ok()) return s;
  if (contact.ack_timeout_in_minutes() < 0 ||
      contact.ack_timeout_in_minutes() > kMaxAckTimeoutMinutes) {
    return Invalid(contact, absl::StrCat("ack timeout must be 0 to ", kMaxAckTimeoutMinutes,
                                         " minutes, got ", contact.ack_timeout_in_minutes()));
  }
  switch (contact.type()) {
    case v1::CONTACT_TYPE_UNSPECIFIED:
    case v1::CONTACT_TYPE_PERSONAL:
      return ValidatePersonal(contact);
    case v1::CONTACT_TYPE_ESCALATION:
      return ValidateEscalation(contact);
    case v1::CONTACT_TYPE_ONCALL_SCHEDULE:
      return ValidateSchedule(contact);
    default:
      return Invalid(contact,
                     absl::StrCat("unknown contact type ", static_cast<int>(contact.type())));
  }
}

bool IsActivated(const ContactChannel& channel) {
  const v1::ActivationState state = channel.activation().state();
  return state == v1::ACTIVATION_STATE_ACTIVATED || state == v1::ACTIVATION_STATE_UNSPECIFIED;
}

absl::Status ValidatePlanChannelsActivated(const Contact& contact) {
  if (contact.plan_case() != Contact::kPersonalPlan) return absl::OkStatus();
  absl::flat_hash_map<std::string, const ContactChannel*> channels;
  for (const ContactChannel& c : contact.channels()) channels[c.name()] = &c;
  for (int i = 0; i < contact.personal_plan().stages_size(); ++i) {
    for (const v1::ChannelTarget& target : contact.personal_plan().stages(i).targets()) {
      auto it = channels.find(target.channel());
      if (it == channels.end() || IsActivated(*it->second)) continue;
      const bool deactivated = it->second->activation().state() == v1::ACTIVATION_STATE_DEACTIVATED;
      return Invalid(contact,
                     absl::StrCat("personal plan stage ", i + 1, ": channel \"", target.channel(),
                                  "\" is not activated (", deactivated ? "deactivated" : "pending",
                                  "): confirm the code sent to it with `tocsin contacts activate ",
                                  contact.name(), " ", target.channel(),
                                  " CODE` (a new code: `tocsin contacts send-code ", contact.name(),
                                  " ", target.channel(), "`), then save the plan"));
    }
  }
  return absl::OkStatus();
}

namespace {

// Finds an escalation cycle through `name`; fills path and returns true.
bool FindCycle(const std::string& name,
               const absl::flat_hash_map<std::string, const Contact*>& by_name,
               absl::flat_hash_map<std::string, int>& state, std::vector<std::string>& path) {
  // state: 0 unvisited, 1 on the path, 2 done.
  state[name] = 1;
  path.push_back(name);
  auto it = by_name.find(name);
  if (it != by_name.end() && TypeOf(*it->second) == v1::CONTACT_TYPE_ESCALATION) {
    for (const auto& stage : it->second->escalation_plan().stages()) {
      for (const auto& target : stage.targets()) {
        const int s = state[target.contact()];
        if (s == 1) {
          auto start = std::find(path.begin(), path.end(), target.contact());
          std::vector<std::string> cycle(start, path.end());
          cycle.push_back(target.contact());
          path = std::move(cycle);
          return true;
        }
        if (s == 0 && FindCycle(target.contact(), by_name, state, path)) return true;
      }
    }
  }
  path.pop_back();
  state[name] = 2;
  return false;
}

}  // namespace

absl::Status ValidateDirectory(absl::Span<const Contact> contacts,
                               absl::Span<const v1::Rotation> rotations,
                               absl::Span<const v1::RotationOverride> overrides) {
  absl::flat_hash_map<std::string, const Contact*> by_name;
  for (const Contact& c : contacts) by_name[c.name()] = &c;
  absl::flat_hash_set<std::string> rotation_names;
  for (const v1::Rotation& r : rotations) rotation_names.insert(r.name());

  auto check_person = [&](absl::string_view referrer, const std::string& name) -> absl::Status {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(referrer, ": contact \"", name, "\" does not exist"));
    }
    if (TypeOf(*it->second) != v1::CONTACT_TYPE_PERSONAL) {
      return absl::InvalidArgumentError(
          absl::StrCat(referrer, ": contact \"", name, "\" is an ", TypeName(TypeOf(*it->second)),
                       ", not a person; only personal contacts take turns on call"));
    }
    return absl::OkStatus();
  };

  for (const Contact& c : contacts) {
    if (TypeOf(c) == v1::CONTACT_TYPE_ESCALATION) {
      for (int i = 0; i < c.escalation_plan().stages_size(); ++i) {
        for (const auto& target : c.escalation_plan().stages(i).targets()) {
          if (!by_name.contains(target.contact())) {
            return absl::InvalidArgumentError(
                absl::StrCat("contact \"", c.name(), "\": escalation plan stage ", i + 1,
                             ": target contact \"", target.contact(), "\" does not exist"));
          }
        }
      }
    } else if (TypeOf(c) == v1::CONTACT_TYPE_ONCALL_SCHEDULE) {
      for (const std::string& r : c.schedule().rotation_ids()) {
        if (!rotation_names.contains(r)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "contact \"", c.name(), "\": schedule: rotation \"", r, "\" does not exist"));
        }
      }
    }
  }
  for (const v1::Rotation& r : rotations) {
    for (const std::string& member : r.contacts()) {
      if (absl::Status s = check_person(absl::StrCat("rotation \"", r.name(), "\""), member);
          !s.ok()) {
        return s;
      }
    }
  }
  for (const v1::RotationOverride& o : overrides) {
    if (!rotation_names.contains(o.rotation())) {
      return absl::InvalidArgumentError(absl::StrCat("override \"", o.name(), "\": rotation \"",
                                                     o.rotation(), "\" does not exist"));
    }
    for (const std::string& member : o.contacts()) {
      if (absl::Status s = check_person(
              absl::StrCat("override \"", o.name(), "\" of rotation \"", o.rotation(), "\""),
              member);
          !s.ok()) {
        return s;
      }
    }
  }
  absl::flat_hash_map<std::string, int> state;
  for (const Contact& c : contacts) {
    if (TypeOf(c) != v1::CONTACT_TYPE_ESCALATION || state[c.name()] != 0) continue;
    std::vector<std::string> path;
    if (FindCycle(c.name(), by_name, state, path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("contact \"", path.front(), "\": escalation cycle ",
                       absl::StrJoin(path, " -> "), "; an escalation plan must not engage itself"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ContactReferrers(absl::string_view name,
                                          absl::Span<const Contact> contacts,
                                          absl::Span<const v1::Rotation> rotations) {
  std::vector<std::string> out;
  for (const Contact& c : contacts) {
    if (TypeOf(c) != v1::CONTACT_TYPE_ESCALATION) continue;
    for (int i = 0; i < c.escalation_plan().stages_size(); ++i) {
      for (const auto& target : c.escalation_plan().stages(i).targets()) {
        if (target.contact() == name) {
          out.push_back(absl::StrCat("escalation plan \"", c.name(), "\" stage ", i + 1));
        }
      }
    }
  }
  for (const v1::Rotation& r : rotations) {
    for (const std::string& member : r.contacts()) {
      if (member == name) out.push_back(absl::StrCat("rotation \"", r.name(), "\""));
    }
  }
  return out;
}

std::vector<std::string> RotationReferrers(absl::string_view name,
                                           absl::Span<const Contact> contacts) {
  std::vector<std::string> out;
  for (const Contact& c : contacts) {
    if (TypeOf(c) != v1::CONTACT_TYPE_ONCALL_SCHEDULE) continue;
    for (const std::string& r : c.schedule().rotation_ids()) {
      if (r == name) out.push_back(absl::StrCat("schedule \"", c.name(), "\""));
    }
  }
  return out;
}

Contact ContactWithDefaults(Contact contact) {
  for (ContactChannel& channel : *contact.mutable_channels()) {
    if (!channel.has_delay()) {
      channel.mutable_delay()->set_seconds(absl::ToInt64Seconds(kDefaultChannelDelay));
    }
  }
  return contact;
}

absl::Duration ChannelDelay(const ContactChannel& channel) {
  if (!channel.has_delay()) return kDefaultChannelDelay;
  return absl::Seconds(channel.delay().seconds()) + absl::Nanoseconds(channel.delay().nanos());
}

}  // namespace tocsin::escalation
