// AlarmSink: where the gateway hands the alarms of one request. In
// production, the incidents service over gRPC (GrpcAlarmSink, one
// IngestAlarms call per request); in tests, anything that records them.
//
// IngestAll hands over a whole request at once and returns only after the
// incidents store committed all of it in one transaction, or nothing:
//   - OK: one result per alarm, in the order given (a repeated event id
//     answers duplicate=true, with the outcome of its first delivery);
//   - InvalidArgument: an alarm is invalid (the message names it by index
//     and event id); nothing was stored;
//   - a transient error (libs/status/retry.h: Unavailable when the database
//     is busy or the service unreachable, DeadlineExceeded, ...): nothing was
//     stored, except after a deadline, when everything may have been; either
//     way the sender retries the whole request, and what was committed
//     answers duplicate=true;
//   - anything else: a fault of the incidents service; nothing to assume.
// Thread-safe.
#ifndef TOCSIN_SERVICES_GATEWAY_ALARM_SINK_H_
#define TOCSIN_SERVICES_GATEWAY_ALARM_SINK_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tocsin/incidents/v1/incidents.grpc.pb.h"

namespace tocsin::gateway {

class AlarmSink {
 public:
  virtual ~AlarmSink() = default;
  virtual absl::StatusOr<std::vector<incidents::v1::IngestAlarmResponse>> IngestAll(
      const std::vector<incidents::v1::Alarm>& alarms) = 0;
};

class GrpcAlarmSink final : public AlarmSink {
 public:
  GrpcAlarmSink(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
      : stub_(incidents::v1::IncidentService::NewStub(channel)),
        channel_(std::move(channel)),
        deadline_(deadline) {}

  // One IngestAlarms call. Internal if the answer does not hold one result
  // per alarm.
  absl::StatusOr<std::vector<incidents::v1::IngestAlarmResponse>> IngestAll(
      const std::vector<incidents::v1::Alarm>& alarms) override;

  // Whether the channel to the incidents service is connected (readiness).
  bool Connected();

 private:
  std::unique_ptr<incidents::v1::IncidentService::Stub> stub_;
  std::shared_ptr<grpc::Channel> channel_;
  absl::Duration deadline_;
};

}  // namespace tocsin::gateway

#endif  // TOCSIN_SERVICES_GATEWAY_ALARM_SINK_H_
