#include "services/runbook/jsonpath.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace tocsin::runbook {
namespace {

using Json = nlohmann::json;

struct Segment {
  bool is_index = false;
  std::string key;
  size_t index = 0;
  std::string spelt;  // as written, e.g. ".verdict" or "[0]"
};

bool IsKeyChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; }

absl::StatusOr<std::vector<Segment>> Parse(absl::string_view path) {
  auto bad = [&](size_t at, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("selector \"", path, "\": ", why,
                                                   " at position ", at,
                                                   " (supported: $, .name, ['name'], [N])"));
  };
  if (path.empty() || path[0] != '$') return bad(0, "must start with \"$\"");
  std::vector<Segment> segments;
  size_t at = 1;
  while (at < path.size()) {
    const size_t start = at;
    Segment segment;
    if (path[at] == '.') {
      ++at;
      while (at < path.size() && IsKeyChar(path[at])) ++at;
      if (at == start + 1) return bad(start + 1, "expected a key name");
      segment.key = std::string(path.substr(start + 1, at - start - 1));
    } else if (path[at] == '[') {
      ++at;
      if (at < path.size() && (path[at] == '\'' || path[at] == '"')) {
        const char quote = path[at];
        const size_t close = path.find(quote, at + 1);
        if (close == absl::string_view::npos) return bad(at, "unterminated quoted key");
        segment.key = std::string(path.substr(at + 1, close - at - 1));
        at = close + 1;
      } else {
        const size_t digits_start = at;
        while (at < path.size() && absl::ascii_isdigit(path[at])) ++at;
        if (at == digits_start) return bad(at, "expected an index or a quoted key");
        if (at - digits_start > 9) return bad(digits_start, "index too large");
        uint64_t index = 0;
        absl::SimpleAtoi(path.substr(digits_start, at - digits_start), &index);
        segment.is_index = true;
        segment.index = static_cast<size_t>(index);
      }
      if (at >= path.size() || path[at] != ']') return bad(at, "expected \"]\"");
      ++at;
    } else {
      return bad(at, absl::StrCat("unexpected '", path.substr(at, 1), "'"));
    }
    segment.spelt = std::string(path.substr(start, at - start));
    segments.push_back(std::move(segment));
  }
  return segments;
}

absl::string_view Kind(const Json& value) {
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a mapping";
  return "null";
}

}  // namespace

absl::Status CheckSelector(absl::string_view path) { return Parse(path).status(); }

absl::StatusOr<Json> Select(const Json& doc, absl::string_view path) {
  ASSIGN_OR_RETURN(std::vector<Segment> segments, Parse(path));
  const Json* at = &doc;
  std::string so_far = "$";
  for (const Segment& segment : segments) {
    const std::string parent = so_far;
    so_far += segment.spelt;
    if (segment.is_index) {
      if (!at->is_array()) {
        return absl::NotFoundError(
            absl::StrCat(so_far, ": ", parent, " is ", Kind(*at), ", not a list"));
      }
      if (segment.index >= at->size()) {
        return absl::NotFoundError(absl::StrCat(so_far, ": index ", segment.index,
                                                " is out of range (", at->size(), " items)"));
      }
      at = &(*at)[segment.index];
    } else {
      if (!at->is_object()) {
        return absl::NotFoundError(
            absl::StrCat(so_far, ": ", parent, " is ", Kind(*at), ", not a mapping"));
      }
      auto it = at->find(segment.key);
      if (it == at->end()) {
        return absl::NotFoundError(absl::StrCat(so_far, ": no key \"", segment.key, "\""));
      }
      at = &*it;
    }
  }
  return *at;
}

}  // namespace tocsin::runbook
