// Twilio's request signatures (X-Twilio-Signature), which every Twilio
// callback carries: base64(HMAC-SHA1(auth token, url + for each POST form
// parameter sorted by name (then value), name + value)). url is the full URL
// Twilio called, query included, exactly as configured.
//
//   if (!VerifyTwilioSignature(token, public_url + path_and_query,
//                              http::ParseUrlEncoded(request.body),
//                              request.Header("x-twilio-signature"))) { 403 }
//
// Pure and thread-safe (OpenSSL's HMAC and base64).
#ifndef TOCSIN_SERVICES_PAGING_TWILIO_SIGNATURE_H_
#define TOCSIN_SERVICES_PAGING_TWILIO_SIGNATURE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tocsin::paging {

inline constexpr char kTwilioSignatureHeader[] = "X-Twilio-Signature";

// The signature Twilio sends for a POST of params to url.
std::string TwilioSignature(absl::string_view auth_token, absl::string_view url,
                            std::vector<std::pair<std::string, std::string>> params);

// Whether signature is TwilioSignature(auth_token, url, params), compared in
// constant time. An empty signature or token never verifies.
bool VerifyTwilioSignature(absl::string_view auth_token, absl::string_view url,
                           std::vector<std::pair<std::string, std::string>> params,
                           absl::string_view signature);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_TWILIO_SIGNATURE_H_
