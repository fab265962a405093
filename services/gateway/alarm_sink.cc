#include "services/gateway/alarm_sink.h"

#include "libs/grpc/status.h"

namespace tocsin::gateway {

absl::StatusOr<incidents::v1::IngestAlarmResponse> GrpcAlarmSink::Ingest(
    const incidents::v1::Alarm& alarm) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(deadline_));
  incidents::v1::IngestAlarmRequest request;
  *request.mutable_alarm() = alarm;
  incidents::v1::IngestAlarmResponse response;
  grpc::Status status = stub_->IngestAlarm(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

bool GrpcAlarmSink::Connected() {
  return channel_->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY;
}

}  // namespace tocsin::gateway
