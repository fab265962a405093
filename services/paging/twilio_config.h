// Twilio configuration: which account sends SMS and voice pages, and the
// credentials its requests and callbacks are authenticated with.
//
//   ASSIGN_OR_RETURN(std::optional<TwilioOptions> twilio,
//                    LoadTwilioOptions({.base_url = ..., .account_sid = ...,
//                                       .auth_token_file = ..., .from = ...}));
//   if (!twilio) { /* SMS and voice pages fail: no provider configured */ }
//
// Twilio is configured when the account SID, the auth token file and the
// sender number are all set; none of them set means "no Twilio" (nullopt);
// some but not all is a mistake and fails start-up (FailedPrecondition
// naming what is missing). The auth token is read from its file (trailing
// whitespace trimmed) and never appears in an error or a log.
// Pure apart from reading the token file; thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_TWILIO_CONFIG_H_
#define TOCSIN_SERVICES_PAGING_TWILIO_CONFIG_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tocsin::paging {

inline constexpr char kTwilioDefaultBaseUrl[] = "https://api.twilio.com";

// What flags / the environment say (empty: not set).
struct TwilioSettings {
  std::string base_url = kTwilioDefaultBaseUrl;  // TOCSIN_TWILIO_BASE_URL
  std::string account_sid;                       // TOCSIN_TWILIO_ACCOUNT_SID
  std::string auth_token_file;                   // TOCSIN_TWILIO_AUTH_TOKEN_FILE
  std::string from;                              // TOCSIN_TWILIO_FROM (E.164)
};

struct TwilioOptions {
  // Without a trailing '/': "https://api.twilio.com".
  std::string base_url = kTwilioDefaultBaseUrl;
  std::string account_sid;
  // The secret itself. Never log it.
  std::string auth_token;
  // E.164 sender number, "+15005550006".
  std::string from;
  // The whole request to Twilio, connection included.
  absl::Duration timeout = absl::Seconds(10);
};

// nullopt when nothing is set; FailedPrecondition naming the missing
// settings when only some are; InvalidArgument for a base URL that is not
// http(s):// or a sender that is not E.164; NotFound / PermissionDenied
// (naming the path only) when the token file cannot be read; InvalidArgument
// when it is empty.
absl::StatusOr<std::optional<TwilioOptions>> LoadTwilioOptions(const TwilioSettings& settings);

// "+" then 2 to 15 digits, the first not 0.
bool IsE164(absl::string_view number);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_TWILIO_CONFIG_H_
