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
//   a pass makes no progress, so failures are retried and events the
//   handlers publish are delivered too. Handlers run on the calling thread.
// - A failed message is retried on the next pass (nak_delay, max_nak_delay
//   and ack_wait are not simulated), as event_bus.h says: a transient error
//   forever, never dead-lettered; the max_failures-th permanent failure
//   dead-letters it, through ConsumerOptions::dead_letter when set (an error
//   from it: retried next pass, without the handler), else into
//   DeadLetters(). A dead-lettered message is never delivered again.
//   DeadLetter::id is "<durable>:<stream>:<n>" (n: the message's position in
//   the publish order, from 1) and DeadLetter::data the serialized envelope.
// - A pass in which every delivery was retried as transient (or every dead
//   letter failed) makes no progress: DeliverPending returns after it, and
//   the messages stay pending for the next pump.
// - Publish validates envelopes, so the fake never holds bytes that are not
//   an Envelope, and it delivers only the types a consumer names (it never
//   reports Delivery::Outcome::kSkipped).
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

  // Passes until one makes no progress (delivers nothing, or only retries
  // transient failures). Returns the number of handler calls.
  int DeliverPending();

  // Makes Publish return status (e.g. absl::UnavailableError(...)) until
  // called with absl::OkStatus().
  void SetPublishFailure(absl::Status status);

  // Stored envelopes in publish order, each event_id once.
  std::vector<Envelope> Published() const;

  // Messages dead-lettered by consumers without a dead_letter hook, oldest
  // first.
  std::vector<DeadLetter> DeadLetters() const;

 private:
  struct Pass {
    int calls = 0;      // handler calls
    bool progress = false;  // anything but transient retries
  };
  Pass DeliverPass();

  const std::shared_ptr<FakeEventBusState> state_;
};

}  // namespace tocsin::bus

#endif  // TOCSIN_LIBS_BUS_FAKE_EVENT_BUS_H_
