#include "libs/events/types.h"

#include "gmock/gmock.h"
#include "libs/status/status_matchers.h"

namespace tocsin::events {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

Envelope Make(const std::string& type, const google::protobuf::Message& payload) {
  Envelope e;
  e.set_event_id("evt-1");
  e.set_type(type);
  e.mutable_payload()->PackFrom(payload);
  return e;
}

TEST(EventTypes, PayloadUnpacksTheMatchingTypeAndPayload) {
  incidents::v1::IncidentOpened opened;
  opened.mutable_incident()->set_id("inc-1");
  ASSERT_OK_AND_ASSIGN(incidents::v1::IncidentOpened got,
                       Payload(Make("incident.opened", opened), kIncidentOpened));
  EXPECT_EQ(got.incident().id(), "inc-1");
  EXPECT_TRUE(Is(Make("incident.opened", opened), kIncidentOpened));
  EXPECT_FALSE(Is(Make("incident.opened", opened), kIncidentResolved));
}

TEST(EventTypes, AnotherTypeIsRefusedNamingBoth) {
  incidents::v1::IncidentOpened opened;
  EXPECT_THAT(Payload(Make("incident.opened", opened), kIncidentResolved),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is a incident.opened, not a incident.resolved")));
}

TEST(EventTypes, ARightTypeWithTheWrongPayloadIsRefused) {
  paging::v1::PageSent sent;
  EXPECT_THAT(Payload(Make("incident.opened", sent), kIncidentOpened),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a tocsin.incidents.v1.IncidentOpened")));
  Envelope empty;
  empty.set_event_id("evt-2");
  empty.set_type("page.requested");
  EXPECT_THAT(Payload(empty, kPageRequested),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no payload")));
}

}  // namespace
}  // namespace tocsin::events
