// HttpServer: a small routing layer over civetweb for Tocsin's HTTP endpoints
// (the gateway's ingestion API, /metrics, /healthz, /readyz).
//
//   ASSIGN_OR_RETURN(auto server, HttpServer::Start({.host = "127.0.0.1", .port = 0}));
//   server->Handle("POST", "/v1/events/eventbridge", [](const HttpRequest& r) {...});
//   int port = server->port();
//
// Routes match the exact path. Unknown paths get 404, a known path with
// another method 405; both with a JSON error body. Bodies larger than
// max_body_bytes are refused with 413 before they are read in full.
// Handlers run on civetweb's worker threads and must be thread-safe.
#ifndef TOCSIN_LIBS_HTTP_HTTP_SERVER_H_
#define TOCSIN_LIBS_HTTP_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

class CivetServer;

namespace tocsin::http {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  // Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
  std::string remote_addr;

  // Header value by lower-case name, or "" if absent.
  std::string Header(absl::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A JSON error response: {"error":{"code":CODE,"message":MESSAGE}}.
HttpResponse JsonError(int status, absl::string_view code,
                       absl::string_view message);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // Loopback by default; "0.0.0.0" to serve other hosts.
  std::string host = "127.0.0.1";
  // 0 picks a free port; read it back with port().
  int port = 0;
  int num_threads = 16;
  int64_t max_body_bytes = 1 << 20;
  int request_timeout_ms = 10000;
};

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options);
  ~HttpServer();

  // Adds a route; may be called before or after requests arrive.
  void Handle(absl::string_view method, absl::string_view path,
              HttpHandler handler);

  int port() const { return port_; }
  int64_t max_body_bytes() const { return options_.max_body_bytes; }

  // Routes a request (used by the civetweb glue; public for tests).
  HttpResponse Dispatch(const HttpRequest& request) const;

 private:
  class Glue;
  explicit HttpServer(const HttpServerOptions& options);

  HttpServerOptions options_;
  int port_ = 0;
  mutable absl::Mutex mu_;
  // path -> method -> handler
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, HttpHandler>>
      routes_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Glue> glue_;
  std::unique_ptr<CivetServer> civet_;
};

}  // namespace tocsin::http

#endif  // TOCSIN_LIBS_HTTP_HTTP_SERVER_H_
