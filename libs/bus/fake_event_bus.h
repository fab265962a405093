// FakeEventBus: an in-memory EventBus for unit tests (testonly), with the
// semantics of JetStreamBus and a deterministic pump instead of threads.
//
//   FakeEventBus bus;
//   ServiceUnderTest service(&bus);          // it subscribes and publishes
//   ASSERT_OK(bus.Publish(MakeIncidentOpened("ev-1")));
//   bus.DeliverPending();                    // handlers run here, now
//   EXPECT_THAT(bus.Published(), Contains(EventWithType("page.requested")));
//
// - Publish stores an envelope once per event_id (a republish is accepted and
//   ignored, for the life of the bus), unless SetPublishFailure set an error.
// - A durable consumer, like JetStream's, starts at the first stored message
//   of its types and remembers what it has finished (acked or dead-lettered)
//   when its Subscription is destroyed; Subscribe again with the same durable
//   name resumes it (with other types, it keeps its position: older messages
//   of the new types are skipped). Several live Subscriptions of one durable
//   share its messages round-robin.
// - Nothing is delivered until the test pumps: DeliverOnce hands every
//   pending message to its consumer once; DeliverPending repeats that until
//   nothing is pending, so failures are retried and events the handlers
//   publish are delivered too. Handlers run on the calling thread. A failed
//   message is retried on the next pass (nak_delay and ack_wait are not
//   simulated); after max_deliver failed deliveries it is dead-lettered
//   (see DeadLetters) and never delivered again.
//
// Thread-safe, except that one pump runs at a time and a handler must not
// pump, nor destroy its own Subscription (destruction waits for a handler in
// progress).
#ifndef TOCSIN_LIBS_BUS_FAKE_EVENT_BUS_H_
#define TOCSIN_LIBS_BUS_FAKE_EVENT_BUS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/bus/event_bus.h"

namespace tocsin::bus {

// A message a consumer gave up on.
struct DeadLetter {
  std::string durable_name;
  Envelope envelope;
  // The handler's last error, as absl::Status::ToString().
  std::string error;
  int deliveries = 0;
};

// Messages, consumers and dead letters, shared by a FakeEventBus and its
// subscriptions (defined in fake_event_bus.cc).
class FakeEventBusState;

class FakeEventBus : public EventBus {
 public:
  FakeEventBus();
  ~FakeEventBus() override;

  // InvalidArgument for an envelope ValidateEnvelope rejects; the status set
  // by SetPublishFailure, storing nothing, while it is not OK.
  absl::Status Publish(const Envelope& envelope) override;

  // InvalidArgument for options ValidateConsumerOptions rejects.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      const ConsumerOptions& options, Handler handler) override;

  // One pass: each message pending at the call is delivered once to a live
  // Subscription of each durable consumer that has not finished it. Returns
  // the number of handler calls.
  int DeliverOnce();

  // Passes until none delivers anything. Returns the number of handler calls.
  int DeliverPending();

  // Makes Publish return status (e.g. absl::UnavailableError(...)) until
  // called with absl::OkStatus().
  void SetPublishFailure(absl::Status status);

  // Stored envelopes in publish order, each event_id once.
  std::vector<Envelope> Published() const;

  // Dead-lettered messages, oldest first.
  std::vector<DeadLetter> DeadLetters() const;

 private:
  const std::shared_ptr<FakeEventBusState> state_;
};

}  // namespace tocsin::bus

#endif  // TOCSIN_LIBS_BUS_FAKE_EVENT_BUS_H_
