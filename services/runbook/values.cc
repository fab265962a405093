#include "services/runbook/values.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/config/config.h"
#include "libs/status/status_macros.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;

// Resolves one reference name (trimmed) to the text put in its place.
using Resolver = std::function<absl::StatusOr<std::string>(const std::string& name)>;

absl::Status NoValue(absl::string_view name) {
  return absl::FailedPreconditionError(absl::StrCat("{{ ", name, " }} has no value"));
}

absl::Status SecretOutsideHeaders(absl::string_view name) {
  return absl::FailedPreconditionError(
      absl::StrCat("{{ ", name, " }}: secret references are allowed in Headers only"));
}

// The one-pass scan shared by every substitution; the scanning rules are ReferencesIn's.
absl::StatusOr<std::string> Substitute(absl::string_view text, const Resolver& resolve) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  while (true) {
    const size_t open = text.find("{{", at);
    if (open == absl::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos) break;
    out.append(text.data() + at, open - at);
    const std::string name(absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2)));
    ASSIGN_OR_RETURN(std::string value, resolve(name));
    out += value;
    at = close + 2;
  }
  out.append(text.data() + at, text.size() - at);
  return out;
}

absl::StatusOr<std::string> ResolveValue(const std::string& name, const ValueMap& values) {
  ASSIGN_OR_RETURN(std::optional<std::string> secret, SecretName(name));
  if (secret) return SecretOutsideHeaders(name);
  auto it = values.find(name);
  if (it == values.end()) return NoValue(name);
  return RenderText(it->second);
}

// The reference name when `text` is exactly one reference (surrounding whitespace ignored).
std::optional<std::string> SingleReference(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() < 4 || !absl::StartsWith(text, "{{") || !absl::EndsWith(text, "}}")) {
    return std::nullopt;
  }
  if (text.find("}}", 2) != text.size() - 2 || text.find("{{", 2) != absl::string_view::npos) {
    return std::nullopt;
  }
  return std::string(absl::StripAsciiWhitespace(text.substr(2, text.size() - 4)));
}

bool IsSecretChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.'; }

}  // namespace

absl::StatusOr<std::optional<std::string>> SecretName(absl::string_view reference) {
  if (!absl::StartsWith(reference, kSecretPrefix)) return std::optional<std::string>();
  const absl::string_view name = reference.substr(kSecretPrefix.size());
  if (name.empty() || name.size() > 128 || !absl::ascii_isalnum(name[0]) ||
      !std::all_of(name.begin(), name.end(), IsSecretChar)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "{{ ", reference,
        " }} is not a valid secret reference (secret.NAME: a letter or digit, then letters, "
        "digits, '-', '_' or '.')"));
  }
  return std::optional<std::string>(std::string(name));
}

std::string RenderText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_array() &&
      std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); })) {
    std::vector<std::string> items;
    for (const Json& item : value) items.push_back(item.get<std::string>());
    return absl::StrJoin(items, ", ");
  }
  // Numbers and anything else: compact JSON. Invalid UTF-8 never reaches here from documents
  // (nlohmann refuses it when parsing); replace it rather than throw if built in code.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::string> SubstituteText(absl::string_view text, const ValueMap& values) {
  return Substitute(text,
                    [&](const std::string& name) { return ResolveValue(name, values); });
}

absl::StatusOr<Json> SubstituteJson(const Json& value, const ValueMap& values) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (std::optional<std::string> name = SingleReference(text)) {
      ASSIGN_OR_RETURN(std::optional<std::string> secret, SecretName(*name));
      if (secret) return SecretOutsideHeaders(*name);
      auto it = values.find(*name);
      if (it == values.end()) return NoValue(*name);
      return it->second;
    }
    ASSIGN_OR_RETURN(std::string substituted, SubstituteText(text, values));
    return Json(std::move(substituted));
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& item : value) {
      ASSIGN_OR_RETURN(Json substituted, SubstituteJson(item, values));
      out.push_back(std::move(substituted));
    }
    return out;
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, item] : value.items()) {
      ASSIGN_OR_RETURN(out[key], SubstituteJson(item, values));
    }
    return out;
  }
  return value;
}

absl::StatusOr<std::string> SubstituteBody(const Json& body, const ValueMap& values,
                                           bool* is_json) {
  bool json = false;
  std::string out;
  if (body.is_null()) {
    // No body.
  } else if (body.is_object() || body.is_array()) {
    ASSIGN_OR_RETURN(Json substituted, SubstituteJson(body, values));
    out = substituted.dump(-1, ' ', false, Json::error_handler_t::replace);
    json = true;
  } else if (body.is_string()) {
    const std::string& text = body.get_ref<const std::string&>();
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded() && (parsed.is_object() || parsed.is_array())) {
      ASSIGN_OR_RETURN(Json substituted, SubstituteJson(parsed, values));
      out = substituted.dump(-1, ' ', false, Json::error_handler_t::replace);
      json = true;
    } else {
      ASSIGN_OR_RETURN(out, SubstituteText(text, values));
    }
  } else {
    return absl::InvalidArgumentError("Body must be a mapping (sent as JSON) or a string");
  }
  if (is_json != nullptr) *is_json = json;
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SubstituteHeaders(
    const Json& headers, const ValueMap& values, const std::string& secrets_dir) {
  std::vector<std::pair<std::string, std::string>> out;
  if (headers.is_null()) return out;
  if (!headers.is_object()) {
    return absl::InvalidArgumentError("Headers must be a mapping of name to value");
  }
  for (const auto& [name, value] : headers.items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("Headers.", name, " must be a string"));
    }
    ASSIGN_OR_RETURN(
        std::string text,
        Substitute(value.get_ref<const std::string&>(),
                   [&](const std::string& reference) -> absl::StatusOr<std::string> {
                     ASSIGN_OR_RETURN(std::optional<std::string> secret, SecretName(reference));
                     if (!secret) return ResolveValue(reference, values);
                     if (secrets_dir.empty()) {
                       return absl::FailedPreconditionError(
                           "secrets are not configured (--secrets_dir)");
                     }
                     return config::ReadSecretFile(absl::StrCat(secrets_dir, "/", *secret));
                   }));
    if (text.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("Headers.", name, " contains a line break once substituted"));
    }
    out.emplace_back(name, std::move(text));
  }
  return out;
}

}  // namespace tocsin::runbook
