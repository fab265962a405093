#include "services/paging/twilio_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace tocsin::paging {

std::string TwilioSignature(absl::string_view auth_token, absl::string_view url,
                            std::vector<std::pair<std::string, std::string>> params) {
  std::sort(params.begin(), params.end());
  std::string data(url);
  for (const auto& [name, value] : params) {
    data += name;
    data += value;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &mac_len) == nullptr) {
    return "";
  }
  std::string out(4 * ((mac_len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(mac_len));
  out.resize(n);
  return out;
}

bool VerifyTwilioSignature(absl::string_view auth_token, absl::string_view url,
                           std::vector<std::pair<std::string, std::string>> params,
                           absl::string_view signature) {
  if (auth_token.empty() || signature.empty()) return false;
  const std::string expected = TwilioSignature(auth_token, url, std::move(params));
  if (expected.empty() || expected.size() != signature.size()) return false;
  return CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

}  // namespace tocsin::paging
