// The generic gateway's request signatures, both directions (Tocsin to the
// gateway and the gateway's callbacks back):
//
//   X-Tocsin-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(
//                                               secret, "<t>.<body>")>
//
// A signature older or newer than kGatewaySignatureWindow (5 minutes) is
// refused, so a captured request cannot be replayed later.
// Pure and thread-safe (OpenSSL's HMAC).
#ifndef TOCSIN_SERVICES_PAGING_GATEWAY_SIGNATURE_H_
#define TOCSIN_SERVICES_PAGING_GATEWAY_SIGNATURE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tocsin::paging {

inline constexpr char kGatewaySignatureHeader[] = "X-Tocsin-Signature";
inline constexpr absl::Duration kGatewaySignatureWindow = absl::Minutes(5);

// "t=<unix_time>,v1=<hex>".
std::string GatewaySignature(absl::string_view secret, int64_t unix_time,
                             absl::string_view body);

// OK when header is a valid signature of body with secret made within
// kGatewaySignatureWindow of now (either way). Otherwise
// PermissionDenied with the reason (malformed header, no t= or v1=, outside
// the window, wrong signature); the reason never contains the secret or the
// expected signature. The comparison is constant-time. An empty secret never
// verifies.
absl::Status VerifyGatewaySignature(absl::string_view header,
                                    absl::string_view body,
                                    absl::string_view secret, absl::Time now);

} // namespace tocsin::paging

#endif // TOCSIN_SERVICES_PAGING_GATEWAY_SIGNATURE_H_
