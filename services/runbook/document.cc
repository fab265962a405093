#include "services/runbook/document.h"

#include <algorithm>
#include <deque>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/status/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;

constexpr absl::string_view kTypes = "String, Integer, Boolean, StringList or StringMap";
constexpr absl::string_view kDurationHint = "is not an ISO 8601 duration (PT5M, PT1H30M, P1D)";
constexpr absl::Duration kMaxDuration = absl::Hours(7 * 24);

template <typename... Parts>
absl::Status Invalid(const Parts&... parts) {
  return absl::InvalidArgumentError(absl::StrCat(parts...));
}

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

bool IsName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || !absl::ascii_isalpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

// ---- YAML to JSON ----

bool IsIntegerText(absl::string_view text) {
  if (!absl::ConsumePrefix(&text, "-")) absl::ConsumePrefix(&text, "+");
  return !text.empty() && std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
}

bool IsDecimalText(absl::string_view text) {
  if (!absl::ConsumePrefix(&text, "-")) absl::ConsumePrefix(&text, "+");
  const size_t dot = text.find('.');
  if (dot == absl::string_view::npos) return false;
  const absl::string_view whole = text.substr(0, dot);
  const absl::string_view fraction = text.substr(dot + 1);
  return !(whole.empty() && fraction.empty()) &&
         std::all_of(whole.begin(), whole.end(), absl::ascii_isdigit) &&
         std::all_of(fraction.begin(), fraction.end(), absl::ascii_isdigit);
}

Json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // yaml-cpp tags plain (unquoted, untagged) scalars "?"; quoted ones stay strings.
  if (node.Tag() != "?") return text;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "Null" || text == "NULL" || text == "~") return nullptr;
  int64_t integer;
  if (IsIntegerText(text) && absl::SimpleAtoi(text, &integer)) return integer;
  double decimal;
  if (IsDecimalText(text) && absl::SimpleAtod(text, &decimal)) return decimal;
  return text;
}

// Whether `text` reads back the same from a literal block (|): several lines, none starting
// or ending with white space, no control characters, at most one final newline.
bool LiteralBlockSafe(absl::string_view text) {
  if (text.find('\n') == absl::string_view::npos || absl::EndsWith(text, "\n\n")) return false;
  for (absl::string_view line : absl::StrSplit(absl::StripSuffix(text, "\n"), '\n')) {
    if (line.empty()) continue;
    if (line.front() == ' ' || line.back() == ' ') return false;
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20) return false;
    }
  }
  return true;
}

void EmitNode(const YAML::Node& node, YAML::Emitter& out) {
  if (node.IsMap()) {
    out << YAML::BeginMap;
    for (const auto& entry : node) {
      out << YAML::Key;
      EmitNode(entry.first, out);
      out << YAML::Value;
      EmitNode(entry.second, out);
    }
    out << YAML::EndMap;
  } else if (node.IsSequence()) {
    out << YAML::BeginSeq;
    for (const YAML::Node& item : node) EmitNode(item, out);
    out << YAML::EndSeq;
  } else if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    if (node.Tag() == "?") {
      out << text;  // the emitter quotes it only where plain would not parse
    } else if (LiteralBlockSafe(text)) {
      out << YAML::Literal << text;
    } else {
      out << YAML::DoubleQuoted << text;
    }
  } else {
    out << YAML::Null;
  }
}

absl::StatusOr<Json> ToJson(const YAML::Node& node, absl::string_view path) {
  if (node.IsScalar()) return ScalarToJson(node);
  if (node.IsSequence()) {
    Json array = Json::array();
    for (size_t i = 0; i < node.size(); ++i) {
      ASSIGN_OR_RETURN(Json item, ToJson(node[i], absl::StrCat(path, "[", i, "]")));
      array.push_back(std::move(item));
    }
    return array;
  }
  if (node.IsMap()) {
    Json object = Json::object();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        return Invalid("a key under ", path.empty() ? "the top level" : Quote(path),
                       " is not a string");
      }
      const std::string& key = entry.first.Scalar();
      const std::string at = path.empty() ? key : absl::StrCat(path, ".", key);
      if (object.contains(key)) return Invalid("duplicate key ", Quote(at));
      ASSIGN_OR_RETURN(object[key], ToJson(entry.second, at));
    }
    return object;
  }
  return Json(nullptr);
}

// ---- Shapes ----

absl::string_view JsonKind(const Json& value) {
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a mapping";
  return "empty";
}

bool IsSingleReference(const Json& value) {
  if (!value.is_string()) return false;
  const std::string& whole = value.get_ref<const std::string&>();
  const absl::string_view text = absl::StripAsciiWhitespace(whole);
  if (!absl::StartsWith(text, "{{") || !absl::EndsWith(text, "}}")) return false;
  return ReferencesIn(text).size() == 1 && text.find("{{", 2) == absl::string_view::npos;
}

bool HasType(const Json& value, ValueType type) {
  switch (type) {
    case ValueType::kString:
      return value.is_string();
    case ValueType::kInteger:
      return value.is_number_integer();
    case ValueType::kBoolean:
      return value.is_boolean();
    case ValueType::kStringList:
      return value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); });
    case ValueType::kStringMap:
      return value.is_object() &&
             std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); });
  }
  return false;
}

std::optional<ValueType> ParseValueType(absl::string_view name) {
  for (ValueType type : {ValueType::kString, ValueType::kInteger, ValueType::kBoolean,
                         ValueType::kStringList, ValueType::kStringMap}) {
    if (ValueTypeName(type) == name) return type;
  }
  return std::nullopt;
}

// Rejects keys of `object` outside `allowed`; `where` prefixes the error.
absl::Status OnlyKeys(const Json& object, std::initializer_list<absl::string_view> allowed,
                      absl::string_view where, absl::string_view what) {
  for (const auto& [key, unused] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Invalid(where, "unknown ", what, " ",
                     absl::StrCat(Quote(key), " (expected one of ", absl::StrJoin(allowed, ", "),
                                  ")"));
    }
  }
  return absl::OkStatus();
}

// ---- Building the model from JSON ----

absl::StatusOr<Parameter> BuildParameter(const std::string& name, const Json& spec) {
  const std::string where = absl::StrCat("parameter ", Quote(name), ": ");
  if (!spec.is_object()) return Invalid(where, "must be a mapping with a type");
  RETURN_IF_ERROR(OnlyKeys(spec, {"type", "default", "allowedValues", "description"}, where,
                           "field"));
  Parameter parameter;
  parameter.name = name;
  if (!spec.contains("type")) return Invalid(where, "missing type (", kTypes, ")");
  const Json& type = spec["type"];
  std::optional<ValueType> parsed =
      type.is_string() ? ParseValueType(type.get<std::string>()) : std::nullopt;
  if (!parsed) return Invalid(where, "type ", type.dump(), " must be ", kTypes);
  parameter.type = *parsed;
  if (spec.contains("description")) {
    if (!spec["description"].is_string()) return Invalid(where, "description must be a string");
    parameter.description = spec["description"].get<std::string>();
  }
  if (spec.contains("allowedValues")) {
    const Json& allowed = spec["allowedValues"];
    if (!allowed.is_array() || allowed.empty()) {
      return Invalid(where, "allowedValues must be a non-empty list");
    }
    for (const Json& value : allowed) parameter.allowed_values.push_back(value);
  }
  if (spec.contains("default")) parameter.default_value = spec["default"];
  return parameter;
}

absl::StatusOr<Output> BuildOutput(const std::string& where, size_t index, const Json& spec) {
  const std::string at = absl::StrCat(where, "outputs[", index, "]: ");
  if (!spec.is_object()) return Invalid(at, "must be a mapping with Name, Selector and Type");
  RETURN_IF_ERROR(OnlyKeys(spec, {"Name", "Selector", "Type"}, at, "field"));
  Output output;
  for (absl::string_view key : {"Name", "Selector", "Type"}) {
    if (!spec.contains(key)) return Invalid(at, "missing ", key);
    if (!spec[std::string(key)].is_string()) return Invalid(at, key, " must be a string");
  }
  output.name = spec["Name"].get<std::string>();
  output.selector = spec["Selector"].get<std::string>();
  const std::string type = spec["Type"].get<std::string>();
  std::optional<ValueType> parsed = ParseValueType(type);
  if (!parsed) return Invalid(at, "Type ", Quote(type), " must be ", kTypes);
  output.type = *parsed;
  return output;
}

absl::StatusOr<Step> BuildStep(size_t index, const Json& spec) {
  const std::string position = absl::StrCat("mainSteps[", index, "]");
  if (!spec.is_object()) return Invalid(position, " must be a mapping with name and action");
  if (!spec.contains("name") || !spec["name"].is_string()) {
    return Invalid(position, ": missing name (a string)");
  }
  Step step;
  step.name = spec["name"].get<std::string>();
  const std::string where = absl::StrCat("step ", Quote(step.name), ": ");
  RETURN_IF_ERROR(OnlyKeys(spec,
                           {"name", "description", "action", "inputs", "timeoutSeconds",
                            "maxAttempts", "onFailure", "nextStep", "isEnd", "outputs",
                            "idempotent"},
                           where, "field"));
  if (!spec.contains("action") || !spec["action"].is_string()) {
    return Invalid(where, "missing action (a string such as tocsin:manual)");
  }
  step.action = spec["action"].get<std::string>();
  auto string_field = [&](const char* key, std::string* out) -> absl::Status {
    if (!spec.contains(key)) return absl::OkStatus();
    if (!spec[key].is_string()) return Invalid(where, key, " must be a string");
    *out = spec[key].get<std::string>();
    return absl::OkStatus();
  };
  auto bool_field = [&](const char* key, bool* out) -> absl::Status {
    if (!spec.contains(key)) return absl::OkStatus();
    if (!spec[key].is_boolean()) return Invalid(where, key, " must be true or false");
    *out = spec[key].get<bool>();
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(string_field("description", &step.description));
  RETURN_IF_ERROR(string_field("nextStep", &step.next_step));
  RETURN_IF_ERROR(bool_field("isEnd", &step.is_end));
  RETURN_IF_ERROR(bool_field("idempotent", &step.idempotent));
  if (spec.contains("inputs")) {
    const Json& inputs = spec["inputs"];
    if (inputs.is_null()) {
      step.inputs = Json::object();
    } else if (!inputs.is_object()) {
      return Invalid(where, "inputs must be a mapping");
    } else {
      step.inputs = inputs;
    }
  } else {
    step.inputs = Json::object();
  }
  if (spec.contains("timeoutSeconds")) {
    if (!spec["timeoutSeconds"].is_number_integer()) {
      return Invalid(where, "timeoutSeconds must be an integer");
    }
    step.timeout_seconds = spec["timeoutSeconds"].get<int64_t>();
  }
  if (spec.contains("maxAttempts")) {
    const Json& attempts = spec["maxAttempts"];
    if (!attempts.is_number_integer()) return Invalid(where, "maxAttempts must be an integer");
    const int64_t value = attempts.get<int64_t>();
    if (value < 1 || value > kMaxAttempts) {
      return Invalid(where, "maxAttempts ", absl::StrCat(value), " is out of range 1..",
                     absl::StrCat(kMaxAttempts));
    }
    step.max_attempts = static_cast<int>(value);
  }
  if (spec.contains("onFailure")) {
    const Json& on_failure = spec["onFailure"];
    const std::string text = on_failure.is_string() ? on_failure.get<std::string>() : "";
    if (text == "Abort") {
      step.on_failure.mode = OnFailure::Mode::kAbort;
    } else if (text == "Continue") {
      step.on_failure.mode = OnFailure::Mode::kContinue;
    } else if (absl::StartsWith(text, "step:") && text.size() > 5) {
      step.on_failure.mode = OnFailure::Mode::kStep;
      step.on_failure.step = text.substr(5);
    } else {
      return Invalid(where, "onFailure ", on_failure.dump(),
                     " must be Abort, Continue or step:NAME");
    }
  }
  if (spec.contains("outputs")) {
    const Json& outputs = spec["outputs"];
    if (!outputs.is_array()) return Invalid(where, "outputs must be a list");
    for (size_t i = 0; i < outputs.size(); ++i) {
      ASSIGN_OR_RETURN(Output output, BuildOutput(where, i, outputs[i]));
      step.outputs.push_back(std::move(output));
    }
  }
  return step;
}

absl::StatusOr<RunbookDocument> BuildDocument(const Json& root) {
  if (!root.is_object()) {
    return Invalid("a runbook document is a mapping with schemaVersion and mainSteps");
  }
  RETURN_IF_ERROR(OnlyKeys(
      root, {"schemaVersion", "description", "assumeRole", "parameters", "mainSteps", "outputs"},
      "", "top-level field"));
  RunbookDocument document;
  if (!root.contains("schemaVersion")) return Invalid("missing schemaVersion (\"0.3\")");
  if (!root["schemaVersion"].is_string()) {
    return Invalid("schemaVersion must be the string \"0.3\" (quote it)");
  }
  document.schema_version = root["schemaVersion"].get<std::string>();
  for (const auto& [key, out] : {std::pair<const char*, std::string*>{"description",
                                                                      &document.description},
                                 {"assumeRole", &document.assume_role}}) {
    if (!root.contains(key)) continue;
    if (!root[key].is_string()) return Invalid(key, " must be a string");
    *out = root[key].get<std::string>();
  }
  if (root.contains("parameters") && !root["parameters"].is_null()) {
    const Json& parameters = root["parameters"];
    if (!parameters.is_object()) return Invalid("parameters must be a mapping of name to spec");
    for (const auto& [name, spec] : parameters.items()) {
      ASSIGN_OR_RETURN(Parameter parameter, BuildParameter(name, spec));
      document.parameters.push_back(std::move(parameter));
    }
  }
  if (!root.contains("mainSteps")) return Invalid("missing mainSteps");
  const Json& steps = root["mainSteps"];
  if (!steps.is_array()) return Invalid("mainSteps must be a list of steps");
  for (size_t i = 0; i < steps.size(); ++i) {
    ASSIGN_OR_RETURN(Step step, BuildStep(i, steps[i]));
    document.main_steps.push_back(std::move(step));
  }
  if (root.contains("outputs")) {
    const Json& outputs = root["outputs"];
    if (!outputs.is_array()) return Invalid("outputs must be a list of \"step.Output\"");
    for (const Json& output : outputs) {
      if (!output.is_string()) return Invalid("outputs must be a list of \"step.Output\"");
      document.outputs.push_back(output.get<std::string>());
    }
  }
  return document;
}

// ---- Validation ----

bool IsIncidentField(absl::string_view name) {
  static const auto* const kFields = new absl::flat_hash_set<std::string>{
      "incident.id",  "incident.title",   "incident.impact", "alarm.name",
      "alarm.account", "alarm.region", "alarm.resources"};
  return kFields->contains(name);
}

// Checks a step's inputs for its action and fills its typed fields. `prefix` is
// `step "NAME": ACTION: `.
class InputChecker {
 public:
  InputChecker(Step& step, const absl::flat_hash_set<std::string>& steps)
      : step_(step),
        inputs_(step.inputs),
        steps_(steps),
        prefix_(absl::StrCat("step ", Quote(step.name), ": ", step.action, ": ")) {}

  absl::Status Check() {
    const std::string& action = step_.action;
    if (action == "aws:pause") {
      RETURN_IF_ERROR(Only({"Message"}));
      return OptionalString("Message");
    }
    if (action == "tocsin:manual" || action == "tocsin:notify") {
      RETURN_IF_ERROR(Only({"Message"}));
      return RequiredString("Message");
    }
    if (action == "aws:approve") return CheckApprove();
    if (action == "aws:sleep") {
      RETURN_IF_ERROR(Only({"Duration"}));
      RETURN_IF_ERROR(Require("Duration"));
      ASSIGN_OR_RETURN(step_.duration, DurationInput("Duration"));
      return absl::OkStatus();
    }
    if (action == "aws:branch") return CheckBranch();
    if (action == "tocsin:http") {
      RETURN_IF_ERROR(Only({"Method", "Url", "Headers", "Body", "ExpectedStatus"}));
      return CheckHttp();
    }
    if (action == "tocsin:waitFor") {
      RETURN_IF_ERROR(
          Only({"Method", "Url", "Headers", "Body", "ExpectedStatus", "Until", "Interval"}));
      RETURN_IF_ERROR(CheckHttp());
      RETURN_IF_ERROR(Require("Until"));
      ASSIGN_OR_RETURN(step_.until, ParseCondition(inputs_["Until"], "Until", /*selector=*/true));
      step_.interval = absl::Seconds(30);
      if (Has("Interval")) {
        ASSIGN_OR_RETURN(step_.interval, DurationInput("Interval"));
      }
      return absl::OkStatus();
    }
    if (action == "tocsin:command") return CheckCommand();
    if (action == "tocsin:updateIncident") return CheckUpdateIncident();
    return Invalid("step ", Quote(step_.name), ": unknown action ", Quote(action),
                   " (expected aws:pause, tocsin:manual, aws:approve, aws:sleep, aws:branch, "
                   "tocsin:http, tocsin:command, tocsin:waitFor, tocsin:notify or "
                   "tocsin:updateIncident)");
  }

 private:
  bool Has(const char* name) const { return inputs_.contains(name); }
  const Json& Get(const char* name) const { return inputs_[name]; }

  absl::Status Only(std::initializer_list<absl::string_view> names) {
    return OnlyKeys(inputs_, names, prefix_, "input");
  }
  absl::Status Require(const char* name) {
    if (!Has(name)) return Invalid(prefix_, "missing input ", name);
    return absl::OkStatus();
  }
  absl::Status OptionalString(const char* name) {
    if (Has(name) && !Get(name).is_string()) {
      return Invalid(prefix_, name, " must be a string, not ", JsonKind(Get(name)));
    }
    return absl::OkStatus();
  }
  absl::Status RequiredString(const char* name) {
    RETURN_IF_ERROR(Require(name));
    RETURN_IF_ERROR(OptionalString(name));
    if (absl::StripAsciiWhitespace(Get(name).get<std::string>()).empty()) {
      return Invalid(prefix_, name, " is empty");
    }
    return absl::OkStatus();
  }
  absl::Status StepTarget(absl::string_view field, const Json& value) {
    if (!value.is_string()) return Invalid(prefix_, field, " must be a step name");
    const std::string target = value.get<std::string>();
    if (!steps_.contains(target)) {
      return Invalid(prefix_, field, " ", Quote(target), " is not a step");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<absl::Duration> DurationInput(const char* name) {
    const Json& value = Get(name);
    if (IsSingleReference(value)) return absl::ZeroDuration();
    if (!value.is_string()) return Invalid(prefix_, name, " must be a string such as PT5M");
    const std::string text = value.get<std::string>();
    absl::StatusOr<absl::Duration> duration = ParseIsoDuration(text);
    if (!duration.ok()) return Invalid(prefix_, name, " ", Quote(text), " ", kDurationHint);
    if (*duration < absl::Seconds(1) || *duration > kMaxDuration) {
      return Invalid(prefix_, name, " ", Quote(text), " is out of range PT1S..P7D");
    }
    return *duration;
  }

  absl::Status CheckApprove() {
    RETURN_IF_ERROR(Only({"Approvers", "MinRequiredApprovals", "Message"}));
    RETURN_IF_ERROR(OptionalString("Message"));
    RETURN_IF_ERROR(Require("Approvers"));
    const Json& approvers = Get("Approvers");
    std::optional<int64_t> count;
    if (!IsSingleReference(approvers)) {
      if (!approvers.is_array()) {
        return Invalid(prefix_, "Approvers must be a list of contact names or cli:USER");
      }
      if (approvers.empty()) return Invalid(prefix_, "Approvers is empty");
      if (approvers.size() > kMaxApprovers) {
        return Invalid(prefix_, "Approvers has more than ", absl::StrCat(kMaxApprovers),
                       " entries");
      }
      absl::flat_hash_set<std::string> seen;
      for (size_t i = 0; i < approvers.size(); ++i) {
        const std::string at = absl::StrCat("Approvers[", i, "]");
        const Json& approver = approvers[i];
        if (!approver.is_string() ||
            absl::StripAsciiWhitespace(approver.get<std::string>()).empty()) {
          return Invalid(prefix_, at, " must be a contact name or cli:USER");
        }
        const std::string name = approver.get<std::string>();
        if (name == "cli:") return Invalid(prefix_, at, " \"cli:\" needs a user: cli:USER");
        if (!seen.insert(name).second) {
          return Invalid(prefix_, at, " ", Quote(name), " is listed twice");
        }
      }
      count = static_cast<int64_t>(approvers.size());
    }
    if (Has("MinRequiredApprovals")) {
      const Json& minimum = Get("MinRequiredApprovals");
      if (IsSingleReference(minimum)) return absl::OkStatus();
      if (!minimum.is_number_integer()) {
        return Invalid(prefix_, "MinRequiredApprovals must be an integer");
      }
      const int64_t value = minimum.get<int64_t>();
      if (value < 1) {
        return Invalid(prefix_, "MinRequiredApprovals ", absl::StrCat(value),
                       " must be at least 1");
      }
      if (count && value > *count) {
        return Invalid(prefix_, "MinRequiredApprovals ", absl::StrCat(value), " is more than the ",
                       absl::StrCat(*count), " Approvers");
      }
    }
    return absl::OkStatus();
  }

  // A Choice (selector=false: leaves compare a Variable, a single reference) or an Until
  // (selector=true: leaves compare a Selector into the check's result).
  absl::StatusOr<Condition> ParseCondition(const Json& spec, const std::string& at, bool selector,
                                           bool with_next_step = false) {
    static const auto* const kLeafOps = new std::vector<std::string>{
        "StringEquals",        "EqualsIgnoreCase",       "StartsWith",
        "EndsWith",            "Contains",               "NumericEquals",
        "NumericGreater",      "NumericLesser",          "NumericGreaterOrEquals",
        "NumericLesserOrEquals", "BooleanEquals"};
    if (!spec.is_object()) return Invalid(prefix_, at, " must be a mapping");
    const char* subject = selector ? "Selector" : "Variable";
    std::vector<std::string> ops;
    for (const auto& [key, unused] : spec.items()) {
      if (key == subject || (with_next_step && key == "NextStep")) continue;
      if (key == "And" || key == "Or" || key == "Not" ||
          std::find(kLeafOps->begin(), kLeafOps->end(), key) != kLeafOps->end()) {
        ops.push_back(key);
        continue;
      }
      return Invalid(prefix_, at, ": unknown key ", Quote(key), " (expected ", subject,
                     with_next_step ? ", NextStep" : "", " and one operator such as StringEquals)");
    }
    if (ops.size() != 1) {
      return Invalid(prefix_, at, " needs exactly one operator (StringEquals, NumericGreater, "
                     "BooleanEquals, And, ...), has ", absl::StrCat(ops.size()));
    }
    Condition condition;
    condition.op = ops[0];
    const Json& operand = spec[condition.op];
    if (condition.op == "And" || condition.op == "Or" || condition.op == "Not") {
      if (spec.contains(subject)) {
        return Invalid(prefix_, at, ": ", condition.op, " takes no ", subject,
                       " (its conditions have their own)");
      }
      Json children = operand;
      if (condition.op == "Not" && children.is_object()) children = Json::array({operand});
      if (!children.is_array() || children.empty() ||
          (condition.op == "Not" && children.size() != 1)) {
        return Invalid(prefix_, at, ".", condition.op,
                       condition.op == "Not" ? " must be one condition"
                                             : " must be a non-empty list of conditions");
      }
      for (size_t i = 0; i < children.size(); ++i) {
        ASSIGN_OR_RETURN(Condition child,
                         ParseCondition(children[i],
                                        absl::StrCat(at, ".", condition.op, "[", i, "]"),
                                        selector));
        condition.children.push_back(std::move(child));
      }
      return condition;
    }
    if (!spec.contains(subject)) return Invalid(prefix_, at, ": missing ", subject);
    const Json& variable = spec[subject];
    if (selector) {
      if (!variable.is_string() || !absl::StartsWith(variable.get<std::string>(), "$")) {
        return Invalid(prefix_, at, ".Selector must be a JSONPath such as $.body.state");
      }
    } else if (!IsSingleReference(variable)) {
      return Invalid(prefix_, at, ".Variable must be one reference such as \"{{ step.Output }}\"");
    }
    condition.variable = variable.get<std::string>();
    condition.operand = operand;
    if (!IsSingleReference(operand)) {
      if (absl::StartsWith(condition.op, "Numeric") && !operand.is_number()) {
        return Invalid(prefix_, at, ".", condition.op, " must be a number");
      }
      if (condition.op == "BooleanEquals" && !operand.is_boolean()) {
        return Invalid(prefix_, at, ".BooleanEquals must be true or false");
      }
      if (!absl::StartsWith(condition.op, "Numeric") && condition.op != "BooleanEquals" &&
          !operand.is_string()) {
        return Invalid(prefix_, at, ".", condition.op, " must be a string");
      }
    }
    return condition;
  }

  absl::Status CheckBranch() {
    RETURN_IF_ERROR(Only({"Choices", "Default"}));
    if (!step_.next_step.empty()) {
      return Invalid(prefix_, "chooses the next step itself: remove nextStep");
    }
    RETURN_IF_ERROR(Require("Choices"));
    const Json& choices = Get("Choices");
    if (!choices.is_array() || choices.empty()) {
      return Invalid(prefix_, "Choices must be a non-empty list");
    }
    step_.choices.clear();
    for (size_t i = 0; i < choices.size(); ++i) {
      const std::string at = absl::StrCat("Choices[", i, "]");
      const Json& spec = choices[i];
      if (!spec.is_object() || !spec.contains("NextStep")) {
        return Invalid(prefix_, at, ": missing NextStep");
      }
      RETURN_IF_ERROR(StepTarget(absl::StrCat(at, ".NextStep"), spec["NextStep"]));
      Choice choice;
      choice.next_step = spec["NextStep"].get<std::string>();
      ASSIGN_OR_RETURN(choice.condition,
                       ParseCondition(spec, at, /*selector=*/false, /*with_next_step=*/true));
      step_.choices.push_back(std::move(choice));
    }
    step_.default_step.clear();
    if (Has("Default")) {
      RETURN_IF_ERROR(StepTarget("Default", Get("Default")));
      step_.default_step = Get("Default").get<std::string>();
    }
    return absl::OkStatus();
  }

  absl::Status CheckHttp() {
    if (Has("Method")) {
      const Json& method = Get("Method");
      static const auto* const kMethods =
          new std::vector<std::string>{"GET", "POST", "PUT", "PATCH", "DELETE"};
      if (!method.is_string() || std::find(kMethods->begin(), kMethods->end(),
                                           method.get<std::string>()) == kMethods->end()) {
        return Invalid(prefix_, "Method ", method.dump(),
                       " must be GET, POST, PUT, PATCH or DELETE");
      }
    }
    RETURN_IF_ERROR(Require("Url"));
    const Json& url = Get("Url");
    if (!url.is_string()) return Invalid(prefix_, "Url must be a string");
    const std::string text = url.get<std::string>();
    if (!absl::StartsWith(text, "http://") && !absl::StartsWith(text, "https://") &&
        !absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{{")) {
      return Invalid(prefix_, "Url ", Quote(text), " must start with http:// or https://");
    }
    if (Has("Headers")) {
      const Json& headers = Get("Headers");
      if (!headers.is_object()) {
        return Invalid(prefix_, "Headers must be a mapping of name to value");
      }
      for (const auto& [name, value] : headers.items()) {
        if (!value.is_string()) {
          return Invalid(prefix_, "Headers.", name, " must be a string, not ", JsonKind(value));
        }
      }
    }
    if (Has("Body") && !Get("Body").is_object() && !Get("Body").is_string()) {
      return Invalid(prefix_, "Body must be a mapping (sent as JSON) or a string, not ",
                     JsonKind(Get("Body")));
    }
    if (Has("ExpectedStatus")) {
      const Json& expected = Get("ExpectedStatus");
      if (IsSingleReference(expected)) return absl::OkStatus();
      const Json list = expected.is_array() ? expected : Json::array({expected});
      if (list.empty()) return Invalid(prefix_, "ExpectedStatus is empty");
      for (const Json& status : list) {
        if (!status.is_number_integer() || status.get<int64_t>() < 100 ||
            status.get<int64_t>() > 599) {
          return Invalid(prefix_, "ExpectedStatus ", status.dump(),
                         " must be an HTTP status 100..599 (or a list of them)");
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckCommand() {
    RETURN_IF_ERROR(Only({"Command", "Args"}));
    RETURN_IF_ERROR(RequiredString("Command"));
    const std::string command = Get("Command").get<std::string>();
    if (std::any_of(command.begin(), command.end(),
                    [](char c) { return absl::ascii_isspace(c); })) {
      return Invalid(prefix_, "Command ", Quote(command),
                     " is a program name from the allow-list; put its arguments in Args");
    }
    if (Has("Args")) {
      const Json& args = Get("Args");
      if (!args.is_array()) {
        return Invalid(prefix_, "Args must be a list, never a shell string");
      }
      for (size_t i = 0; i < args.size(); ++i) {
        if (!args[i].is_string() && !args[i].is_number() && !args[i].is_boolean()) {
          return Invalid(prefix_, "Args[", absl::StrCat(i), "] must be a string, not ",
                         JsonKind(args[i]));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckUpdateIncident() {
    RETURN_IF_ERROR(Only({"Impact", "Title", "Note", "Resolve"}));
    if (inputs_.empty()) {
      return Invalid(prefix_, "needs at least one of Impact, Title, Note, Resolve");
    }
    if (Has("Impact") && !IsSingleReference(Get("Impact"))) {
      const Json& impact = Get("Impact");
      if (!impact.is_number_integer() || impact.get<int64_t>() < 1 || impact.get<int64_t>() > 5) {
        return Invalid(prefix_, "Impact ", impact.dump(), " must be an integer 1..5");
      }
    }
    if (Has("Title")) RETURN_IF_ERROR(RequiredString("Title"));
    if (Has("Note")) RETURN_IF_ERROR(RequiredString("Note"));
    if (Has("Resolve") && !IsSingleReference(Get("Resolve")) && !Get("Resolve").is_boolean()) {
      return Invalid(prefix_, "Resolve must be true or false");
    }
    return absl::OkStatus();
  }

  Step& step_;
  const Json& inputs_;
  const absl::flat_hash_set<std::string>& steps_;
  const std::string prefix_;
};

void CollectStrings(const Json& value, std::vector<std::string>* out) {
  if (value.is_string()) {
    out->push_back(value.get<std::string>());
  } else if (value.is_array() || value.is_object()) {
    for (const Json& item : value) CollectStrings(item, out);
  }
}

absl::Status ValidateParameter(const Parameter& parameter) {
  const std::string where = absl::StrCat("parameter ", Quote(parameter.name), ": ");
  if (!IsName(parameter.name)) {
    return Invalid("parameter ", Quote(parameter.name),
                   " is not a valid name (a letter, then letters, digits or _)");
  }
  if (parameter.name == "incident" || parameter.name == "alarm") {
    return Invalid(where, "the name is reserved for the incident's fields");
  }
  if (parameter.name == "secret") {
    return Invalid(where, "the name is reserved for {{ secret.NAME }} (files of --secrets_dir)");
  }
  const absl::string_view type = ValueTypeName(parameter.type);
  for (const Json& value : parameter.allowed_values) {
    if (!HasType(value, parameter.type)) {
      return Invalid(where, "allowedValues entry ", value.dump(), " is not of type ", type);
    }
  }
  if (parameter.default_value) {
    const Json& value = *parameter.default_value;
    if (!HasType(value, parameter.type)) {
      return Invalid(where, "default ", value.dump(), " is not of type ", type);
    }
    if (!parameter.allowed_values.empty() &&
        std::find(parameter.allowed_values.begin(), parameter.allowed_values.end(), value) ==
            parameter.allowed_values.end()) {
      return Invalid(where, "default ", value.dump(), " is not in allowedValues");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOutputs(const Step& step) {
  absl::flat_hash_set<std::string> names;
  for (const Output& output : step.outputs) {
    const std::string where = absl::StrCat("step ", Quote(step.name), ": output ",
                                           Quote(output.name), ": ");
    if (!IsName(output.name)) {
      return Invalid(where, "Name is not valid (a letter, then letters, digits or _)");
    }
    if (!names.insert(output.name).second) return Invalid(where, "is defined twice");
    const absl::string_view selector = output.selector;
    if (selector.empty() || selector[0] != '$' ||
        (selector.size() > 1 && selector[1] != '.' && selector[1] != '[')) {
      return Invalid(where, "Selector ", Quote(selector),
                     " must be a JSONPath starting with \"$\", such as $.body.verdict");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAndFill(RunbookDocument& document) {
  if (document.schema_version != "0.3") {
    return Invalid("schemaVersion ", Quote(document.schema_version), " must be \"0.3\"");
  }
  absl::flat_hash_set<std::string> known;  // what a reference may name, growing step by step
  absl::flat_hash_set<std::string> parameter_names;
  for (const Parameter& parameter : document.parameters) {
    RETURN_IF_ERROR(ValidateParameter(parameter));
    if (!parameter_names.insert(parameter.name).second) {
      return Invalid("parameter ", Quote(parameter.name), " is defined twice");
    }
    known.insert(parameter.name);
  }
  std::vector<Step>& steps = document.main_steps;
  if (steps.empty()) return Invalid("mainSteps is empty: a runbook needs at least one step");
  if (steps.size() > kMaxSteps) {
    return Invalid("mainSteps has ", absl::StrCat(steps.size()), " steps, more than ",
                   absl::StrCat(kMaxSteps));
  }
  absl::flat_hash_map<std::string, size_t> index;
  absl::flat_hash_set<std::string> step_names;
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string& name = steps[i].name;
    if (!IsName(name)) {
      return Invalid("mainSteps[", absl::StrCat(i), "]: name ", Quote(name),
                     " is not valid (a letter, then letters, digits or _, at most 64)");
    }
    auto [it, inserted] = index.emplace(name, i);
    if (!inserted) {
      return Invalid("step ", Quote(name), " is defined twice (mainSteps[",
                     absl::StrCat(it->second), "] and mainSteps[", absl::StrCat(i), "])");
    }
    step_names.insert(name);
  }
  for (Step& step : steps) {
    const std::string where = absl::StrCat("step ", Quote(step.name), ": ");
    if (step.timeout_seconds &&
        (*step.timeout_seconds < 1 || *step.timeout_seconds > kMaxTimeoutSeconds)) {
      return Invalid(where, "timeoutSeconds ", absl::StrCat(*step.timeout_seconds),
                     " is out of range 1..", absl::StrCat(kMaxTimeoutSeconds));
    }
    if (step.max_attempts < 1 || step.max_attempts > kMaxAttempts) {
      return Invalid(where, "maxAttempts ", absl::StrCat(step.max_attempts),
                     " is out of range 1..", absl::StrCat(kMaxAttempts));
    }
    if (step.on_failure.mode == OnFailure::Mode::kStep &&
        !step_names.contains(step.on_failure.step)) {
      return Invalid(where, "onFailure step:", step.on_failure.step, " names no step");
    }
    if (!step.next_step.empty() && !step_names.contains(step.next_step)) {
      return Invalid(where, "nextStep ", Quote(step.next_step), " is not a step");
    }
    if (step.is_end && !step.next_step.empty()) {
      return Invalid(where, "isEnd and nextStep exclude each other: remove one");
    }
    if (!step.inputs.is_object()) return Invalid(where, "inputs must be a mapping");
    RETURN_IF_ERROR(InputChecker(step, step_names).Check());
    RETURN_IF_ERROR(ValidateOutputs(step));
    std::vector<std::string> texts;
    CollectStrings(step.inputs, &texts);
    for (const std::string& text : texts) {
      for (const std::string& reference : ReferencesIn(text)) {
        if (known.contains(reference) || IsIncidentField(reference)) continue;
        return Invalid(where, "{{ ", reference,
                       " }} is not a parameter or an output of an earlier step");
      }
    }
    for (const Output& output : step.outputs) {
      known.insert(absl::StrCat(step.name, ".", output.name));
    }
  }
  for (const std::string& output : document.outputs) {
    if (!known.contains(output) || parameter_names.contains(output)) {
      return Invalid("outputs: ", Quote(output), " is not an output of a step (step.Output)");
    }
  }
  // Reachability from the first step.
  std::vector<bool> seen(steps.size(), false);
  std::deque<size_t> queue = {0};
  seen[0] = true;
  while (!queue.empty()) {
    const size_t at = queue.front();
    queue.pop_front();
    const Step& step = steps[at];
    std::vector<std::string> next;
    const bool falls_through =
        !step.is_end && step.next_step.empty() &&
        (step.action != "aws:branch" || step.default_step.empty());
    if (!step.is_end && !step.next_step.empty()) next.push_back(step.next_step);
    for (const Choice& choice : step.choices) next.push_back(choice.next_step);
    if (!step.default_step.empty()) next.push_back(step.default_step);
    if (step.on_failure.mode == OnFailure::Mode::kStep) next.push_back(step.on_failure.step);
    for (const std::string& name : next) {
      const size_t target = index.at(name);
      if (!seen[target]) {
        seen[target] = true;
        queue.push_back(target);
      }
    }
    if (falls_through && at + 1 < steps.size() && !seen[at + 1]) {
      seen[at + 1] = true;
      queue.push_back(at + 1);
    }
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!seen[i]) {
      return Invalid("step ", Quote(steps[i].name), " is not reachable from the first step ",
                     Quote(steps[0].name));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "String";
    case ValueType::kInteger:
      return "Integer";
    case ValueType::kBoolean:
      return "Boolean";
    case ValueType::kStringList:
      return "StringList";
    case ValueType::kStringMap:
      return "StringMap";
  }
  return "String";
}

std::vector<std::string> ReferencesIn(absl::string_view text) {
  std::vector<std::string> references;
  size_t at = 0;
  while (true) {
    const size_t open = text.find("{{", at);
    if (open == absl::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos) break;
    references.emplace_back(absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2)));
    at = close + 2;
  }
  return references;
}

absl::StatusOr<absl::Duration> ParseIsoDuration(absl::string_view text) {
  const std::string original(text);
  auto bad = [&](absl::string_view why) {
    return Invalid(Quote(original), " is not an ISO 8601 duration: ", why);
  };
  if (!absl::ConsumePrefix(&text, "P")) return bad("it must start with P");
  // Designators in the order they may appear; time ones only after T.
  struct Unit {
    char designator;
    bool time;
    absl::Duration length;
  };
  static constexpr Unit kUnits[] = {
      {'W', false, absl::Hours(7 * 24)}, {'D', false, absl::Hours(24)},
      {'H', true, absl::Hours(1)},       {'M', true, absl::Minutes(1)},
      {'S', true, absl::Seconds(1)}};
  absl::Duration total = absl::ZeroDuration();
  size_t next_unit = 0;
  bool in_time = false;
  bool any = false;
  bool any_time = false;
  while (!text.empty()) {
    if (text[0] == 'T') {
      if (in_time) return bad("T appears twice");
      in_time = true;
      text.remove_prefix(1);
      while (next_unit < 5 && !kUnits[next_unit].time) ++next_unit;
      continue;
    }
    size_t digits = 0;
    while (digits < text.size() && absl::ascii_isdigit(text[digits])) ++digits;
    if (digits == 0) return bad(absl::StrCat("expected a number at \"", text, "\""));
    if (digits > 9) return bad("a number is too large");
    if (digits == text.size()) return bad("a number has no designator (W, D, H, M or S)");
    int64_t value = 0;
    absl::SimpleAtoi(text.substr(0, digits), &value);
    const char designator = text[digits];
    size_t unit = next_unit;
    while (unit < 5 && !(kUnits[unit].designator == designator && kUnits[unit].time == in_time)) {
      ++unit;
    }
    if (unit == 5) {
      if (designator == 'Y' || (designator == 'M' && !in_time)) {
        return bad("years and months are not accepted (use W, D or T...H/M/S)");
      }
      if (designator == '.' || designator == ',') return bad("fractions are not accepted");
      return bad(absl::StrCat("unexpected '", std::string(1, designator), "'",
                              in_time ? "" : " (hours, minutes and seconds come after T)"));
    }
    total += value * kUnits[unit].length;
    next_unit = unit + 1;
    any = true;
    any_time = any_time || in_time;
    text.remove_prefix(digits + 1);
  }
  if (!any) return bad("it has no components");
  if (in_time && !any_time) return bad("T must be followed by hours, minutes or seconds");
  return total;
}

absl::StatusOr<RunbookDocument> ParseRunbookDocument(absl::string_view yaml_or_json) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_or_json));
  } catch (const YAML::Exception& e) {
    return Invalid("the runbook document is not valid YAML or JSON: ", e.what());
  }
  return ParseRunbookDocumentNode(root);
}

absl::StatusOr<RunbookDocument> ParseRunbookDocumentNode(const YAML::Node& root) {
  if (!root.IsDefined() || root.IsNull()) return Invalid("the runbook document is empty");
  ASSIGN_OR_RETURN(Json json, ToJson(root, ""));
  ASSIGN_OR_RETURN(RunbookDocument document, BuildDocument(json));
  // JSON objects sort their keys; keep the parameters in the order the document gives them.
  // (BuildDocument accepted root as a mapping of scalar keys.)
  for (const auto& entry : root) {
    if (entry.first.Scalar() != "parameters" || !entry.second.IsMap()) continue;
    absl::flat_hash_map<std::string, size_t> order;
    for (const auto& parameter : entry.second) {
      order.emplace(parameter.first.Scalar(), order.size());
    }
    std::stable_sort(document.parameters.begin(), document.parameters.end(),
                     [&](const Parameter& a, const Parameter& b) {
                       return order[a.name] < order[b.name];
                     });
  }
  RETURN_IF_ERROR(ValidateAndFill(document));
  return document;
}

absl::Status ValidateRunbookDocument(const RunbookDocument& document) {
  RunbookDocument copy = document;
  return ValidateAndFill(copy);
}

std::string DocumentYaml(const YAML::Node& root) {
  YAML::Emitter out;
  out.SetIndent(2);
  EmitNode(root, out);
  return std::string(out.c_str()) + "\n";
}

}  // namespace tocsin::runbook
