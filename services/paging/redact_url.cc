#include "services/paging/redact_url.h"

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace tocsin::paging {
namespace {

constexpr char kRedacted[] = "<redacted>";

// One URL part, or "" when it is absent.
std::string Part(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return "";
  std::string out = value;
  curl_free(value);
  return out;
}

}  // namespace

std::string RedactUrl(absl::string_view url) {
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return "<unparseable URL>";
  const std::string text(url);
  if (curl_url_set(parsed, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    curl_url_cleanup(parsed);
    return "<unparseable URL>";
  }
  const std::string scheme = Part(parsed, CURLUPART_SCHEME);
  const std::string host = Part(parsed, CURLUPART_HOST);
  const std::string port = Part(parsed, CURLUPART_PORT);
  const bool userinfo = !Part(parsed, CURLUPART_USER).empty() ||
                        !Part(parsed, CURLUPART_PASSWORD).empty();
  const std::string path = Part(parsed, CURLUPART_PATH);
  const bool query = !Part(parsed, CURLUPART_QUERY).empty();
  const bool fragment = !Part(parsed, CURLUPART_FRAGMENT).empty();
  curl_url_cleanup(parsed);
  std::string out = absl::StrCat(scheme, "://");
  if (userinfo) absl::StrAppend(&out, kRedacted, "@");
  absl::StrAppend(&out, host);
  if (!port.empty()) absl::StrAppend(&out, ":", port);
  if (path.empty() || path == "/") {
    absl::StrAppend(&out, "/");
  } else {
    absl::StrAppend(&out, "/", kRedacted);
  }
  if (query) absl::StrAppend(&out, "?", kRedacted);
  if (fragment) absl::StrAppend(&out, "#", kRedacted);
  return out;
}

std::string RedactUrlIn(absl::string_view text, absl::string_view url) {
  if (url.empty()) return std::string(text);
  return absl::StrReplaceAll(text, {{url, RedactUrl(url)}});
}

}  // namespace tocsin::paging
