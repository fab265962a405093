// Twilio's callbacks on the paging service's public HTTP port. Each URL is
// the public URL followed by the path (set them in the Twilio console or, for
// status and voice, they travel with each request TwilioNotifier makes):
//
//   RegisterTwilioCallbacks(host.http(), core, {.public_url = ..., .auth_token
//   = ...,
//                                               .clock = host.clock()});
//
//   POST /v1/providers/twilio/status?page=ID  a message's or call's status
//        (MessageStatus / CallStatus, MessageSid / CallSid, ErrorCode): a
//        receipt on the page (PagingCore::RecordReceipt): 200; 400 without a
//        page; 404 for an unknown page.
//   POST /v1/providers/twilio/sms  an inbound SMS (From, Body): a reply that
//        carries the accept code of a page sent to From acknowledges it as
//        "sms:<From>" (PagingCore::AcceptReply; wrong codes are counted for
//        the source "sms:<From>"). Answers TwiML <Response><Message>...
//        </Message></Response>: "Acknowledged ...", "already acknowledged by
//        X at T", a wrong code, nothing to acknowledge, or for "help" and any
//        text without a code a short explanation.
//   POST /v1/providers/twilio/voice?page=ID  the key pressed in the call's
//        <Gather> (Digits): 1 acknowledges the page as "voice:<To>" and
//        answers TwiML <Say>; any other key repeats the prompt; 404 for an
//        unknown page.
//
// Every request must carry a valid X-Twilio-Signature over public_url + path
// (+ "?" + query when there is one) and its form fields, computed with the
// auth token (twilio_signature.h); otherwise 403 and nothing changes. Form
// values are untrusted: what is stored or echoed is made valid UTF-8 and
// bounded. Thread-safe; core and clock must outlive the server's use of the
// routes.
#ifndef TOCSIN_SERVICES_PAGING_TWILIO_CALLBACKS_H_
#define TOCSIN_SERVICES_PAGING_TWILIO_CALLBACKS_H_

#include <string>

#include "libs/clock/clock.h"
#include "libs/http/http_server.h"
#include "services/paging/core.h"

namespace tocsin::paging {

struct TwilioCallbackOptions {
  // The paging service's public base URL, as Twilio calls it.
  std::string public_url;
  // The key of the signatures. Never logged.
  std::string auth_token;
  // Tells "acknowledged now" from "before" in answers.
  const Clock* clock = nullptr;
};

void RegisterTwilioCallbacks(http::HttpServer& server, PagingCore* core,
                             TwilioCallbackOptions options);

// The receipt status a Twilio MessageStatus or CallStatus value means
// (RECEIPT_STATUS_UNSPECIFIED for a value Tocsin does not know).
v1::ReceiptStatus TwilioReceiptStatus(absl::string_view twilio_status);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_TWILIO_CALLBACKS_H_
