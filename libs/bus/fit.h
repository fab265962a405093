// FitToSize: makes an event readable by every consumer and small enough for
// the bus. NewEvent (new_event.h) calls it with kMaxEventBytes, so every
// event a service emits fits by construction.
//
//   Envelope event = ...;
//   RETURN_IF_ERROR(FitToSize(event, kMaxEventBytes));
//
// Two repairs:
// - Every string field, of the envelope and (recursively, through nested,
//   repeated and map fields) of its payload, is made valid UTF-8
//   (text::MakeValidUtf8), whatever the size: proto3 refuses to parse
//   invalid UTF-8, so one bad byte would make the event unreadable by every
//   consumer. bytes fields are left as they are.
// - While the serialized envelope is larger than max_bytes, the payload's
//   longest string fields are cut (text::Truncate, so a visible
//   "…[truncated N bytes]" remains) to a common length: the longest that
//   fits, so the short fields stay whole. Map keys and the envelope's own
//   fields (ids, type, source) are never cut.
//
// The payload's type comes from its type_url and must be linked into the
// binary (DescriptorPool::generated_pool()). Since a payload with invalid
// UTF-8 does not parse, it is walked on the wire with its type's descriptor,
// and checked afterwards to parse as its type
// (MessageFactory::generated_factory()).
//
// OK when the envelope fits and parses (changed or not). ResourceExhausted,
// saying by how much, when it cannot be made to fit: too large even with
// every string of the payload emptied, or its payload type unknown to this
// binary; the envelope then keeps its size (only its UTF-8 is repaired).
// InvalidArgument when the payload's bytes are not a message of its type.
// Pure and thread-safe.
#ifndef TOCSIN_LIBS_BUS_FIT_H_
#define TOCSIN_LIBS_BUS_FIT_H_

#include <cstddef>

#include "absl/status/status.h"
#include "libs/bus/event_bus.h"

namespace tocsin::bus {

absl::Status FitToSize(Envelope& envelope, size_t max_bytes);

}  // namespace tocsin::bus

#endif  // TOCSIN_LIBS_BUS_FIT_H_
