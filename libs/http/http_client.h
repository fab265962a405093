// HttpClient: blocking, bounded HTTP requests through libcurl. Used by
// services that call out (webhooks) and by tests that talk to Tocsin's HTTP
// endpoints.
//
//   HttpClient client;
//   ASSIGN_OR_RETURN(HttpClientResponse r,
//                    client.Send({.method = "POST", .url = url, .body = json,
//                                 .headers = {{"Content-Type", "application/json"}}}));
//
// Every call is bounded: connect_timeout to set up the connection, timeout
// for the whole exchange, and at most max_response_bytes of the reply body
// are kept; past that the transfer is cut off and the response says
// truncated (a remote that answers an endless body costs neither memory nor
// time). Redirects are not followed: a 3xx is the answer. Only http:// and
// https:// are spoken.
//
// Any HTTP status is a successful call whose status the caller inspects.
// Failures (statuses classified as libs/status/retry.h expects):
//   DeadlineExceeded  a timeout (connect or total)           transient
//   Unavailable       cannot resolve, connect, send or read  transient
//   InvalidArgument   a malformed URL or another scheme      permanent
// Error messages carry the URL only through RedactUrl (libs/http/redact.h).
//
// One HttpClient reuses its connection (keep-alive) and is not thread-safe:
// use one per thread.
#ifndef TOCSIN_LIBS_HTTP_HTTP_CLIENT_H_
#define TOCSIN_LIBS_HTTP_HTTP_CLIENT_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tocsin::http {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // The whole call, connection included.
  absl::Duration timeout = absl::Seconds(10);
  absl::Duration connect_timeout = absl::Seconds(5);
  // Reply body bytes kept; the transfer stops once more arrive.
  size_t max_response_bytes = 64 * 1024;
};

struct HttpClientResponse {
  int status = 0;
  // The reply body as bytes (not necessarily UTF-8), at most
  // max_response_bytes of it.
  std::string body;
  std::string content_type;
  // The reply body was longer than max_response_bytes: body holds its start.
  bool truncated = false;
  // The reply's headers, names in lower case, values trimmed, in the order
  // received (at most kMaxResponseHeaders; the rest are dropped).
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that lower-case name, or "" if absent.
  std::string Header(absl::string_view lower_name) const;
};

// Headers of one reply kept at most (curl bounds each header's size).
inline constexpr size_t kMaxResponseHeaders = 100;

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  absl::StatusOr<HttpClientResponse> Send(const HttpClientRequest& request);

 private:
  void* curl_;  // CURL*
};

}  // namespace tocsin::http

#endif  // TOCSIN_LIBS_HTTP_HTTP_CLIENT_H_
