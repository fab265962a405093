// EventBus: how Tocsin services publish and consume events.
//
// Every message is a tocsin.events.v1.Envelope; its subject is
// SubjectFor(envelope.type()) = "tocsin." + type ("tocsin.incident.opened").
// One JetStream stream per domain (the part of the type before the first
// dot): StreamFor("incident.opened") = "TOCSIN_INCIDENT".
//
// Publish returns only once the server has acknowledged the message; the
// envelope's event_id is the de-duplication key (Nats-Msg-Id), so publishing
// the same event twice stores it once.
//
// Subscribe creates (or resumes) a durable pull consumer with explicit ack.
// The handler's result decides the message's fate:
//   OK                -> ack
//   any other status  -> nak; redelivered after the backoff, up to
//                        max_deliver attempts; then the envelope is published
//                        to the dead-letter subject
//                        "tocsin.deadletter.<durable_name>" and terminated.
// A message that is not a valid Envelope goes straight to the dead letter.
// Handlers must be idempotent (see libs/store/inbox.h): redelivery happens.
//
// Implementations: JetStreamBus (jetstream_bus.h), FakeEventBus
// (fake_event_bus.h, testonly, in-memory with the same semantics).
#ifndef TOCSIN_LIBS_BUS_EVENT_BUS_H_
#define TOCSIN_LIBS_BUS_EVENT_BUS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tocsin/events/v1/envelope.pb.h"

namespace tocsin::bus {

using Envelope = ::tocsin::events::v1::Envelope;

// "incident.opened" -> "tocsin.incident.opened"
std::string SubjectFor(const std::string& type);
// "incident.opened" -> "TOCSIN_INCIDENT"
std::string StreamFor(const std::string& type);
// "escalation-incidents" -> "tocsin.deadletter.escalation-incidents"
std::string DeadLetterSubject(const std::string& durable_name);

// "incident.opened" -> "incident" (a domain alone maps to itself).
std::string DomainOf(const std::string& type);

// The stream that keeps every dead-lettered message.
inline constexpr char kDeadLetterStream[] = "TOCSIN_DEADLETTER";

// A JetStream stream the bus needs: its name and the subjects it stores.
struct StreamSpec {
  std::string name;      // "TOCSIN_INCIDENT"
  std::string subjects;  // "tocsin.incident.>"
};

// One stream per domain ({"incident"} -> TOCSIN_INCIDENT on
// "tocsin.incident.>"), then the dead-letter stream (kDeadLetterStream on
// "tocsin.deadletter.>").
std::vector<StreamSpec> StreamsFor(const std::vector<std::string>& domains);

// OK for a domain of lowercase letters, digits, '-' and '_', other than the
// reserved "deadletter"; InvalidArgument naming the domain otherwise.
absl::Status ValidateDomain(const std::string& domain);

// OK for "<domain>.<event>" where the event is one or more dot-separated
// words of lowercase letters, digits, '-' and '_'; InvalidArgument otherwise.
absl::Status ValidateType(const std::string& type);

// What Publish requires: a non-empty event_id and a valid type.
absl::Status ValidateEnvelope(const Envelope& envelope);

struct ConsumerOptions {
  // Durable consumer name, unique per consuming service and purpose, e.g.
  // "escalation-incident-events". Letters, digits, '-' and '_'.
  std::string durable_name;
  // Event types to receive, e.g. {"incident.opened", "incident.resolved"}.
  // All must belong to one domain (one stream).
  std::vector<std::string> types;
  // Deliveries before a message goes to the dead letter.
  int max_deliver = 5;
  // How long the server waits for an ack before redelivering.
  absl::Duration ack_wait = absl::Seconds(30);
  // Delay before a nak'ed message is redelivered.
  absl::Duration nak_delay = absl::Seconds(1);
};

// What Subscribe requires: a durable name of letters, digits, '-' and '_';
// at least one valid type, all of one domain; max_deliver >= 1;
// ack_wait > 0; nak_delay >= 0. InvalidArgument otherwise.
absl::Status ValidateConsumerOptions(const ConsumerOptions& options);

// Parses a message body. InvalidArgument when the bytes are not an Envelope
// or the Envelope fails ValidateEnvelope.
absl::StatusOr<Envelope> ParseEnvelope(const void* data, int len);

// Called on a bus thread, one message at a time per subscription.
using Handler = std::function<absl::Status(const Envelope&)>;

// Alive while the consumer runs; destroying it stops fetching (the durable
// consumer stays on the server and resumes on the next Subscribe).
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class EventBus {
 public:
  virtual ~EventBus() = default;

  // Publishes and waits for the server's acknowledgement.
  // Unavailable when the server cannot be reached or does not answer in time.
  virtual absl::Status Publish(const Envelope& envelope) = 0;

  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      const ConsumerOptions& options, Handler handler) = 0;
};

}  // namespace tocsin::bus

#endif  // TOCSIN_LIBS_BUS_EVENT_BUS_H_
