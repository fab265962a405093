#include "libs/http/url_encoded.h"

#include <microhttpd.h>

#include <algorithm>

#include "absl/strings/str_split.h"

namespace tocsin::http {
namespace {

std::string Decode(absl::string_view part) {
  std::string s(part);
  std::replace(s.begin(), s.end(), '+', ' ');
  const size_t n = MHD_http_unescape(s.data());
  s.resize(n);
  return s;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ParseUrlEncoded(absl::string_view encoded) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (absl::string_view field : absl::StrSplit(encoded, '&', absl::SkipEmpty())) {
    const size_t eq = field.find('=');
    if (eq == absl::string_view::npos) {
      fields.emplace_back(Decode(field), "");
    } else {
      fields.emplace_back(Decode(field.substr(0, eq)), Decode(field.substr(eq + 1)));
    }
  }
  return fields;
}

std::optional<std::string> UrlEncodedValue(absl::string_view encoded, absl::string_view name) {
  for (auto& [key, value] : ParseUrlEncoded(encoded)) {
    if (key == name) return std::move(value);
  }
  return std::nullopt;
}

}  // namespace tocsin::http
