#include "libs/bus/new_event.h"

#include <string>

#include "libs/proto/time.h"

namespace tocsin::bus {

Envelope NewEvent(IdGenerator& ids, const Clock& clock, absl::string_view source,
                  absl::string_view type, absl::string_view incident_id,
                  absl::string_view causation_id, const google::protobuf::Message& payload) {
  Envelope e;
  e.set_event_id(ids.Next("evt"));
  e.set_type(std::string(type));
  *e.mutable_time() = ToProtoTime(clock.Now());
  e.set_source(std::string(source));
  e.set_incident_id(std::string(incident_id));
  e.set_causation_id(std::string(causation_id));
  e.mutable_payload()->PackFrom(payload);
  return e;
}

}  // namespace tocsin::bus
