#include "libs/bus/new_event.h"

#include "gtest/gtest.h"
#include "libs/proto/time.h"
#include "tocsin/events/v1/envelope.pb.h"

namespace tocsin::bus {
namespace {

TEST(NewEvent, FillsEveryEnvelopeField) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  SequentialIdGenerator ids;
  Envelope payload;  // any message will do as a payload
  payload.set_event_id("inner");
  Envelope e = NewEvent(ids, clock, "incidents", "incident.opened", "inc-1", "alarm-9", payload);
  EXPECT_EQ(e.event_id(), "evt-1");
  EXPECT_EQ(e.type(), "incident.opened");
  EXPECT_EQ(FromProtoTime(e.time()), clock.Now());
  EXPECT_EQ(e.source(), "incidents");
  EXPECT_EQ(e.incident_id(), "inc-1");
  EXPECT_EQ(e.causation_id(), "alarm-9");
  Envelope unpacked;
  ASSERT_TRUE(e.payload().UnpackTo(&unpacked));
  EXPECT_EQ(unpacked.event_id(), "inner");
  EXPECT_EQ(NewEvent(ids, clock, "x", "a.b", "", "", payload).event_id(), "evt-2");
}

}  // namespace
}  // namespace tocsin::bus
