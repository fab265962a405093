// Probe: one HTTP request the way a particular client sends it, from a
// chosen local address, keeping the answer's headers (testonly). For tests of
// per-client limits (which client a server sees) and of answers whose
// headers matter (Retry-After on a 429).
//
//   ASSERT_OK_AND_ASSIGN(ProbeResponse r,
//                        Probe({.method = "POST", .url = ack_url, .body = "page=pg-1&code=1",
//                               .source = "127.0.0.2"}));
//   EXPECT_EQ(r.status, 429);
//   EXPECT_EQ(r.Header("retry-after"), "60");
//
// Runs libcurl: a POST body goes as application/x-www-form-urlencoded unless
// a Content-Type header is given. Any HTTP status is a successful probe;
// Unavailable when no answer came (with curl's reason). Thread-safe.
#ifndef TOCSIN_LIBS_TESTING_HTTP_PROBE_H_
#define TOCSIN_LIBS_TESTING_HTTP_PROBE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tocsin::testing {

struct ProbeRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // The local address to send from (any 127.x.y.z works on Linux).
  std::string source = "127.0.0.1";
  absl::Duration timeout = absl::Seconds(10);
};

struct ProbeResponse {
  int status = 0;
  // Header names in lower case (the last value of a repeated header).
  std::map<std::string, std::string> headers;
  std::string body;

  // Header value by lower-case name, or "" if absent.
  std::string Header(absl::string_view lower_name) const;
};

absl::StatusOr<ProbeResponse> Probe(const ProbeRequest& request);

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_HTTP_PROBE_H_
