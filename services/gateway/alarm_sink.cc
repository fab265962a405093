#include "services/gateway/alarm_sink.h"

#include "absl/strings/str_cat.h"
#include "libs/grpc/status.h"

namespace tocsin::gateway {

absl::StatusOr<std::vector<incidents::v1::IngestAlarmResponse>> GrpcAlarmSink::IngestAll(
    const std::vector<incidents::v1::Alarm>& alarms) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(deadline_));
  incidents::v1::IngestAlarmsRequest request;
  request.mutable_alarms()->Reserve(static_cast<int>(alarms.size()));
  for (const incidents::v1::Alarm& alarm : alarms) *request.add_alarms() = alarm;
  incidents::v1::IngestAlarmsResponse response;
  grpc::Status status = stub_->IngestAlarms(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  if (response.results_size() != static_cast<int>(alarms.size())) {
    return absl::InternalError(absl::StrCat("the incidents service answered ",
                                            response.results_size(), " results for ",
                                            alarms.size(), " alarms"));
  }
  return std::vector<incidents::v1::IngestAlarmResponse>(
      std::make_move_iterator(response.mutable_results()->begin()),
      std::make_move_iterator(response.mutable_results()->end()));
}

bool GrpcAlarmSink::Connected() {
  return channel_->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY;
}

}  // namespace tocsin::gateway
