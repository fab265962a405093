// HttpClient: blocking HTTP requests through libcurl. Used by services that
// call out (webhooks) and by tests that talk to Tocsin's HTTP endpoints.
//
//   HttpClient client;
//   ASSIGN_OR_RETURN(HttpClientResponse r,
//                    client.Send({.method = "POST", .url = url, .body = json,
//                                 .headers = {{"Content-Type", "application/json"}}}));
//
// A transport failure (refused, timed out) is Unavailable; any HTTP status is
// a successful call whose status the caller inspects. One HttpClient reuses
// its connection (keep-alive) and is not thread-safe: use one per thread.
#ifndef TOCSIN_LIBS_HTTP_HTTP_CLIENT_H_
#define TOCSIN_LIBS_HTTP_HTTP_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tocsin::http {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  absl::Duration timeout = absl::Seconds(10);
};

struct HttpClientResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

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
