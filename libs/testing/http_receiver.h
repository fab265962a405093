// HttpReceiver: a real HTTP endpoint for tests of code that calls webhooks
// (testonly). It listens on 127.0.0.1 on a port it picks, records every
// request to its path, and answers 200 unless told otherwise.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpReceiver> hook, HttpReceiver::Start());
//   hook->FailNext(2, 500);                 // the first two requests get 500
//   channel.set_url(hook->url());           // "http://127.0.0.1:<port>/hook"
//   ... code under test POSTs ...
//   ASSERT_OK(hook->WaitForCount(3, absl::Seconds(10)));
//   EXPECT_EQ(hook->Requests()[2].Header("idempotency-key"), "pg-1");
//
// Only the path given to Start() is recorded (GET, POST, PUT, PATCH, DELETE);
// other paths answer 404 and are not recorded. Hold() keeps answers back
// (requests are still recorded at once) until Release(), to catch a client
// in the middle of a request. Thread-safe.
#ifndef TOCSIN_LIBS_TESTING_HTTP_RECEIVER_H_
#define TOCSIN_LIBS_TESTING_HTTP_RECEIVER_H_

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
#include "libs/http/http_server.h"

namespace tocsin::testing {

// One request as the receiver saw it.
struct ReceivedRequest {
  std::string method;
  std::string path;
  std::string query;
  // Header names in lower case.
  std::map<std::string, std::string> headers;
  std::string body;
  // The status the receiver answered.
  int answered = 0;

  // Header value by lower-case name, or "" if absent.
  std::string Header(absl::string_view lower_name) const;
};

class HttpReceiver {
 public:
  // Unavailable when no port can be opened.
  static absl::StatusOr<std::unique_ptr<HttpReceiver>> Start(const std::string& path = "/hook");

  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;
  // Releases held requests, then stops the server.
  ~HttpReceiver();

  // The next n requests are answered with status (after any failures set
  // before); the ones after them get the default status.
  void FailNext(int n, int status = 500);
  // The status answered when no FailNext applies (200 at first).
  void SetDefaultStatus(int status);
  // From now on, requests are recorded and then wait, unanswered, until
  // Release() (or the receiver's destruction).
  void Hold();
  void Release();

  // Every request so far, oldest first.
  std::vector<ReceivedRequest> Requests() const;
  // Waits until at least n requests arrived; DeadlineExceeded (saying how
  // many did) after timeout.
  absl::Status WaitForCount(int n, absl::Duration timeout) const;

  // "http://127.0.0.1:<port><path>".
  std::string url() const;
  int port() const { return server_->port(); }

 private:
  explicit HttpReceiver(std::string path) : path_(std::move(path)) {}
  http::HttpResponse Receive(const http::HttpRequest& request);

  const std::string path_;
  mutable absl::Mutex mu_;
  std::vector<ReceivedRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<int> failures_ ABSL_GUARDED_BY(mu_);
  int default_status_ ABSL_GUARDED_BY(mu_) = 200;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  // Last, so it stops (and its threads stop calling Receive) first.
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_HTTP_RECEIVER_H_
