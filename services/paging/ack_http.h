// The ack link: what a paged person opens from an email or a chat message.
//
//   RegisterAckEndpoints(*http_server, &core);
//
//   GET  /v1/pages/ack?page=ID&code=CODE  a small HTML page naming the
//        incident, with a button that confirms. A GET never acknowledges:
//        mail scanners and link previews fetch links nobody clicked.
//   POST /v1/pages/ack  (form fields page, code) acknowledges the page
//        (author "link") and answers a short HTML confirmation; a page
//        acknowledged before answers the same.
// Errors are 4xx with a plain-text explanation: 400 for a missing field, 403
// for a wrong code, 404 for an unknown page; 503 when the database fails.
// Answers are never cached and send no Referer (the URL carries the code).
#ifndef TOCSIN_SERVICES_PAGING_ACK_HTTP_H_
#define TOCSIN_SERVICES_PAGING_ACK_HTTP_H_

#include "libs/http/http_server.h"
#include "services/paging/core.h"

namespace tocsin::paging {

// core must outlive server's use of the routes.
void RegisterAckEndpoints(http::HttpServer& server, PagingCore* core);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_ACK_HTTP_H_
