// AlarmSink: where the gateway hands alarms. In production, the incidents
// service over gRPC (GrpcAlarmSink); in tests, anything that records them.
// Ingest returns only after the incidents store committed the alarm.
#ifndef TOCSIN_SERVICES_GATEWAY_ALARM_SINK_H_
#define TOCSIN_SERVICES_GATEWAY_ALARM_SINK_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"

namespace tocsin::gateway {

class AlarmSink {
 public:
  virtual ~AlarmSink() = default;
  virtual absl::StatusOr<incidents::v1::IngestAlarmResponse> Ingest(
      const incidents::v1::Alarm& alarm) = 0;
};

class GrpcAlarmSink final : public AlarmSink {
 public:
  GrpcAlarmSink(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
      : stub_(incidents::v1::IncidentService::NewStub(channel)),
        channel_(std::move(channel)),
        deadline_(deadline) {}

  absl::StatusOr<incidents::v1::IngestAlarmResponse> Ingest(
      const incidents::v1::Alarm& alarm) override;

  // Whether the channel to the incidents service is connected (readiness).
  bool Connected();

 private:
  std::unique_ptr<incidents::v1::IncidentService::Stub> stub_;
  std::shared_ptr<grpc::Channel> channel_;
  absl::Duration deadline_;
};

}  // namespace tocsin::gateway

#endif  // TOCSIN_SERVICES_GATEWAY_ALARM_SINK_H_
