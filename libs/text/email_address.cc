#include "libs/text/email_address.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/text/text.h"

namespace tocsin::text {
namespace {

constexpr size_t kMaxAddress = 254;
constexpr size_t kMaxLocal = 64;
constexpr size_t kMaxDomain = 253;
constexpr size_t kMaxLabel = 63;
// How much of a refused address its error repeats.
constexpr size_t kMaxShown = 300;

absl::Status Invalid(absl::string_view address, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("email address \"",
                                                 UntrustedLine(address, kMaxShown),
                                                 "\" is not valid: ", why,
                                                 " (write it as name@domain)"));
}

// RFC 5322 atext.
bool IsAtext(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != absl::string_view::npos;
}

bool IsLabelChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
}

}  // namespace

absl::Status ValidateEmailAddress(absl::string_view address) {
  if (address.empty()) return Invalid(address, "it is empty");
  if (std::any_of(address.begin(), address.end(), [](char c) {
        const unsigned char u = static_cast<unsigned char>(c);
        return u <= 0x20 || u >= 0x7f;
      })) {
    return Invalid(address,
                   "it contains a space, a control character or a non-ASCII character");
  }
  if (address.size() > kMaxAddress) {
    return Invalid(address, absl::StrCat("it is longer than ", kMaxAddress, " characters"));
  }
  const size_t at = address.find('@');
  if (at == absl::string_view::npos || address.find('@', at + 1) != absl::string_view::npos) {
    return Invalid(address, "it must have exactly one '@'");
  }
  const absl::string_view local = address.substr(0, at);
  const absl::string_view domain = address.substr(at + 1);
  if (local.empty()) return Invalid(address, "the name before '@' is empty");
  if (domain.empty()) return Invalid(address, "the domain after '@' is empty");
  if (local.size() > kMaxLocal) {
    return Invalid(address,
                   absl::StrCat("the name before '@' is longer than ", kMaxLocal, " characters"));
  }
  if (domain.size() > kMaxDomain) {
    return Invalid(address,
                   absl::StrCat("the domain is longer than ", kMaxDomain, " characters"));
  }
  for (absl::string_view atom : absl::StrSplit(local, '.')) {
    if (atom.empty()) {
      return Invalid(address, "the name before '@' has a dot at its start or end, or two in a row");
    }
    if (!std::all_of(atom.begin(), atom.end(), IsAtext)) {
      return Invalid(address, "the name before '@' contains a character such as <>()[],;:\\\" "
                              "that an address cannot have unquoted");
    }
  }
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    if (label.empty()) {
      return Invalid(address, "the domain has a dot at its start or end, or two in a row");
    }
    if (label.size() > kMaxLabel || !std::all_of(label.begin(), label.end(), IsLabelChar) ||
        label.front() == '-' || label.back() == '-') {
      return Invalid(address, absl::StrCat("the domain part \"", label,
                                           "\" is not a host name label (letters, digits and "
                                           "'-', at most 63)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace tocsin::text
