#include "services/postmortem/test_service.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/client/test_server.h"
#include "libs/event_record/event_record.h"
#include "libs/ids/ids.h"
#include "libs/status/status_macros.h"
#include "libs/testing/temp_dir.h"
#include "services/postmortem/core.h"
#include "services/postmortem/grpc_service.h"
#include "services/postmortem/sqlite_store.h"

namespace tocsin::postmortem {
namespace {

class KnownIncidents final : public IncidentFactsPort {
 public:
  void Add(const IncidentFacts& facts) {
    absl::MutexLock l(&mu_);
    incidents_[facts.incident.id()] = facts;
  }
  absl::StatusOr<IncidentFacts> Fetch(const std::string& incident_id) override {
    absl::MutexLock l(&mu_);
    auto it = incidents_.find(incident_id);
    if (it == incidents_.end()) {
      return absl::NotFoundError(absl::StrCat("no incident ", incident_id));
    }
    return it->second;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, IncidentFacts> incidents_ ABSL_GUARDED_BY(mu_);
};

class Impl final : public TestPostmortemService {
 public:
  absl::Status Init() {
    const std::string path =
        absl::StrCat(testing::MakeTempDir("postmortem"), "/postmortem.db");
    ASSIGN_OR_RETURN(record_,
                     event_record::EventRecord::Open(path, &clock_, PostmortemMigrations()));
    store_ = std::make_unique<SqlitePostmortemStore>(record_->database());
    core_ = std::make_unique<PostmortemCore>(store_.get(), &incidents_, &clock_, &ids_);
    service_ = std::make_unique<PostmortemServiceImpl>(core_.get(), record_.get());
    ASSIGN_OR_RETURN(server_, client::TestServer::Start({service_.get()}));
    return absl::OkStatus();
  }

  const std::string& address() const override { return server_->address(); }
  FakeClock& clock() override { return clock_; }
  void AddIncident(const IncidentFacts& facts) override { incidents_.Add(facts); }
  absl::Status AnalyseResolved(const incidents::v1::Incident& incident) override {
    return core_->AnalyseResolved(incident);
  }

 private:
  FakeClock clock_;
  SequentialIdGenerator ids_;
  KnownIncidents incidents_;
  std::unique_ptr<event_record::EventRecord> record_;
  std::unique_ptr<SqlitePostmortemStore> store_;
  std::unique_ptr<PostmortemCore> core_;
  std::unique_ptr<PostmortemServiceImpl> service_;
  // Last: shut down first, while what it serves still exists.
  std::unique_ptr<client::TestServer> server_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TestPostmortemService>> TestPostmortemService::Start() {
  auto service = std::make_unique<Impl>();
  RETURN_IF_ERROR(service->Init());
  return service;
}

}  // namespace tocsin::postmortem
