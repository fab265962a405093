#include "libs/text/text.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "utf8.h"

namespace tocsin::text {

bool IsValidUtf8(absl::string_view bytes) {
  return utf8::is_valid(bytes.begin(), bytes.end());
}

std::string MakeValidUtf8(absl::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 8);
  utf8::replace_invalid(bytes.begin(), bytes.end(), std::back_inserter(out));
  return out;
}

std::string TruncationMarker(size_t bytes_left_out) {
  return absl::StrCat("\xE2\x80\xA6[truncated ", bytes_left_out, " bytes]");
}

namespace {

// The longest prefix of valid_utf8 of at most limit bytes that ends on a
// code-point boundary.
size_t BoundaryAtOrBefore(absl::string_view valid_utf8, size_t limit) {
  if (limit >= valid_utf8.size()) return valid_utf8.size();
  size_t cut = limit;
  // Continuation bytes are 10xxxxxx; back up to the lead byte of the code
  // point that would be split.
  while (cut > 0 && (static_cast<unsigned char>(valid_utf8[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace

std::string Truncate(absl::string_view valid_utf8, size_t max_bytes) {
  if (valid_utf8.size() <= max_bytes) return std::string(valid_utf8);
  // The marker's length depends on the count it shows; the count is at most
  // the whole input, so size the marker for that and it always fits.
  const size_t marker_room = TruncationMarker(valid_utf8.size()).size();
  if (marker_room > max_bytes) {
    return std::string(valid_utf8.substr(0, BoundaryAtOrBefore(valid_utf8, max_bytes)));
  }
  const size_t keep = BoundaryAtOrBefore(valid_utf8, max_bytes - marker_room);
  return absl::StrCat(valid_utf8.substr(0, keep), TruncationMarker(valid_utf8.size() - keep));
}

std::string Untrusted(absl::string_view bytes, size_t max_bytes) {
  return Truncate(MakeValidUtf8(bytes), max_bytes);
}

std::string UntrustedLine(absl::string_view bytes, size_t max_bytes) {
  std::string valid = MakeValidUtf8(bytes);
  for (char& c : valid) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
  }
  return Truncate(valid, max_bytes);
}

}  // namespace tocsin::text
