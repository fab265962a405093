#include "libs/bus/new_event.h"

#include <memory>
#include <string>

#include "libs/bus/fit.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/text/text.h"

namespace tocsin::bus {
namespace {

// How long an envelope's own id fields may be once the payload was emptied.
constexpr size_t kMaxIdBytes = 1024;

}  // namespace

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
  absl::Status fitted = FitToSize(e, kMaxEventBytes);
  if (fitted.ok()) return e;

  log::Error("event does not fit the bus; it is emitted with an empty payload",
             {{"event_id", e.event_id()},
              {"type", e.type()},
              {"incident_id", text::UntrustedLine(e.incident_id(), kMaxIdBytes)},
              {"error", ErrorLine(fitted)}});
  std::unique_ptr<google::protobuf::Message> empty(payload.New());
  e.mutable_payload()->PackFrom(*empty);
  if (e.ByteSizeLong() > kMaxEventBytes) {
    for (std::string* id : {e.mutable_source(), e.mutable_incident_id(),
                            e.mutable_causation_id()}) {
      *id = text::Untrusted(*id, kMaxIdBytes);
    }
  }
  return e;
}

}  // namespace tocsin::bus
