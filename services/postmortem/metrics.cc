#include "services/postmortem/metrics.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "libs/proto/time.h"
#include "nlohmann/json.hpp"

namespace tocsin::postmortem {
namespace {

namespace inc = ::tocsin::incidents::v1;

// The entry's data_json as an object; an empty object when it is missing,
// not JSON or not an object.
nlohmann::json ParseData(const std::string& data_json) {
  if (data_json.empty()) return nlohmann::json::object();
  nlohmann::json data = nlohmann::json::parse(data_json, nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded() || !data.is_object()) return nlohmann::json::object();
  return data;
}

// data[key] when it is a string.
std::optional<std::string> StringField(const nlohmann::json& data, const char* key) {
  auto it = data.find(key);
  if (it == data.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// data[key] when it is a non-negative integer that fits in an int64.
std::optional<int64_t> CountField(const nlohmann::json& data, const char* key) {
  auto it = data.find(key);
  if (it == data.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(value);
  }
  if (it->is_number_integer()) {
    const int64_t value = it->get<int64_t>();
    if (value < 0) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::optional<absl::Time> OccurredTime(const nlohmann::json& data) {
  std::optional<std::string> occurred = StringField(data, "occurred");
  if (!occurred.has_value()) return std::nullopt;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, *occurred, &time, &error)) return std::nullopt;
  return time;
}

// A timeline entry with its data parsed and its time decided.
struct Entry {
  const inc::TimelineEvent* event;
  nlohmann::json data;
  absl::Time time;
};

// The earlier of two optional times.
void KeepEarliest(std::optional<absl::Time>& earliest, absl::Time time) {
  if (!earliest.has_value() || time < *earliest) earliest = time;
}

// Seconds from opened to time, never negative.
double SecondsSince(absl::Time opened, absl::Time time) {
  return absl::ToDoubleSeconds(std::max(time - opened, absl::ZeroDuration()));
}

bool CountsAsAlarm(const inc::IncidentAlarm& alarm) {
  return alarm.outcome() == inc::INGEST_OUTCOME_OPENED ||
         alarm.outcome() == inc::INGEST_OUTCOME_JOINED;
}

// When the incident was resolved for good: unset while it is not resolved.
std::optional<absl::Time> ResolveTime(const inc::Incident& incident,
                                      const std::vector<Entry>& entries) {
  if (incident.status() != inc::INCIDENT_STATUS_RESOLVED) return std::nullopt;
  if (incident.has_resolve_time()) return FromProtoTime(incident.resolve_time());
  // A resolved incident that does not say when: its last resolution on the
  // timeline, unless it was reopened after it.
  std::optional<absl::Time> resolved;
  for (const Entry& entry : entries) {
    const std::string& type = entry.event->type();
    if (type == "incident.resolved") {
      resolved = entry.time;
    } else if (type == "incident.reopened") {
      resolved.reset();
    }
  }
  return resolved;
}

struct Person {
  v1::PersonEngaged proto;
  absl::flat_hash_set<std::string> channels;
  absl::flat_hash_set<std::string> page_ids;
  std::optional<absl::Time> acknowledged;
};

}  // namespace

absl::Time EntryTime(const incidents::v1::TimelineEvent& entry) {
  if (std::optional<absl::Time> occurred = OccurredTime(ParseData(entry.data_json()))) {
    return *occurred;
  }
  return FromProtoTime(entry.event_time());
}

bool IsMitigationStep(absl::string_view step_name) {
  return absl::StartsWithIgnoreCase(step_name, "mitigat");
}

ComputedFacts ComputeFacts(const IncidentFacts& facts) {
  ComputedFacts computed;
  v1::Metrics& metrics = computed.metrics;
  const inc::Incident& incident = facts.incident;

  // Every entry with its time, earliest first (entries of the same time in
  // timeline order).
  std::vector<Entry> entries;
  entries.reserve(facts.timeline.size());
  for (const inc::TimelineEvent& event : facts.timeline) {
    Entry entry{&event, ParseData(event.data_json()), FromProtoTime(event.event_time())};
    if (std::optional<absl::Time> occurred = OccurredTime(entry.data)) entry.time = *occurred;
    entries.push_back(std::move(entry));
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.time < b.time; });

  // Alarms.
  int64_t alarms = 0;
  for (const inc::IncidentAlarm& alarm : facts.alarms) {
    if (!CountsAsAlarm(alarm)) continue;
    ++alarms;
    if (alarm.alarm().state() == inc::ALARM_STATE_ALARM && alarm.alarm().has_state_time()) {
      KeepEarliest(computed.first_alarm_time, FromProtoTime(alarm.alarm().state_time()));
    }
  }
  metrics.set_alarms(facts.alarms.empty() ? incident.alarm_count() : alarms);

  // Pages, people, acknowledgements, mitigation.
  std::optional<absl::Time> first_page;
  std::optional<absl::Time> first_ack;
  std::optional<absl::Time> mitigated;
  absl::flat_hash_set<std::string> page_ids;
  int64_t stages_reached = 0;
  std::vector<Person> people;
  absl::flat_hash_map<std::string, size_t> person_index;
  auto reach_stage = [&stages_reached](const nlohmann::json& data) {
    std::optional<int64_t> stage = CountField(data, "stage");
    if (stage.has_value() && *stage < std::numeric_limits<int64_t>::max()) {
      stages_reached = std::max(stages_reached, *stage + 1);
    }
  };
  for (const Entry& entry : entries) {
    const std::string& type = entry.event->type();
    if (type == "page.sent") {
      KeepEarliest(first_page, entry.time);
      reach_stage(entry.data);
      std::optional<std::string> page_id = StringField(entry.data, "page_id");
      if (page_id.has_value() && page_id->empty()) page_id.reset();
      if (page_id.has_value()) page_ids.insert(*page_id);
      std::optional<std::string> contact = StringField(entry.data, "contact");
      if (!contact.has_value() || contact->empty()) continue;
      auto [it, inserted] = person_index.try_emplace(*contact, people.size());
      if (inserted) {
        people.emplace_back();
        people.back().proto.set_contact(*contact);
        *people.back().proto.mutable_first_paged() = ToProtoTime(entry.time);
      }
      Person& person = people[it->second];
      std::optional<std::string> channel = StringField(entry.data, "channel_kind");
      if (!channel.has_value() || channel->empty()) channel = StringField(entry.data, "channel");
      if (channel.has_value() && !channel->empty() && person.channels.insert(*channel).second) {
        person.proto.add_channels(*channel);
      }
      if (page_id.has_value()) person.page_ids.insert(*page_id);
    } else if (type == "page.acknowledged") {
      KeepEarliest(first_ack, entry.time);
    } else if (type == "engagement.stage_started") {
      reach_stage(entry.data);
    } else if (type == "mark") {
      if (StringField(entry.data, "mark") == "mitigated") KeepEarliest(mitigated, entry.time);
    } else if (type == "runbook.step.changed") {
      std::optional<std::string> step = StringField(entry.data, "step");
      if (StringField(entry.data, "state") == "STEP_STATE_SUCCESS" && step.has_value() &&
          IsMitigationStep(*step)) {
        KeepEarliest(mitigated, entry.time);
      }
    }
  }
  // Acknowledgements of the people paged (after every page is seen: an
  // acknowledgement may carry an earlier time than its page's entry).
  for (const Entry& entry : entries) {
    if (entry.event->type() != "page.acknowledged") continue;
    std::optional<std::string> contact = StringField(entry.data, "contact");
    if (!contact.has_value()) continue;
    auto it = person_index.find(*contact);
    if (it == person_index.end()) continue;
    Person& person = people[it->second];
    if (person.acknowledged.has_value()) continue;
    person.acknowledged = entry.time;
    *person.proto.mutable_acknowledged() = ToProtoTime(entry.time);
    if (std::optional<std::string> by = StringField(entry.data, "acked_by")) {
      person.proto.set_acknowledged_by(*by);
    }
  }
  metrics.set_pages(static_cast<int64_t>(page_ids.size()));
  metrics.set_people_engaged(static_cast<int64_t>(people.size()));
  metrics.set_stages_reached(stages_reached);
  computed.people.reserve(people.size());
  for (Person& person : people) {
    person.proto.set_pages(static_cast<int64_t>(person.page_ids.size()));
    computed.people.push_back(std::move(person.proto));
  }

  // Durations, from the opening (none without one).
  if (incident.has_create_time()) {
    const absl::Time opened = FromProtoTime(incident.create_time());
    if (computed.first_alarm_time.has_value()) {
      metrics.set_time_to_detect_seconds(SecondsSince(*computed.first_alarm_time, opened));
    }
    if (first_page.has_value()) {
      metrics.set_time_to_engage_seconds(SecondsSince(opened, *first_page));
    }
    if (first_ack.has_value()) {
      metrics.set_time_to_acknowledge_seconds(SecondsSince(opened, *first_ack));
    }
    if (mitigated.has_value()) {
      metrics.set_time_to_mitigate_seconds(SecondsSince(opened, *mitigated));
    }
    if (std::optional<absl::Time> resolved = ResolveTime(incident, entries)) {
      metrics.set_time_to_resolve_seconds(SecondsSince(opened, *resolved));
    }
  }
  return computed;
}

}  // namespace tocsin::postmortem
