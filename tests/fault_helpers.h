// What the fault suite (tests/*_fault_test.cc) shares: the real Tocsin
// processes with contacts paged through real receivers, an EventBridge-like
// sender, and the assertion every fault test makes: every page that should
// arrive arrives exactly once, and nothing else does.
//
//   ASSERT_OK_AND_ASSIGN(auto h, FaultHarness::Start({.faulty_contacts = {{"carol", "/latin1"}}}));
//   h->faulty().SetAnswer("/latin1", testing::FaultyAnswer::Status(500, "\xE9"));
//   ASSERT_OK_AND_ASSIGN(Posted a, h->PostAlarm(1));
//   ASSERT_OK(h->WaitUntilDelivered({a.incident_id}, absl::Seconds(60)));
//   h->ExpectEachPagedOnce({a.incident_id});
//   h->ExpectNoDeadLetters();
//
// The one response plan matches every alarm named "Fault*" and engages, for
// each incident:
//   alice  one email channel      -> smtp()    (SmtpReceiver)
//   bob    one webhook channel    -> hook()    (HttpReceiver, answers 200)
//   and each of FaultOptions::faulty_contacts: one webhook channel to its
//   path on faulty() (FaultyHttpServer).
// Each contact has one channel, so an incident pages each contact once.
// Paging retries quickly (1-2 s backoff), so a fault that ends is recovered
// from in seconds.
#ifndef TOCSIN_TESTS_FAULT_HELPERS_H_
#define TOCSIN_TESTS_FAULT_HELPERS_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/testing/faulty_http_server.h"
#include "libs/testing/http_receiver.h"
#include "libs/testing/smtp_receiver.h"
#include "nlohmann/json.hpp"
#include "tests/suite.h"

namespace tocsin::e2e::faults {

inline constexpr char kEmailContact[] = "alice";
inline constexpr char kWebhookContact[] = "bob";

// The services with a database and gRPC, which each may hold dead letters.
const std::vector<std::string>& StatefulServices();

struct FaultOptions {
  // Contacts paged by a webhook on faulty(): name -> path there.
  std::map<std::string, std::string> faulty_contacts;
  // Given to Suite::Start; paging_path and smtp_url are set by the harness,
  // and its quick-retry flags come before these flags (so these win).
  SuiteOptions suite;
};

// What PostAlarm got.
struct Posted {
  std::string incident_id;
  // Requests sent until one was answered 200 (1: accepted at once).
  int attempts = 0;
};

// Per incident, the page id of every delivery each healthy receiver got.
struct Deliveries {
  std::map<std::string, std::vector<std::string>> email;    // alice, by X-Tocsin-Page-Id
  std::map<std::string, std::vector<std::string>> webhook;  // bob, by Idempotency-Key
};

class FaultHarness {
 public:
  static absl::StatusOr<std::unique_ptr<FaultHarness>> Start(FaultOptions options = {});
  ~FaultHarness();

  Suite& suite() { return *suite_; }
  testing::SmtpReceiver& smtp() { return *smtp_; }
  testing::HttpReceiver& hook() { return *hook_; }
  testing::FaultyHttpServer& faulty() { return *faulty_; }

  // The EventBridge event of alarm n: alarm "Fault<n>" in ALARM, with its
  // own ARN and event id "fault-event-<n>".
  static nlohmann::json AlarmEvent(int n);

  // POSTs alarm n to the gateway as EventBridge does: an answer 5xx or 429,
  // or no answer, is retried (every 250 ms) until timeout (or the harness
  // is destroyed); another 4xx is final (InvalidArgument with the answer).
  // Thread-safe.
  absl::StatusOr<Posted> PostAlarm(int n, absl::Duration timeout = absl::Seconds(120));
  // POSTs a body once, as it is. Thread-safe.
  absl::StatusOr<http::HttpClientResponse> PostBody(const std::string& body);

  // Posts alarms first..first+count-1 from a thread of their own, one every
  // `every`, each retried as PostAlarm does. StreamResults() waits for them.
  void StreamAlarms(int first, int count, absl::Duration every);
  // How many streamed alarms were accepted so far.
  int StreamAccepted();
  // Waits for the stream to end; the incidents of its alarms, in order
  // (failures as errors).
  std::vector<absl::StatusOr<Posted>> StreamResults();

  // Waits until each incident's alice and bob pages exist, are DELIVERED (or
  // ACKNOWLEDGED) with no attempt in progress, and both receivers got them.
  absl::Status WaitUntilDelivered(const std::vector<std::string>& incidents,
                                  absl::Duration timeout);

  Deliveries Received() const;
  // The webhook bob got for the incident (pageId, acceptCode, ackUrl...);
  // NotFound before it came.
  absl::StatusOr<nlohmann::json> WebhookFor(const std::string& incident) const;
  absl::StatusOr<std::vector<paging::v1::Page>> Pages(const std::string& incident);
  absl::StatusOr<std::vector<escalation::v1::Engagement>> Engagements(
      const std::string& incident);

  // gtest expectations, after WaitUntilDelivered and a short quiet spell in
  // which nothing more arrives: each incident paged alice and bob exactly
  // once (one page each at the paging service, one delivery each at the
  // receivers), engaged every contact of the plan once, and nobody was paged
  // for any other incident. With same_page_again, a page may reach a
  // receiver more than once under its one page id (Message-ID /
  // Idempotency-Key; the documented window of a paging crash mid-delivery),
  // but never under two.
  void ExpectEachPagedOnce(const std::vector<std::string>& incidents,
                           bool same_page_again = false);
  // gtest expectation: no service holds a dead letter (AdminService).
  void ExpectNoDeadLetters();

  // The HTTP status of GET /readyz on the service's HTTP port (0: no answer).
  int Readyz(const std::string& service);

  std::string Logs() const { return suite_->Logs(); }

 private:
  FaultHarness() = default;
  absl::Status Configure(const FaultOptions& options);

  std::unique_ptr<testing::SmtpReceiver> smtp_;
  std::unique_ptr<testing::HttpReceiver> hook_;
  std::unique_ptr<testing::FaultyHttpServer> faulty_;
  std::unique_ptr<Suite> suite_;
  std::vector<std::string> contacts_;

  absl::Mutex stream_mu_;
  std::vector<absl::StatusOr<Posted>> stream_results_ ABSL_GUARDED_BY(stream_mu_);
  int stream_accepted_ ABSL_GUARDED_BY(stream_mu_) = 0;
  std::thread stream_;
  // Set at destruction: a stream still running gives up.
  std::atomic<bool> stopping_{false};
};

}  // namespace tocsin::e2e::faults

#endif  // TOCSIN_TESTS_FAULT_HELPERS_H_
