#include "services/runbook/test_service.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/client/test_server.h"
#include "libs/event_record/event_record.h"
#include "libs/ids/ids.h"
#include "libs/status/status_macros.h"
#include "libs/testing/temp_dir.h"
#include "services/runbook/engine.h"
#include "services/runbook/grpc_service.h"
#include "services/runbook/sqlite_store.h"

namespace tocsin::runbook {
namespace {

class KnownIncidents final : public IncidentsPort {
 public:
  void Add(const incidents::v1::Incident& incident) {
    absl::MutexLock l(&mu_);
    incidents_[incident.id()] = incident;
  }
  absl::StatusOr<incidents::v1::Incident> GetIncident(const std::string& id) override {
    absl::MutexLock l(&mu_);
    auto it = incidents_.find(id);
    if (it == incidents_.end()) return absl::NotFoundError(absl::StrCat("no incident ", id));
    return it->second;
  }
  absl::StatusOr<std::optional<incidents::v1::Alarm>> FirstAlarm(const std::string&) override {
    return std::optional<incidents::v1::Alarm>();
  }
  absl::StatusOr<incidents::v1::Incident> UpdateIncident(
      const incidents::v1::UpdateIncidentRequest& request) override {
    return GetIncident(request.id());
  }
  absl::Status AddTimelineEvent(const incidents::v1::AddTimelineEventRequest&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<incidents::v1::Incident> ResolveIncident(const std::string& id,
                                                         const std::string&,
                                                         const std::string&) override {
    return GetIncident(id);
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, incidents::v1::Incident> incidents_ ABSL_GUARDED_BY(mu_);
};

class NoOutsideSteps final : public StepRunner {
 public:
  absl::StatusOr<nlohmann::json> Http(const nlohmann::json&, const EngineValues&,
                                      absl::Duration) override {
    return absl::UnimplementedError("no tocsin:http in this test service");
  }
  absl::StatusOr<nlohmann::json> Command(
      const nlohmann::json&, const EngineValues&, absl::Duration,
      const std::vector<std::pair<std::string, std::string>>&) override {
    return absl::UnimplementedError("no tocsin:command in this test service");
  }
};

class Impl final : public TestRunbookService {
 public:
  absl::Status Init() {
    const std::string path = absl::StrCat(testing::MakeTempDir("runbook"), "/runbook.db");
    ASSIGN_OR_RETURN(record_, event_record::EventRecord::Open(path, &clock_, RunbookMigrations()));
    store_ = std::make_unique<SqliteRunbookStore>(record_->database(), &clock_);
    engine_ = std::make_unique<RunbookEngine>(store_.get(), &incidents_, &runner_, &clock_, &ids_);
    service_ = std::make_unique<RunbookServiceImpl>(engine_.get(), record_.get());
    ASSIGN_OR_RETURN(server_, client::TestServer::Start({service_.get()}));
    return engine_->Recover();
  }

  const std::string& address() const override { return server_->address(); }
  FakeClock& clock() override { return clock_; }
  void AddIncident(const incidents::v1::Incident& incident) override { incidents_.Add(incident); }
  absl::Status RunDue() override { return engine_->RunDue().status(); }

 private:
  FakeClock clock_;
  SequentialIdGenerator ids_;
  KnownIncidents incidents_;
  NoOutsideSteps runner_;
  std::unique_ptr<event_record::EventRecord> record_;
  std::unique_ptr<SqliteRunbookStore> store_;
  std::unique_ptr<RunbookEngine> engine_;
  std::unique_ptr<RunbookServiceImpl> service_;
  // Last: shut down first, while what it serves still exists.
  std::unique_ptr<client::TestServer> server_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TestRunbookService>> TestRunbookService::Start() {
  auto service = std::make_unique<Impl>();
  RETURN_IF_ERROR(service->Init());
  return service;
}

}  // namespace tocsin::runbook
