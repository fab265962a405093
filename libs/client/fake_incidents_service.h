// In-memory IncidentService and ResponsePlanService (testonly), for tests of
// the clients and of the tocsin CLI: serve them with TestServer
// (test_server.h) and point IncidentsClient at its address.
//
//   FakeIncidentService incidents;
//   incidents.AddIncident(incident);
//   ASSERT_OK_AND_ASSIGN(auto server, TestServer::Start({&incidents}));
//
// They answer like the incidents service where tests look: NotFound with the
// id for an unknown incident or plan, AlreadyExists for a second create,
// Aborted for an update at the wrong version, an impact left out stored as
// 3. List calls return small pages (kPageSize), so clients must follow page
// tokens. Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_FAKE_INCIDENTS_SERVICE_H_
#define TOCSIN_LIBS_CLIENT_FAKE_INCIDENTS_SERVICE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"

namespace tocsin::client {

class FakeIncidentService final
    : public incidents::v1::IncidentService::Service {
 public:
  static constexpr int kPageSize = 2;

  void AddIncident(const incidents::v1::Incident& incident);
  void AddTimelineEvent(const incidents::v1::TimelineEvent& event);
  void AddUnmatched(const incidents::v1::UnmatchedAlarm& alarm);
  // The incident as stored now; it must exist.
  incidents::v1::Incident incident(const std::string& id);
  // Every ResolveIncident request of a known incident, in order.
  std::vector<incidents::v1::ResolveIncidentRequest> resolves();
  // What TestAlarm answers (whatever the alarm), and the alarms it was asked
  // about.
  void SetTestAlarmResponse(const incidents::v1::TestAlarmResponse& response);
  std::vector<incidents::v1::Alarm> tested_alarms();

  grpc::Status GetIncident(grpc::ServerContext*,
                           const incidents::v1::GetIncidentRequest* request,
                           incidents::v1::Incident* response) override;
  grpc::Status ListIncidents(
      grpc::ServerContext*, const incidents::v1::ListIncidentsRequest* request,
      incidents::v1::ListIncidentsResponse* response) override;
  grpc::Status ResolveIncident(
      grpc::ServerContext*,
      const incidents::v1::ResolveIncidentRequest* request,
      incidents::v1::Incident* response) override;
  grpc::Status ListTimelineEvents(
      grpc::ServerContext*,
      const incidents::v1::ListTimelineEventsRequest* request,
      incidents::v1::ListTimelineEventsResponse* response) override;
  grpc::Status ListUnmatchedAlarms(
      grpc::ServerContext*,
      const incidents::v1::ListUnmatchedAlarmsRequest* request,
      incidents::v1::ListUnmatchedAlarmsResponse* response) override;
  grpc::Status TestAlarm(grpc::ServerContext*,
                         const incidents::v1::TestAlarmRequest* request,
                         incidents::v1::TestAlarmResponse* response) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, incidents::v1::Incident> incidents_
      ABSL_GUARDED_BY(mu_);
  std::vector<incidents::v1::TimelineEvent> timeline_ ABSL_GUARDED_BY(mu_);
  std::vector<incidents::v1::UnmatchedAlarm> unmatched_ ABSL_GUARDED_BY(mu_);
  std::vector<incidents::v1::ResolveIncidentRequest> resolves_
      ABSL_GUARDED_BY(mu_);
  incidents::v1::TestAlarmResponse test_alarm_response_ ABSL_GUARDED_BY(mu_);
  std::vector<incidents::v1::Alarm> tested_alarms_ ABSL_GUARDED_BY(mu_);
};

class FakeResponsePlanService final
    : public incidents::v1::ResponsePlanService::Service {
 public:
  std::map<std::string, incidents::v1::ResponsePlan> plans();
  // Creates and updates so far.
  int writes();

  grpc::Status CreateResponsePlan(
      grpc::ServerContext*,
      const incidents::v1::CreateResponsePlanRequest* request,
      incidents::v1::ResponsePlan* response) override;
  grpc::Status UpdateResponsePlan(
      grpc::ServerContext*,
      const incidents::v1::UpdateResponsePlanRequest* request,
      incidents::v1::ResponsePlan* response) override;
  grpc::Status GetResponsePlan(
      grpc::ServerContext*,
      const incidents::v1::GetResponsePlanRequest* request,
      incidents::v1::ResponsePlan* response) override;
  grpc::Status ListResponsePlans(
      grpc::ServerContext*, const incidents::v1::ListResponsePlansRequest*,
      incidents::v1::ListResponsePlansResponse* response) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, incidents::v1::ResponsePlan> plans_
      ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_FAKE_INCIDENTS_SERVICE_H_
