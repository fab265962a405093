#include "services/paging/slack_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tocsin::paging {
namespace {

// gateway_signature.cc has the same helper but does not export it.
std::string HexHmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &mac_len) == nullptr) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * mac_len);
  for (unsigned int i = 0; i < mac_len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

bool AllDigits(absl::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string SlackSignature(absl::string_view signing_secret, absl::string_view timestamp,
                           absl::string_view body) {
  return absl::StrCat("v0=",
                      HexHmacSha256(signing_secret, absl::StrCat("v0:", timestamp, ":", body)));
}

absl::Status VerifySlackSignature(absl::string_view signature, absl::string_view timestamp,
                                  absl::string_view body, absl::string_view signing_secret,
                                  absl::Time now) {
  if (signing_secret.empty()) {
    return absl::PermissionDeniedError("no Slack signing secret configured");
  }
  if (signature.empty()) return absl::PermissionDeniedError("missing X-Slack-Signature header");
  if (timestamp.empty()) {
    return absl::PermissionDeniedError("missing X-Slack-Request-Timestamp header");
  }
  int64_t unix_time = 0;
  if (!AllDigits(timestamp) || !absl::SimpleAtoi(timestamp, &unix_time)) {
    return absl::PermissionDeniedError(
        "malformed X-Slack-Request-Timestamp: not a number of Unix seconds");
  }
  const absl::Duration age = now - absl::FromUnixSeconds(unix_time);
  if (age > kSlackSignatureWindow) {
    return absl::PermissionDeniedError(
        "X-Slack-Request-Timestamp expired: signed more than 5 minutes ago (replayed, or the "
        "clocks disagree)");
  }
  if (age < -kSlackSignatureWindow) {
    return absl::PermissionDeniedError(
        "X-Slack-Request-Timestamp is more than 5 minutes in the future (the clocks disagree)");
  }
  const std::string expected = SlackSignature(signing_secret, timestamp, body);
  if (expected.size() <= 3 || expected.size() != signature.size() ||
      CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
    return absl::PermissionDeniedError("X-Slack-Signature does not match the body");
  }
  return absl::OkStatus();
}

}  // namespace tocsin::paging
