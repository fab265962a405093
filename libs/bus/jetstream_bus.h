// JetStreamBus: the EventBus on a NATS JetStream server (see event_bus.h).
//
//   JetStreamBusOptions options;
//   options.url = "nats://nats:4222";
//   options.client_name = "escalation";
//   options.domains = {"engagement", "page"};
//   ASSIGN_OR_RETURN(std::unique_ptr<JetStreamBus> bus,
//                    JetStreamBus::Connect(options));
//
// Connect ensures the streams of options.domains and the dead-letter stream
// exist (file storage, a de-duplication window for Nats-Msg-Id, and limits:
// messages older than stream_max_age go, and beyond stream_max_bytes the
// oldest go first); Subscribe also ensures the stream of the consumer's
// domain, so start-up order does not matter. A stream that exists already is
// left as it is, limits included (an operator may have tuned it), provided
// it stores the domain's subjects.
//
// The connection reconnects forever. Meanwhile Publish fails at once with
// Unavailable (callers retry: the outbox relay does) and subscriptions keep
// fetching once the server is back.
//
// Publish refuses, with InvalidArgument, an event larger than the server's
// max_payload (a permanent error: the outbox relay sets it aside); NewEvent
// keeps events far below NATS's default.
//
// Subscribe binds a durable pull consumer (explicit ack, deliver all, the
// filter "tocsin.<type>" for one type, else "tocsin.<domain>.>" with the other
// types of the domain acked and skipped) and fetches on its own thread, with
// the outcomes of event_bus.h. The server's MaxDeliver is unlimited: the
// subscription counts each message's permanent failures itself (by stream
// sequence, in memory, for at most kMaxTrackedMessages messages at once: the
// oldest count is forgotten beyond), so a message whose dead-lettering failed
// (server down, hook error) comes back and is dead-lettered then, without
// calling the handler again; after a restart of the consumer it gets
// max_failures more tries first. Without ConsumerOptions::dead_letter, a
// dead-lettered message is published to "tocsin.deadletter.<durable_name>"
// (the stream kDeadLetterStream) with its body and the headers kErrorHeader,
// kSubjectHeader and kDeliveriesHeader, then terminated. A handler that runs
// longer than ack_wait gets the message again afterwards.
//
// Publish is thread-safe. A Subscription may outlive the bus (they share the
// connection); destroying it waits for the handler in progress to return, so
// do not destroy a Subscription from its own handler.
#ifndef TOCSIN_LIBS_BUS_JETSTREAM_BUS_H_
#define TOCSIN_LIBS_BUS_JETSTREAM_BUS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/bus/event_bus.h"

namespace tocsin::bus {

// Headers of a dead-lettered message: why its last delivery failed, the
// subject it was published on, and how many deliveries it had.
inline constexpr char kErrorHeader[] = "Tocsin-Error";
inline constexpr char kSubjectHeader[] = "Tocsin-Subject";
inline constexpr char kDeliveriesHeader[] = "Tocsin-Deliveries";

// Messages of one subscription whose permanent failures are counted at once.
inline constexpr size_t kMaxTrackedMessages = 10000;

struct JetStreamBusOptions {
  // One or more comma-separated server URLs.
  std::string url = "nats://127.0.0.1:4222";
  // Shown in the server's connection list, e.g. "escalation".
  std::string client_name;
  // NATS credentials file (JWT and NKey seed); empty for none.
  std::string credentials_file;
  // CA certificates to verify the server with; setting it requires TLS.
  std::string tls_ca_file;
  absl::Duration connect_timeout = absl::Seconds(5);
  // How long Publish (and a JetStream API call) waits for the server.
  absl::Duration publish_timeout = absl::Seconds(5);
  // Pause between reconnect attempts while the server is unreachable.
  absl::Duration reconnect_wait = absl::Seconds(1);
  // Domains whose streams to create at connect, e.g. {"incident"}.
  std::vector<std::string> domains;
  // Streams' de-duplication window: a republished event id within it is
  // stored once.
  absl::Duration duplicate_window = absl::Minutes(2);
  // Stream replicas (3 on a JetStream cluster).
  int replicas = 1;
  // Limits of the streams Connect and Subscribe create (the oldest messages
  // are discarded first); zero or less for none. The duplicate window must
  // not be longer than stream_max_age.
  absl::Duration stream_max_age = absl::Hours(24 * 7);
  int64_t stream_max_bytes = int64_t{1} << 30;
};

// The NATS connection and JetStream context, shared by a bus and its
// subscriptions (defined in jetstream_bus.cc).
class JetStreamConnection;

class JetStreamBus : public EventBus {
 public:
  // Unavailable when no server answers; InvalidArgument for bad options;
  // FailedPrecondition when a stream cannot be created or updated as asked.
  static absl::StatusOr<std::unique_ptr<JetStreamBus>> Connect(
      const JetStreamBusOptions& options);

  ~JetStreamBus() override;

  // InvalidArgument for an envelope ValidateEnvelope rejects or one larger
  // than the server's max_payload; Unavailable when the server is
  // unreachable or does not acknowledge in time.
  absl::Status Publish(const Envelope& envelope) override;

  // An existing durable consumer is updated to these options and keeps its
  // position (with other types, older messages of the new types are not
  // delivered). InvalidArgument for options ValidateConsumerOptions rejects;
  // FailedPrecondition when the server refuses the consumer.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      const ConsumerOptions& options, Handler handler) override;

 private:
  explicit JetStreamBus(std::shared_ptr<JetStreamConnection> connection);

  const std::shared_ptr<JetStreamConnection> connection_;
};

}  // namespace tocsin::bus

#endif  // TOCSIN_LIBS_BUS_JETSTREAM_BUS_H_
