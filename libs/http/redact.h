// Redaction of URLs for errors, timeline entries and logs. Webhook URLs carry
// their credentials in the path (Slack /services/T/B/SECRET, Discord, Teams
// Workflows' ?sig=SECRET), in the query or as user:password; none of that may
// leave the process in a message.
//
//   RedactUrl("https://hooks.slack.com/services/T0/B0/XYZ")
//       == "https://hooks.slack.com/services/…"
//   RedactUrl("https://u:p@h.example:8443/a?token=1") == "https://h.example:8443/a?…"
//   RedactUrlsIn("POST https://h.example/a/b failed") == "POST https://h.example/a/… failed"
//
// Parsing is libcurl's URL API. Thread-safe (no shared state).
#ifndef TOCSIN_LIBS_HTTP_REDACT_H_
#define TOCSIN_LIBS_HTTP_REDACT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tocsin::http {

// Keeps the scheme, the host and an explicit port; drops user and password;
// keeps the first path segment when it is short (at most kMaxKeptSegment
// bytes: "services", "workflows", "api", "hooks") and replaces whatever path
// follows it with "/…" (a long first segment, such as Telegram's
// "/bot<token>", is replaced whole); any query or fragment becomes "?…".
// A URL libcurl cannot parse (including one without a scheme) becomes
// "<unparsable URL>", so nothing of it is shown.
std::string RedactUrl(absl::string_view url);

// The longest first path segment RedactUrl keeps.
inline constexpr size_t kMaxKeptSegment = 24;

// `text` with every http:// or https:// URL in it (scheme matched without
// regard to case; the URL runs to the next white space, quote or angle
// bracket; trailing punctuation such as ".,;)" stays outside) replaced by
// RedactUrl of it. Other text is unchanged.
std::string RedactUrlsIn(absl::string_view text);

// `text` with every occurrence of `url` (any scheme, e.g. smtp://) replaced
// by RedactUrl(url), then RedactUrlsIn: for an error message that quotes the
// URL it was about.
std::string RedactUrlIn(absl::string_view text, absl::string_view url);

}  // namespace tocsin::http

#endif  // TOCSIN_LIBS_HTTP_REDACT_H_
