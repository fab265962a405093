#include "tools/cli/apply.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/incidents/v1/incidents.pb.h"
#include "tocsin/paging/v1/chat.pb.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::tocsin::escalation::v1::Contact;
using ::tocsin::escalation::v1::Rotation;
using ::tocsin::escalation::v1::RotationOverride;
using ::tocsin::incidents::v1::ResponsePlan;
using ::tocsin::paging::v1::ChatChannel;
using ::tocsin::testing::StatusIs;

const ResponsePlan& PlanOf(const ManifestObject& object) {
  return *google::protobuf::DynamicCastToGenerated<ResponsePlan>(
      object.message.get());
}

const Contact& ContactOf(const ManifestObject& object) {
  return *google::protobuf::DynamicCastToGenerated<Contact>(
      object.message.get());
}

template <typename T>
const T& MessageOf(const ManifestObject& object) {
  const T* message =
      google::protobuf::DynamicCastToGenerated<T>(object.message.get());
  EXPECT_NE(message, nullptr) << object.kind;
  return *message;
}

template <typename T = ResponsePlan>
T ParseText(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message));
  return message;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The error LoadManifest gives for `yaml`.
std::string LoadError(const std::string& yaml) {
  absl::StatusOr<std::vector<ManifestObject>> objects = LoadManifest(yaml);
  EXPECT_THAT(objects,
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  return std::string(objects.status().message());
}

TEST(LoadManifestTest, LoadsEveryFieldOfAResponsePlan) {
  const std::string yaml = R"yaml(
kind: ResponsePlan
name: payments-latency
displayName: Payments latency
match:
  alarmNamePattern: "payments-*"
  accounts: ["111111111111", "222222222222"]
  regions: [eu-west-1]
  sources: [aws.cloudwatch]
  detailTypes: [CloudWatch Alarm State Change]
incidentTemplate:
  title: "Latency high: {alarm_name}"
  impact: 2
  summary: |
    p99 above 2s in {region}.
  dedupeString: "{alarm_arn}"
engagements: [alice, payments-oncall]
chatChannels: [payments-incidents]
resolveOnOk: true
openOnInsufficientData: false
priority: 10
)yaml";

  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(yaml));

  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].document, 1);
  EXPECT_EQ(objects[0].kind, "ResponsePlan");
  EXPECT_EQ(objects[0].name, "payments-latency");
  EXPECT_EQ(ObjectLabel(objects[0]), "responseplan/payments-latency");
  const ResponsePlan expected = ParseText(R"pb(
    name: "payments-latency"
    display_name: "Payments latency"
    match {
      alarm_name_pattern: "payments-*"
      accounts: [ "111111111111", "222222222222" ]
      regions: "eu-west-1"
      sources: "aws.cloudwatch"
      detail_types: "CloudWatch Alarm State Change"
    }
    incident_template {
      title: "Latency high: {alarm_name}"
      impact: 2
      summary: "p99 above 2s in {region}.\n"
      dedupe_string: "{alarm_arn}"
    }
    engagements: [ "alice", "payments-oncall" ]
    chat_channels: "payments-incidents"
    resolve_on_ok: true
    open_on_insufficient_data: false
    priority: 10
  )pb");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      PlanOf(objects[0]), expected))
      << PlanOf(objects[0]).DebugString();
}

TEST(LoadManifestTest, LoadsTheExampleManifest) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<ManifestObject> objects,
      LoadManifest(ReadFile("tools/cli/examples/response-plans.yaml")));

  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(ObjectLabel(objects[0]), "responseplan/payments-latency");
  EXPECT_EQ(ObjectLabel(objects[1]), "responseplan/billing-alerts");
}

TEST(LoadManifestTest, LoadsEveryDocumentAndSkipsEmptyOnes) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: ResponsePlan
name: first
---
# only a comment
---
kind: ResponsePlan
name: third
priority: 3
---
)yaml"));

  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].name, "first");
  EXPECT_EQ(objects[0].document, 1);
  EXPECT_EQ(objects[1].name, "third");
  EXPECT_EQ(objects[1].document, 3);
  EXPECT_EQ(PlanOf(objects[1]).priority(), 3);
}

TEST(LoadManifestTest, QuotedScalarsStayStrings) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: ResponsePlan
name: "007"
displayName: "true"
engagements: ['42', "false"]
incidentTemplate: {title: '10', impact: 1}
resolveOnOk: TRUE
priority: -5
)yaml"));

  const ResponsePlan& plan = PlanOf(objects[0]);
  EXPECT_EQ(plan.name(), "007");
  EXPECT_EQ(plan.display_name(), "true");
  EXPECT_THAT(plan.engagements(), ElementsAre("42", "false"));
  EXPECT_EQ(plan.incident_template().title(), "10");
  EXPECT_EQ(plan.incident_template().impact(), 1);
  EXPECT_TRUE(plan.resolve_on_ok());
  EXPECT_EQ(plan.priority(), -5);
}

TEST(LoadManifestTest, NullLeavesAFieldUnset) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: ResponsePlan
name: quiet
displayName: ~
engagements:
)yaml"));

  EXPECT_EQ(PlanOf(objects[0]).display_name(), "");
  EXPECT_TRUE(PlanOf(objects[0]).engagements().empty());
}

TEST(LoadManifestTest, ValuesOfTheWrongTypeAreErrors) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: a\npriority: \"7\"\n"),
            "document 1 (ResponsePlan \"a\"): field \"priority\" must be an "
            "integer, got string \"7\"");
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: a\ndisplayName: 123\n"),
            "document 1 (ResponsePlan \"a\"): field \"displayName\" must be a "
            "string, got number 123");
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: a\nresolveOnOk: yes\n"),
            "document 1 (ResponsePlan \"a\"): field \"resolveOnOk\" must be "
            "true or false, got string \"yes\"");
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: a\nengagements: alice\n"),
            "document 1 (ResponsePlan \"a\"): field \"engagements\" must be a "
            "list, got string \"alice\"");
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: a\nmatch:\n  accounts: [1]\n"),
            "document 1 (ResponsePlan \"a\"): field \"match.accounts[0]\" must "
            "be a string, got number 1");
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: a\nincidentTemplate: high\n"),
            "document 1 (ResponsePlan \"a\"): field \"incidentTemplate\" must "
            "be a mapping, got string \"high\"");
}

TEST(LoadManifestTest, UnknownFieldNamesTheDocument) {
  EXPECT_EQ(LoadError(R"yaml(
kind: ResponsePlan
name: ok
---
kind: ResponsePlan
name: x
titel: Payments down
)yaml"),
            "document 2 (ResponsePlan \"x\"): unknown field \"titel\"");
}

TEST(LoadManifestTest, UnknownNestedFieldShowsItsPath) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: x\n"
                      "incidentTemplate:\n  titel: Down\n"),
            "document 1 (ResponsePlan \"x\"): unknown field "
            "\"incidentTemplate.titel\"");
}

TEST(LoadManifestTest, ProtoFieldNamesPointToTheManifestSpelling) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: x\nresolve_on_ok: true\n"),
            "document 1 (ResponsePlan \"x\"): unknown field \"resolve_on_ok\" "
            "(did you mean \"resolveOnOk\"?)");
}

TEST(LoadManifestTest, MissingKind) {
  EXPECT_EQ(LoadError("name: x\n"), "document 1: missing \"kind\"");
}

TEST(LoadManifestTest, UnsupportedKindListsTheSupportedOnes) {
  EXPECT_EQ(LoadError("kind: Foo\nname: x\n"),
            "document 1: unsupported kind \"Foo\" (supported: ResponsePlan, "
            "Contact, Rotation, Override, ChatChannel, Runbook, "
            "AnalysisTemplate)");
}

TEST(LoadManifestTest, MissingName) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\npriority: 1\n"),
            "document 1 (ResponsePlan): missing \"name\"");
}

TEST(LoadManifestTest, InvalidName) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: two words\n"),
            "document 1 (ResponsePlan \"two words\"): response plan name \"two "
            "words\" may contain only letters, digits, '-', '_' and '.'");
}

TEST(LoadManifestTest, TheServersPlanRulesAreCheckedBeforeAnythingIsSent) {
  EXPECT_EQ(
      LoadError("kind: ResponsePlan\nname: x\nincidentTemplate: {impact: 9}\n"),
      "document 1 (ResponsePlan \"x\"): response plan \"x\": "
      "incidentTemplate.impact must be 1 (critical) to 5 (no impact), got 9");
  EXPECT_EQ(
      LoadError("kind: ResponsePlan\nname: x\nchatChannels: ['#ops']\n"),
      "document 1 (ResponsePlan \"x\"): response plan \"x\": chat channel "
      "name \"#ops\" may contain only letters, digits, '-', '_' and '.'");
}

TEST(LoadManifestTest, FieldsTheServerSetsAreRejected) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: x\nversion: 3\n"),
            "document 1 (ResponsePlan \"x\"): field \"version\" is set by the "
            "server");
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: x\n"
                      "createTime: \"2026-01-01T00:00:00Z\"\n"),
            "document 1 (ResponsePlan \"x\"): field \"createTime\" is set by "
            "the server");
}

TEST(LoadManifestTest, AnObjectDeclaredTwiceIsAnError) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: x\n---\n"
                      "kind: ResponsePlan\nname: x\npriority: 2\n"),
            "document 2 (ResponsePlan \"x\"): already declared by document 1");
}

TEST(LoadManifestTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(
      LoadError("kind: ResponsePlan\nname: x\npriority: 1\npriority: 2\n"),
      "document 1: duplicate key \"priority\"");
}

TEST(LoadManifestTest, KeysMustBeStrings) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: x\nmatch:\n  [a]: 1\n"),
            "document 1: a key under \"match\" is not a string");
}

TEST(LoadManifestTest, TextThatIsNotUtf8IsAnError) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: x\ndisplayName: \"\xff\"\n"),
            "document 1: \"displayName\" is not valid UTF-8");
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: x\n"
                      "engagements: [\"\xed\xa0\x80\"]\n"),
            "document 1: \"engagements[0]\" is not valid UTF-8");
  EXPECT_EQ(LoadError("kind: ResponsePlan\n\xc0\x80: x\n"),
            "document 1: a key is not valid UTF-8");
}

TEST(LoadManifestTest, AcceptsMultibyteText) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects,
                       LoadManifest("kind: ResponsePlan\nname: x\ndisplayName: "
                                    "Zahlungen \u00e9\u20ac\U0001F6A8\n"));
  EXPECT_EQ(PlanOf(objects[0]).display_name(),
            "Zahlungen \u00e9\u20ac\U0001F6A8");
}

TEST(LoadManifestTest, DocumentThatIsNotAMapping) {
  EXPECT_EQ(LoadError("- kind: ResponsePlan\n"),
            "document 1: expected a mapping with a \"kind\"");
}

TEST(LoadManifestTest, InvalidYamlGivesItsPosition) {
  EXPECT_THAT(LoadError("kind: ResponsePlan\nname: [x\n"),
              HasSubstr("invalid YAML at line 3"));
}

TEST(LoadManifestTest, EmptyManifestIsAnError) {
  EXPECT_THAT(LoadError("# nothing here\n"),
              Eq("the manifest declares no object"));
}

// ---- Contact ----

TEST(LoadManifestTest, LoadsEveryFieldOfAContact) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: Contact
name: alice
displayName: Alice Example
channels:
  - name: work-email
    email: {address: alice@example.com}
  - name: phone-hook
    webhook: {url: "https://hooks.example.com/alice?x=1"}
    delay: 300s
  - name: home-email
    email: {address: alice@home.example}
    delay: 0.5s
)yaml"));

  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].kind, "Contact");
  EXPECT_EQ(ObjectLabel(objects[0]), "contact/alice");
  const Contact expected = ParseText<Contact>(R"pb(
    name: "alice"
    display_name: "Alice Example"
    channels {
      name: "work-email"
      email { address: "alice@example.com" }
    }
    channels {
      name: "phone-hook"
      webhook { url: "https://hooks.example.com/alice?x=1" }
      delay { seconds: 300 }
    }
    channels {
      name: "home-email"
      email { address: "alice@home.example" }
      delay { nanos: 500000000 }
    }
  )pb");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      ContactOf(objects[0]), expected))
      << ContactOf(objects[0]).DebugString();
}

TEST(LoadManifestTest, LoadsTheExampleContacts) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<ManifestObject> objects,
      LoadManifest(ReadFile("tools/cli/examples/contacts.yaml")));

  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(ObjectLabel(objects[0]), "contact/payments-oncall");
  EXPECT_EQ(ContactOf(objects[0]).channels_size(), 3);
  EXPECT_EQ(ObjectLabel(objects[1]), "contact/billing-oncall");
}

TEST(LoadManifestTest, PlansAndContactsMayShareAName) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<ManifestObject> objects,
      LoadManifest("kind: ResponsePlan\nname: payments\n---\n"
                   "kind: Contact\nname: payments\n"
                   "channels: [{name: m, email: {address: p@example.com}}]\n"));

  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(ObjectLabel(objects[1]), "contact/payments");
}

TEST(LoadManifestTest, AContactWithoutChannelsIsAnErrorNamingTheDocument) {
  EXPECT_EQ(LoadError("kind: ResponsePlan\nname: p\n---\n"
                      "kind: Contact\nname: bob\ndisplayName: Bob\n"),
            "document 2 (Contact \"bob\"): contact \"bob\" has no channels: "
            "add an email or webhook channel");
  EXPECT_EQ(LoadError("kind: Contact\nname: bob\nchannels: []\n"),
            "document 1 (Contact \"bob\"): contact \"bob\" has no channels: "
            "add an email or webhook channel");
}

TEST(LoadManifestTest, TheServersContactRulesAreCheckedBeforeAnythingIsSent) {
  const std::string contact = "kind: Contact\nname: bob\nchannels:\n";
  EXPECT_EQ(LoadError(contact + "  - {name: pager}\n"),
            "document 1 (Contact \"bob\"): contact \"bob\": channel \"pager\" "
            "has no destination: set email, webhook, sms or voice");
  EXPECT_EQ(LoadError(contact + "  - {name: h, webhook: {url: 'ftp://h/x'}}\n"),
            "document 1 (Contact \"bob\"): contact \"bob\": channel \"h\" "
            "webhook URL \"ftp://h/x\" must start with http:// or https://");
  EXPECT_EQ(
      LoadError(contact + "  - {name: m, email: {address: b@example.com}}\n"
                          "  - {name: m, email: {address: c@example.com}}\n"),
      "document 1 (Contact \"bob\"): contact \"bob\": channel name \"m\" "
      "is used twice; channel names must be unique within a contact");
}

TEST(LoadManifestTest, ContactChannelFieldsHaveTheirManifestTypes) {
  const std::string contact = "kind: Contact\nname: bob\nchannels:\n";
  EXPECT_EQ(
      LoadError(contact + "  - {name: h, webhook: {url: 'http://h/'}, delay: "
                          "300}\n"),
      "document 1 (Contact \"bob\"): field \"channels[0].delay\" must be "
      "a duration in seconds such as \"300s\", got number 300");
  EXPECT_EQ(
      LoadError(contact + "  - {name: h, pigeon: {loft: 'roof'}}\n"),
      "document 1 (Contact \"bob\"): unknown field \"channels[0].pigeon\"");
}

TEST(LoadManifestTest, ContactNamesAndServerFieldsAreChecked) {
  const std::string channels =
      "channels: [{name: m, email: {address: b@example.com}}]\n";
  EXPECT_EQ(LoadError("kind: Contact\nname: bob smith\n" + channels),
            "document 1 (Contact \"bob smith\"): contact name \"bob smith\" "
            "may contain only letters, digits, '-', '_' and '.'");
  EXPECT_EQ(LoadError("kind: Contact\nname: bob\nversion: 2\n" + channels),
            "document 1 (Contact \"bob\"): field \"version\" is set by the "
            "server");
}

// ---- On-call: contact types and plans, rotations, overrides ----

template <typename T>
void ExpectProto(const ManifestObject& object, const std::string& text) {
  const T expected = ParseText<T>(text);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      MessageOf<T>(object), expected))
      << MessageOf<T>(object).DebugString();
}

TEST(LoadManifestTest, LoadsAPersonsPlanAndSmsAndVoiceChannels) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: Contact
name: kenji
channels:
  - {name: mail, email: {address: kenji@example.com}}
  - {name: phone, sms: {number: "+81312345678"}}
  - {name: call, voice: {number: "+81312345678"}}
plan:
  stages:
    - durationInMinutes: 5
      targets: [{channel: mail, retryIntervalInMinutes: 1}]
    - durationInMinutes: 0
      targets: [{channel: phone}, {channel: call}]
ackTimeoutInMinutes: 30
)yaml"));

  ExpectProto<Contact>(objects[0], R"pb(
    name: "kenji"
    channels {
      name: "mail"
      email { address: "kenji@example.com" }
    }
    channels {
      name: "phone"
      sms { number: "+81312345678" }
    }
    channels {
      name: "call"
      voice { number: "+81312345678" }
    }
    personal_plan {
      stages {
        duration_in_minutes: 5
        targets { channel: "mail" retry_interval_in_minutes: 1 }
      }
      stages {
        targets { channel: "phone" }
        targets { channel: "call" }
      }
    }
    ack_timeout_in_minutes: 30
  )pb");
}

TEST(LoadManifestTest, LoadsAnEscalationPlanAndASchedule) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: Contact
name: sre
type: ESCALATION
plan:
  stages:
    - durationInMinutes: 10
      targets: [{contact: primary, isEssential: true}]
  stopOnFirstAck: true
  repeat: 2
---
kind: Contact
name: primary
type: ONCALL_SCHEDULE
plan: {rotationIds: [tokyo, london]}
---
kind: Contact
name: person
type: PERSONAL
channels: [{name: m, email: {address: p@example.com}}]
)yaml"));

  ExpectProto<Contact>(objects[0], R"pb(
    name: "sre"
    type: CONTACT_TYPE_ESCALATION
    escalation_plan {
      stages {
        duration_in_minutes: 10
        targets { contact: "primary" is_essential: true }
      }
      stop_on_first_ack: true
      repeat: 2
    }
  )pb");
  ExpectProto<Contact>(objects[1], R"pb(
    name: "primary"
    type: CONTACT_TYPE_ONCALL_SCHEDULE
    schedule { rotation_ids: [ "tokyo", "london" ] }
  )pb");
  EXPECT_EQ(MessageOf<Contact>(objects[2]).type(),
            escalation::v1::CONTACT_TYPE_PERSONAL);
}

TEST(LoadManifestTest, APlansFieldsAreThoseOfTheContactsType) {
  EXPECT_EQ(LoadError("kind: Contact\nname: sre\ntype: ESCALATION\n"
                      "plan: {stages: [{targets: [{channel: mail}]}]}\n"),
            "document 1 (Contact \"sre\"): unknown field "
            "\"plan.stages[0].targets[0].channel\"");
  EXPECT_EQ(LoadError("kind: Contact\nname: p\ntype: ONCALL_SCHEDULE\n"
                      "plan: {rotationIds: tokyo}\n"),
            "document 1 (Contact \"p\"): field \"plan.rotationIds\" must be a "
            "list, got string \"tokyo\"");
  EXPECT_EQ(LoadError("kind: Contact\nname: p\ntype: TEAM\n"),
            "document 1 (Contact \"p\"): field \"type\" must be one of "
            "PERSONAL, ESCALATION, ONCALL_SCHEDULE, got \"TEAM\"");
  EXPECT_EQ(LoadError("kind: Contact\nname: p\ntype: ESCALATION\n"
                      "escalationPlan: {repeat: 1}\n"),
            "document 1 (Contact \"p\"): unknown field \"escalationPlan\" (a "
            "contact's plan is \"plan\")");
  EXPECT_EQ(LoadError("kind: Contact\nname: p\ntype: ESCALATION\n"
                      "plan: {repeat: \"2\"}\n"),
            "document 1 (Contact \"p\"): field \"plan.repeat\" must be an "
            "integer, got string \"2\"");
}

TEST(LoadManifestTest, LoadsARotationWithItsRecurrenceAndCoverage) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: Rotation
name: tokyo
contacts: [kenji, yuki]
startTime: 2026-01-05T09:00:00+09:00
timeZoneId: Asia/Tokyo
recurrence:
  weeklySettings: [{dayOfWeek: MON, handOffTime: "10:00"}]
  numberOfOnCalls: 1
  recurrenceMultiplier: 2
  shiftCoverages:
    MON: [{start: "09:00", end: "18:00"}]
    SAT: [{start: 22:00, end: 06:30}]
)yaml"));

  EXPECT_EQ(ObjectLabel(objects[0]), "rotation/tokyo");
  ExpectProto<Rotation>(objects[0], R"pb(
    name: "tokyo"
    contacts: [ "kenji", "yuki" ]
    start_time { seconds: 1767571200 }
    time_zone_id: "Asia/Tokyo"
    recurrence {
      weekly_settings {
        day_of_week: DAY_OF_WEEK_MON
        hand_off_time { hour_of_day: 10 }
      }
      number_of_on_calls: 1
      recurrence_multiplier: 2
      shift_coverages {
        day_of_week: DAY_OF_WEEK_MON
        coverage_times {
          start { hour_of_day: 9 }
          end { hour_of_day: 18 }
        }
      }
      shift_coverages {
        day_of_week: DAY_OF_WEEK_SAT
        coverage_times {
          start { hour_of_day: 22 }
          end { hour_of_day: 6 minute_of_hour: 30 }
        }
      }
    }
  )pb");
}

TEST(LoadManifestTest, LoadsDailyAndMonthlySettings) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: Rotation
name: daily
contacts: [a, b]
startTime: "2026-01-01T00:00:00Z"
timeZoneId: UTC
recurrence: {dailySettings: ["09:00", "21:00"]}
---
kind: Rotation
name: monthly
contacts: [a]
startTime: "2026-01-01T00:00:00Z"
timeZoneId: Europe/London
recurrence: {monthlySettings: [{dayOfMonth: 31, handOffTime: "09:00"}]}
)yaml"));

  ExpectProto<Rotation>(objects[0], R"pb(
    name: "daily"
    contacts: [ "a", "b" ]
    start_time { seconds: 1767225600 }
    time_zone_id: "UTC"
    recurrence {
      daily_settings { hour_of_day: 9 }
      daily_settings { hour_of_day: 21 }
    }
  )pb");
  EXPECT_EQ(MessageOf<Rotation>(objects[1])
                .recurrence()
                .monthly_settings(0)
                .day_of_month(),
            31);
}

TEST(LoadManifestTest, RotationMistakesNameTheFieldPath) {
  const std::string head =
      "kind: Rotation\nname: r\ncontacts: [a]\n"
      "startTime: \"2026-01-01T00:00:00Z\"\ntimeZoneId: UTC\n";
  EXPECT_THAT(LoadError(head + "recurrence: {weeklySettings: [{dayOfWeek: MON, "
                               "handOffTime: \"9:00\"}]}\n"),
              HasSubstr("document 1 (Rotation \"r\"): field "
                        "\"recurrence.weeklySettings[0].handOffTime\": "));
  EXPECT_EQ(LoadError(head + "recurrence: {weeklySettings: [{dayOfWeek: "
                             "MONDAY, handOffTime: \"09:00\"}]}\n"),
            "document 1 (Rotation \"r\"): field "
            "\"recurrence.weeklySettings[0].dayOfWeek\" must be one of MON, "
            "TUE, WED, THU, FRI, SAT, SUN, got \"MONDAY\"");
  EXPECT_EQ(LoadError(head + "recurrence: {dailySettings: [\"09:00\"], "
                             "shiftCoverages: {MON: [{start: \"09:00\"}]}}\n"),
            "document 1 (Rotation \"r\"): field "
            "\"recurrence.shiftCoverages.MON[0].end\" is missing");
  EXPECT_EQ(LoadError(head + "recurrence: {daily_settings: [\"09:00\"]}\n"),
            "document 1 (Rotation \"r\"): unknown field "
            "\"recurrence.daily_settings\" (did you mean "
            "\"recurrence.dailySettings\"?)");
  EXPECT_EQ(LoadError(head + "recurrence: {dailySettings: [\"09:00\"], "
                             "numberOfOnCalls: two}\n"),
            "document 1 (Rotation \"r\"): field \"recurrence.numberOfOnCalls\" "
            "must be an integer, got string \"two\"");
  EXPECT_EQ(LoadError("kind: Rotation\nname: r\ncontacts: [a]\n"
                      "startTime: 2026-01-01\ntimeZoneId: UTC\n"
                      "recurrence: {dailySettings: [\"09:00\"]}\n"),
            "document 1 (Rotation \"r\"): field \"startTime\" must be an RFC "
            "3339 time such as \"2026-01-05T09:00:00+09:00\", got string "
            "\"2026-01-01\"");
}

TEST(LoadManifestTest, TheEnginesRotationRulesAreCheckedBeforeAnythingIsSent) {
  const std::string recurrence = "recurrence: {dailySettings: [\"09:00\"]}\n";
  EXPECT_THAT(
      LoadError("kind: Rotation\nname: r\ncontacts: []\n"
                "startTime: \"2026-01-01T00:00:00Z\"\ntimeZoneId: UTC\n" +
                recurrence),
      AllOf(HasSubstr("document 1 (Rotation \"r\"): "), HasSubstr("contacts is empty")));
  EXPECT_THAT(
      LoadError("kind: Rotation\nname: r\ncontacts: [a]\n"
                "startTime: \"2026-01-01T00:00:00Z\"\ntimeZoneId: PST\n" +
                recurrence),
      HasSubstr("PST"));
  EXPECT_THAT(LoadError("kind: Rotation\nname: r\ncontacts: [a]\n"
                        "timeZoneId: UTC\n" +
                        recurrence),
              HasSubstr("has no startTime"));
}

TEST(LoadManifestTest, LoadsOverridesNamedByTheirRotation) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: Override
name: cover
rotation: tokyo
contacts: [yuki]
start: "2026-01-06T13:00:00+09:00"
end: "2026-01-06T18:00:00+09:00"
---
kind: Override
name: cover
rotation: london
contacts: []
start: "2026-01-06T13:00:00Z"
end: "2026-01-06T18:00:00Z"
)yaml"));

  EXPECT_EQ(ObjectLabel(objects[0]), "override/tokyo/cover");
  EXPECT_EQ(ObjectLabel(objects[1]), "override/london/cover");
  ExpectProto<RotationOverride>(objects[0], R"pb(
    name: "cover"
    rotation: "tokyo"
    contacts: "yuki"
    start { seconds: 1767672000 }
    end { seconds: 1767690000 }
  )pb");
}

TEST(LoadManifestTest, OverrideMistakesAreErrors) {
  EXPECT_THAT(LoadError("kind: Override\nname: o\nrotation: r\n"
                        "start: \"2026-01-06T18:00:00Z\"\n"
                        "end: \"2026-01-06T13:00:00Z\"\n"),
              HasSubstr("document 1 (Override \"o\"): "));
  EXPECT_EQ(LoadError("kind: Override\nname: o\n"
                      "start: \"2026-01-06T13:00:00Z\"\n"
                      "end: \"2026-01-06T18:00:00Z\"\n"),
            "document 1 (Override \"o\"): override \"o\" names no rotation "
            "(field \"rotation\")");
  EXPECT_THAT(LoadError("kind: Override\nname: a\nrotation: r\n"
                        "start: \"2026-01-06T13:00:00Z\"\n"
                        "end: \"2026-01-06T18:00:00Z\"\n---\n"
                        "kind: Override\nname: b\nrotation: r\n"
                        "start: \"2026-01-06T17:00:00Z\"\n"
                        "end: \"2026-01-06T19:00:00Z\"\n"),
              AllOf(HasSubstr("document 2 (Override \"r/b\"): "), HasSubstr("overlap")));
}

// Every YAML block of the feature docs is a manifest the CLI loads, with the
// server's own checks of each object: the docs cannot drift from the parser.
void ExpectEveryYamlBlockLoads(const std::string& path, int at_least) {
  const std::string doc = ReadFile(path);
  int blocks = 0;
  for (size_t at = doc.find("```yaml\n"); at != std::string::npos;
       at = doc.find("```yaml\n", at)) {
    const size_t start = at + 8;
    const size_t end = doc.find("```", start);
    ASSERT_NE(end, std::string::npos);
    SCOPED_TRACE(path + ": " + doc.substr(start, 80));
    EXPECT_OK(LoadManifest(doc.substr(start, end - start)).status());
    ++blocks;
    at = end + 3;
  }
  EXPECT_GE(blocks, at_least) << path;
}

TEST(LoadManifestTest, EveryYamlExampleOfTheOnCallDocsLoads) {
  ExpectEveryYamlBlockLoads("docs/oncall.md", 5);
}

TEST(LoadManifestTest, EveryYamlExampleOfThePagingDocsLoads) {
  ExpectEveryYamlBlockLoads("docs/paging.md", 6);
}

TEST(LoadManifestTest, LoadsTheFollowTheSunExample) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<ManifestObject> objects,
      LoadManifest(ReadFile("tools/cli/examples/oncall.yaml")));

  std::vector<std::string> labels;
  for (const ManifestObject& object : objects) {
    labels.push_back(ObjectLabel(object));
  }
  EXPECT_THAT(
      labels,
      ElementsAre("contact/kenji", "contact/yuki", "contact/oliver",
                  "contact/amelia", "contact/sre-lead", "rotation/tokyo",
                  "rotation/london", "rotation/secondary",
                  "override/london/amelia-covers-oliver", "contact/primary",
                  "contact/secondary-schedule", "contact/sre-escalation",
                  "responseplan/sre-alarms"));
  const Contact& escalation = MessageOf<Contact>(objects[11]);
  EXPECT_EQ(escalation.escalation_plan().stages_size(), 2);
  EXPECT_EQ(escalation.escalation_plan().repeat(), 2);
  EXPECT_EQ(MessageOf<Rotation>(objects[5]).time_zone_id(), "Asia/Tokyo");
}

TEST(LoadManifestTest, LoadsTheIssuesChatChannels) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(R"yaml(
kind: ChatChannel
name: payments-incidents
slack: {webhookUrlFile: /etc/tocsin/slack-payments-webhook}
---
kind: ChatChannel
name: payments-teams
teams: {webhookUrl: "https://prod-00.westus.logic.azure.com/workflows/..."}
)yaml"));

  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].kind, "ChatChannel");
  EXPECT_EQ(ObjectLabel(objects[0]), "chatchannel/payments-incidents");
  ExpectProto<ChatChannel>(objects[0], R"pb(
    name: "payments-incidents"
    slack { webhook_url_file: "/etc/tocsin/slack-payments-webhook" }
  )pb");
  ExpectProto<ChatChannel>(objects[1], R"pb(
    name: "payments-teams"
    teams {
      webhook_url: "https://prod-00.westus.logic.azure.com/workflows/..."
    }
  )pb");
}

// The paging service's own rules (services/paging/chat_channels.h) refuse a
// channel before anything is sent.
TEST(LoadManifestTest, ChatChannelMistakesAreErrors) {
  EXPECT_THAT(LoadError("kind: ChatChannel\nname: x\n"),
              HasSubstr("document 1 (ChatChannel \"x\"): "));
  EXPECT_THAT(LoadError("kind: ChatChannel\nname: x\n"
                        "teams: {webhookUrl: \"https://a.example/h\", "
                        "webhookUrlFile: /etc/h}\n"),
              HasSubstr("document 1 (ChatChannel \"x\"): "));
  EXPECT_THAT(LoadError("kind: ChatChannel\nname: x\n"
                        "slack: {botTokenFile: /etc/t}\n"),
              HasSubstr("document 1 (ChatChannel \"x\"): "));
  EXPECT_THAT(LoadError("kind: ChatChannel\nname: two words\n"
                        "chime: {webhookUrlFile: /etc/h}\n"),
              HasSubstr("document 1 (ChatChannel \"two words\"): "));
  EXPECT_EQ(LoadError("kind: ChatChannel\nname: x\n"
                      "teams: {webhookUrlFile: /etc/h}\n"
                      "createTime: \"2026-01-01T00:00:00Z\"\n"),
            "document 1 (ChatChannel \"x\"): field \"createTime\" is set by "
            "the server");
  EXPECT_EQ(LoadError("kind: ChatChannel\nname: x\n"
                      "teams: {webhook_url_file: /etc/h}\n"),
            "document 1 (ChatChannel \"x\"): unknown field "
            "\"teams.webhook_url_file\" (did you mean "
            "\"teams.webhookUrlFile\"?)");
}

TEST(LoadManifestTest, LoadsTheChatExample) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects,
                       LoadManifest(ReadFile("tools/cli/examples/chat.yaml")));

  std::vector<std::string> labels;
  for (const ManifestObject& object : objects) {
    labels.push_back(ObjectLabel(object));
  }
  EXPECT_THAT(labels, ElementsAre("chatchannel/payments-incidents",
                                  "chatchannel/sre-incidents",
                                  "chatchannel/payments-teams",
                                  "chatchannel/storage-chime",
                                  "chatchannel/platform-mattermost"));
  EXPECT_EQ(MessageOf<ChatChannel>(objects[1]).slack().channel(),
            "C0123456789");
}

constexpr char kAnalysisTemplate[] = R"yaml(
kind: AnalysisTemplate
name: payments-review
description: For payments incidents
sections:
  - id: impact
    title: Impact
    help: Who was hurt.
    questions:
      - id: customers
        text: How many customers were affected?
        help: An estimate is fine.
        type: number
      - id: who
        text: Who noticed first?
        type: single-choice
        choices: [An alarm, A customer]
)yaml";

TEST(LoadManifestTest, LoadsAnAnalysisTemplateWithItsQuestionTypes) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects, LoadManifest(kAnalysisTemplate));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(ObjectLabel(objects[0]), "analysistemplate/payments-review");
  const auto& t = MessageOf<postmortem::v1::Template>(objects[0]);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      t, ParseText<postmortem::v1::Template>(R"pb(
        name: "payments-review"
        description: "For payments incidents"
        sections {
          id: "impact"
          title: "Impact"
          help: "Who was hurt."
          questions {
            id: "customers"
            text: "How many customers were affected?"
            help: "An estimate is fine."
            type: QUESTION_TYPE_NUMBER
          }
          questions {
            id: "who"
            text: "Who noticed first?"
            type: QUESTION_TYPE_SINGLE_CHOICE
            choices: [ "An alarm", "A customer" ]
          }
        }
      )pb")))
      << t.DebugString();
}

TEST(LoadManifestTest, AnalysisTemplateMistakesAreErrors) {
  auto with = [](const std::string& from, const std::string& to) {
    std::string yaml = kAnalysisTemplate;
    yaml.replace(yaml.find(from), from.size(), to);
    return yaml;
  };
  const std::string where = "document 1 (AnalysisTemplate \"payments-review\"): ";
  EXPECT_EQ(LoadError(with("type: number", "type: numeric")),
            where + "field \"sections[0].questions[0].type\": question type \"numeric\" is "
                    "not one of text, yes-no, single-choice, multiple-choice, number");
  // One spelling: the protobuf enum's names are not it.
  EXPECT_EQ(LoadError(with("type: number", "type: QUESTION_TYPE_NUMBER")),
            where + "field \"sections[0].questions[0].type\": question type "
                    "\"QUESTION_TYPE_NUMBER\" is not one of text, yes-no, single-choice, "
                    "multiple-choice, number");
  EXPECT_EQ(LoadError(with("type: number", "type: 5")),
            where + "field \"sections[0].questions[0].type\" must be one of text, yes-no, "
                    "single-choice, multiple-choice, number, got number 5");
  EXPECT_EQ(LoadError(with("help: An estimate", "hint: An estimate")),
            where + "unknown field \"sections[0].questions[0].hint\"");
  EXPECT_EQ(LoadError(with("description:", "version: 3\ndescription:")),
            where + "field \"version\" is set by the server");
  EXPECT_EQ(LoadError(with("        type: number\n", "")),
            where + "sections[0] (impact) questions[0] (customers): type is required: text, "
                    "yes-no, single-choice, multiple-choice or number");
  EXPECT_EQ(LoadError(with("type: single-choice", "type: text")),
            where + "sections[0] (impact) questions[1] (who): only single-choice and "
                    "multiple-choice questions have choices, this one is text");
}

TEST(LoadManifestTest, APlanNamesItsPostIncidentTemplate) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects,
                       LoadManifest("kind: ResponsePlan\nname: payments\n"
                                    "incidentTemplate: {title: Payments down}\n"
                                    "postIncidentTemplate: payments-review\n"));
  EXPECT_EQ(PlanOf(objects[0]).post_incident_template(), "payments-review");
  EXPECT_THAT(LoadManifest("kind: ResponsePlan\nname: payments\n"
                           "incidentTemplate: {title: Payments down}\n"
                           "postIncidentTemplate: \"no spaces\"\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("postIncidentTemplate")));
}

TEST(LoadManifestTest, LoadsTheAnalysisTemplateExample) {
  ASSERT_OK_AND_ASSIGN(std::vector<ManifestObject> objects,
                       LoadManifest(ReadFile("tools/cli/examples/analysis-template.yaml")));
  std::vector<std::string> labels;
  for (const ManifestObject& object : objects) labels.push_back(ObjectLabel(object));
  EXPECT_THAT(labels, ElementsAre("analysistemplate/payments-review",
                                  "responseplan/payments-latency"));
  EXPECT_EQ(PlanOf(objects[1]).post_incident_template(), "payments-review");
  EXPECT_EQ(MessageOf<postmortem::v1::Template>(objects[0]).sections(1).questions(1).type(),
            postmortem::v1::QUESTION_TYPE_MULTIPLE_CHOICE);
}

}  // namespace
}  // namespace tocsin::cli
