#include "services/runbook/conditions.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxShown = 100;

std::string Shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kMaxShown) text = absl::StrCat(text.substr(0, kMaxShown), "…");
  if (value.is_string()) return absl::StrCat("a string ", text);
  if (value.is_boolean()) return absl::StrCat("a boolean ", text);
  if (value.is_number()) return absl::StrCat("a number ", text);
  if (value.is_array()) return absl::StrCat("a list ", text);
  if (value.is_object()) return absl::StrCat("a mapping ", text);
  return "null";
}

absl::Status Mismatch(const Condition& c, absl::string_view what, const Json& value,
                      absl::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(c.variable, what, " is ", Shown(value),
                                                 ", not ", expected, " (", c.op, ")"));
}

std::optional<std::string> AsText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

struct Number {
  bool is_integer = false;
  int64_t integer = 0;
  double real = 0;
};

std::optional<Number> AsNumber(const Json& value) {
  Number n;
  if (value.is_number_integer() &&
      !(value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX)) {
    n.is_integer = true;
    n.integer = value.get<int64_t>();
    n.real = static_cast<double>(n.integer);
    return n;
  }
  if (value.is_number()) {
    n.real = value.get<double>();
    return n;
  }
  if (!value.is_string()) return std::nullopt;
  const absl::string_view text = absl::StripAsciiWhitespace(value.get_ref<const std::string&>());
  if (text.empty()) return std::nullopt;
  if (absl::SimpleAtoi(text, &n.integer)) {
    n.is_integer = true;
    n.real = static_cast<double>(n.integer);
    return n;
  }
  // SimpleAtod accepts "nan" and "inf"; a runbook means digits.
  const bool numeric = std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
  });
  if (numeric && absl::SimpleAtod(text, &n.real)) return n;
  return std::nullopt;
}

// -1, 0, 1.
int Compare(const Number& a, const Number& b) {
  if (a.is_integer && b.is_integer) return a.integer < b.integer ? -1 : a.integer > b.integer;
  return a.real < b.real ? -1 : a.real > b.real;
}

std::optional<bool> AsBool(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value == "true") return true;
  if (value == "false") return false;
  return std::nullopt;
}

absl::StatusOr<bool> EvaluateLeaf(const Condition& c, const Json& value) {
  const std::string& op = c.op;
  if (absl::StartsWith(op, "Numeric")) {
    std::optional<Number> left = AsNumber(value);
    if (!left) return Mismatch(c, "", value, "a number");
    std::optional<Number> right = AsNumber(c.operand);
    if (!right) return Mismatch(c, "'s operand", c.operand, "a number");
    const int order = Compare(*left, *right);
    if (op == "NumericEquals") return order == 0;
    if (op == "NumericGreater") return order > 0;
    if (op == "NumericLesser") return order < 0;
    if (op == "NumericGreaterOrEquals") return order >= 0;
    if (op == "NumericLesserOrEquals") return order <= 0;
  } else if (op == "BooleanEquals") {
    std::optional<bool> left = AsBool(value);
    if (!left) return Mismatch(c, "", value, "a boolean");
    std::optional<bool> right = AsBool(c.operand);
    if (!right) return Mismatch(c, "'s operand", c.operand, "a boolean");
    return *left == *right;
  } else if (op == "StringEquals" || op == "EqualsIgnoreCase" || op == "StartsWith" ||
             op == "EndsWith" || op == "Contains") {
    if (!c.operand.is_string()) return Mismatch(c, "'s operand", c.operand, "a string");
    const std::string& operand = c.operand.get_ref<const std::string&>();
    if (op == "Contains" && value.is_array()) {
      for (const Json& item : value) {
        if (AsText(item) == operand) return true;
      }
      return false;
    }
    std::optional<std::string> left = AsText(value);
    if (!left) return Mismatch(c, "", value, "a string");
    if (op == "StringEquals") return *left == operand;
    if (op == "EqualsIgnoreCase") return absl::EqualsIgnoreCase(*left, operand);
    if (op == "StartsWith") return absl::StartsWith(*left, operand);
    if (op == "EndsWith") return absl::EndsWith(*left, operand);
    return absl::StrContains(*left, operand);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown condition operator \"", op, "\""));
}

}  // namespace

absl::StatusOr<bool> Evaluate(const Condition& condition, const ConditionLookup& lookup) {
  const std::string& op = condition.op;
  if (op == "And" || op == "Or" || op == "Not") {
    if (condition.children.empty() || (op == "Not" && condition.children.size() != 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          op, op == "Not" ? " needs exactly one condition" : " needs at least one condition"));
    }
    if (op == "Not") {
      ASSIGN_OR_RETURN(bool inner, Evaluate(condition.children[0], lookup));
      return !inner;
    }
    const bool is_and = op == "And";
    for (const Condition& child : condition.children) {
      ASSIGN_OR_RETURN(bool value, Evaluate(child, lookup));
      if (value != is_and) return value;
    }
    return is_and;
  }
  ASSIGN_OR_RETURN(Json value, lookup(condition.variable));
  return EvaluateLeaf(condition, value);
}

}  // namespace tocsin::runbook
