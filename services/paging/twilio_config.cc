#include "services/paging/twilio_config.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/config/config.h"

namespace tocsin::paging {

bool IsE164(absl::string_view number) {
  if (number.size() < 3 || number.size() > 16 || number[0] != '+' || number[1] == '0') {
    return false;
  }
  for (char c : number.substr(1)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<std::optional<TwilioOptions>> LoadTwilioOptions(const TwilioSettings& settings) {
  std::vector<std::string> missing;
  if (settings.account_sid.empty())
    missing.push_back("TOCSIN_TWILIO_ACCOUNT_SID (--twilio_account_sid)");
  if (settings.auth_token_file.empty()) {
    missing.push_back("TOCSIN_TWILIO_AUTH_TOKEN_FILE (--twilio_auth_token_file)");
  }
  if (settings.from.empty()) missing.push_back("TOCSIN_TWILIO_FROM (--twilio_from)");
  if (missing.size() == 3) return std::nullopt;
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Twilio is partly configured: missing ", absl::StrJoin(missing, ", "),
                     " (set all of the account SID, the auth token file and the sender "
                     "number, or none)"));
  }
  TwilioOptions options;
  options.base_url = std::string(absl::StripSuffix(
      settings.base_url.empty() ? kTwilioDefaultBaseUrl : settings.base_url, "/"));
  if (!absl::StartsWith(options.base_url, "http://") &&
      !absl::StartsWith(options.base_url, "https://")) {
    return absl::InvalidArgumentError(
        "TOCSIN_TWILIO_BASE_URL (--twilio_base_url) must start with http:// or "
        "https://");
  }
  if (!IsE164(settings.from)) {
    return absl::InvalidArgumentError(
        absl::StrCat("TOCSIN_TWILIO_FROM (--twilio_from) \"", settings.from,
                     "\" is not an E.164 number (\"+\" and 2 to 15 digits)"));
  }
  options.account_sid = settings.account_sid;
  options.from = settings.from;
  absl::StatusOr<std::string> token = config::ReadSecretFile(settings.auth_token_file);
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("TOCSIN_TWILIO_AUTH_TOKEN_FILE: ", token.status().message()));
  }
  options.auth_token = std::string(absl::StripAsciiWhitespace(*token));
  if (options.auth_token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TOCSIN_TWILIO_AUTH_TOKEN_FILE \"", settings.auth_token_file, "\" is empty"));
  }
  return options;
}

}  // namespace tocsin::paging
