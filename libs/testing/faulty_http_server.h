// FaultyHttpServer: an HTTP peer that misbehaves on purpose, for tests of
// code that calls webhooks (testonly). Per path it answers one of:
//   - a status with a body of any bytes (a proxy's Latin-1 error page:
//     FaultyAnswer::Status(502, "\xE9chec"));
//   - an endless chunked body that streams until the client hangs up
//     (FaultyAnswer::Endless());
//   - a stall: the request is read, then nothing is answered for a while
//     (FaultyAnswer::Stall(absl::Seconds(30)));
//   - 200 "ok" for every path nothing was set for.
//
//   ASSERT_OK_AND_ASSIGN(auto peer, FaultyHttpServer::Start());
//   peer->SetAnswer("/latin1", FaultyAnswer::Status(500, "\xE9chec"));
//   peer->AnswerNext("/flaky", 2, FaultyAnswer::Status(503));  // then the path's answer
//   channel.set_url(peer->url("/latin1"));
//   ... code under test POSTs ...
//   ASSERT_OK(peer->WaitForCount("/latin1", 3, absl::Seconds(10)));
//   EXPECT_EQ(peer->Requests("/latin1")[0].Header("idempotency-key"), "pg-1");
//
// Every request is recorded (method, path, headers, body) as soon as its body
// is in, before it is answered, so a stalled request is seen at once. It runs
// on libmicrohttpd with a thread per connection (a stall holds a thread of
// the peer, never of the test). Destruction ends stalls and streams and
// closes every connection. Thread-safe.
#ifndef TOCSIN_LIBS_TESTING_FAULTY_HTTP_SERVER_H_
#define TOCSIN_LIBS_TESTING_FAULTY_HTTP_SERVER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct MHD_Daemon;

namespace tocsin::testing {

struct FaultyAnswer {
  enum class Kind { kStatus, kEndless, kStall };
  Kind kind = Kind::kStatus;
  int status = 200;
  // kStatus, kStall: the body sent (after the stall). kEndless: sent over
  // and over as the chunks of a body that never ends.
  std::string body = "ok";
  std::string content_type = "text/plain";
  // kStall: how long the request stays unanswered.
  absl::Duration stall = absl::ZeroDuration();

  static FaultyAnswer Status(int status, std::string body = "",
                             std::string content_type = "text/html; charset=iso-8859-1");
  static FaultyAnswer Endless(int status = 200, std::string chunk = std::string(16384, 'x'));
  // Answers status (with an empty body) after `stall`, if the client still
  // waits by then.
  static FaultyAnswer Stall(absl::Duration stall, int status = 200);
};

// One request as the peer saw it.
struct FaultyRequest {
  std::string method;
  std::string path;
  // Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
  // What it was answered (or is being answered) with.
  FaultyAnswer::Kind answered = FaultyAnswer::Kind::kStatus;
  absl::Time received;

  // Header value by lower-case name, or "" if absent.
  std::string Header(absl::string_view lower_name) const;
};

class FaultyHttpServer {
 public:
  // Listens on 127.0.0.1 on a port it picks; Unavailable when it cannot.
  static absl::StatusOr<std::unique_ptr<FaultyHttpServer>> Start();

  FaultyHttpServer(const FaultyHttpServer&) = delete;
  FaultyHttpServer& operator=(const FaultyHttpServer&) = delete;
  ~FaultyHttpServer();

  // Every later request to path gets answer (unless AnswerNext applies).
  void SetAnswer(const std::string& path, FaultyAnswer answer);
  // The next n requests to path get answer; then the path's usual one.
  void AnswerNext(const std::string& path, int n, FaultyAnswer answer);
  // Ends every stall now (those requests get their answer at once); later
  // stalls still wait.
  void ReleaseStalls();

  // Every request so far, oldest first; only those to path if one is given.
  std::vector<FaultyRequest> Requests(const std::string& path = "") const;
  // Waits until at least n requests to path (every path if "") arrived;
  // DeadlineExceeded (saying how many did) after timeout.
  absl::Status WaitForCount(const std::string& path, int n, absl::Duration timeout) const;

  // Endless bodies still streaming (the client has not hung up yet).
  int open_streams() const;
  // Bytes of endless bodies handed to the connection so far.
  int64_t streamed_bytes() const;
  // Requests stalled right now.
  int open_stalls() const;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string url(const std::string& path) const;

 private:
  struct Glue;
  struct Stream;
  FaultyHttpServer() = default;
  // The answer for the next request to path (consumes an AnswerNext).
  FaultyAnswer Next(const std::string& path);
  // Waits out a stall; returns early at ReleaseStalls() or shutdown.
  void WaitOutStall(absl::Duration stall);

  mutable absl::Mutex mu_;
  std::map<std::string, FaultyAnswer> answers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<FaultyAnswer>> next_ ABSL_GUARDED_BY(mu_);
  std::vector<FaultyRequest> requests_ ABSL_GUARDED_BY(mu_);
  int open_streams_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t streamed_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int open_stalls_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped by ReleaseStalls(): a stall that began before it ends.
  int64_t release_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_FAULTY_HTTP_SERVER_H_
