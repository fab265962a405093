#include "tools/cli/apply.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/oncall/rotation.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/escalation/contacts.h"
#include "services/escalation/oncall_convert.h"
#include "services/incidents/matching.h"
#include "services/paging/chat_channels.h"
#include "services/postmortem/templates.h"
#include "services/runbook/document.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/chat.pb.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"
#include "tocsin/runbook/v1/runbook.pb.h"
#include "yaml-cpp/yaml.h"

namespace tocsin::cli {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::tocsin::client::EscalationClient;
using ::tocsin::client::IncidentsClient;
using ::tocsin::escalation::v1::ApplyRequest;
using ::tocsin::escalation::v1::ApplyResponse;
using ::tocsin::escalation::v1::Contact;
using ::tocsin::escalation::v1::EscalationPlan;
using ::tocsin::escalation::v1::PersonalPlan;
using ::tocsin::escalation::v1::Rotation;
using ::tocsin::escalation::v1::RotationOverride;
using ::tocsin::escalation::v1::SchedulePlan;
using ::tocsin::incidents::v1::ResponsePlan;
using ::tocsin::paging::v1::ChatChannel;
using ::tocsin::postmortem::v1::SaveTemplateResponse;
using AnalysisTemplate = ::tocsin::postmortem::v1::Template;
using ::tocsin::runbook::v1::ApplyRunbookRequest;
using ::tocsin::runbook::v1::ApplyRunbookResponse;
// Keeps the manifest's key order, so errors report the first problem in it.
using Json = nlohmann::ordered_json;

enum class Outcome { kCreated, kUpdated, kUnchanged };

absl::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCreated:
      return "created";
    case Outcome::kUpdated:
      return "updated";
    case Outcome::kUnchanged:
      return "unchanged";
  }
  return "";
}

// What applying an object will do, decided from the server's current state.
struct Change {
  Outcome outcome;
  // Makes the change; empty when the object is unchanged.
  std::function<absl::Status()> make;
  // Asks the service whether `make` would succeed, storing nothing (a dry
  // run); empty when the service has none or nothing is to be made.
  std::function<absl::Status()> check = nullptr;
};

// Which service stores a kind, and how.
enum class Store {
  // The incidents service, object by object (create or update).
  kIncidents,
  // The escalation service, every such object of the manifest in one
  // ContactService.Apply.
  kEscalation,
  // The paging service, object by object (PutChatChannel, after a dry run
  // of each).
  kPaging,
  // The runbook service, object by object (ApplyRunbook, after a dry run of
  // each).
  kRunbook,
  // The postmortem service, object by object (SaveTemplate, after a dry run
  // of each).
  kPostmortem,
};

// Whether a kind's objects are written before the response plans, which may
// name them.
bool WrittenBeforePlans(Store store) {
  return store == Store::kPaging || store == Store::kRunbook ||
         store == Store::kPostmortem;
}

// A kind of object that manifests can declare. Its message has a string field
// `name` that identifies the object.
struct Kind {
  absl::string_view name;
  std::unique_ptr<Message> (*new_message)();
  // Replaces the fields that are kept as YAML text (a runbook's `document`)
  // with that text, from the document's YAML node. nullptr: none.
  absl::Status (*from_yaml)(const YAML::Node& node, Json& fields);
  // Turns the fields that a manifest spells differently from protobuf JSON
  // (a contact's `plan`, a rotation's hand-off times) into protobuf JSON,
  // checking them; errors name the manifest's field path. nullptr: none.
  absl::Status (*to_proto_json)(Json& fields);
  // Checks beyond the message's schema (the name's format, fields that only
  // the server sets).
  absl::Status (*validate)(const Message& object);
  Store store;
  // For every store but kEscalation: what applying the object changes.
  absl::StatusOr<Change> (*plan)(const Message& desired,
                                 const Clients& clients);
  // How output lines and errors name the object (nullptr: its name).
  std::string (*qualified_name)(const Message& object);
};

template <typename T>
std::unique_ptr<Message> New() {
  return std::make_unique<T>();
}

// Prefixes a status's message with where it happened, keeping its code.
absl::Status Annotate(absl::string_view where, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(where, ": ", status.message()));
}

// Fails if `object` sets one of the fields numbered `numbers`, which only
// the server sets (a version, a creation time).
absl::Status RejectFieldsSetByServer(const Message& object,
                                     std::initializer_list<int> numbers) {
  for (int number : numbers) {
    const FieldDescriptor* field =
        object.GetDescriptor()->FindFieldByNumber(number);
    if (object.GetReflection()->HasField(object, field)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "field \"%s\" is set by the server", field->json_name()));
    }
  }
  return absl::OkStatus();
}

// What applying `desired` through `client` changes, for a kind whose message
// has name, version, create_time and update_time. Both sides go through
// `with_defaults` before they are compared, so a value the server fills in
// when it is not given does not count as a difference.
template <typename T, typename Client>
absl::StatusOr<Change> PlanCreateOrUpdate(
    const T& desired, const Client& client,
    absl::StatusOr<T> (Client::*get)(const std::string&) const,
    absl::StatusOr<T> (Client::*create)(const T&) const,
    absl::StatusOr<T> (Client::*update)(const T&, int64_t) const,
    T (*with_defaults)(T)) {
  absl::StatusOr<T> current = (client.*get)(desired.name());
  if (absl::IsNotFound(current.status())) {
    return Change{Outcome::kCreated, [&client, &desired, create] {
                    return (client.*create)(desired).status();
                  }};
  }
  if (!current.ok()) return current.status();
  const int64_t version = current->version();
  current->clear_version();
  current->clear_create_time();
  current->clear_update_time();
  if (google::protobuf::util::MessageDifferencer::Equals(
          with_defaults(*std::move(current)), with_defaults(desired))) {
    return Change{Outcome::kUnchanged, nullptr};
  }
  // Conditional on the version read, so a concurrent edit is not overwritten.
  return Change{Outcome::kUpdated, [&client, &desired, update, version] {
                  return (client.*update)(desired, version).status();
                }};
}

// ---- ResponsePlan ----

absl::Status ValidateResponsePlan(const Message& object) {
  const auto& plan = static_cast<const ResponsePlan&>(object);
  // The server's own rules, checked before anything is sent, so an apply
  // never stops half-way on a plan the server would refuse.
  RETURN_IF_ERROR(incidents::ValidatePlan(plan));
  return RejectFieldsSetByServer(plan, {ResponsePlan::kVersionFieldNumber,
                                        ResponsePlan::kCreateTimeFieldNumber,
                                        ResponsePlan::kUpdateTimeFieldNumber});
}

absl::StatusOr<Change> PlanResponsePlan(const Message& object,
                                        const Clients& clients) {
  return PlanCreateOrUpdate(
      static_cast<const ResponsePlan&>(object), *clients.incidents,
      &IncidentsClient::GetPlan, &IncidentsClient::CreatePlan,
      &IncidentsClient::UpdatePlan, incidents::WithDefaults);
}

// ---- ChatChannel ----

absl::Status ValidateChatChannelObject(const Message& object) {
  const auto& channel = static_cast<const ChatChannel&>(object);
  // The paging service's own rules (services/paging/chat_channels.h).
  RETURN_IF_ERROR(paging::ValidateChatChannel(channel));
  return RejectFieldsSetByServer(channel,
                                 {ChatChannel::kCreateTimeFieldNumber,
                                  ChatChannel::kUpdateTimeFieldNumber});
}

// Whether the channel gives a webhook URL inline, which the service never
// answers back (it shows only the URL's scheme and host).
bool HasInlineWebhookUrl(const ChatChannel& channel) {
  switch (channel.platform_case()) {
    case ChatChannel::kSlack:
      return !channel.slack().webhook_url().empty();
    case ChatChannel::kTeams:
      return !channel.teams().webhook_url().empty();
    case ChatChannel::kChime:
      return !channel.chime().webhook_url().empty();
    case ChatChannel::kMattermost:
      return !channel.mattermost().webhook_url().empty();
    default:
      return false;
  }
}

// A channel that does not exist is created. One that exists is unchanged
// when the service's answer (times aside) equals the manifest's channel;
// that comparison is only possible when the manifest gives no inline
// webhook URL (files, Slack app mode), because answers redact URLs. A
// channel with an inline URL that exists is always put again, "updated".
absl::StatusOr<Change> PlanChatChannel(const Message& object,
                                       const Clients& clients) {
  const auto& desired = static_cast<const ChatChannel&>(object);
  if (clients.paging == nullptr) {
    return absl::FailedPreconditionError(
        "chat channels need the paging service (no client given)");
  }
  const client::PagingClient& paging = *clients.paging;
  absl::StatusOr<ChatChannel> current = paging.GetChatChannel(desired.name());
  Outcome outcome = Outcome::kUpdated;
  if (absl::IsNotFound(current.status())) {
    outcome = Outcome::kCreated;
  } else if (!current.ok()) {
    return current.status();
  } else if (!HasInlineWebhookUrl(desired)) {
    current->clear_create_time();
    current->clear_update_time();
    if (google::protobuf::util::MessageDifferencer::Equals(*current,
                                                           desired)) {
      return Change{Outcome::kUnchanged, nullptr};
    }
  }
  return Change{outcome,
                [&paging, &desired] {
                  return paging.PutChatChannel(desired).status();
                },
                [&paging, &desired] {
                  return paging.PutChatChannel(desired, /*dry_run=*/true)
                      .status();
                }};
}

// ---- Shared checks of the manifest's own spellings ----

absl::Status TypeError(absl::string_view at, absl::string_view expected,
                       const Json& value);
absl::Status CheckFields(const Json& object, const Descriptor& type,
                         absl::string_view path);
std::string Join(absl::string_view path, absl::string_view key);

absl::Status UnknownField(absl::string_view at) {
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown field \"%s\"", at));
}

// "09:00" as a HandOffTime in protobuf JSON.
absl::StatusOr<Json> HandOffTimeJson(const Json& value, absl::string_view at) {
  if (!value.is_string()) {
    return TypeError(at, "a time of day such as \"09:00\"", value);
  }
  absl::StatusOr<oncall::HandOffTime> time =
      oncall::ParseHandOffTime(value.get<std::string>());
  if (!time.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("field \"%s\": %s", at, time.status().message()));
  }
  return Json{{"hourOfDay", time->hour}, {"minuteOfHour", time->minute}};
}

// "MON" as a DayOfWeek in protobuf JSON.
absl::StatusOr<Json> DayOfWeekJson(const Json& value, absl::string_view at) {
  if (!value.is_string()) return TypeError(at, "a day such as MON", value);
  const std::string day = value.get<std::string>();
  absl::StatusOr<oncall::Weekday> parsed = oncall::ParseWeekday(day);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "field \"%s\" must be one of MON, TUE, WED, THU, FRI, SAT, SUN, got "
        "\"%s\"",
        at, day));
  }
  return Json(absl::StrCat("DAY_OF_WEEK_", oncall::WeekdayName(*parsed)));
}

// Fails for a key of `object` outside `allowed`.
absl::Status OnlyKeys(const Json& object, absl::string_view path,
                      std::initializer_list<absl::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return UnknownField(Join(path, key));
    }
  }
  return absl::OkStatus();
}

// The items of a list field (none when null); TypeError otherwise.
absl::StatusOr<std::vector<Json>> ListItems(const Json& value,
                                            absl::string_view at) {
  if (value.is_null()) return std::vector<Json>();
  if (!value.is_array()) return TypeError(at, "a list", value);
  return std::vector<Json>(value.begin(), value.end());
}

std::string Item(absl::string_view at, size_t i) {
  return absl::StrCat(at, "[", i, "]");
}

// ---- Contact ----

// `type: PERSONAL` and `plan: {...}` (whose fields depend on the type) as
// Contact's protobuf JSON: type CONTACT_TYPE_PERSONAL and personalPlan,
// escalationPlan or schedule.
absl::Status ContactToProtoJson(Json& fields) {
  for (absl::string_view proto_name :
       {"personalPlan", "escalationPlan", "schedule"}) {
    if (fields.contains(proto_name)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "unknown field \"%s\" (a contact's plan is \"plan\")", proto_name));
    }
  }
  std::string type = "PERSONAL";
  auto type_value = fields.find("type");
  if (type_value != fields.end() && !type_value->is_null()) {
    const bool known =
        type_value->is_string() &&
        (*type_value == "PERSONAL" || *type_value == "ESCALATION" ||
         *type_value == "ONCALL_SCHEDULE");
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrFormat("field \"type\" must be one of PERSONAL, ESCALATION, "
                          "ONCALL_SCHEDULE, got %s",
                          type_value->dump()));
    }
    type = type_value->get<std::string>();
    *type_value = absl::StrCat("CONTACT_TYPE_", type);
  }
  auto plan = fields.find("plan");
  if (plan == fields.end()) return absl::OkStatus();
  if (plan->is_null()) {
    fields.erase(plan);
    return absl::OkStatus();
  }
  if (!plan->is_object()) return TypeError("plan", "a mapping", *plan);
  const Descriptor* descriptor = PersonalPlan::descriptor();
  std::string field = "personalPlan";
  if (type == "ESCALATION") {
    descriptor = EscalationPlan::descriptor();
    field = "escalationPlan";
  } else if (type == "ONCALL_SCHEDULE") {
    descriptor = SchedulePlan::descriptor();
    field = "schedule";
  }
  RETURN_IF_ERROR(CheckFields(*plan, *descriptor, "plan"));
  Json value = *plan;
  fields.erase(plan);
  fields[field] = std::move(value);
  return absl::OkStatus();
}

absl::Status ValidateContact(const Message& object) {
  const auto& contact = static_cast<const Contact&>(object);
  RETURN_IF_ERROR(RejectFieldsSetByServer(
      contact, {Contact::kVersionFieldNumber, Contact::kCreateTimeFieldNumber,
                Contact::kUpdateTimeFieldNumber}));
  for (int i = 0; i < contact.channels_size(); ++i) {
    if (contact.channels(i).has_activation()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "field \"channels[%d].activation\" is set by the server", i));
    }
  }
  // The escalation service's own rules for a person, as for response plans;
  // plans and schedules (references to other objects) are checked by the
  // service's dry run.
  if (contact.type() == escalation::v1::CONTACT_TYPE_UNSPECIFIED ||
      contact.type() == escalation::v1::CONTACT_TYPE_PERSONAL) {
    return escalation::ValidateContact(contact);
  }
  return escalation::ValidateName("contact", contact.name());
}

// ---- Rotation ----

// The recurrence's hand-off times ("09:00"), days (MON) and coverage map as
// Recurrence's protobuf JSON.
absl::StatusOr<Json> RecurrenceToProtoJson(const Json& recurrence) {
  constexpr absl::string_view kPath = "recurrence";
  if (!recurrence.is_object()) {
    return TypeError(kPath, "a mapping", recurrence);
  }
  Json out = Json::object();
  for (const auto& [key, value] : recurrence.items()) {
    const std::string at = Join(kPath, key);
    if (value.is_null()) continue;
    if (key == "dailySettings") {
      ASSIGN_OR_RETURN(std::vector<Json> items, ListItems(value, at));
      Json list = Json::array();
      for (size_t i = 0; i < items.size(); ++i) {
        ASSIGN_OR_RETURN(Json time, HandOffTimeJson(items[i], Item(at, i)));
        list.push_back(std::move(time));
      }
      out[key] = std::move(list);
    } else if (key == "weeklySettings" || key == "monthlySettings") {
      const bool weekly = key == "weeklySettings";
      ASSIGN_OR_RETURN(std::vector<Json> items, ListItems(value, at));
      Json list = Json::array();
      for (size_t i = 0; i < items.size(); ++i) {
        const std::string item_at = Item(at, i);
        const Json& item = items[i];
        if (!item.is_object()) return TypeError(item_at, "a mapping", item);
        const absl::string_view day_key = weekly ? "dayOfWeek" : "dayOfMonth";
        RETURN_IF_ERROR(OnlyKeys(item, item_at, {day_key, "handOffTime"}));
        Json setting = Json::object();
        if (item.contains(day_key)) {
          const Json& day = item[std::string(day_key)];
          const std::string day_at = Join(item_at, day_key);
          if (weekly) {
            ASSIGN_OR_RETURN(setting[std::string(day_key)],
                             DayOfWeekJson(day, day_at));
          } else {
            if (!day.is_number_integer()) {
              return TypeError(day_at, "an integer", day);
            }
            setting[std::string(day_key)] = day;
          }
        }
        if (item.contains("handOffTime")) {
          ASSIGN_OR_RETURN(setting["handOffTime"],
                           HandOffTimeJson(item["handOffTime"],
                                           Join(item_at, "handOffTime")));
        }
        list.push_back(std::move(setting));
      }
      out[key] = std::move(list);
    } else if (key == "shiftCoverages") {
      if (!value.is_object()) {
        return TypeError(at, "a mapping from days (MON) to time ranges", value);
      }
      Json list = Json::array();
      for (const auto& [day, ranges] : value.items()) {
        const std::string day_at = Join(at, day);
        Json coverage = Json::object();
        ASSIGN_OR_RETURN(coverage["dayOfWeek"], DayOfWeekJson(day, day_at));
        ASSIGN_OR_RETURN(std::vector<Json> items, ListItems(ranges, day_at));
        Json times = Json::array();
        for (size_t i = 0; i < items.size(); ++i) {
          const std::string range_at = Item(day_at, i);
          const Json& range = items[i];
          if (!range.is_object()) {
            return TypeError(range_at, "a mapping {start, end}", range);
          }
          RETURN_IF_ERROR(OnlyKeys(range, range_at, {"start", "end"}));
          Json time = Json::object();
          for (const char* end : {"start", "end"}) {
            if (!range.contains(end)) {
              return absl::InvalidArgumentError(absl::StrFormat(
                  "field \"%s\" is missing", Join(range_at, end)));
            }
            ASSIGN_OR_RETURN(time[end],
                             HandOffTimeJson(range[end], Join(range_at, end)));
          }
          times.push_back(std::move(time));
        }
        coverage["coverageTimes"] = std::move(times);
        list.push_back(std::move(coverage));
      }
      out[key] = std::move(list);
    } else if (key == "numberOfOnCalls" || key == "recurrenceMultiplier") {
      if (!value.is_number_integer()) return TypeError(at, "an integer", value);
      out[key] = value;
    } else {
      const FieldDescriptor* named =
          escalation::v1::Recurrence::descriptor()->FindFieldByName(key);
      if (named != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrFormat("unknown field \"%s\" (did you mean \"%s\"?)", at,
                            Join(kPath, named->json_name())));
      }
      return UnknownField(at);
    }
  }
  return out;
}

absl::Status RotationToProtoJson(Json& fields) {
  auto recurrence = fields.find("recurrence");
  if (recurrence == fields.end() || recurrence->is_null()) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(*recurrence, RecurrenceToProtoJson(*recurrence));
  return absl::OkStatus();
}

absl::Status ValidateRotation(const Message& object) {
  const auto& rotation = static_cast<const Rotation&>(object);
  RETURN_IF_ERROR(escalation::ValidateName("rotation", rotation.name()));
  RETURN_IF_ERROR(RejectFieldsSetByServer(
      rotation,
      {Rotation::kVersionFieldNumber, Rotation::kCreateTimeFieldNumber,
       Rotation::kUpdateTimeFieldNumber}));
  // The rules of the code that pages (libs/oncall), before anything is sent.
  ASSIGN_OR_RETURN(oncall::RotationSpec spec,
                   escalation::ToRotationSpec(rotation));
  if (!rotation.has_start_time()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("rotation \"%s\" has no startTime (RFC 3339, e.g. "
                        "\"2026-01-05T09:00:00+09:00\")",
                        rotation.name()));
  }
  return oncall::ValidateRotation(spec);
}

// ---- Override ----

absl::Status ValidateOverride(const Message& object) {
  const auto& override_ = static_cast<const RotationOverride&>(object);
  RETURN_IF_ERROR(escalation::ValidateName("override", override_.name()));
  RETURN_IF_ERROR(RejectFieldsSetByServer(
      override_, {RotationOverride::kCreateTimeFieldNumber}));
  if (override_.rotation().empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "override \"%s\" names no rotation (field \"rotation\")",
        override_.name()));
  }
  if (!override_.has_start() || !override_.has_end()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "override \"%s\" needs \"start\" and \"end\" (RFC 3339)",
        override_.name()));
  }
  const oncall::Override one = escalation::ToOncallOverride(override_);
  return oncall::ValidateOverrides({one});
}

std::string OverrideName(const Message& object) {
  const auto& override_ = static_cast<const RotationOverride&>(object);
  return absl::StrCat(override_.rotation(), "/", override_.name());
}

// ---- Runbook ----

// `document` is the SSM-style document as a mapping; the runbook service
// takes it as YAML text, which keeps its strings strings.
absl::Status RunbookDocumentToText(const YAML::Node& node, Json& fields) {
  // Not const: a const lookup of a missing key is an invalid node.
  YAML::Node copy = node;
  YAML::Node document = copy["document"];
  if (!document.IsDefined() || document.IsNull()) {
    return absl::InvalidArgumentError(
        "missing \"document\", the SSM-style document as a mapping");
  }
  if (!document.IsMap()) {
    return absl::InvalidArgumentError(
        "field \"document\": expected the SSM-style document as a mapping "
        "(schemaVersion, parameters, mainSteps)");
  }
  fields["document"] = runbook::DocumentYaml(document);
  return absl::OkStatus();
}

absl::Status ValidateRunbook(const Message& object) {
  const auto& runbook = static_cast<const ApplyRunbookRequest&>(object);
  if (!runbook.author().empty() || runbook.dry_run()) {
    return absl::InvalidArgumentError(
        "only name and document are fields of a Runbook");
  }
  return runbook::ParseRunbookDocument(runbook.document()).status();
}

absl::StatusOr<Change> PlanRunbook(const Message& object,
                                   const Clients& clients) {
  const auto& desired = static_cast<const ApplyRunbookRequest&>(object);
  if (clients.runbook == nullptr) {
    return absl::FailedPreconditionError(
        "runbooks need the runbook service (no client given)");
  }
  const client::RunbookClient& runbooks = *clients.runbook;
  // The service's dry run says what the save would do, and checks the
  // document with every rule, storing nothing.
  ASSIGN_OR_RETURN(ApplyRunbookResponse would,
                   runbooks.ApplyRunbook(desired.name(), desired.document(),
                                         clients.author, /*dry_run=*/true));
  switch (would.outcome()) {
    case runbook::v1::APPLY_OUTCOME_UNCHANGED:
      return Change{Outcome::kUnchanged, nullptr};
    case runbook::v1::APPLY_OUTCOME_CREATED:
    case runbook::v1::APPLY_OUTCOME_UPDATED:
      break;
    default:
      return absl::InternalError("the runbook service gave no outcome");
  }
  const std::string author = clients.author;
  return Change{would.outcome() == runbook::v1::APPLY_OUTCOME_CREATED
                    ? Outcome::kCreated
                    : Outcome::kUpdated,
                [&runbooks, &desired, author] {
                  return runbooks
                      .ApplyRunbook(desired.name(), desired.document(), author)
                      .status();
                }};
}

// ---- AnalysisTemplate ----

// Each question's `type` in its YAML spelling (text, yes-no, single-choice,
// multiple-choice, number: templates.h) as the QuestionType's protobuf JSON.
// Sections and questions of the wrong shape are left to the schema check,
// which names them.
absl::Status TemplateToProtoJson(Json& fields) {
  auto sections = fields.find("sections");
  if (sections == fields.end() || !sections->is_array()) return absl::OkStatus();
  for (size_t i = 0; i < sections->size(); ++i) {
    Json& section = (*sections)[i];
    if (!section.is_object()) continue;
    auto questions = section.find("questions");
    if (questions == section.end() || !questions->is_array()) continue;
    for (size_t j = 0; j < questions->size(); ++j) {
      Json& question = (*questions)[j];
      if (!question.is_object()) continue;
      auto type = question.find("type");
      if (type == question.end() || type->is_null()) continue;
      const std::string at =
          absl::StrFormat("sections[%d].questions[%d].type", i, j);
      if (!type->is_string()) {
        return TypeError(at,
                         "one of text, yes-no, single-choice, "
                         "multiple-choice, number",
                         *type);
      }
      absl::StatusOr<postmortem::v1::QuestionType> parsed =
          postmortem::ParseQuestionType(type->get<std::string>());
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "field \"%s\": %s", at, parsed.status().message()));
      }
      *type = postmortem::v1::QuestionType_Name(*parsed);
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAnalysisTemplate(const Message& object) {
  const auto& t = static_cast<const AnalysisTemplate&>(object);
  RETURN_IF_ERROR(RejectFieldsSetByServer(
      t, {AnalysisTemplate::kBuiltinFieldNumber,
          AnalysisTemplate::kVersionFieldNumber,
          AnalysisTemplate::kUpdateTimeFieldNumber,
          AnalysisTemplate::kAuthorFieldNumber}));
  // The postmortem service's own rules (services/postmortem/templates.h),
  // before anything is sent.
  return postmortem::ValidateTemplate(t);
}

absl::StatusOr<Change> PlanAnalysisTemplate(const Message& object,
                                            const Clients& clients) {
  const auto& desired = static_cast<const AnalysisTemplate&>(object);
  if (clients.postmortem == nullptr) {
    return absl::FailedPreconditionError(
        "analysis templates need the postmortem service (no client given)");
  }
  const client::PostmortemClient& postmortems = *clients.postmortem;
  // The service's dry run says what the save would do (an identical
  // template is unchanged) and checks it, saving nothing.
  ASSIGN_OR_RETURN(SaveTemplateResponse would,
                   postmortems.SaveTemplate(desired, clients.author,
                                            /*dry_run=*/true));
  switch (would.outcome()) {
    case postmortem::v1::SAVE_OUTCOME_UNCHANGED:
      return Change{Outcome::kUnchanged, nullptr};
    case postmortem::v1::SAVE_OUTCOME_CREATED:
    case postmortem::v1::SAVE_OUTCOME_UPDATED:
      break;
    default:
      return absl::InternalError("the postmortem service gave no outcome");
  }
  const std::string author = clients.author;
  return Change{would.outcome() == postmortem::v1::SAVE_OUTCOME_CREATED
                    ? Outcome::kCreated
                    : Outcome::kUpdated,
                [&postmortems, &desired, author] {
                  return postmortems.SaveTemplate(desired, author).status();
                }};
}

// Every kind a manifest may declare.
constexpr Kind kKinds[] = {
    {"ResponsePlan", New<ResponsePlan>, nullptr, nullptr, ValidateResponsePlan,
     Store::kIncidents, PlanResponsePlan, nullptr},
    {"Contact", New<Contact>, nullptr, ContactToProtoJson, ValidateContact,
     Store::kEscalation, nullptr, nullptr},
    {"Rotation", New<Rotation>, nullptr, RotationToProtoJson, ValidateRotation,
     Store::kEscalation, nullptr, nullptr},
    {"Override", New<RotationOverride>, nullptr, nullptr, ValidateOverride,
     Store::kEscalation, nullptr, OverrideName},
    {"ChatChannel", New<ChatChannel>, nullptr, nullptr,
     ValidateChatChannelObject, Store::kPaging, PlanChatChannel, nullptr},
    {"Runbook", New<ApplyRunbookRequest>, RunbookDocumentToText, nullptr,
     ValidateRunbook, Store::kRunbook, PlanRunbook, nullptr},
    {"AnalysisTemplate", New<AnalysisTemplate>, nullptr, TemplateToProtoJson,
     ValidateAnalysisTemplate, Store::kPostmortem, PlanAnalysisTemplate,
     nullptr},
};

const Kind* FindKind(absl::string_view name) {
  for (const Kind& kind : kKinds) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

std::string SupportedKinds() {
  return absl::StrJoin(kKinds, ", ", [](std::string* out, const Kind& kind) {
    absl::StrAppend(out, kind.name);
  });
}

// ---- YAML to JSON ----

std::string Join(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

bool IsInteger(absl::string_view text) {
  if (!absl::ConsumePrefix(&text, "-")) absl::ConsumePrefix(&text, "+");
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
}

Json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // yaml-cpp tags plain (unquoted, untagged) scalars "?".
  if (node.Tag() != "?") return text;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  int64_t number;
  if (IsInteger(text) && absl::SimpleAtoi(text, &number)) return number;
  return text;
}

// RFC 3629 (no overlong forms, no surrogates): what JSON and protobuf strings
// accept. yaml-cpp passes the bytes of a scalar through unchecked.
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = text[i];
    size_t length = 1;
    // Bounds of the second byte; later ones are always 0x80..0xBF.
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else if (lead >= 0x80) {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char byte = text[i + k];
      if (byte < (k == 1 ? low : 0x80) || byte > (k == 1 ? high : 0xBF)) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

absl::Status KeyError(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(
      path.empty() ? absl::StrCat("a key ", problem)
                   : absl::StrFormat("a key under \"%s\" %s", path, problem));
}

absl::StatusOr<Json> YamlToJson(const YAML::Node& node,
                                absl::string_view path) {
  if (node.IsScalar()) {
    if (!IsValidUtf8(node.Scalar())) {
      return absl::InvalidArgumentError(
          absl::StrFormat("\"%s\" is not valid UTF-8", path));
    }
    return ScalarToJson(node);
  }
  if (node.IsSequence()) {
    Json array = Json::array();
    for (size_t i = 0; i < node.size(); ++i) {
      ASSIGN_OR_RETURN(Json item,
                       YamlToJson(node[i], absl::StrCat(path, "[", i, "]")));
      array.push_back(std::move(item));
    }
    return array;
  }
  if (node.IsMap()) {
    Json object = Json::object();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) return KeyError(path, "is not a string");
      const std::string& key = entry.first.Scalar();
      if (!IsValidUtf8(key)) return KeyError(path, "is not valid UTF-8");
      const std::string at = Join(path, key);
      if (object.contains(key)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("duplicate key \"%s\"", at));
      }
      ASSIGN_OR_RETURN(object[key], YamlToJson(entry.second, at));
    }
    return object;
  }
  return Json(nullptr);
}

// ---- Schema check: clearer errors than the JSON parser's ----

bool IsWellKnownType(const Descriptor& type) {
  return absl::StartsWith(type.file()->name(), "google/protobuf/");
}

std::string DescribeValue(const Json& value) {
  if (value.is_string()) return absl::StrCat("string ", value.dump());
  if (value.is_boolean()) return absl::StrCat("boolean ", value.dump());
  if (value.is_number()) return absl::StrCat("number ", value.dump());
  if (value.is_array()) return "a list";
  return "a mapping";
}

absl::Status TypeError(absl::string_view at, absl::string_view expected,
                       const Json& value) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "field \"%s\" must be %s, got %s", at, expected, DescribeValue(value)));
}

absl::Status CheckFields(const Json& object, const Descriptor& type,
                         absl::string_view path);

const FieldDescriptor* FindJsonField(const Descriptor& type,
                                     absl::string_view json_name) {
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == json_name) return type.field(i);
  }
  return nullptr;
}

// Checks one (non-null) value of `field`. Enums and floating-point fields
// accept several JSON forms and are left to the JSON parser.
absl::Status CheckValue(const Json& value, const FieldDescriptor& field,
                        absl::string_view at) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (!value.is_string()) return TypeError(at, "a string", value);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!value.is_boolean()) return TypeError(at, "true or false", value);
      break;
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      if (!value.is_number_integer()) return TypeError(at, "an integer", value);
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (field.message_type()->full_name() == "google.protobuf.Duration" &&
          !value.is_string()) {
        return TypeError(at, "a duration in seconds such as \"300s\"", value);
      }
      if (field.message_type()->full_name() == "google.protobuf.Timestamp") {
        absl::Time time;
        std::string error;
        if (!value.is_string() ||
            !absl::ParseTime(absl::RFC3339_full, value.get<std::string>(),
                             &time, &error)) {
          return TypeError(
              at, "an RFC 3339 time such as \"2026-01-05T09:00:00+09:00\"",
              value);
        }
      }
      if (IsWellKnownType(*field.message_type())) break;
      if (!value.is_object()) return TypeError(at, "a mapping", value);
      return CheckFields(value, *field.message_type(), at);
    default:
      break;
  }
  return absl::OkStatus();
}

absl::Status CheckFields(const Json& object, const Descriptor& type,
                         absl::string_view path) {
  for (const auto& [key, value] : object.items()) {
    const std::string at = Join(path, key);
    const FieldDescriptor* field = FindJsonField(type, key);
    if (field == nullptr) {
      // Protobuf's own JSON parser also accepts proto names; manifests use
      // one spelling.
      if (const FieldDescriptor* named = type.FindFieldByName(key)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("unknown field \"%s\" (did you mean \"%s\"?)", at,
                            Join(path, named->json_name())));
      }
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown field \"%s\"", at));
    }
    // null leaves the field unset; map fields are left to the JSON parser.
    if (value.is_null() || field->is_map()) continue;
    if (!field->is_repeated()) {
      RETURN_IF_ERROR(CheckValue(value, *field, at));
      continue;
    }
    if (!value.is_array()) return TypeError(at, "a list", value);
    for (size_t i = 0; i < value.size(); ++i) {
      RETURN_IF_ERROR(
          CheckValue(value[i], *field, absl::StrCat(at, "[", i, "]")));
    }
  }
  return absl::OkStatus();
}

// ---- Documents ----

std::string Where(int document) { return absl::StrCat("document ", document); }

std::string Where(const ManifestObject& object) {
  return absl::StrFormat("document %d (%s \"%s\")", object.document,
                         object.kind, object.name);
}

absl::StatusOr<ManifestObject> LoadDocument(const YAML::Node& node,
                                            int document) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: expected a mapping with a \"kind\"", Where(document)));
  }
  absl::StatusOr<Json> converted = YamlToJson(node, "");
  if (!converted.ok()) return Annotate(Where(document), converted.status());
  Json fields = *std::move(converted);

  auto kind_value = fields.find("kind");
  if (kind_value == fields.end() || kind_value->is_null()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: missing \"kind\"", Where(document)));
  }
  const Kind* kind = kind_value->is_string()
                         ? FindKind(kind_value->get<std::string>())
                         : nullptr;
  if (kind == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: unsupported kind %s (supported: %s)",
                        Where(document), kind_value->dump(), SupportedKinds()));
  }
  fields.erase(kind_value);

  ManifestObject object;
  object.document = document;
  object.kind = std::string(kind->name);
  auto name = fields.find("name");
  if (name != fields.end() && name->is_string()) {
    object.name = name->get<std::string>();
  }
  const std::string where =
      object.name.empty()
          ? absl::StrFormat("%s (%s)", Where(document), kind->name)
          : Where(object);

  object.message = kind->new_message();
  if (kind->from_yaml != nullptr) {
    RETURN_IF_ERROR(Annotate(where, kind->from_yaml(node, fields)));
  }
  if (kind->to_proto_json != nullptr) {
    RETURN_IF_ERROR(Annotate(where, kind->to_proto_json(fields)));
  }
  RETURN_IF_ERROR(Annotate(
      where, CheckFields(fields, *object.message->GetDescriptor(), "")));
  google::protobuf::util::Status parsed =
      google::protobuf::util::JsonStringToMessage(fields.dump(),
                                                  object.message.get());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", parsed.message().ToString()));
  }
  if (object.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": missing \"name\""));
  }
  RETURN_IF_ERROR(Annotate(where, kind->validate(*object.message)));
  if (kind->qualified_name != nullptr) {
    object.name = kind->qualified_name(*object.message);
  }
  return object;
}

// Overrides of one rotation that the manifest declares may not overlap.
absl::Status CheckOverridesTogether(
    const std::vector<ManifestObject>& objects) {
  std::map<std::string, std::vector<const ManifestObject*>> by_rotation;
  for (const ManifestObject& object : objects) {
    if (const auto* override_ =
            google::protobuf::DynamicCastToGenerated<RotationOverride>(
                object.message.get())) {
      by_rotation[override_->rotation()].push_back(&object);
    }
  }
  for (const auto& [rotation, declared] : by_rotation) {
    std::vector<oncall::Override> overrides;
    for (const ManifestObject* object : declared) {
      overrides.push_back(escalation::ToOncallOverride(
          static_cast<const RotationOverride&>(*object->message)));
      RETURN_IF_ERROR(
          Annotate(Where(*object), oncall::ValidateOverrides(overrides)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ObjectLabel(const ManifestObject& object) {
  return absl::StrCat(absl::AsciiStrToLower(object.kind), "/", object.name);
}

absl::StatusOr<std::vector<ManifestObject>> LoadManifest(
    absl::string_view yaml) {
  std::vector<ManifestObject> objects;
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml));
    // (kind, name) -> the document that declares it.
    absl::flat_hash_map<std::pair<std::string, std::string>, int> declared;
    for (size_t i = 0; i < documents.size(); ++i) {
      if (documents[i].IsNull()) continue;
      ASSIGN_OR_RETURN(ManifestObject object,
                       LoadDocument(documents[i], static_cast<int>(i) + 1));
      auto [first, inserted] =
          declared.try_emplace({object.kind, object.name}, object.document);
      if (!inserted) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s: already declared by document %d",
                            Where(object), first->second));
      }
      objects.push_back(std::move(object));
    }
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.msg));
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid YAML at line %d, column %d: %s",
                        e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (objects.empty()) {
    return absl::InvalidArgumentError("the manifest declares no object");
  }
  RETURN_IF_ERROR(CheckOverridesTogether(objects));
  return objects;
}

absl::Status ApplyManifest(const std::vector<ManifestObject>& objects,
                           const Clients& clients, std::ostream& out) {
  // Response plans and chat channels: read each one's state first.
  std::vector<std::optional<Change>> changes(objects.size());
  // The escalation service's objects, in one request; where each one's
  // outcome is in the response (contacts, then rotations, then overrides).
  ApplyRequest request;
  std::vector<size_t> contacts, rotations, overrides;
  for (size_t i = 0; i < objects.size(); ++i) {
    const ManifestObject& object = objects[i];
    const Kind& kind = *FindKind(object.kind);
    if (kind.store != Store::kEscalation) {
      absl::StatusOr<Change> change = kind.plan(*object.message, clients);
      if (!change.ok()) return Annotate(Where(object), change.status());
      changes[i] = *std::move(change);
      continue;
    }
    if (const auto* contact = google::protobuf::DynamicCastToGenerated<Contact>(
            object.message.get())) {
      *request.add_contacts() = *contact;
      contacts.push_back(i);
    } else if (const auto* rotation =
                   google::protobuf::DynamicCastToGenerated<Rotation>(
                       object.message.get())) {
      *request.add_rotations() = *rotation;
      rotations.push_back(i);
    } else {
      *request.add_overrides() =
          static_cast<const RotationOverride&>(*object.message);
      overrides.push_back(i);
    }
  }
  std::vector<std::string> outcomes(objects.size());
  const bool escalation_objects =
      !contacts.empty() || !rotations.empty() || !overrides.empty();
  if (escalation_objects) {
    // Checked whole by the service (references, cycles, overlaps,
    // activation) before anything is stored anywhere.
    request.set_dry_run(true);
    RETURN_IF_ERROR(clients.escalation->Apply(request).status());
  }
  // Then the chat channels, each by a dry run of its PutChatChannel: still
  // nothing is stored anywhere.
  for (size_t i = 0; i < objects.size(); ++i) {
    if (changes[i].has_value() && changes[i]->check) {
      RETURN_IF_ERROR(Annotate(Where(objects[i]), changes[i]->check()));
    }
  }
  if (escalation_objects) {
    request.set_dry_run(false);
    ASSIGN_OR_RETURN(ApplyResponse applied, clients.escalation->Apply(request));
    std::vector<size_t> order = contacts;
    order.insert(order.end(), rotations.begin(), rotations.end());
    order.insert(order.end(), overrides.begin(), overrides.end());
    for (size_t k = 0; k < order.size(); ++k) {
      outcomes[order[k]] = k < static_cast<size_t>(applied.outcomes_size())
                               ? applied.outcomes(k)
                               : "applied";
    }
  }
  // Chat channels, runbooks and analysis templates before the plans, which
  // may name them.
  for (size_t i = 0; i < objects.size(); ++i) {
    if (!WrittenBeforePlans(FindKind(objects[i].kind)->store)) continue;
    if (changes[i]->make) {
      RETURN_IF_ERROR(Annotate(Where(objects[i]), changes[i]->make()));
    }
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    if (changes[i].has_value()) {
      const bool made = WrittenBeforePlans(FindKind(objects[i].kind)->store);
      if (changes[i]->make && !made) {
        RETURN_IF_ERROR(Annotate(Where(objects[i]), changes[i]->make()));
      }
      outcomes[i] = std::string(OutcomeName(changes[i]->outcome));
    }
    out << ObjectLabel(objects[i]) << " " << outcomes[i] << "\n";
  }
  return absl::OkStatus();
}

}  // namespace tocsin::cli
