// Runbook documents: the model, the parser and the validator.
//
// A runbook document is YAML (or JSON, which yaml-cpp reads as well) modelled on SSM Automation
// documents, with SSM's spelling, so teams can port theirs:
//
//   schemaVersion: "0.3"
//   description: Restart the checkout service
//   parameters:
//     Service: {type: String, default: checkout, allowedValues: [checkout, cart]}
//   mainSteps:
//     - name: check
//       action: tocsin:http
//       inputs: {Method: GET, Url: "https://status.example/{{ Service }}"}
//       outputs: [{Name: Verdict, Selector: $.body.verdict, Type: String}]
//     - name: decide
//       action: aws:branch
//       inputs:
//         Choices: [{NextStep: restart, Variable: "{{ check.Verdict }}", StringEquals: down}]
//         Default: done
//     ...
//
// ParseRunbookDocument both parses and validates: every document it returns is valid, and its
// errors are InvalidArgument naming the step by its `name` and the field, e.g.
//   step "check": aws:branch: Choices[1].NextStep "nope" is not a step
//
// Choices and bounds (the validator enforces them):
//   - schemaVersion must be "0.3"; mainSteps must have 1 to 200 steps.
//   - Step, parameter and output names: a letter, then letters, digits or '_' (at most 64).
//     Parameters may not be named "incident" or "alarm" (those are the incident's fields).
//   - timeoutSeconds: 1 to 604800 (7 days), unset means the engine's default for the action.
//     maxAttempts: 1 to 10, default 1.
//   - aws:sleep Duration and tocsin:waitFor Interval: an ISO 8601 duration (see
//     ParseIsoDuration) from 1 second to 7 days.
//   - aws:approve: 1 to 50 distinct Approvers; MinRequiredApprovals from 1 to their number
//     (default 1).
//   - A reference {{ X }} names a parameter, `step.Output` of a step earlier in mainSteps (in
//     document order), or incident.id|title|impact, alarm.name|account|region|resources.
//   - Successors of a step: none when isEnd; else nextStep when set; else the next step in
//     mainSteps (none after the last). aws:branch: every Choice's NextStep and Default, or the
//     next step when there is no Default (as SSM does). onFailure step:NAME adds NAME. Every
//     step must be reachable from the first.
//   - Parameter types: String a string, Integer an integer, Boolean true/false, StringList a list
//     of strings, StringMap a mapping of string to string. RunbookDocument::parameters and
//     mainSteps keep the document's order.
//   - aws:approve Approvers are contact names or CLI identities "cli:USER"; tocsin:http Method
//     is GET (default), POST, PUT, PATCH or DELETE, Url starts with http:// or https:// (or a
//     reference), Body is a mapping (sent as JSON) or a string, ExpectedStatus an HTTP status
//     or a list of them; tocsin:command Command is one program name (no spaces) and Args a list
//     of scalars, never a shell string; tocsin:updateIncident Impact is 1..5 and at least one of
//     Impact, Title, Note, Resolve is given.
//   - Unknown keys (top level, step, input, output, parameter) are errors, so typos do not pass
//     silently. The top level also accepts SSM's `assumeRole` and `outputs` (list of
//     "step.Output"), kept for porting; assumeRole is not used.
//
// Inputs stay JSON (nlohmann::json, converted from YAML: plain scalars true/false become
// booleans, integers and decimals numbers, everything quoted stays a string) after they are
// checked; a value that is exactly one reference ("{{ n }}") is accepted where a number, boolean
// or list is expected, and its type is the engine's to check once substituted. aws:branch and
// aws:sleep are also parsed into typed fields (Step::choices, Step::duration).
//
// Thread-safety: all functions are pure and thread-compatible.

#ifndef TOCSIN_SERVICES_RUNBOOK_DOCUMENT_H_
#define TOCSIN_SERVICES_RUNBOOK_DOCUMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace tocsin::runbook {

inline constexpr int64_t kMaxTimeoutSeconds = 7 * 24 * 3600;
inline constexpr int kMaxAttempts = 10;
inline constexpr int kMaxSteps = 200;
inline constexpr int kMaxApprovers = 50;

// SSM's parameter and output types.
enum class ValueType { kString, kInteger, kBoolean, kStringList, kStringMap };

// "String", "Integer", ... as spelt in documents.
absl::string_view ValueTypeName(ValueType type);

struct Parameter {
  std::string name;
  ValueType type = ValueType::kString;
  std::string description;
  // Of `type`, and in allowed_values when those are given.
  std::optional<nlohmann::json> default_value;
  std::vector<nlohmann::json> allowed_values;  // each of `type`; empty: any value
};

// A value a step publishes as {{ step.Name }}, selected from the step's result (for
// tocsin:http {status, body}) by a JSONPath such as $.body.verdict.
struct Output {
  std::string name;
  std::string selector;  // starts with "$"
  ValueType type = ValueType::kString;
};

struct OnFailure {
  enum class Mode { kAbort, kContinue, kStep };
  Mode mode = Mode::kAbort;
  std::string step;  // kStep only
};

// An aws:branch condition. A leaf compares `variable` (a single reference, "{{ x }}") with
// `operand` using `op` (StringEquals, EqualsIgnoreCase, StartsWith, EndsWith, Contains,
// NumericEquals, NumericGreater, NumericLesser, NumericGreaterOrEquals, NumericLesserOrEquals,
// BooleanEquals); `op` And/Or (one or more children) and Not (exactly one) combine others.
struct Condition {
  std::string op;
  std::string variable;
  nlohmann::json operand;
  std::vector<Condition> children;
};

struct Choice {
  std::string next_step;
  Condition condition;
};

struct Step {
  std::string name;
  std::string description;
  std::string action;      // e.g. "aws:sleep", "tocsin:http"
  nlohmann::json inputs;   // a JSON object, validated for `action`
  std::optional<int64_t> timeout_seconds;
  int max_attempts = 1;
  OnFailure on_failure;
  std::string next_step;   // empty: the next step in mainSteps
  bool is_end = false;
  bool idempotent = false; // may be retried after a crash while in flight
  std::vector<Output> outputs;

  // aws:branch: Choices and Default (empty: the next step).
  std::vector<Choice> choices;
  std::string default_step;
  // aws:sleep: Duration; zero when Duration is a reference (known once substituted).
  absl::Duration duration = absl::ZeroDuration();
  // tocsin:waitFor: Until (its leaves' `variable` is a Selector into the check's result) and
  // Interval (default 30 s; zero when a reference).
  Condition until;
  absl::Duration interval = absl::ZeroDuration();
};

struct RunbookDocument {
  std::string schema_version;
  std::string description;
  std::string assume_role;           // SSM's, kept for porting; not used
  std::vector<Parameter> parameters;
  std::vector<Step> main_steps;
  std::vector<std::string> outputs;  // "step.Output"
};

// Parses and validates a YAML or JSON document. InvalidArgument on any error (syntax or
// validation), naming the step and the field.
absl::StatusOr<RunbookDocument> ParseRunbookDocument(absl::string_view yaml_or_json);
// The same for a document already loaded, e.g. the `document` mapping of a `kind: Runbook`
// object (quoted scalars stay strings, as in the text).
absl::StatusOr<RunbookDocument> ParseRunbookDocumentNode(const YAML::Node& root);

// The YAML text of a document already loaded (the `document` mapping of a `kind: Runbook`
// object), as the service saves it and `runbooks show` prints it: block style, multi-line
// strings as literal blocks, and every scalar that was quoted or tagged in the source quoted,
// so it parses back to the same values (comments are not kept).
std::string DocumentYaml(const YAML::Node& root);

// Checks a document built in code (ParseRunbookDocument calls it). The typed fields
// (Step::choices, default_step, duration) are derived from inputs and ignored here.
absl::Status ValidateRunbookDocument(const RunbookDocument& document);

// The names referenced in `text` as {{ name }}, trimmed, in order of appearance, duplicates
// kept. "{{" without a closing "}}" is not a reference.
std::vector<std::string> ReferencesIn(absl::string_view text);

// The ISO 8601 duration subset: "P" [nW] [nD] ["T" [nH] [nM] [nS]], n a non-negative integer
// (at most 9 digits), at least one component, no component twice or out of order, e.g. PT5M,
// PT1H30M, P1D, P1DT12H, P2W. Years, months and fractions are not accepted (their length
// varies or SSM does not use them). InvalidArgument otherwise.
absl::StatusOr<absl::Duration> ParseIsoDuration(absl::string_view text);

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_DOCUMENT_H_
