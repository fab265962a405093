// Values of a runbook execution and their substitution into step inputs.
//
// A ValueMap holds what references name, keyed by the reference's name as written between the
// braces: parameters ("Cluster"), step outputs ("check.Verdict") and the incident's fields
// ("incident.id", "alarm.resources"). The engine fills it; the functions here place its values
// into inputs:
//
//   ValueMap values = {{"Service", "checkout"}, {"check.Count", 3}};
//   SubstituteText("restart {{ Service }} ({{check.Count}})", values)  // "restart checkout (3)"
//   SubstituteJson(json{{"Count", "{{ check.Count }}"}}, values)       // {"Count": 3}
//
// Rules (the same {{ name }} syntax as ReferencesIn in document.h: whitespace inside the braces
// is trimmed; "{{" without a closing "}}" is literal text):
//   - One pass: a substituted value is never scanned again, so a value holding "{{ x }}" stays
//     literally "{{ x }}".
//   - In text, values render as RenderText does: a string as is, a number as its JSON number, a
//     boolean as true/false, a list of strings joined with ", ", anything else as compact JSON,
//     null as "".
//   - A reference with no value in the map is FailedPrecondition "{{ name }} has no value".
//   - Secrets: {{ secret.NAME }} (NAME: a letter or digit, then letters, digits, '-', '_', '.')
//     is resolved only by SubstituteHeaders, which reads the file <secrets_dir>/NAME at each call
//     (so a rotated secret is used at once). Anywhere else it is FailedPrecondition "secret
//     references are allowed in Headers only". No error ever contains a secret's value.
//
// Thread-safety: all functions are pure (SubstituteHeaders reads files) and thread-safe.
#ifndef TOCSIN_SERVICES_RUNBOOK_VALUES_H_
#define TOCSIN_SERVICES_RUNBOOK_VALUES_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace tocsin::runbook {

using ValueMap = absl::flat_hash_map<std::string, nlohmann::json>;

// The prefix of secret references: {{ secret.NAME }}.
inline constexpr absl::string_view kSecretPrefix = "secret.";

// For a reference name (trimmed, as ReferencesIn returns it) starting with "secret.": the secret's
// NAME when it is well formed, else InvalidArgument naming the reference. nullopt (in an OK
// result) when `reference` is not a secret reference at all.
absl::StatusOr<std::optional<std::string>> SecretName(absl::string_view reference);

// How a value reads inside text (see the rules above).
std::string RenderText(const nlohmann::json& value);

// Replaces every {{ name }} in text by RenderText of its value, in one pass.
// FailedPrecondition for a reference without a value or a secret reference.
absl::StatusOr<std::string> SubstituteText(absl::string_view text, const ValueMap& values);

// Substitutes every string in `value`, walking arrays and objects (keys are not substituted).
// A string that is exactly one reference (surrounding whitespace ignored) becomes the value
// itself, with its JSON type (a number, a list, a boolean...); other strings go through
// SubstituteText. Values end up inside the JSON tree, so serializing it escapes them.
// Errors as SubstituteText.
absl::StatusOr<nlohmann::json> SubstituteJson(const nlohmann::json& value,
                                              const ValueMap& values);

// A tocsin:http Body, substituted and serialized:
//   - a mapping (or list): SubstituteJson, then compact JSON; *is_json = true;
//   - a string that parses as a JSON object or array: parsed, SubstituteJson, compact JSON (so
//     values are JSON-escaped inside a JSON body); *is_json = true;
//   - any other string: SubstituteText; *is_json = false.
// A null body is "" (is_json false). InvalidArgument for another kind of body. is_json may be
// null.
absl::StatusOr<std::string> SubstituteBody(const nlohmann::json& body, const ValueMap& values,
                                           bool* is_json);

// tocsin:http / tocsin:waitFor Headers (a mapping of name to string, or null for none):
// substitutes each value like SubstituteText, resolving {{ secret.NAME }} from
// <secrets_dir>/NAME with config::ReadSecretFile (trailing newlines trimmed). Returns the
// headers in name order. Errors:
//   FailedPrecondition  "secrets are not configured (--secrets_dir)" when a secret is referenced
//                       and secrets_dir is empty; a reference without a value
//   NotFound / PermissionDenied  the secret file cannot be read (naming its path)
//   InvalidArgument     headers not a mapping, a value not a string, a malformed secret name, or
//                       a value that contains CR or LF once substituted (naming the header only)
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SubstituteHeaders(
    const nlohmann::json& headers, const ValueMap& values, const std::string& secrets_dir);

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_VALUES_H_
