#include "services/runbook/selectors.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/status/status_macros.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxShown = 100;

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// "a string \"many\"", cut to a readable length.
std::string Found(const Json& value) {
  std::string shown = Dump(value);
  if (shown.size() > kMaxShown) shown = absl::StrCat(shown.substr(0, kMaxShown), "…");
  absl::string_view kind = "null";
  if (value.is_string()) kind = "a string";
  if (value.is_boolean()) kind = "a boolean";
  if (value.is_number()) kind = "a number";
  if (value.is_array()) kind = "a list";
  if (value.is_object()) kind = "a mapping";
  return value.is_null() ? std::string("null") : absl::StrCat(kind, " ", shown);
}

// A scalar as text, or nullopt for null, lists and mappings.
std::optional<std::string> ScalarText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
  if (value.is_number()) return Dump(value);
  return std::nullopt;
}

bool IsDigits(absl::string_view text) {
  absl::ConsumePrefix(&text, "-");
  return !text.empty() && std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
}

}  // namespace

absl::StatusOr<Json> ConvertToType(const Json& value, ValueType type) {
  auto mismatch = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", ValueTypeName(type), ", found ", Found(value)));
  };
  switch (type) {
    case ValueType::kString: {
      std::optional<std::string> text = ScalarText(value);
      if (!text) return mismatch();
      return Json(*text);
    }
    case ValueType::kInteger: {
      if (value.is_number_integer()) {
        if (value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX) return mismatch();
        return Json(value.get<int64_t>());
      }
      int64_t parsed;
      if (value.is_string() && IsDigits(value.get_ref<const std::string&>()) &&
          absl::SimpleAtoi(value.get_ref<const std::string&>(), &parsed)) {
        return Json(parsed);
      }
      return mismatch();
    }
    case ValueType::kBoolean:
      if (value.is_boolean()) return value;
      if (value == "true") return Json(true);
      if (value == "false") return Json(false);
      return mismatch();
    case ValueType::kStringList: {
      if (!value.is_array()) return mismatch();
      Json out = Json::array();
      for (const Json& item : value) {
        std::optional<std::string> text = ScalarText(item);
        if (!text) return mismatch();
        out.push_back(*text);
      }
      return out;
    }
    case ValueType::kStringMap: {
      if (!value.is_object()) return mismatch();
      Json out = Json::object();
      for (const auto& [key, item] : value.items()) {
        std::optional<std::string> text = ScalarText(item);
        if (!text) return mismatch();
        out[key] = *text;
      }
      return out;
    }
  }
  return mismatch();
}

absl::StatusOr<Json> SelectOutput(const Json& result, const Output& output) {
  const std::string where = absl::StrCat("output \"", output.name, "\"");
  absl::StatusOr<Json> found = Select(result, output.selector);
  if (!found.ok()) {
    return absl::Status(found.status().code(),
                        absl::StrCat(where, ": ", found.status().message()));
  }
  absl::StatusOr<Json> converted = ConvertToType(*found, output.type);
  if (!converted.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " (", output.selector, "): ", converted.status().message()));
  }
  return converted;
}

}  // namespace tocsin::runbook
