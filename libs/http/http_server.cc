#include "libs/http/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/log/log.h"
#include "nlohmann/json.hpp"

namespace tocsin::http {
namespace {

HttpResponse TooLarge(int64_t limit) {
  return JsonError(413, "body_too_large",
                   absl::StrCat("request body is larger than the limit of ", limit, " bytes"));
}

// Runs a handler or hook; an exception is answered 500. Handlers return
// errors as responses; this is a last line of defence so one bad request
// never takes the server down.
template <typename F>
auto Guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return JsonError(500, "internal", e.what());
  } catch (...) {
    return JsonError(500, "internal", "the handler threw a non-standard exception");
  }
}

// "192.0.2.7" or "2001:db8::1"; an IPv4-mapped IPv6 address as IPv4.
std::string AddressText(const sockaddr* addr) {
  if (addr == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) == nullptr) return "";
  } else if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      if (inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof(text)) == nullptr) {
        return "";
      }
    } else if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)) == nullptr) {
      return "";
    }
  }
  return text;
}

}  // namespace

std::string HttpRequest::Header(absl::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? "" : it->second;
}

HttpResponse JsonError(int status, absl::string_view code,
                       absl::string_view message) {
  nlohmann::json body;
  body["error"]["code"] = std::string(code);
  body["error"]["message"] = std::string(message);
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

// Turns libmicrohttpd's callbacks into HttpRequest / HttpResponse.
//
// Per request MHD calls Access at least twice: once when the headers are in
// (upload_data_size 0: routing, authorize, Content-Length check), then once
// per piece of body, then a last time with upload_data_size 0 (the handler).
// A response queued at the first call makes MHD skip the body and close the
// connection after answering.
class HttpServer::Glue {
 public:
  // One request; created when its request line is parsed (UriLog), deleted
  // when MHD is done with it (Completed), whatever happened in between.
  struct Exchange {
    std::string raw_uri;
    bool started = false;
    HttpRequest request;
    std::shared_ptr<const Route> route;
    int64_t limit = 0;
    bool too_large = false;
    int64_t discarded = 0;
  };

  static void* UriLog(void* /*cls*/, const char* uri, MHD_Connection* /*connection*/) {
    auto* exchange = new Exchange;
    exchange->raw_uri = uri != nullptr ? uri : "";
    return exchange;
  }

  static void Completed(void* /*cls*/, MHD_Connection* /*connection*/, void** req_cls,
                        MHD_RequestTerminationCode /*why*/) {
    delete static_cast<Exchange*>(*req_cls);
    *req_cls = nullptr;
  }

  static void Log(void* cls, const char* format, va_list ap) {
    char buffer[512];
    vsnprintf(buffer, sizeof(buffer), format, ap);
    std::string message(absl::StripTrailingAsciiWhitespace(buffer));
    auto* server = static_cast<HttpServer*>(cls);
    {
      absl::MutexLock l(&server->log_mu_);
      server->last_log_ = message;
    }
    // Connection-level trouble (limits reached, clients gone) can come in
    // floods; it is not worth a warning each.
    log::Debug("http server", {{"detail", message}});
  }

  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url,
                           const char* method, const char* /*version*/,
                           const char* upload_data, size_t* upload_data_size,
                           void** req_cls) {
    auto* server = static_cast<HttpServer*>(cls);
    auto* exchange = static_cast<Exchange*>(*req_cls);
    if (exchange == nullptr) return MHD_NO;  // UriLog always runs first
    if (!exchange->started) {
      exchange->started = true;
      return Begin(server, connection, url, method, exchange);
    }
    if (*upload_data_size > 0) {
      const size_t n = *upload_data_size;
      *upload_data_size = 0;
      return Receive(exchange, upload_data, n);
    }
    if (exchange->too_large) return Queue(connection, TooLarge(exchange->limit));
    if (exchange->route == nullptr) return MHD_NO;
    HttpResponse response =
        Guarded([&] { return exchange->route->handler(exchange->request); });
    return Queue(connection, response);
  }

 private:
  static MHD_Result CollectHeader(void* cls, MHD_ValueKind /*kind*/, const char* key,
                                  const char* value) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(cls);
    if (key == nullptr) return MHD_YES;
    std::string name = absl::AsciiStrToLower(key);
    std::string v = value != nullptr ? value : "";
    auto [it, inserted] = headers->emplace(std::move(name), v);
    if (!inserted) absl::StrAppend(&it->second, ", ", v);
    return MHD_YES;
  }

  // The headers are in: route, authorize, check the declared length.
  static MHD_Result Begin(HttpServer* server, MHD_Connection* connection, const char* url,
                          const char* method, Exchange* exchange) {
    HttpRequest& request = exchange->request;
    request.method = method != nullptr ? method : "";
    request.path = url != nullptr ? url : "/";
    const size_t q = exchange->raw_uri.find('?');
    if (q != std::string::npos) request.query = exchange->raw_uri.substr(q + 1);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectHeader, &request.headers);
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info != nullptr) request.remote_addr = AddressText(info->client_addr);

    Resolved resolved = server->Resolve(request);
    if (resolved.refusal.has_value()) return Queue(connection, *resolved.refusal);
    exchange->route = std::move(resolved.route);
    if (exchange->route->options.authorize) {
      std::optional<HttpResponse> refused = Guarded(
          [&] { return exchange->route->options.authorize(request); });
      if (refused.has_value()) return Queue(connection, *refused);
    }
    exchange->limit = server->BodyLimit(*exchange->route);
    const char* length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t declared = 0;
    if (length != nullptr && absl::SimpleAtoi(length, &declared) &&
        declared > exchange->limit) {
      return Queue(connection, TooLarge(exchange->limit));
    }
    return MHD_YES;
  }

  // A piece of body. Past the limit (only a chunked body can get there: a
  // declared length was checked) the rest is discarded and answered 413 at
  // its end, or the connection is closed once another limit's worth was
  // thrown away, so an endless body ends.
  static MHD_Result Receive(Exchange* exchange, const char* data, size_t n) {
    if (exchange->too_large) {
      exchange->discarded += static_cast<int64_t>(n);
      return exchange->discarded > exchange->limit ? MHD_NO : MHD_YES;
    }
    if (static_cast<int64_t>(exchange->request.body.size() + n) > exchange->limit) {
      exchange->too_large = true;
      exchange->discarded = static_cast<int64_t>(exchange->request.body.size() + n);
      std::string().swap(exchange->request.body);
      return MHD_YES;
    }
    exchange->request.body.append(data, n);
    return MHD_YES;
  }

  static MHD_Result Queue(MHD_Connection* connection, const HttpResponse& r) {
    MHD_Response* response = MHD_create_response_from_buffer(
        r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    if (!r.content_type.empty()) {
      MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
    }
    for (const auto& [name, value] : r.headers) {
      if (absl::EqualsIgnoreCase(name, MHD_HTTP_HEADER_CONTENT_LENGTH)) continue;
      // Refused (and left out) when it holds CR or LF: no header injection.
      MHD_add_response_header(response, name.c_str(), value.c_str());
    }
    const int status = r.status >= 100 && r.status <= 999 ? r.status : 500;
    MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(status), response);
    MHD_destroy_response(response);
    return queued;
  }
};

HttpServer::HttpServer(const HttpServerOptions& options) : options_(options) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  absl::MutexLock l(&stop_mu_);
  if (daemon_ == nullptr) return;
  // Closes the listening socket and every connection, joins the pool: no
  // handler runs after this returns.
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options) {
  const std::string where = absl::StrCat(options.host, ":", options.port);
  if (options.num_threads < 1 || options.max_connections < options.num_threads ||
      options.max_connections_per_ip < 0 || options.max_body_bytes < 0 ||
      options.port < 0 || options.port > 65535 || options.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "HTTP server options for ", where, ": need num_threads >= 1 (got ",
        options.num_threads, "), max_connections >= num_threads (got ",
        options.max_connections, "), max_connections_per_ip >= 0 (got ",
        options.max_connections_per_ip, "), max_body_bytes >= 0, a port in 0..65535 "
        "and a positive idle_timeout"));
  }
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(options.host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP server host \"", options.host, "\" is not a numeric IP address"));
  }
  sockaddr_storage address = {};
  std::memcpy(&address, found->ai_addr, std::min<size_t>(found->ai_addrlen, sizeof(address)));
  freeaddrinfo(found);
  unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (address.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
    in6->sin6_port = htons(static_cast<uint16_t>(options.port));
    flags |= IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
  } else {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port =
        htons(static_cast<uint16_t>(options.port));
  }
  const auto idle_seconds = static_cast<unsigned int>(
      absl::ToInt64Seconds(absl::Ceil(options.idle_timeout, absl::Seconds(1))));

  std::unique_ptr<HttpServer> server(new HttpServer(options));
  HttpServer* raw = server.get();
  MHD_Daemon* daemon = MHD_start_daemon(
      flags, static_cast<uint16_t>(options.port), nullptr, nullptr, &Glue::Access, raw,
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned int>(options.num_threads),
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned int>(options.max_connections),
      MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned int>(options.max_connections_per_ip),
      MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds,
      MHD_OPTION_URI_LOG_CALLBACK, &Glue::UriLog, raw,
      MHD_OPTION_NOTIFY_COMPLETED, &Glue::Completed, raw,
      MHD_OPTION_EXTERNAL_LOGGER, &Glue::Log, raw,
      MHD_OPTION_END);
  if (daemon == nullptr) {
    absl::MutexLock l(&raw->log_mu_);
    return absl::UnavailableError(absl::StrCat("cannot listen on ", where, ": ",
                                               raw->last_log_.empty() ? "libmicrohttpd "
                                               "refused to start" : raw->last_log_));
  }
  {
    absl::MutexLock l(&server->stop_mu_);
    server->daemon_ = daemon;
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (info == nullptr || info->port == 0) {
    return absl::InternalError(
        absl::StrCat("libmicrohttpd reported no listening port for ", where));
  }
  server->port_ = info->port;
  return server;
}

void HttpServer::Handle(absl::string_view method, absl::string_view path,
                        HttpHandler handler) {
  Handle(method, path, std::move(handler), RouteOptions{});
}

void HttpServer::Handle(absl::string_view method, absl::string_view path,
                        HttpHandler handler, RouteOptions options) {
  auto route = std::make_shared<const Route>(Route{std::move(handler), std::move(options)});
  absl::MutexLock l(&mu_);
  routes_[std::string(path)][std::string(method)] = std::move(route);
}

void HttpServer::HandlePrefix(absl::string_view method, absl::string_view prefix,
                              HttpHandler handler, RouteOptions options) {
  auto route = std::make_shared<const Route>(Route{std::move(handler), std::move(options)});
  absl::MutexLock l(&mu_);
  prefix_routes_[std::string(prefix)][std::string(method)] = std::move(route);
}

HttpServer::Resolved HttpServer::Resolve(const HttpRequest& request) const {
  absl::MutexLock l(&mu_);
  const absl::flat_hash_map<std::string, std::shared_ptr<const Route>>* methods = nullptr;
  if (auto path_it = routes_.find(request.path); path_it != routes_.end()) {
    methods = &path_it->second;
  } else {
    size_t longest = 0;
    for (const auto& [prefix, by_method] : prefix_routes_) {
      if (prefix.size() >= longest && request.path.size() > prefix.size() &&
          absl::StartsWith(request.path, prefix)) {
        longest = prefix.size();
        methods = &by_method;
      }
    }
  }
  if (methods == nullptr) {
    return {nullptr,
            JsonError(404, "not_found", absl::StrCat("no such endpoint: ", request.path))};
  }
  auto method_it = methods->find(request.method);
  if (method_it == methods->end()) {
    std::vector<std::string> allowed;
    for (const auto& [m, route] : *methods) allowed.push_back(m);
    std::sort(allowed.begin(), allowed.end());
    HttpResponse r = JsonError(
        405, "method_not_allowed",
        absl::StrCat(request.method, " is not allowed on ", request.path, "; use ",
                     absl::StrJoin(allowed, ", ")));
    r.headers.push_back({"Allow", absl::StrJoin(allowed, ", ")});
    return {nullptr, std::move(r)};
  }
  return {method_it->second, std::nullopt};
}

int64_t HttpServer::BodyLimit(const Route& route) const {
  return route.options.max_body_bytes > 0 ? route.options.max_body_bytes
                                          : options_.max_body_bytes;
}

HttpResponse HttpServer::Dispatch(const HttpRequest& request) const {
  Resolved resolved = Resolve(request);
  if (resolved.refusal.has_value()) return *resolved.refusal;
  const Route& route = *resolved.route;
  if (route.options.authorize) {
    HttpRequest headers_only = request;
    headers_only.body.clear();
    std::optional<HttpResponse> refused =
        Guarded([&] { return route.options.authorize(headers_only); });
    if (refused.has_value()) return *refused;
  }
  const int64_t limit = BodyLimit(route);
  if (static_cast<int64_t>(request.body.size()) > limit) return TooLarge(limit);
  return Guarded([&] { return route.handler(request); });
}

}  // namespace tocsin::http
