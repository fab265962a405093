#include "services/incidents/matching.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "libs/text/text.h"

namespace tocsin::incidents {
namespace {

bool AnyEquals(const google::protobuf::RepeatedPtrField<std::string>& values,
               const std::string& v) {
  return values.empty() || std::find(values.begin(), values.end(), v) != values.end();
}

std::string Sha256Hex(absl::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    // Only a broken OpenSSL installation gets here; a constant digest would
    // merge unrelated incidents, so stop.
    std::fprintf(stderr, "FATAL: OpenSSL SHA-256 failed\n");
    std::abort();
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

// key when it fits in kMaxDedupeBytes; else its start, the truncation
// marker and " sha256:<hex of the whole>", within kMaxDedupeBytes.
std::string BoundedKey(std::string key) {
  if (key.size() <= kMaxDedupeBytes && text::IsValidUtf8(key)) return key;
  const std::string suffix = absl::StrCat(" sha256:", Sha256Hex(key));
  return absl::StrCat(text::Untrusted(key, kMaxDedupeBytes - suffix.size()), suffix);
}

}  // namespace

bool GlobMatch(absl::string_view pattern, absl::string_view text) {
  // Iterative matcher with single-star backtracking: linear in practice,
  // never exponential.
  size_t p = 0, t = 0, star = absl::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string> MismatchReasons(const AlarmMatch& match, const Alarm& alarm) {
  std::vector<std::string> reasons;
  if (!match.alarm_name_pattern().empty() &&
      !GlobMatch(match.alarm_name_pattern(), alarm.alarm_name())) {
    reasons.push_back(absl::StrCat("alarm name \"", alarm.alarm_name(),
                                   "\" does not match alarmNamePattern \"",
                                   match.alarm_name_pattern(), "\""));
  }
  auto check = [&](const auto& allowed, const std::string& value, absl::string_view what,
                   absl::string_view field) {
    if (AnyEquals(allowed, value)) return;
    reasons.push_back(absl::StrCat(what, " \"", value, "\" is not one of ", field, " [",
                                   absl::StrJoin(allowed, ", "), "]"));
  };
  check(match.accounts(), alarm.account(), "account", "accounts");
  check(match.regions(), alarm.region(), "region", "regions");
  check(match.sources(), alarm.source(), "source", "sources");
  check(match.detail_types(), alarm.detail_type(), "detail type", "detailTypes");
  return reasons;
}

bool Matches(const AlarmMatch& match, const Alarm& alarm) {
  return MismatchReasons(match, alarm).empty();
}

const ResponsePlan* SelectPlan(const std::vector<ResponsePlan>& plans,
                               const Alarm& alarm) {
  const ResponsePlan* best = nullptr;
  for (const ResponsePlan& plan : plans) {
    if (!Matches(plan.match(), alarm)) continue;
    if (best == nullptr ||
        std::make_tuple(plan.priority(), plan.name()) <
            std::make_tuple(best->priority(), best->name())) {
      best = &plan;
    }
  }
  return best;
}

std::string StateName(v1::AlarmState state) {
  switch (state) {
    case v1::ALARM_STATE_ALARM:
      return "ALARM";
    case v1::ALARM_STATE_OK:
      return "OK";
    case v1::ALARM_STATE_INSUFFICIENT_DATA:
      return "INSUFFICIENT_DATA";
    default:
      return "UNSPECIFIED";
  }
}

std::string ExpandTemplate(absl::string_view text, const Alarm& alarm) {
  return absl::StrReplaceAll(text, {
                                       {"{alarm_name}", alarm.alarm_name()},
                                       {"{alarm_arn}", alarm.alarm_arn()},
                                       {"{account}", alarm.account()},
                                       {"{region}", alarm.region()},
                                       {"{source}", alarm.source()},
                                       {"{detail_type}", alarm.detail_type()},
                                       {"{state}", StateName(alarm.state())},
                                       {"{reason}", alarm.reason()},
                                       {"{description}", alarm.description()},
                                   });
}

std::string DedupeString(const ResponsePlan& plan, const Alarm& alarm) {
  const std::string& tmpl = plan.incident_template().dedupe_string();
  if (!tmpl.empty()) return BoundedKey(ExpandTemplate(tmpl, alarm));
  if (!alarm.alarm_arn().empty()) return BoundedKey(alarm.alarm_arn());
  return BoundedKey(
      absl::StrCat(alarm.source(), "/", alarm.detail_type(), "/", alarm.alarm_name()));
}

std::string IncidentTitle(const ResponsePlan& plan, const Alarm& alarm) {
  const std::string& tmpl = plan.incident_template().title();
  std::string title = tmpl.empty() ? alarm.alarm_name() : ExpandTemplate(tmpl, alarm);
  if (title.empty()) title = absl::StrCat(alarm.source(), ": ", alarm.detail_type());
  return title;
}

absl::Status ValidateName(absl::string_view what, absl::string_view name) {
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " name must be 1 to 128 characters, got ", name.size()));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " name \"", name, "\" may contain only letters, digits, ",
                       "'-', '_' and '.'"));
    }
  }
  return absl::OkStatus();
}

ResponsePlan WithDefaults(ResponsePlan plan) {
  if (plan.incident_template().impact() == 0) plan.mutable_incident_template()->set_impact(3);
  return plan;
}

absl::Status ValidatePlan(const ResponsePlan& plan) {
  if (absl::Status s = ValidateName("response plan", plan.name()); !s.ok()) return s;
  int impact = plan.incident_template().impact();
  if (impact != 0 && (impact < 1 || impact > 5)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "response plan \"", plan.name(), "\": incidentTemplate.impact must be 1 (critical) ",
        "to 5 (no impact), got ", impact));
  }
  if (plan.incident_template().title().size() > 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "response plan \"", plan.name(), "\": incidentTemplate.title is longer than 1024"));
  }
  for (const std::string& contact : plan.engagements()) {
    if (absl::Status s = ValidateName("engagement contact", contact); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("response plan \"", plan.name(), "\": ", s.message()));
    }
  }
  for (const std::string& channel : plan.chat_channels()) {
    if (absl::Status s = ValidateName("chat channel", channel); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("response plan \"", plan.name(), "\": ", s.message()));
    }
  }
  if (!plan.post_incident_template().empty()) {
    if (absl::Status s = ValidateName("postIncidentTemplate", plan.post_incident_template());
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("response plan \"", plan.name(), "\": ", s.message()));
    }
  }
  if (plan.has_runbook()) {
    const auto& runbook = plan.runbook();
    if (absl::Status s = ValidateName("runbook", runbook.name()); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("response plan \"", plan.name(), "\": ", s.message()));
    }
    if (runbook.version() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "response plan \"", plan.name(), "\": runbook.version must be 1 or more (or unset for ",
          "the latest), got ", runbook.version()));
    }
    for (const auto& [name, value] : runbook.parameters()) {
      if (name.empty() || name.size() > 64 || value.size() > 16 * 1024) {
        return absl::InvalidArgumentError(absl::StrCat(
            "response plan \"", plan.name(), "\": runbook.parameters: \"", name.substr(0, 64),
            "\" needs a name of 1 to 64 characters and a value of at most 16 KiB"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tocsin::incidents
