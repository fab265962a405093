// TwilioNotifier: delivers SMS and voice pages through Twilio's REST API
// (or anything that speaks it: TwilioOptions.base_url).
//
//   TwilioNotifier twilio(*options, "https://tocsin.example");
//   absl::Status s = twilio.Deliver(page, ack_url);
//
// SMS: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, form
// fields To (the channel's number), From, Body (TwilioSmsBody) and
// StatusCallback ({public_url}/v1/providers/twilio/status?page=<page id>).
// Voice: POST .../Calls.json with To, From, StatusCallback and Twiml
// (TwilioVoiceTwiml: speaks the incident and gathers one key; 1 acknowledges
// through {public_url}/v1/providers/twilio/voice?page=<page id>). Both with
// HTTP Basic auth (account SID, auth token) and "I-Twilio-Idempotency-Token:
// <page id>". Redirects are not followed.
//
// Results (see notifier.h): OK for a 2xx (Twilio created the message or
// call); Unavailable for a transport failure or a 5xx, DeadlineExceeded for
// a timeout or 408, ResourceExhausted for 429 (transient: retried);
// FailedPrecondition for any other answer, quoting Twilio's error "code" and
// "message" from its JSON body ("Twilio refused the SMS to +8131... (400):
// code 21211: The 'To' number is not valid"); InvalidArgument for a page
// whose channel is neither SMS nor voice or has no E.164 number.
// Twilio's answer is untrusted: at most kMaxTwilioReplyBytes are read and
// what is quoted is valid UTF-8, one line and bounded. Errors never contain
// the auth token.
//
// Thread-safe; deliveries run in parallel, each on its own connection.
#ifndef TOCSIN_SERVICES_PAGING_TWILIO_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_TWILIO_NOTIFIER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "libs/http/http_client.h"
#include "services/paging/notifier.h"
#include "services/paging/page_text.h"
#include "services/paging/twilio_config.h"

namespace tocsin::paging {

// Of Twilio's reply body, the bytes the notifier looks at.
inline constexpr size_t kMaxTwilioReplyBytes = 64 * 1024;

// Paths of Twilio's callbacks under the public URL (twilio_callbacks.h).
inline constexpr char kTwilioStatusPath[] = "/v1/providers/twilio/status";
inline constexpr char kTwilioSmsPath[] = "/v1/providers/twilio/sms";
inline constexpr char kTwilioVoicePath[] = "/v1/providers/twilio/voice";

class TwilioNotifier final : public Notifier {
 public:
  // public_url: the paging service's public base URL (callbacks go there).
  TwilioNotifier(TwilioOptions options, std::string public_url);

  absl::Status Deliver(const paging::v1::Page& page, const std::string& ack_url) override {
    return DeliverWithDetail(page, ack_url).status();
  }
  // On success: "accepted by Twilio: <sid> (<status>)", Twilio's id of the
  // message or call from its answer.
  absl::StatusOr<std::string> DeliverWithDetail(const paging::v1::Page& page,
                                                const std::string& ack_url) override;

 private:
  std::unique_ptr<http::HttpClient> TakeClient();
  void ReturnClient(std::unique_ptr<http::HttpClient> client);

  const TwilioOptions options_;
  const std::string public_url_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<http::HttpClient>> idle_ ABSL_GUARDED_BY(mu_);
};

// The SMS text of page: PageSmsText (page_text.h).
std::string TwilioSmsBody(const paging::v1::Page& page);

// The TwiML of a voice page: <Response><Gather numDigits="1" action=
// "{public_url}/v1/providers/twilio/voice?page=<id>" method="POST"><Say>...
// Press 1 to acknowledge.</Say></Gather><Say>...</Say></Response>, all text
// XML-escaped.
std::string TwilioVoiceTwiml(const paging::v1::Page& page, const std::string& public_url);

// The URL Twilio reports a page's delivery status to.
std::string TwilioStatusCallbackUrl(const std::string& public_url, const std::string& page_id);

// text with &, <, >, " and ' replaced by XML entities.
std::string XmlEscape(absl::string_view text);

// application/x-www-form-urlencoded of fields, in order (libcurl's escaping).
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_TWILIO_NOTIFIER_H_
