// Generic SMS/voice gateway configuration: the endpoint Tocsin POSTs signed
// JSON page requests to, and the shared secret both directions are signed
// with (see gateway_signature.h and docs/paging.md).
//
//   ASSIGN_OR_RETURN(std::optional<GatewayOptions> gateway,
//                    LoadGatewayOptions({.url = ..., .secret_file = ...}));
//
// The gateway is configured when the URL and the secret file are both set;
// neither set means "no gateway" (nullopt); only one is a mistake
// (FailedPrecondition naming what is missing). The secret is read from its
// file (surrounding whitespace trimmed) and never appears in an error or a
// log. Pure apart from reading the secret file; thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_GATEWAY_CONFIG_H_
#define TOCSIN_SERVICES_PAGING_GATEWAY_CONFIG_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tocsin::paging {

// What flags / the environment say (empty: not set).
struct GatewaySettings {
  std::string url;         // TOCSIN_SMS_GATEWAY_URL
  std::string secret_file; // TOCSIN_SMS_GATEWAY_SECRET_FILE
};

struct GatewayOptions {
  // The endpoint every page request is POSTed to, as configured.
  std::string url;
  // The shared secret itself. Never log it.
  std::string secret;
  // The whole request to the gateway, connection included
  // (TOCSIN_SMS_GATEWAY_TIMEOUT_SECONDS).
  absl::Duration timeout = absl::Seconds(10);
};

// nullopt when nothing is set; FailedPrecondition naming the missing setting
// when only one is; InvalidArgument for a URL that is not http(s)://;
// NotFound / PermissionDenied (naming the path only) when the secret file
// cannot be read; InvalidArgument when it is empty.
absl::StatusOr<std::optional<GatewayOptions>>
LoadGatewayOptions(const GatewaySettings &settings);

// FailedPrecondition when both Twilio and the gateway are configured: one
// SMS/voice provider at a time, so that a page is never sent twice and a
// reply is never verified against the wrong secret.
absl::Status CheckOneSmsProvider(bool twilio_configured,
                                 bool gateway_configured);

} // namespace tocsin::paging

#endif // TOCSIN_SERVICES_PAGING_GATEWAY_CONFIG_H_
