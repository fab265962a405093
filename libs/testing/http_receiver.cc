#include "libs/testing/http_receiver.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/testing/ports.h"

namespace tocsin::testing {

std::string ReceivedRequest::Header(absl::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? "" : it->second;
}

absl::StatusOr<std::unique_ptr<HttpReceiver>> HttpReceiver::Start(const std::string& path) {
  std::unique_ptr<HttpReceiver> receiver(new HttpReceiver(path));
  http::HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.num_threads = 4;
  absl::StatusOr<std::unique_ptr<http::HttpServer>> server = http::HttpServer::Start(options);
  if (!server.ok()) return server.status();
  receiver->server_ = std::move(*server);
  HttpReceiver* raw = receiver.get();
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    receiver->server_->Handle(method, path,
                              [raw](const http::HttpRequest& r) { return raw->Receive(r); });
  }
  return receiver;
}

HttpReceiver::~HttpReceiver() {
  Release();
  server_.reset();
}

void HttpReceiver::Hold() {
  absl::MutexLock l(&mu_);
  held_ = true;
}

void HttpReceiver::Release() {
  absl::MutexLock l(&mu_);
  held_ = false;
}

void HttpReceiver::FailNext(int n, int status) {
  absl::MutexLock l(&mu_);
  for (int i = 0; i < n; ++i) failures_.push_back(status);
}

void HttpReceiver::SetDefaultStatus(int status) {
  absl::MutexLock l(&mu_);
  default_status_ = status;
}

http::HttpResponse HttpReceiver::Receive(const http::HttpRequest& request) {
  absl::MutexLock l(&mu_);
  http::HttpResponse response;
  if (!failures_.empty()) {
    response.status = failures_.front();
    failures_.erase(failures_.begin());
  } else {
    response.status = default_status_;
  }
  response.body = absl::StrCat("{\"received\":", requests_.size() + 1, "}");
  requests_.push_back({request.method, request.path, request.query, request.headers,
                       request.body, response.status});
  mu_.Await(absl::Condition(+[](bool* held) { return !*held; }, &held_));
  return response;
}

std::vector<ReceivedRequest> HttpReceiver::Requests() const {
  absl::MutexLock l(&mu_);
  return requests_;
}

absl::Status HttpReceiver::WaitForCount(int n, absl::Duration timeout) const {
  auto count = [this] {
    absl::MutexLock l(&mu_);
    return static_cast<int>(requests_.size());
  };
  if (WaitFor([&] { return count() >= n; }, timeout).ok()) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("the HTTP receiver got ", count(),
                                                  " requests, waited for ", n));
}

std::string HttpReceiver::url() const {
  return absl::StrCat("http://127.0.0.1:", server_->port(), path_);
}

}  // namespace tocsin::testing
