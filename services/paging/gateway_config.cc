#include "services/paging/gateway_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/config/config.h"

namespace tocsin::paging {

absl::StatusOr<std::optional<GatewayOptions>>
LoadGatewayOptions(const GatewaySettings &settings) {
  if (settings.url.empty() && settings.secret_file.empty())
    return std::nullopt;
  if (settings.url.empty() || settings.secret_file.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the SMS gateway is partly configured: missing ",
        settings.url.empty()
            ? "TOCSIN_SMS_GATEWAY_URL (--sms_gateway_url)"
            : "TOCSIN_SMS_GATEWAY_SECRET_FILE (--sms_gateway_secret_file)",
        " (set both the URL and the secret file, or neither)"));
  }
  if (!absl::StartsWith(settings.url, "http://") &&
      !absl::StartsWith(settings.url, "https://")) {
    return absl::InvalidArgumentError(
        "TOCSIN_SMS_GATEWAY_URL (--sms_gateway_url) must start with http:// or "
        "https://");
  }
  GatewayOptions options;
  options.url = settings.url;
  absl::StatusOr<std::string> secret =
      config::ReadSecretFile(settings.secret_file);
  if (!secret.ok()) {
    return absl::Status(secret.status().code(),
                        absl::StrCat("TOCSIN_SMS_GATEWAY_SECRET_FILE: ",
                                     secret.status().message()));
  }
  options.secret = std::string(absl::StripAsciiWhitespace(*secret));
  if (options.secret.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TOCSIN_SMS_GATEWAY_SECRET_FILE \"", settings.secret_file,
                     "\" is empty"));
  }
  return options;
}

absl::Status CheckOneSmsProvider(bool twilio_configured,
                                 bool gateway_configured) {
  if (twilio_configured && gateway_configured) {
    return absl::FailedPreconditionError(
        "both Twilio and the SMS gateway are configured: configure one "
        "SMS/voice provider "
        "(unset the TOCSIN_TWILIO_* or the TOCSIN_SMS_GATEWAY_* settings)");
  }
  return absl::OkStatus();
}

} // namespace tocsin::paging
