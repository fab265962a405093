#include "tools/cli/apply.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/escalation/contacts.h"
#include "services/incidents/matching.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "yaml-cpp/yaml.h"

namespace tocsin::cli {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::tocsin::client::EscalationClient;
using ::tocsin::client::IncidentsClient;
using ::tocsin::escalation::v1::Contact;
using ::tocsin::incidents::v1::ResponsePlan;
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
};

// A kind of object that manifests can declare. Its message has a string field
// `name` that identifies the object.
struct Kind {
  absl::string_view name;
  std::unique_ptr<Message> (*new_message)();
  // Checks beyond the message's schema (the name's format, fields that only
  // the server sets).
  absl::Status (*validate)(const Message& object);
  absl::StatusOr<Change> (*plan)(const Message& desired,
                                 const Clients& clients);
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

// ---- Contact ----

absl::Status ValidateContact(const Message& object) {
  const auto& contact = static_cast<const Contact&>(object);
  // The escalation service's own rules, as for response plans.
  RETURN_IF_ERROR(escalation::ValidateContact(contact));
  return RejectFieldsSetByServer(
      contact, {Contact::kVersionFieldNumber, Contact::kCreateTimeFieldNumber,
                Contact::kUpdateTimeFieldNumber});
}

absl::StatusOr<Change> PlanContact(const Message& object,
                                   const Clients& clients) {
  return PlanCreateOrUpdate(
      static_cast<const Contact&>(object), *clients.escalation,
      &EscalationClient::GetContact, &EscalationClient::CreateContact,
      &EscalationClient::UpdateContact, escalation::ContactWithDefaults);
}

// Every kind a manifest may declare.
constexpr Kind kKinds[] = {
    {"ResponsePlan", New<ResponsePlan>, ValidateResponsePlan, PlanResponsePlan},
    {"Contact", New<Contact>, ValidateContact, PlanContact},
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
  return object;
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
  return objects;
}

absl::Status ApplyManifest(const std::vector<ManifestObject>& objects,
                           const Clients& clients, std::ostream& out) {
  std::vector<Change> changes;
  for (const ManifestObject& object : objects) {
    absl::StatusOr<Change> change =
        FindKind(object.kind)->plan(*object.message, clients);
    if (!change.ok()) return Annotate(Where(object), change.status());
    changes.push_back(*std::move(change));
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    if (changes[i].make) {
      RETURN_IF_ERROR(Annotate(Where(objects[i]), changes[i].make()));
    }
    out << ObjectLabel(objects[i]) << " " << OutcomeName(changes[i].outcome)
        << "\n";
  }
  return absl::OkStatus();
}

}  // namespace tocsin::cli
