#include "services/paging/chat_updates.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/events/types.h"
#include "libs/status/status_matchers.h"

namespace tocsin::paging {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::tocsin::events::v1::Envelope;

template <typename T>
Envelope Event(const events::EventType<T>& type, const T& payload) {
  Envelope e;
  e.set_event_id("ev");
  e.set_type(type.name);
  e.set_incident_id("inc-1");
  e.mutable_payload()->PackFrom(payload);
  return e;
}

incidents::v1::Incident Incident() {
  incidents::v1::Incident in;
  in.set_id("inc-1");
  in.set_title("Checkout errors");
  in.set_impact(3);
  in.add_chat_channels("ops");
  in.add_engagements("alice");
  return in;
}

Envelope Entry(const std::string& type, const std::string& message) {
  incidents::v1::TimelineAdded added;
  added.mutable_event()->set_type(type);
  added.mutable_event()->set_message(message);
  added.mutable_event()->set_author("cli:bob");
  return Event(events::kTimelineAdded, added);
}

TEST(ChatUpdatesTest, OpenedKeepsTheIncidentAndItsLink) {
  incidents::v1::IncidentOpened opened;
  *opened.mutable_incident() = Incident();
  auto* link = opened.mutable_incident()->add_related_items();
  link->set_type(incidents::v1::RELATED_ITEM_TYPE_URL);
  link->set_value("https://console.aws.amazon.com/cloudwatch/x");
  std::optional<v1::ChatIncident> state;
  ASSERT_OK_AND_ASSIGN(auto updates, ChatUpdatesFor(Event(events::kIncidentOpened, opened), state,
                                                    {.console_url = "https://t/{id}"}));
  ASSERT_THAT(updates, SizeIs(1));
  EXPECT_EQ(updates[0].kind, kChatOpened);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->link(), "https://console.aws.amazon.com/cloudwatch/x");
  EXPECT_EQ(state->status(), "OPEN");
  EXPECT_EQ(state->channels(0), "ops");
  EXPECT_EQ(state->engaged(0), "alice");

  // Without a console link, the template.
  std::optional<v1::ChatIncident> other;
  opened.mutable_incident()->clear_related_items();
  ASSERT_OK(ChatUpdatesFor(Event(events::kIncidentOpened, opened), other,
                           {.console_url = "https://t/{id}"})
                .status());
  EXPECT_EQ(other->link(), "https://t/inc-1");
}

TEST(ChatUpdatesTest, ImpactAndTitleChangesArePostedOthersNot) {
  std::optional<v1::ChatIncident> state = v1::ChatIncident();
  state->set_impact(3);
  incidents::v1::IncidentUpdated updated;
  *updated.mutable_incident() = Incident();
  updated.mutable_incident()->set_impact(1);
  updated.add_changed_fields("impact");
  ASSERT_OK_AND_ASSIGN(auto updates,
                       ChatUpdatesFor(Event(events::kIncidentUpdated, updated), state, {}));
  ASSERT_THAT(updates, SizeIs(1));
  EXPECT_EQ(updates[0].text, "Changed impact from 3 (medium) to 1 (critical)");
  updated.clear_changed_fields();
  updated.add_changed_fields("summary");
  ASSERT_OK_AND_ASSIGN(updates, ChatUpdatesFor(Event(events::kIncidentUpdated, updated), state, {}));
  EXPECT_THAT(updates, IsEmpty());
}

TEST(ChatUpdatesTest, TimelineEntries) {
  std::optional<v1::ChatIncident> state = v1::ChatIncident();
  state->set_id("inc-1");
  ASSERT_OK_AND_ASSIGN(auto u, ChatUpdatesFor(Entry("note", "Rolling back"), state, {}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].text, "Note by cli:bob: Rolling back");
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("page.acknowledged",
                                               "Acknowledged by link (page pg-1 to alice)"),
                                         state, {}));
  EXPECT_EQ(u[0].kind, kChatAcknowledged);
  EXPECT_EQ(state->status(), "ACKNOWLEDGED by link (page pg-1 to alice)");
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("engagement.stage_started",
                                               "Paging alice on sms (stage 1, page pg-1)"),
                                         state, {}));
  EXPECT_THAT(u, IsEmpty());
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("engagement.stage_started",
                                               "Paging bob on sms (stage 2, page pg-2)"),
                                         state, {}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].kind, kChatEscalated);
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("page.sent", "Sending"), state, {}));
  EXPECT_THAT(u, IsEmpty());
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("alarm", "cpu is ALARM"), state, {}));
  EXPECT_EQ(u[0].kind, kChatAlarms);
  EXPECT_EQ(state->alarms_joined(), 1);
  // Of an incident chat knows nothing of: nothing.
  std::optional<v1::ChatIncident> none;
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("note", "x"), none, {}));
  EXPECT_THAT(u, IsEmpty());
}

TEST(ChatUpdatesTest, BadPayloadIsInvalidArgument) {
  Envelope e = Entry("note", "x");
  e.set_type(events::kIncidentOpened.name);
  std::optional<v1::ChatIncident> state;
  EXPECT_THAT(ChatUpdatesFor(e, state, {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(FoldedTextTest, SaysHowManyAndWhat) {
  EXPECT_EQ(FoldedText(kChatAlarms, 1, {"a"}), "1 more alarm joined\n• a");
  EXPECT_EQ(FoldedText(kChatAlarms, 3, {"a", "b"}), "3 more alarms joined\n• a\n• b\n• … and 1 more");
  EXPECT_FALSE(IsFoldable(kChatOpened));
  EXPECT_TRUE(IsFoldable(kChatNote));
}

}  // namespace
}  // namespace tocsin::paging
