// RedactUrl: a URL as it may appear in an error, an attempt detail, an event
// or a log line: scheme, host and port only. User names, passwords, paths and
// query strings may carry tokens (https://hooks.slack.com/services/T/B/SECRET,
// ...?token=...), so they are replaced with a marker:
//
//   RedactUrl("https://user:pw@hooks.example.com:8443/services/T1/B2/xyz?k=v")
//     == "https://<redacted>@hooks.example.com:8443/<redacted>?<redacted>"
//   RedactUrl("http://hooks.example.com/") == "http://hooks.example.com/"
//
// Parsed with libcurl's URL API; text that does not parse as a URL becomes
// "<unparseable URL>". Pure and thread-safe.
//
// Private to the paging service for now: libs/http/redact.h (RedactUrl) is
// coming, and this one goes when it lands.
#ifndef TOCSIN_SERVICES_PAGING_REDACT_URL_H_
#define TOCSIN_SERVICES_PAGING_REDACT_URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tocsin::paging {

std::string RedactUrl(absl::string_view url);

// text with every occurrence of url replaced by RedactUrl(url) (an error
// message that quotes the URL it was about).
std::string RedactUrlIn(absl::string_view text, absl::string_view url);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_REDACT_URL_H_
