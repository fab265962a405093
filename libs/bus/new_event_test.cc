#include "libs/bus/new_event.h"

#include <type_traits>
#include <utility>

#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "tocsin/events/v1/envelope.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::bus {
namespace {

// Whether NewEvent(..., type, ..., payload) compiles for these argument types.
template <typename Type, typename Payload, typename = void>
struct CanBuild : std::false_type {};
template <typename Type, typename Payload>
struct CanBuild<Type, Payload,
                std::void_t<decltype(NewEvent(std::declval<IdGenerator&>(),
                                              std::declval<const Clock&>(), "",
                                              std::declval<const Type&>(), "", "",
                                              std::declval<const Payload&>()))>>
    : std::true_type {};

using OpenedType = events::EventType<incidents::v1::IncidentOpened>;
static_assert(CanBuild<OpenedType, incidents::v1::IncidentOpened>::value);
static_assert(!CanBuild<OpenedType, incidents::v1::IncidentResolved>::value,
              "a payload of another type than the event type's must not compile");

TEST(NewEvent, TypedEventCarriesItsTypeNameAndPayload) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  SequentialIdGenerator ids;
  incidents::v1::IncidentOpened opened;
  opened.mutable_incident()->set_id("inc-1");

  Envelope e =
      NewEvent(ids, clock, "incidents", events::kIncidentOpened, "inc-1", "alarm-9", opened);

  EXPECT_EQ(e.type(), "incident.opened");
  EXPECT_EQ(e.event_id(), "evt-1");
  EXPECT_EQ(e.source(), "incidents");
  EXPECT_EQ(e.causation_id(), "alarm-9");
  absl::StatusOr<incidents::v1::IncidentOpened> received =
      events::Payload(e, events::kIncidentOpened);
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(received->incident().id(), "inc-1");
}

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

TEST(NewEvent, EveryEventFitsTheBus) {
  FakeClock clock;
  SequentialIdGenerator ids;
  incidents::v1::IncidentOpened opened;
  opened.mutable_incident()->set_title("bad \xff title");
  opened.mutable_alarm()->set_reason(std::string(300 * 1000, 'r'));

  Envelope e = NewEvent(ids, clock, "incidents", "incident.opened", "inc-1", "alarm-9", opened);

  EXPECT_LE(e.ByteSizeLong(), kMaxEventBytes);
  incidents::v1::IncidentOpened received;
  ASSERT_TRUE(e.payload().UnpackTo(&received));
  EXPECT_EQ(received.incident().title(), "bad \uFFFD title");
  EXPECT_THAT(received.alarm().reason(), ::testing::HasSubstr("…[truncated "));
  EXPECT_EQ(e.incident_id(), "inc-1");
}

TEST(NewEvent, AnEventThatCannotFitGoesOutWithAnEmptyPayloadOfItsType) {
  FakeClock clock;
  SequentialIdGenerator ids;
  google::protobuf::BytesValue huge;
  huge.set_value(std::string(kMaxEventBytes + 1, 'b'));

  Envelope e = NewEvent(ids, clock, "incidents", "incident.opened", "inc-1", "alarm-9", huge);

  EXPECT_LE(e.ByteSizeLong(), kMaxEventBytes);
  EXPECT_EQ(e.event_id(), "evt-1");
  EXPECT_EQ(e.incident_id(), "inc-1");
  EXPECT_TRUE(e.payload().Is<google::protobuf::BytesValue>());
  google::protobuf::BytesValue received;
  ASSERT_TRUE(e.payload().UnpackTo(&received));
  EXPECT_EQ(received.value(), "");
}

}  // namespace
}  // namespace tocsin::bus
