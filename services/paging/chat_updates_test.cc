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

Envelope Entry(const std::string& type, const std::string& message,
               const incidents::v1::Incident& incident = Incident()) {
  incidents::v1::TimelineAdded added;
  added.mutable_event()->set_type(type);
  added.mutable_event()->set_message(message);
  added.mutable_event()->set_author("cli:bob");
  *added.mutable_incident() = incident;
  return Event(events::kTimelineAdded, added);
}

TEST(ChatUpdatesTest, OpenedKeepsTheIncidentAndItsLink) {
  incidents::v1::Incident in = Incident();
  auto* link = in.add_related_items();
  link->set_type(incidents::v1::RELATED_ITEM_TYPE_URL);
  link->set_value("https://console.aws.amazon.com/cloudwatch/x");
  std::optional<v1::ChatIncident> state;
  ASSERT_OK_AND_ASSIGN(auto updates, ChatUpdatesFor(Entry("incident.opened", "Opened", in), state,
                                                    {.console_url = "https://t/{id}"}));
  ASSERT_THAT(updates, SizeIs(1));
  EXPECT_EQ(updates[0].kind, kChatOpened);
  EXPECT_EQ(updates[0].text, "Incident opened: Checkout errors");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->link(), "https://console.aws.amazon.com/cloudwatch/x");
  EXPECT_EQ(state->status(), "OPEN");
  EXPECT_EQ(state->channels(0), "ops");
  EXPECT_EQ(state->engaged(0), "alice");

  // Without a console link, the template.
  std::optional<v1::ChatIncident> other;
  ASSERT_OK(ChatUpdatesFor(Entry("incident.opened", "Opened"), other,
                           {.console_url = "https://t/{id}"})
                .status());
  EXPECT_EQ(other->link(), "https://t/inc-1");
}

TEST(ChatUpdatesTest, ImpactAndTitleChangesArePostedOthersNot) {
  std::optional<v1::ChatIncident> state;
  ASSERT_OK(ChatUpdatesFor(Entry("incident.opened", "Opened"), state, {}).status());
  incidents::v1::Incident changed = Incident();
  changed.set_impact(1);
  ASSERT_OK_AND_ASSIGN(auto updates,
                       ChatUpdatesFor(Entry("incident.updated", "Updated", changed), state, {}));
  ASSERT_THAT(updates, SizeIs(1));
  EXPECT_EQ(updates[0].text, "Changed impact from 3 (medium) to 1 (critical) (by cli:bob)");
  changed.set_summary("new summary");
  ASSERT_OK_AND_ASSIGN(updates,
                       ChatUpdatesFor(Entry("incident.updated", "Updated", changed), state, {}));
  EXPECT_THAT(updates, IsEmpty());
  EXPECT_EQ(state->summary(), "new summary");
}

TEST(ChatUpdatesTest, TimelineEntries) {
  std::optional<v1::ChatIncident> state;
  ASSERT_OK_AND_ASSIGN(auto u, ChatUpdatesFor(Entry("note", "Rolling back"), state, {}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].text, "Note by cli:bob: Rolling back");
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("page.acknowledged",
                                               "Acknowledged by link (page pg-1 to alice)"),
                                         state, {}));
  EXPECT_EQ(u[0].kind, kChatAcknowledged);
  EXPECT_EQ(state->status(), "ACKNOWLEDGED by link (page pg-1 to alice)");
  // Later entries keep the acknowledgement in the status.
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("engagement.stage_started",
                                               "Paging alice on sms (stage 1, page pg-1)"),
                                         state, {}));
  EXPECT_THAT(u, IsEmpty());
  EXPECT_EQ(state->status(), "ACKNOWLEDGED by link (page pg-1 to alice)");
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
  incidents::v1::Incident resolved = Incident();
  resolved.set_status(incidents::v1::INCIDENT_STATUS_RESOLVED);
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("incident.resolved", "", resolved), state, {}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].text, "Incident resolved");
  EXPECT_EQ(state->status(), "RESOLVED");
  // Of an incident chat knows nothing of, without a snapshot: nothing.
  std::optional<v1::ChatIncident> none;
  incidents::v1::TimelineAdded bare;
  bare.mutable_event()->set_type("note");
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Event(events::kTimelineAdded, bare), none, {}));
  EXPECT_THAT(u, IsEmpty());
}

TEST(ChatUpdatesTest, BadPayloadIsInvalidArgument) {
  Envelope e = Entry("note", "x");
  e.mutable_payload()->PackFrom(incidents::v1::Incident());
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

TEST(ChatUpdatesTest, RunbookProgressAndMessagesArePosted) {
  std::optional<v1::ChatIncident> state;
  ASSERT_OK_AND_ASSIGN(auto u, ChatUpdatesFor(Entry("incident.opened", "Opened"), state, {}));
  for (const char* type : {"runbook.execution.started", "runbook.step.changed",
                           "runbook.execution.finished", "runbook.start_failed"}) {
    ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry(type, "Runbook db step check succeeded"), state,
                                           {}));
    ASSERT_THAT(u, SizeIs(1)) << type;
    EXPECT_EQ(u[0].kind, kChatRunbook);
    EXPECT_EQ(u[0].text, "Runbook db step check succeeded");
  }
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("runbook.notified", "Failing over now"), state,
                                         {}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].kind, kChatNotify);
  EXPECT_EQ(u[0].text, "Failing over now");
  ASSERT_OK_AND_ASSIGN(u, ChatUpdatesFor(Entry("runbook.note", "lag is 3 s"), state, {}));
  ASSERT_THAT(u, SizeIs(1));
  EXPECT_EQ(u[0].kind, kChatNote);
  EXPECT_THAT(FoldedText(kChatRunbook, 3, {"a", "b"}), HasSubstr("3 more runbook updates"));
}

}  // namespace
}  // namespace tocsin::paging
