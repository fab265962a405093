// Evaluation of aws:branch Choices and tocsin:waitFor Until conditions (Condition in
// document.h).
//
//   Evaluate(choice.condition, [&](const std::string& variable) {
//     return SubstituteJson(variable, values);          // aws:branch: "{{ check.Verdict }}"
//   });
//   Evaluate(step.until, [&](const std::string& selector) {
//     return Select(check_result, selector);            // waitFor: "$.body.state"
//   });
//
// `lookup` is given a leaf's `variable` as written and returns its value; its errors are
// returned as they are. The leaf's operand must already be a literal (the caller substitutes a
// "{{ x }}" operand, e.g. with SubstituteJson, before calling).
//
// Operators:
//   StringEquals, EqualsIgnoreCase (ASCII case), StartsWith, EndsWith: the value is a string (a
//     number or boolean is compared as its text); the operand a string.
//   Contains: a string value contains the operand; a list value has an element equal to it.
//   NumericEquals, NumericGreater, NumericLesser, NumericGreaterOrEquals,
//     NumericLesserOrEquals: value and operand are numbers or numeric strings ("42", " -1.5 ");
//     integers compare exactly.
//   BooleanEquals: value and operand are booleans or "true"/"false".
//   And (all children, evaluated in order, stopping at the first false), Or (stopping at the
//     first true), Not (exactly one child).
// Errors: InvalidArgument naming the variable, the operator and the value found when the types
// cannot be compared (e.g. `{{ check.Count }} is a string "many", not a number
// (NumericGreater)`), or for an unknown operator or malformed And/Or/Not.
//
// Thread-safety: Evaluate is thread-safe when lookup is.
#ifndef TOCSIN_SERVICES_RUNBOOK_CONDITIONS_H_
#define TOCSIN_SERVICES_RUNBOOK_CONDITIONS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/runbook/document.h"

namespace tocsin::runbook {

using ConditionLookup = std::function<absl::StatusOr<nlohmann::json>(const std::string& variable)>;

absl::StatusOr<bool> Evaluate(const Condition& condition, const ConditionLookup& lookup);

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_CONDITIONS_H_
