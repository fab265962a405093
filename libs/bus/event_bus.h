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
//   OK                  -> ack.
//   IsTransient(status) -> (libs/status/retry.h: Unavailable, DeadlineExceeded,
//                          Aborted, ResourceExhausted, Cancelled) nak, and the
//                          message comes back after RetryDelay(options, n)
//                          = nak_delay * 2^(n-1) for its n-th delivery,
//                          at most max_nak_delay; forever: a database locked
//                          for an hour never dead-letters a message.
//   any other status    -> a permanent failure: counted, nak with nak_delay;
//                          the max_failures-th permanent failure of a message
//                          dead-letters it instead.
//   a thrown exception  -> a permanent failure (Internal, with its what()).
// Bytes that are not a valid Envelope are dead-lettered at once, without the
// handler. Transient redeliveries never count towards the dead letter, so
// the count is the consumer's own, per message, in memory: a restart of the
// consumer resets it (a poison message then gets max_failures more tries:
// still bounded).
//
// Dead-lettering: with ConsumerOptions::dead_letter set, the hook receives
// the DeadLetter; OK terminates the message (never delivered again), an error
// naks it (after RetryDelay) and the next delivery is dead-lettered again
// without the handler: a message is never lost. The hook may see one message
// twice (a crash between the hook and the termination), so it must be
// idempotent on DeadLetter::id. Without the hook, the implementation keeps
// the message on its dead-letter subject "tocsin.deadletter.<durable_name>"
// (see JetStreamBus, FakeEventBus::DeadLetters).
//
// ConsumerOptions::on_outcome, when set, hears of every handled delivery
// once (for metrics). Handlers must be idempotent (see libs/store/inbox.h):
// redelivery happens.
//
// Every event should be built by NewEvent (libs/bus/new_event.h), which
// makes it fit kMaxEventBytes (FitToSize, libs/bus/fit.h).
//
// Implementations: JetStreamBus (jetstream_bus.h), FakeEventBus
// (fake_event_bus.h, testonly, in-memory with the same semantics).
#ifndef TOCSIN_LIBS_BUS_EVENT_BUS_H_
#define TOCSIN_LIBS_BUS_EVENT_BUS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

// "tocsin.incident.opened" -> "incident.opened" (the subject itself when it
// does not start with "tocsin.").
std::string TypeOfSubject(const std::string& subject);

// "incident.opened" -> "incident" (a domain alone maps to itself).
std::string DomainOf(const std::string& type);

// The largest event NewEvent emits, serialized. NATS's default max_payload is
// 1 MiB: a quarter leaves room for headers and for servers with smaller
// limits.
inline constexpr size_t kMaxEventBytes = 256 * 1024;

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

// Called on a bus thread, one message at a time per subscription.
using Handler = std::function<absl::Status(const Envelope&)>;

// A message a consumer gave up on, as handed to ConsumerOptions::dead_letter.
struct DeadLetter {
  // The durable name of the consumer that gave up.
  std::string consumer;
  // The subject the message was published on ("tocsin.incident.opened").
  std::string subject;
  // "<durable>:<stream>:<sequence>", e.g. "paging-pages:TOCSIN_PAGE:42":
  // stable across redeliveries (the key to be idempotent on).
  std::string id;
  // The message body, as it was stored.
  std::string data;
  // The body parsed, when it is a valid Envelope.
  std::optional<Envelope> envelope;
  // Why: the last error (absl::Status::ToString()), one line of valid UTF-8,
  // at most text::kMaxDetailBytes.
  std::string error;
  // Deliveries of the message to this consumer so far, transient retries
  // included (1 for bytes that are not an Envelope, on first delivery).
  int64_t attempts = 0;
};

// What became of one delivery, for ConsumerOptions::on_outcome.
struct Delivery {
  enum class Outcome {
    kApplied,         // the handler returned OK; acked
    kSkipped,         // of a type the consumer does not handle; acked
    kRetryTransient,  // transient error (or the dead letter failed); nak'ed
    kRetryPermanent,  // a permanent failure below max_failures; nak'ed
    kDeadLettered,    // set aside for good
  };
  Outcome outcome = Outcome::kApplied;
  // Which delivery of the message this was: 1 for the first.
  int64_t deliveries = 0;
  // The event type ("incident.opened"), from the subject when the body is not
  // an Envelope.
  std::string type;
};

struct ConsumerOptions {
  // Durable consumer name, unique per consuming service and purpose, e.g.
  // "escalation-incident-events". Letters, digits, '-' and '_'.
  std::string durable_name;
  // Event types to receive, e.g. {"incident.opened", "incident.resolved"}.
  // All must belong to one domain (one stream).
  std::vector<std::string> types;
  // Permanent failures of one message before it goes to the dead letter
  // (transient ones never count).
  int max_failures = 5;
  // How long the server waits for an ack before redelivering.
  absl::Duration ack_wait = absl::Seconds(30);
  // Delay before a message that failed is redelivered; doubled for each
  // delivery of a transient failure (see RetryDelay).
  absl::Duration nak_delay = absl::Seconds(1);
  // The longest delay before a redelivery.
  absl::Duration max_nak_delay = absl::Seconds(30);
  // Where dead letters go instead of the dead-letter subject, when set: OK
  // once it has kept the dead letter for good; an error to be called again
  // later. Called on the bus thread, like the handler.
  std::function<absl::Status(const DeadLetter&)> dead_letter;
  // Told of every handled delivery once, when set. Called on the bus thread;
  // must be fast and must not throw.
  std::function<void(const Delivery&)> on_outcome;
};

// What Subscribe requires: a durable name of letters, digits, '-' and '_';
// at least one valid type, all of one domain; max_failures >= 1;
// ack_wait > 0; 0 <= nak_delay <= max_nak_delay. InvalidArgument otherwise.
absl::Status ValidateConsumerOptions(const ConsumerOptions& options);

// The delay before the redelivery of a message that failed transiently on
// its n-th delivery (n >= 1): nak_delay * 2^(n-1), at most max_nak_delay.
absl::Duration RetryDelay(const ConsumerOptions& options, int64_t deliveries);

// Calls handler; an exception it throws becomes Internal with its what(), so
// a throwing handler is a permanent failure and never ends the bus thread.
absl::Status CallHandler(const Handler& handler, const Envelope& envelope);

// An error text as kept on a DeadLetter, a header or a log line: one line of
// valid UTF-8, at most text::kMaxDetailBytes.
std::string ErrorLine(const absl::Status& status);

// Parses a message body. InvalidArgument when the bytes are not an Envelope
// or the Envelope fails ValidateEnvelope.
absl::StatusOr<Envelope> ParseEnvelope(const void* data, int len);

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
