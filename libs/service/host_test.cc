// The service host in-process, on the fake bus and a real SQLite file: dead
// letters from a consumer and from the outbox are kept with their reason,
// announced, listed and replayed over AdminService; transient failures are
// never dead-lettered; pruning, metrics and /readyz.
#include "libs/service/host.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "libs/bus/fake_event_bus.h"
#include "libs/bus/new_event.h"
#include "libs/client/admin_client.h"
#include "libs/client/options.h"
#include "libs/events/types.h"
#include "libs/http/http_client.h"
#include "libs/ids/ids.h"
#include "libs/status/status_matchers.h"
#include "libs/store/dead_letters.h"
#include "libs/store/inbox.h"
#include "libs/store/migrations.h"
#include "libs/store/outbox.h"
#include "libs/testing/temp_dir.h"
#include "nlohmann/json.hpp"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::service {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::tocsin::testing::IsOkAndHolds;
using ::tocsin::testing::StatusIs;

constexpr char kConsumer[] = "test-pages";

// A bus that refuses events of one type for good (as NATS refuses one larger
// than its max_payload), and passes the rest to the fake.
class RefusingBus final : public bus::EventBus {
 public:
  explicit RefusingBus(bus::EventBus* inner) : inner_(inner) {}
  void Refuse(std::string type) {
    absl::MutexLock l(&mu_);
    refused_ = std::move(type);
  }
  absl::Status Publish(const bus::Envelope& e) override {
    {
      absl::MutexLock l(&mu_);
      if (e.type() == refused_) {
        return absl::InvalidArgumentError("event is 2000000 bytes; the server accepts 1048576");
      }
    }
    return inner_->Publish(e);
  }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(const bus::ConsumerOptions& o,
                                                               bus::Handler h) override {
    return inner_->Subscribe(o, std::move(h));
  }

 private:
  bus::EventBus* const inner_;
  absl::Mutex mu_;
  std::string refused_ ABSL_GUARDED_BY(mu_);
};

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("host"); }
  void TearDown() override { host_.reset(); }

  void StartHost() {
    ServiceHost::Settings settings;
    settings.db = dir_ + "/test.db";
    settings.bus = &refusing_;
    settings.clock = &clock_;
    settings.retention = absl::Hours(72);
    auto host = ServiceHost::Start(
        {.name = "test", .domains = {"page"}}, settings,
        [this](ServiceHost& host) -> absl::Status {
          store::DatabaseOptions options;
          options.path = host.db_path();
          ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::Database::Open(options));
          std::vector<store::Migration> m = store::OutboxMigrations();
          for (const auto& more : {store::InboxMigrations(), store::DeadLetterMigrations()}) {
            m.insert(m.end(), more.begin(), more.end());
          }
          RETURN_IF_ERROR(store::Migrate(*db, m, *host.clock()));
          db_ = host.Own(std::move(db));
          RETURN_IF_ERROR(host.UseDatabase(db_));
          bus::ConsumerOptions options_;
          options_.durable_name = kConsumer;
          options_.types = {"page.requested"};
          options_.max_failures = 2;
          options_.nak_delay = absl::ZeroDuration();
          options_.max_nak_delay = absl::ZeroDuration();
          host.AddConsumer(options_, [this](const bus::Envelope& e) -> absl::Status {
            absl::MutexLock l(&mu_);
            ++calls_;
            if (!failure_.ok()) return failure_;
            applied_.push_back(e.event_id());
            return absl::OkStatus();
          });
          host.AddPruner("things", [this](absl::Time older_than) -> absl::StatusOr<int64_t> {
            absl::MutexLock l(&mu_);
            pruned_before_ = older_than;
            return 7;
          });
          return absl::OkStatus();
        });
    ASSERT_OK(host);
    host_ = std::move(*host);
    admin_ = client::AdminClient::Create(
        client::MakeChannel("127.0.0.1:" + std::to_string(host_->grpc_port())));
    // Subscribed by the host's ticker, on its own thread.
    ASSERT_TRUE(WaitFor([&] {
      return Get("/readyz").find("\"consumers\":\"ok\"") != std::string::npos;
    })) << Get("/readyz");
  }

  bus::Envelope PageRequested(const std::string& id, const std::string& incident) {
    escalation::v1::PageRequested request;
    request.set_page_id("pg-" + id);
    return bus::NewEvent(ids_, clock_, "escalation", "page.requested", incident, "", request);
  }

  // Pumps the fake bus until cond holds (the relay and the subscriber run on
  // the host's threads).
  bool WaitFor(const std::function<bool()>& cond) {
    for (int i = 0; i < 500; ++i) {
      fake_.DeliverPending();
      if (cond()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return cond();
  }

  int Published(const std::string& type) {
    int n = 0;
    for (const auto& e : fake_.Published()) n += e.type() == type;
    return n;
  }

  std::string Get(const std::string& path) {
    http::HttpClient client;
    auto r = client.Send(
        {.url = "http://127.0.0.1:" + std::to_string(host_->http_port()) + path});
    return r.ok() ? r->body : r.status().ToString();
  }

  void SetFailure(absl::Status s) {
    absl::MutexLock l(&mu_);
    failure_ = std::move(s);
  }
  int Calls() {
    absl::MutexLock l(&mu_);
    return calls_;
  }
  std::vector<std::string> Applied() {
    absl::MutexLock l(&mu_);
    return applied_;
  }

  std::string dir_;
  FakeClock clock_;
  RandomIdGenerator ids_{&clock_};
  bus::FakeEventBus fake_;
  RefusingBus refusing_{&fake_};
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<client::AdminClient> admin_;
  store::Database* db_ = nullptr;
  absl::Mutex mu_;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> applied_ ABSL_GUARDED_BY(mu_);
  absl::Time pruned_before_ ABSL_GUARDED_BY(mu_);
};

TEST_F(HostTest, APermanentFailureBecomesADeadLetterThatIsAnnouncedListedAndReplayed) {
  StartHost();
  SetFailure(absl::InvalidArgumentError("page_id \"pg-1\" refers to no engagement"));
  const bus::Envelope event = PageRequested("1", "inc-7");
  ASSERT_OK(fake_.Publish(event));
  ASSERT_TRUE(WaitFor([&] { return Published("system.dead_lettered") == 1; }));
  EXPECT_EQ(Calls(), 2) << "max_failures tries, then set aside";

  // The announcement names the event, the incident and the reason.
  bus::Envelope notice;
  for (const auto& e : fake_.Published()) {
    if (e.type() == "system.dead_lettered") notice = e;
  }
  ASSERT_OK_AND_ASSIGN(admin::v1::DeadLettered announced,
                       events::Payload(notice, events::kDeadLettered));
  EXPECT_EQ(notice.incident_id(), "inc-7");
  EXPECT_EQ(announced.dead_letter().id(), "test-1");
  EXPECT_EQ(announced.dead_letter().source(), "consumer:test-pages");
  EXPECT_EQ(announced.dead_letter().event_id(), event.event_id());
  EXPECT_THAT(announced.dead_letter().error(), HasSubstr("refers to no engagement"));

  // Listed over gRPC, reported by /readyz (which stays ready) and /metrics.
  ASSERT_OK_AND_ASSIGN(auto letters, admin_->ListDeadLetters({}));
  ASSERT_THAT(letters, SizeIs(1));
  EXPECT_EQ(letters[0].event_type(), "page.requested");
  EXPECT_EQ(letters[0].attempts(), 2);
  EXPECT_THAT(Get("/readyz"), HasSubstr("1 not replayed (tocsin deadletters list)"));
  EXPECT_THAT(Get("/readyz"), HasSubstr("\"status\":\"ready\""));
  EXPECT_THAT(Get("/metrics"), HasSubstr("tocsin_dead_letters 1"));
  EXPECT_THAT(Get("/metrics"),
              HasSubstr("tocsin_consumer_messages_total{consumer=\"test-pages\",outcome="
                        "\"dead_lettered\"} 1"));

  // A replay before the cause is fixed fails again and keeps it.
  EXPECT_THAT(admin_->ReplayDeadLetter("test-1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("failed again")));
  // Fixed: the replay hands it to the handler once more, and it is done.
  SetFailure(absl::OkStatus());
  ASSERT_OK_AND_ASSIGN(admin::v1::DeadLetter replayed, admin_->ReplayDeadLetter("test-1"));
  EXPECT_TRUE(replayed.has_replay_time());
  EXPECT_THAT(Applied(), ::testing::ElementsAre(event.event_id()));
  EXPECT_THAT(admin_->ListDeadLetters({}), IsOkAndHolds(SizeIs(0)));
  EXPECT_THAT(admin_->ListDeadLetters({.include_replayed = true}), IsOkAndHolds(SizeIs(1)));
  EXPECT_THAT(admin_->ReplayDeadLetter("test-1"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("was replayed")));
  EXPECT_THAT(admin_->ReplayDeadLetter("test-99"), StatusIs(absl::StatusCode::kNotFound, _));
}

TEST_F(HostTest, TransientFailuresAreRetriedAndNeverDeadLettered) {
  StartHost();
  SetFailure(absl::UnavailableError("database is locked"));
  ASSERT_OK(fake_.Publish(PageRequested("1", "inc-1")));
  ASSERT_TRUE(WaitFor([&] { return Calls() >= 10; }));
  SetFailure(absl::OkStatus());
  ASSERT_TRUE(WaitFor([&] { return Applied().size() == 1; }));
  EXPECT_THAT(admin_->ListDeadLetters({.include_replayed = true}), IsOkAndHolds(SizeIs(0)));
  EXPECT_EQ(Published("system.dead_lettered"), 0);
  EXPECT_THAT(Get("/metrics"), HasSubstr("outcome=\"retry_transient\""));
}

TEST_F(HostTest, AnEventTheBusRefusesIsSetAsideAndTheOthersArePublished) {
  StartHost();
  refusing_.Refuse("page.failed");
  escalation::v1::PageRequested payload;
  payload.set_page_id("pg-9");
  const bus::Envelope refused =
      bus::NewEvent(ids_, clock_, "test", "page.failed", "inc-3", "", payload);
  const bus::Envelope after = PageRequested("2", "inc-3");
  ASSERT_OK(db_->Transaction([&]() -> absl::Status {
    RETURN_IF_ERROR(store::AppendToOutbox(*db_, refused, clock_.Now()));
    return store::AppendToOutbox(*db_, after, clock_.Now());
  }));
  // The commit wakes the relay: the event after the refused one goes out.
  ASSERT_TRUE(WaitFor([&] { return Applied().size() == 1; }));
  ASSERT_TRUE(WaitFor([&] { return Published("system.dead_lettered") == 1; }));
  ASSERT_OK_AND_ASSIGN(auto letters, admin_->ListDeadLetters({}));
  ASSERT_THAT(letters, SizeIs(1));
  EXPECT_EQ(letters[0].source(), "outbox");
  EXPECT_EQ(letters[0].incident_id(), "inc-3");
  EXPECT_THAT(letters[0].error(), HasSubstr("the server accepts"));
  EXPECT_EQ(Published("page.failed"), 0);

  // Once the bus takes it (a larger max_payload, say), the replay publishes it.
  refusing_.Refuse("");
  ASSERT_OK(admin_->ReplayDeadLetter(letters[0].id()));
  ASSERT_TRUE(WaitFor([&] { return Published("page.failed") == 1; }));
  EXPECT_THAT(Get("/readyz"), HasSubstr("\"outbox\":\"ok\""));
}

TEST_F(HostTest, PruningUsesTheRetentionForEveryTable) {
  StartHost();
  ASSERT_OK(host_->PruneNow());
  {
    absl::MutexLock l(&mu_);
    EXPECT_EQ(pruned_before_, clock_.Now() - absl::Hours(72));
  }
  EXPECT_THAT(Get("/metrics"), HasSubstr("tocsin_pruned_rows_total{what=\"things\"} 7"));
}

TEST_F(HostTest, MetricsHaveTheProcessTheStoreAndTheOutboxAndPassPromtool) {
  StartHost();
  ASSERT_OK(fake_.Publish(PageRequested("1", "inc-1")));
  ASSERT_TRUE(WaitFor([&] { return Applied().size() == 1; }));
  const std::string metrics = Get("/metrics");
  for (const char* family :
       {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
        "process_start_time_seconds", "tocsin_build_info{service=\"test\"",
        "tocsin_outbox_pending 0", "tocsin_outbox_oldest_pending_age_seconds 0",
        "tocsin_store_commit_seconds_count", "tocsin_store_rows{table=\"outbox\"}",
        "tocsin_consumer_messages_total{consumer=\"test-pages\",outcome=\"applied\"} 1"}) {
    EXPECT_THAT(metrics, HasSubstr(family));
  }
  const std::string path = dir_ + "/metrics.txt";
  std::ofstream(path) << metrics;
  EXPECT_EQ(std::system(("promtool check metrics < " + path + " >/dev/null 2>&1").c_str()), 0)
      << metrics;
}

TEST_F(HostTest, AWiringErrorStopsTheStartWithItsReason) {
  ServiceHost::Settings settings;
  settings.bus = &fake_;
  settings.clock = &clock_;
  auto host = ServiceHost::Start({.name = "test", .domains = {"page"}}, settings,
                                 [](ServiceHost&) {
                                   return absl::FailedPreconditionError("no API keys configured");
                                 });
  EXPECT_THAT(host, StatusIs(absl::StatusCode::kFailedPrecondition, "no API keys configured"));
}

}  // namespace
}  // namespace tocsin::service
