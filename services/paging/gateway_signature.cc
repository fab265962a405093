#include "services/paging/gateway_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tocsin::paging {
namespace {

std::string HexHmacSha256(absl::string_view secret, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char *>(data.data()), data.size(),
           mac, &mac_len) == nullptr) {
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

} // namespace

std::string GatewaySignature(absl::string_view secret, int64_t unix_time,
                             absl::string_view body) {
  const std::string t = absl::StrCat(unix_time);
  return absl::StrCat(
      "t=", t, ",v1=", HexHmacSha256(secret, absl::StrCat(t, ".", body)));
}

absl::Status VerifyGatewaySignature(absl::string_view header,
                                    absl::string_view body,
                                    absl::string_view secret, absl::Time now) {
  if (secret.empty())
    return absl::PermissionDeniedError("no gateway secret configured");
  if (header.empty()) {
    return absl::PermissionDeniedError("missing X-Tocsin-Signature header");
  }
  std::optional<absl::string_view> t;
  std::optional<absl::string_view> v1;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    part = absl::StripAsciiWhitespace(part);
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.first == "t" && !t) {
      t = kv.second;
    } else if (kv.first == "v1" && !v1) {
      v1 = kv.second;
    }
  }
  if (!t || !v1) {
    return absl::PermissionDeniedError(
        "malformed X-Tocsin-Signature: expected \"t=<unix seconds>,v1=<hex>\"");
  }
  int64_t unix_time = 0;
  if (t->empty() || !absl::SimpleAtoi(*t, &unix_time) ||
      !absl::ascii_isdigit(static_cast<unsigned char>((*t)[0]))) {
    return absl::PermissionDeniedError(
        "malformed X-Tocsin-Signature: t= is not a number of Unix seconds");
  }
  const absl::Duration age = now - absl::FromUnixSeconds(unix_time);
  if (age > kGatewaySignatureWindow) {
    return absl::PermissionDeniedError(
        "X-Tocsin-Signature expired: signed more than 5 minutes ago (replayed, "
        "or the clocks "
        "disagree)");
  }
  if (age < -kGatewaySignatureWindow) {
    return absl::PermissionDeniedError(
        "X-Tocsin-Signature is from more than 5 minutes in the future (the "
        "clocks disagree)");
  }
  const std::string expected =
      HexHmacSha256(secret, absl::StrCat(*t, ".", body));
  if (expected.empty() || expected.size() != v1->size() ||
      CRYPTO_memcmp(expected.data(), v1->data(), expected.size()) != 0) {
    return absl::PermissionDeniedError(
        "X-Tocsin-Signature does not match the body");
  }
  return absl::OkStatus();
}

} // namespace tocsin::paging
