#include "libs/testing/faulty_http_server.h"

#include <microhttpd.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/testing/ports.h"

namespace tocsin::testing {

FaultyAnswer FaultyAnswer::Status(int status, std::string body, std::string content_type) {
  FaultyAnswer a;
  a.kind = Kind::kStatus;
  a.status = status;
  a.body = std::move(body);
  a.content_type = std::move(content_type);
  return a;
}

FaultyAnswer FaultyAnswer::Endless(int status, std::string chunk) {
  FaultyAnswer a;
  a.kind = Kind::kEndless;
  a.status = status;
  a.body = chunk.empty() ? std::string("x") : std::move(chunk);
  return a;
}

FaultyAnswer FaultyAnswer::Stall(absl::Duration stall, int status) {
  FaultyAnswer a;
  a.kind = Kind::kStall;
  a.status = status;
  a.body = "";
  a.stall = stall;
  return a;
}

std::string FaultyRequest::Header(absl::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? "" : it->second;
}

// An endless body in progress.
struct FaultyHttpServer::Stream {
  FaultyHttpServer* server;
  std::string chunk;
  size_t offset = 0;
};

// libmicrohttpd's callbacks.
struct FaultyHttpServer::Glue {
  // One request being read.
  struct Exchange {
    std::string body;
  };

  static MHD_Result CollectHeader(void* cls, MHD_ValueKind /*kind*/, const char* key,
                                  const char* value) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(cls);
    (*headers)[absl::AsciiStrToLower(key)] = value != nullptr ? value : "";
    return MHD_YES;
  }

  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url,
                           const char* method, const char* /*version*/, const char* upload_data,
                           size_t* upload_data_size, void** req_cls) {
    auto* server = static_cast<FaultyHttpServer*>(cls);
    if (*req_cls == nullptr) {
      *req_cls = new Exchange();
      return MHD_YES;
    }
    auto* exchange = static_cast<Exchange*>(*req_cls);
    if (*upload_data_size > 0) {
      exchange->body.append(upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
    FaultyRequest request;
    request.method = method;
    request.path = url;
    request.body = std::move(exchange->body);
    request.received = absl::Now();
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectHeader, &request.headers);
    const FaultyAnswer answer = server->Next(request.path);
    request.answered = answer.kind;
    {
      absl::MutexLock l(&server->mu_);
      server->requests_.push_back(std::move(request));
    }
    MHD_Response* response = nullptr;
    if (answer.kind == FaultyAnswer::Kind::kEndless) {
      auto* stream = new Stream{server, answer.body};
      {
        absl::MutexLock l(&server->mu_);
        ++server->open_streams_;
      }
      response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, &Read, stream,
                                                   &FreeStream);
      if (response == nullptr) FreeStream(stream);
    } else {
      if (answer.kind == FaultyAnswer::Kind::kStall) server->WaitOutStall(answer.stall);
      response = MHD_create_response_from_buffer(
          answer.body.size(), const_cast<char*>(answer.body.data()), MHD_RESPMEM_MUST_COPY);
    }
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, "Content-Type", answer.content_type.c_str());
    MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned>(answer.status), response);
    MHD_destroy_response(response);
    return queued;
  }

  static void Completed(void* /*cls*/, MHD_Connection* /*connection*/, void** req_cls,
                        MHD_RequestTerminationCode /*code*/) {
    delete static_cast<Exchange*>(*req_cls);
    *req_cls = nullptr;
  }

  static ssize_t Read(void* cls, uint64_t /*pos*/, char* buffer, size_t max) {
    auto* stream = static_cast<Stream*>(cls);
    FaultyHttpServer* server = stream->server;
    {
      absl::MutexLock l(&server->mu_);
      if (server->stopping_) return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t written = 0;
    while (written < max) {
      const size_t n = std::min(max - written, stream->chunk.size() - stream->offset);
      std::memcpy(buffer + written, stream->chunk.data() + stream->offset, n);
      written += n;
      stream->offset = (stream->offset + n) % stream->chunk.size();
    }
    absl::MutexLock l(&server->mu_);
    server->streamed_bytes_ += static_cast<int64_t>(written);
    return static_cast<ssize_t>(written);
  }

  static void FreeStream(void* cls) {
    auto* stream = static_cast<Stream*>(cls);
    {
      absl::MutexLock l(&stream->server->mu_);
      --stream->server->open_streams_;
    }
    delete stream;
  }
};

absl::StatusOr<std::unique_ptr<FaultyHttpServer>> FaultyHttpServer::Start() {
  std::unique_ptr<FaultyHttpServer> server(new FaultyHttpServer());
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server->daemon_ = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, nullptr, nullptr,
      &Glue::Access, server.get(), MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
      MHD_OPTION_NOTIFY_COMPLETED, &Glue::Completed, server.get(), MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    return absl::UnavailableError("the faulty HTTP server cannot listen on 127.0.0.1");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  if (info == nullptr || info->port == 0) {
    return absl::InternalError("libmicrohttpd reported no port for the faulty HTTP server");
  }
  server->port_ = info->port;
  return server;
}

FaultyHttpServer::~FaultyHttpServer() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

void FaultyHttpServer::SetAnswer(const std::string& path, FaultyAnswer answer) {
  absl::MutexLock l(&mu_);
  answers_[path] = std::move(answer);
}

void FaultyHttpServer::AnswerNext(const std::string& path, int n, FaultyAnswer answer) {
  absl::MutexLock l(&mu_);
  for (int i = 0; i < n; ++i) next_[path].push_back(answer);
}

void FaultyHttpServer::ReleaseStalls() {
  absl::MutexLock l(&mu_);
  ++release_generation_;
}

FaultyAnswer FaultyHttpServer::Next(const std::string& path) {
  absl::MutexLock l(&mu_);
  auto queued = next_.find(path);
  if (queued != next_.end() && !queued->second.empty()) {
    FaultyAnswer a = std::move(queued->second.front());
    queued->second.pop_front();
    return a;
  }
  auto set = answers_.find(path);
  return set != answers_.end() ? set->second : FaultyAnswer{};
}

void FaultyHttpServer::WaitOutStall(absl::Duration stall) {
  absl::MutexLock l(&mu_);
  const int64_t generation = release_generation_;
  ++open_stalls_;
  auto over = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || release_generation_ != generation;
  };
  mu_.AwaitWithTimeout(absl::Condition(&over), stall);
  --open_stalls_;
}

std::vector<FaultyRequest> FaultyHttpServer::Requests(const std::string& path) const {
  absl::MutexLock l(&mu_);
  std::vector<FaultyRequest> out;
  for (const FaultyRequest& r : requests_) {
    if (path.empty() || r.path == path) out.push_back(r);
  }
  return out;
}

absl::Status FaultyHttpServer::WaitForCount(const std::string& path, int n,
                                            absl::Duration timeout) const {
  auto count = [&] { return static_cast<int>(Requests(path).size()); };
  if (WaitFor([&] { return count() >= n; }, timeout).ok()) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("the faulty HTTP server got ", count(),
                                                  " requests to \"", path, "\", waited for ",
                                                  n));
}

int FaultyHttpServer::open_streams() const {
  absl::MutexLock l(&mu_);
  return open_streams_;
}

int64_t FaultyHttpServer::streamed_bytes() const {
  absl::MutexLock l(&mu_);
  return streamed_bytes_;
}

int FaultyHttpServer::open_stalls() const {
  absl::MutexLock l(&mu_);
  return open_stalls_;
}

std::string FaultyHttpServer::url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

}  // namespace tocsin::testing
