// The generic SMS/voice gateway's callback on the paging service's public
// HTTP port:
//
//   RegisterGatewayCallbacks(host.http(), core, {.secret = ..., .clock = ...});
//
//   POST /v1/providers/gateway/callback   JSON, one of
//     {"event":"status","pageId":ID,"status":"sent|delivered|read|error",
//      "detail":"..."}      a receipt on the page (PagingCore::RecordReceipt,
//                           provider "gateway"); 404 for an unknown page,
//                           400 for an unknown status;
//     {"event":"reply","from":"+E164","text":"..."}  an inbound SMS: a reply
//                           with the accept code of a page sent to from
//                           acknowledges it as "sms:<from>"
//                           (PagingCore::AcceptReply; "help" and text
//                           without a code get the help text);
//     {"event":"keypress","pageId":ID,"digits":"1"}  the key pressed in a
//                           voice page's call: "1" acknowledges the page,
//                           provider-verified, as "voice:<the page's
//                           number>"; any other key answers the prompt
//                           again; 404 for an unknown page.
//   Answers 200 {"message": "..."}: what to tell the person (SMS it back,
//   or speak it), e.g. "Acknowledged: <title>. Thank you." or "... was
//   already acknowledged by X at T."; errors are {"message": reason} with a
//   4xx.
//
// Every request must carry X-Tocsin-Signature (gateway_signature.h) over
// its exact body, made with the shared secret within 5 minutes of now
// (the injected clock); otherwise 403 and nothing changes. A request
// without the header is refused before its body is read; the signature is
// checked before the body is parsed. JSON values are untrusted: what is
// stored or echoed is valid UTF-8 and bounded. Thread-safe; core and clock
// must outlive the server's use of the route.
#ifndef TOCSIN_SERVICES_PAGING_GATEWAY_CALLBACKS_H_
#define TOCSIN_SERVICES_PAGING_GATEWAY_CALLBACKS_H_

#include <string>

#include "libs/clock/clock.h"
#include "libs/http/http_server.h"
#include "services/paging/core.h"

namespace tocsin::paging {

struct GatewayCallbackOptions {
  // The key of the signatures. Never logged.
  std::string secret;
  // The signature window's "now"; tells "acknowledged now" from "before".
  const Clock *clock = nullptr;
};

void RegisterGatewayCallbacks(http::HttpServer &server, PagingCore *core,
                              GatewayCallbackOptions options);

} // namespace tocsin::paging

#endif // TOCSIN_SERVICES_PAGING_GATEWAY_CALLBACKS_H_
