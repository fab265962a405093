// The ack link: what a paged person opens from an email or a chat message.
//
//   RegisterAckEndpoints(*http_server, &core);
//
//   GET  /v1/pages/ack?page=ID&token=TOKEN  a small HTML page naming the
//        incident, with a button that confirms. A GET never acknowledges:
//        mail scanners and link previews fetch links nobody clicked.
//   POST /v1/pages/ack  (form fields page, token) acknowledges the page
//        (author "link") and answers a short HTML confirmation; a page
//        acknowledged before answers who and when.
// Links sent before tokens existed carry code=CODE instead of token: they
// keep working, but their codes go through the per-source limiter (the
// client address is the source), as does anyone typing codes.
//
// Answers: 200 HTML for the form, a confirmation, or "already acknowledged";
// 409 HTML "Nothing to acknowledge" for a page that was cancelled, failed or
// whose incident is resolved (nothing changes); plain-text 400 for a missing
// field, 403 for a wrong code or token, 404 for an unknown page, 429 with
// Retry-After (seconds) when the address sent too many wrong codes, 503 when
// the database fails. Answers are never cached and send no Referer (the URL
// carries the token).
#ifndef TOCSIN_SERVICES_PAGING_ACK_HTTP_H_
#define TOCSIN_SERVICES_PAGING_ACK_HTTP_H_

#include "libs/http/http_server.h"
#include "services/paging/core.h"

namespace tocsin::paging {

// core must outlive server's use of the routes.
void RegisterAckEndpoints(http::HttpServer& server, PagingCore* core);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_ACK_HTTP_H_
