// HttpServer: a small routing layer over libmicrohttpd for Tocsin's HTTP
// endpoints (the gateway's ingestion API, the ack pages, /metrics, /healthz,
// /readyz).
//
//   ASSERT_OK_AND_ASSIGN(auto server, HttpServer::Start({.host = "127.0.0.1", .port = 0}));
//   server->Handle("POST", "/v1/events/eventbridge", [](const HttpRequest& r) {...},
//                  {.authorize = [&](const HttpRequest& r) { return CheckKey(r); }});
//   int port = server->port();
//
// Connections are served by a small pool of threads polling with epoll, so an
// idle or slow client costs a socket, not a thread: a flood of half-sent
// requests cannot keep /readyz or the ack page from answering. Connections
// are bounded in number (in all and per client address) and closed after
// idle_timeout without traffic.
//
// Routes match the exact (URL-decoded) path, or a prefix (HandlePrefix). Unknown paths get 404, a known
// path with another method 405; both with a JSON error body. A route's
// authorize hook sees the request before its body is read; a body larger
// than the route's limit is refused with 413 without being read in full.
// These refusals are answered as soon as the headers are in, and the
// connection is closed after them (the unread body is never read).
//
// Handlers (and authorize hooks) run on the pool's threads, concurrently, and
// must be thread-safe. A handler that blocks holds its thread and the other
// connections that thread serves (new connections go to the other threads):
// keep handlers short. An exception thrown by a handler is answered 500.
#ifndef TOCSIN_LIBS_HTTP_HTTP_SERVER_H_
#define TOCSIN_LIBS_HTTP_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct MHD_Daemon;

namespace tocsin::http {

struct HttpRequest {
  std::string method;
  // URL-decoded path, without the query.
  std::string path;
  // The raw query string after '?' (not decoded), "" if none.
  std::string query;
  // Header names in lower case; a header sent more than once has its values
  // joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;
  // The client's IP address as text: "192.0.2.7", "2001:db8::1" (an IPv4
  // client of a dual-stack socket shows as IPv4).
  std::string remote_addr;

  // Header value by lower-case name, or "" if absent.
  std::string Header(absl::string_view lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers. Content-Length is the server's (a handler's is ignored).
  std::vector<std::pair<std::string, std::string>> headers;
};

// A JSON error response: {"error":{"code":CODE,"message":MESSAGE}}.
HttpResponse JsonError(int status, absl::string_view code,
                       absl::string_view message);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct RouteOptions {
  // Called with the method, path, query, headers and remote_addr (body
  // empty) as soon as the headers are in. A response it returns is sent at
  // once, the body is never read and the connection is closed; nullopt lets
  // the request through to the handler. Thread-safe, like handlers.
  std::function<std::optional<HttpResponse>(const HttpRequest&)> authorize;
  // Bodies larger than this are refused with 413; 0: the server's
  // max_body_bytes.
  int64_t max_body_bytes = 0;
};

struct HttpServerOptions {
  // Loopback by default; "0.0.0.0" (or "::" for IPv6 and IPv4) to serve
  // other hosts. A numeric address.
  std::string host = "127.0.0.1";
  // 0 picks a free port; read it back with port().
  int port = 0;
  // Threads that poll connections and run handlers.
  int num_threads = 16;
  int64_t max_body_bytes = 1 << 20;
  // A connection with no traffic for this long is closed (rounded up to
  // whole seconds).
  absl::Duration idle_timeout = absl::Seconds(10);
  // Open connections at most; more are accepted and closed at once.
  int max_connections = 1024;
  // Open connections from one client IP address at most; 0: no limit.
  int max_connections_per_ip = 64;
};

class HttpServer {
 public:
  // Listens and serves; Unavailable when it cannot listen, InvalidArgument
  // for options it cannot use (a host that is not a numeric address).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Stop().
  ~HttpServer();

  // Adds a route, replacing one of the same method and path; may be called
  // before or after requests arrive.
  void Handle(absl::string_view method, absl::string_view path,
              HttpHandler handler);
  void Handle(absl::string_view method, absl::string_view path,
              HttpHandler handler, RouteOptions options);

  // Adds a route for every path that starts with prefix and is longer than
  // it ("/v1/calendars/" matches "/v1/calendars/abc.ics", not
  // "/v1/calendars/"), replacing one of the same method and prefix. An exact
  // route (Handle) wins over a prefix route; among prefixes, the longest.
  // The handler reads the rest of the path from request.path.
  void HandlePrefix(absl::string_view method, absl::string_view prefix,
                    HttpHandler handler, RouteOptions options = {});

  // Stops listening, closes every connection and waits for running handlers
  // to return; no handler runs after it. Idempotent; quick unless a handler
  // is blocked.
  void Stop();

  int port() const { return port_; }
  int64_t max_body_bytes() const { return options_.max_body_bytes; }

  // Routes a complete request as if it came from the network: 404/405,
  // then the route's authorize hook, then its handler (exceptions are
  // answered 500). Public for tests.
  HttpResponse Dispatch(const HttpRequest& request) const;

 private:
  struct Route {
    HttpHandler handler;
    RouteOptions options;
  };
  // The route for a request, or the 404/405 answer.
  struct Resolved {
    std::shared_ptr<const Route> route;
    std::optional<HttpResponse> refusal;
  };
  class Glue;

  explicit HttpServer(const HttpServerOptions& options);
  Resolved Resolve(const HttpRequest& request) const;
  int64_t BodyLimit(const Route& route) const;

  const HttpServerOptions options_;
  int port_ = 0;
  mutable absl::Mutex mu_;
  // path -> method -> route
  absl::flat_hash_map<std::string,
                      absl::flat_hash_map<std::string, std::shared_ptr<const Route>>>
      routes_ ABSL_GUARDED_BY(mu_);
  // prefix -> method -> route
  absl::flat_hash_map<std::string,
                      absl::flat_hash_map<std::string, std::shared_ptr<const Route>>>
      prefix_routes_ ABSL_GUARDED_BY(mu_);
  absl::Mutex stop_mu_;
  MHD_Daemon* daemon_ ABSL_GUARDED_BY(stop_mu_) = nullptr;
  // libmicrohttpd's last message, for the error when it cannot start.
  absl::Mutex log_mu_;
  std::string last_log_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace tocsin::http

#endif  // TOCSIN_LIBS_HTTP_HTTP_SERVER_H_
