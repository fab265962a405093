// Untrusted text made safe where it enters Tocsin.
//
// Everything taken from outside (alarm fields, webhook and SMTP replies,
// provider callbacks) passes through Untrusted() before it reaches a protobuf
// string (proto3 refuses to parse invalid UTF-8, so one bad byte would make a
// stored record unreadable) or a log line, so it is valid UTF-8 and bounded.
//
//   attempt->set_detail(text::Untrusted(reply.body, text::kMaxDetailBytes));
//
// Truncation always cuts at a code-point boundary and says so with a visible
// marker ("…[truncated 1234 bytes]") that counts towards the limit, so the
// result is never longer than asked for. All functions are pure and
// thread-safe.
#ifndef TOCSIN_LIBS_TEXT_TEXT_H_
#define TOCSIN_LIBS_TEXT_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace tocsin::text {

// Sizes used across services for text from outside.
// An error or reply detail kept on a delivery attempt or the timeline.
inline constexpr size_t kMaxDetailBytes = 2048;
// One alarm or incident field (a reason, a summary) in an emitted event.
inline constexpr size_t kMaxFieldBytes = 16 * 1024;

// True when bytes are well-formed UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(absl::string_view bytes);

// A valid UTF-8 copy: each invalid sequence becomes U+FFFD.
std::string MakeValidUtf8(absl::string_view bytes);

// valid_utf8 cut to at most max_bytes at a code-point boundary; when it is
// cut, the end is the marker "…[truncated N bytes]" (N = bytes left out),
// within max_bytes. Unchanged when it fits. A max_bytes too small for the
// marker cuts without one.
std::string Truncate(absl::string_view valid_utf8, size_t max_bytes);

// MakeValidUtf8, then Truncate to max_bytes.
std::string Untrusted(absl::string_view bytes, size_t max_bytes);

// Untrusted() on one line: CR, LF, tab and other control characters become
// spaces (for headers, log fields and one-line summaries).
std::string UntrustedLine(absl::string_view bytes, size_t max_bytes);

// The marker Truncate() appends, for tests and for readers that look for it.
std::string TruncationMarker(size_t bytes_left_out);

}  // namespace tocsin::text

#endif  // TOCSIN_LIBS_TEXT_TEXT_H_
