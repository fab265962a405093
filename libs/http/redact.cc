#include "libs/http/redact.h"

#include "absl/strings/str_replace.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tocsin::http {
namespace {

constexpr char kUnparsable[] = "<unparsable URL>";
constexpr char kEllipsis[] = "\xE2\x80\xA6";  // U+2026

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// A part of the URL, or "" when it is absent.
std::string Part(CURLU* u, CURLUPart what) {
  char* value = nullptr;
  if (curl_url_get(u, what, &value, 0) != CURLUE_OK || value == nullptr) return "";
  std::string out(value);
  curl_free(value);
  return out;
}

bool IsUrlEnd(char c) {
  return absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' ||
         c == '<' || c == '>' || c == '`';
}

bool IsTrailingPunctuation(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == ')' || c == ']' ||
         c == '}';
}

// Where the next "http://" or "https://" (any case) starts, or npos.
size_t FindUrl(absl::string_view text, size_t from) {
  for (size_t i = from; i < text.size(); ++i) {
    if (text[i] != 'h' && text[i] != 'H') continue;
    absl::string_view rest = text.substr(i);
    if (absl::StartsWithIgnoreCase(rest, "http://") ||
        absl::StartsWithIgnoreCase(rest, "https://")) {
      return i;
    }
  }
  return absl::string_view::npos;
}

}  // namespace

std::string RedactUrl(absl::string_view url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  // libcurl reads a C string: what follows a NUL would go unseen.
  if (u == nullptr || url.find('\0') != absl::string_view::npos) return kUnparsable;
  // Any scheme parses (smtp://user:pass@host as well); no scheme is guessed,
  // so "hooks.example/secret" is unparsable rather than shown.
  if (curl_url_set(u.get(), CURLUPART_URL, std::string(url).c_str(),
                   CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return kUnparsable;
  }
  const std::string scheme = Part(u.get(), CURLUPART_SCHEME);
  const std::string host = Part(u.get(), CURLUPART_HOST);
  if (scheme.empty() || host.empty()) return kUnparsable;
  std::string out = absl::StrCat(scheme, "://", host);
  const std::string port = Part(u.get(), CURLUPART_PORT);
  if (!port.empty()) absl::StrAppend(&out, ":", port);

  const std::string path = Part(u.get(), CURLUPART_PATH);
  absl::string_view rest = path;
  if (absl::StartsWith(rest, "/")) rest.remove_prefix(1);
  const size_t slash = rest.find('/');
  absl::string_view first = rest.substr(0, slash);
  if (first.size() > kMaxKeptSegment) {
    absl::StrAppend(&out, "/", kEllipsis);
  } else {
    absl::StrAppend(&out, "/", first);
    if (slash != absl::string_view::npos && slash + 1 < rest.size()) {
      absl::StrAppend(&out, "/", kEllipsis);
    } else if (slash != absl::string_view::npos) {
      absl::StrAppend(&out, "/");
    }
  }
  if (!Part(u.get(), CURLUPART_QUERY).empty() || !Part(u.get(), CURLUPART_FRAGMENT).empty()) {
    absl::StrAppend(&out, "?", kEllipsis);
  }
  return out;
}

std::string RedactUrlsIn(absl::string_view text) {
  std::string out;
  size_t done = 0;
  while (true) {
    const size_t start = FindUrl(text, done);
    if (start == absl::string_view::npos) break;
    size_t end = start;
    while (end < text.size() && !IsUrlEnd(text[end])) ++end;
    size_t url_end = end;
    while (url_end > start && IsTrailingPunctuation(text[url_end - 1])) --url_end;
    absl::StrAppend(&out, text.substr(done, start - done),
                    RedactUrl(text.substr(start, url_end - start)),
                    text.substr(url_end, end - url_end));
    done = end;
  }
  absl::StrAppend(&out, text.substr(done));
  return out;
}

std::string RedactUrlIn(absl::string_view text, absl::string_view url) {
  if (url.empty()) return RedactUrlsIn(text);
  return RedactUrlsIn(absl::StrReplaceAll(text, {{url, RedactUrl(url)}}));
}

}  // namespace tocsin::http
