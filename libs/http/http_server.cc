#include "libs/http/http_server.h"

#include <exception>

#include "CivetServer.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "civetweb.h"
#include "nlohmann/json.hpp"

namespace tocsin::http {
namespace {

void Send(mg_connection* conn, const HttpResponse& response, bool close) {
  mg_response_header_start(conn, response.status);
  mg_response_header_add(conn, "Content-Type", response.content_type.c_str(), -1);
  std::string length = absl::StrCat(response.body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  for (const auto& [name, value] : response.headers) {
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  }
  if (close) mg_response_header_add(conn, "Connection", "close", -1);
  mg_response_header_send(conn);
  if (!response.body.empty()) {
    mg_write(conn, response.body.data(), response.body.size());
  }
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

// Turns civetweb callbacks into HttpRequest / HttpResponse.
class HttpServer::Glue : public CivetHandler {
 public:
  explicit Glue(HttpServer* server) : server_(server) {}

  bool handleGet(CivetServer*, mg_connection* c) override { return Serve(c); }
  bool handlePost(CivetServer*, mg_connection* c) override { return Serve(c); }
  bool handlePut(CivetServer*, mg_connection* c) override { return Serve(c); }
  bool handleDelete(CivetServer*, mg_connection* c) override { return Serve(c); }
  bool handlePatch(CivetServer*, mg_connection* c) override { return Serve(c); }
  bool handleHead(CivetServer*, mg_connection* c) override { return Serve(c); }

 private:
  bool Serve(mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    request.method = info->request_method ? info->request_method : "";
    request.path = info->local_uri ? info->local_uri : "/";
    request.query = info->query_string ? info->query_string : "";
    request.remote_addr = info->remote_addr;
    for (int i = 0; i < info->num_headers; ++i) {
      request.headers[absl::AsciiStrToLower(info->http_headers[i].name)] =
          info->http_headers[i].value ? info->http_headers[i].value : "";
    }
    const int64_t limit = server_->options_.max_body_bytes;
    auto too_large = [&] {
      Send(conn,
           JsonError(413, "body_too_large",
                     absl::StrCat("request body is larger than the limit of ",
                                  limit, " bytes")),
           /*close=*/true);
      return true;
    };
    if (info->content_length > limit) return too_large();
    char buf[16384];
    while (true) {
      int n = mg_read(conn, buf, sizeof(buf));
      if (n <= 0) break;
      request.body.append(buf, n);
      if (static_cast<int64_t>(request.body.size()) > limit) return too_large();
    }
    HttpResponse response;
    try {
      response = server_->Dispatch(request);
    } catch (const std::exception& e) {
      // Handlers return errors as responses; this is a last line of defence
      // so one bad request never takes the server down.
      response = JsonError(500, "internal", e.what());
    }
    Send(conn, response, /*close=*/false);
    return true;
  }

  HttpServer* server_;
};

HttpServer::HttpServer(const HttpServerOptions& options) : options_(options) {}

HttpServer::~HttpServer() {
  civet_.reset();  // stops and joins worker threads before routes go away
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options) {
  std::unique_ptr<HttpServer> server(new HttpServer(options));
  std::vector<std::string> civet_options = {
      "listening_ports", absl::StrCat(options.host, ":", options.port),
      "num_threads", absl::StrCat(options.num_threads),
      "request_timeout_ms", absl::StrCat(options.request_timeout_ms),
      "enable_keep_alive", "yes",
      "tcp_nodelay", "1",
  };
  try {
    server->civet_ = std::make_unique<CivetServer>(civet_options);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.host, ":", options.port, ": ", e.what()));
  }
  std::vector<int> ports = server->civet_->getListeningPorts();
  if (ports.empty() || ports[0] <= 0) {
    return absl::InternalError(absl::StrCat("civetweb reported no listening port for ",
                                            options.host, ":", options.port));
  }
  server->port_ = ports[0];
  server->glue_ = std::make_unique<Glue>(server.get());
  server->civet_->addHandler("/", server->glue_.get());
  return server;
}

void HttpServer::Handle(absl::string_view method, absl::string_view path,
                        HttpHandler handler) {
  absl::MutexLock l(&mu_);
  routes_[std::string(path)][std::string(method)] = std::move(handler);
}

HttpResponse HttpServer::Dispatch(const HttpRequest& request) const {
  HttpHandler handler;
  {
    absl::MutexLock l(&mu_);
    auto path_it = routes_.find(request.path);
    if (path_it == routes_.end()) {
      return JsonError(404, "not_found",
                       absl::StrCat("no such endpoint: ", request.path));
    }
    auto method_it = path_it->second.find(request.method);
    if (method_it == path_it->second.end()) {
      std::vector<std::string> allowed;
      for (const auto& [m, h] : path_it->second) allowed.push_back(m);
      std::sort(allowed.begin(), allowed.end());
      HttpResponse r = JsonError(
          405, "method_not_allowed",
          absl::StrCat(request.method, " is not allowed on ", request.path,
                       "; use ", absl::StrJoin(allowed, ", ")));
      r.headers.push_back({"Allow", absl::StrJoin(allowed, ", ")});
      return r;
    }
    handler = method_it->second;
  }
  return handler(request);
}

}  // namespace tocsin::http
