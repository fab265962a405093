#include "libs/bus/event_bus.h"

#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/text/text.h"

namespace tocsin::bus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tocsin::testing::StatusIs;

Envelope MakeEnvelope(const std::string& event_id, const std::string& type) {
  Envelope envelope;
  envelope.set_event_id(event_id);
  envelope.set_type(type);
  return envelope;
}

TEST(Names, FollowTheTypesDomain) {
  EXPECT_EQ(SubjectFor("incident.opened"), "tocsin.incident.opened");
  EXPECT_EQ(StreamFor("incident.opened"), "TOCSIN_INCIDENT");
  EXPECT_EQ(StreamFor("runbook.step.started"), "TOCSIN_RUNBOOK");
  EXPECT_EQ(StreamFor("incident"), "TOCSIN_INCIDENT");
  EXPECT_EQ(DomainOf("runbook.step.started"), "runbook");
  EXPECT_EQ(DeadLetterSubject("escalation-incidents"),
            "tocsin.deadletter.escalation-incidents");
}

TEST(StreamsFor, ListsOneStreamPerDomainThenTheDeadLetterStream) {
  std::vector<StreamSpec> streams = StreamsFor({"incident", "page"});

  std::vector<std::string> names, subjects;
  for (const StreamSpec& s : streams) {
    names.push_back(s.name);
    subjects.push_back(s.subjects);
  }
  EXPECT_THAT(names, ElementsAre("TOCSIN_INCIDENT", "TOCSIN_PAGE",
                                 "TOCSIN_DEADLETTER"));
  EXPECT_THAT(subjects, ElementsAre("tocsin.incident.>", "tocsin.page.>",
                                    "tocsin.deadletter.>"));
}

TEST(ValidateType, AcceptsDomainAndEvent) {
  EXPECT_OK(ValidateType("incident.opened"));
  EXPECT_OK(ValidateType("runbook.step.started"));
  EXPECT_OK(ValidateType("on-call.shift_started"));
}

TEST(ValidateType, RejectsMalformedTypes) {
  for (const char* type :
       {"", "incident", "incident.", ".opened", "incident..opened",
        "Incident.opened", "incident.*", "incident.>", "incident opened.x"}) {
    EXPECT_THAT(ValidateType(type),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(type)))
        << type;
  }
}

TEST(ValidateType, RejectsTheReservedDeadLetterDomain) {
  EXPECT_THAT(ValidateType("deadletter.x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reserved")));
}

TEST(ValidateEnvelope, RequiresEventIdAndType) {
  EXPECT_OK(ValidateEnvelope(MakeEnvelope("ev-1", "incident.opened")));
  EXPECT_THAT(ValidateEnvelope(MakeEnvelope("", "incident.opened")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id")));
  EXPECT_THAT(ValidateEnvelope(MakeEnvelope("ev-1", "")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ev-1")));
}

TEST(ValidateConsumerOptions, AcceptsTypesOfOneDomain) {
  ConsumerOptions options;
  options.durable_name = "escalation_incident-events";
  options.types = {"incident.opened", "incident.resolved"};
  EXPECT_OK(ValidateConsumerOptions(options));
}

TEST(ValidateConsumerOptions, RejectsBadOptions) {
  ConsumerOptions good;
  good.durable_name = "escalation";
  good.types = {"incident.opened"};

  ConsumerOptions options = good;
  options.durable_name = "has.dot";
  EXPECT_THAT(ValidateConsumerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has.dot")));
  options = good;
  options.types = {};
  EXPECT_THAT(ValidateConsumerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no event types")));
  options = good;
  options.types = {"incident.opened", "page.sent"};
  EXPECT_THAT(ValidateConsumerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mixes domains")));
  options = good;
  options.max_failures = 0;
  EXPECT_THAT(ValidateConsumerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_failures")));
  options = good;
  options.ack_wait = absl::ZeroDuration();
  EXPECT_THAT(ValidateConsumerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ack_wait")));
  options = good;
  options.nak_delay = -absl::Seconds(1);
  EXPECT_THAT(ValidateConsumerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nak_delay")));
  options = good;
  options.nak_delay = absl::Seconds(10);
  options.max_nak_delay = absl::Seconds(5);
  EXPECT_THAT(ValidateConsumerOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_nak_delay")));
  EXPECT_OK(ValidateConsumerOptions(good));
}

TEST(RetryDelay, DoublesWithEachDeliveryUpToTheCap) {
  ConsumerOptions options;
  options.nak_delay = absl::Seconds(1);
  options.max_nak_delay = absl::Seconds(30);

  EXPECT_EQ(RetryDelay(options, 1), absl::Seconds(1));
  EXPECT_EQ(RetryDelay(options, 2), absl::Seconds(2));
  EXPECT_EQ(RetryDelay(options, 5), absl::Seconds(16));
  EXPECT_EQ(RetryDelay(options, 6), absl::Seconds(30));
  EXPECT_EQ(RetryDelay(options, int64_t{1} << 40), absl::Seconds(30));
  options.nak_delay = absl::ZeroDuration();
  EXPECT_EQ(RetryDelay(options, 1000), absl::ZeroDuration());
}

TEST(CallHandler, TurnsAThrownExceptionIntoAPermanentError) {
  Handler throwing = [](const Envelope&) -> absl::Status {
    throw std::runtime_error("database handle is null");
  };
  Handler failing = [](const Envelope&) { return absl::UnavailableError("locked"); };

  EXPECT_THAT(CallHandler(throwing, Envelope()),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("database handle is null")));
  EXPECT_THAT(CallHandler(failing, Envelope()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
}

TEST(ErrorLine, IsOneBoundedLineOfValidUtf8) {
  std::string line = ErrorLine(absl::InternalError(
      "first\nsecond \xff" + std::string(10000, 'x')));

  EXPECT_THAT(line, HasSubstr("INTERNAL: first second"));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_LE(line.size(), text::kMaxDetailBytes);
  EXPECT_TRUE(text::IsValidUtf8(line));
  EXPECT_THAT(line, HasSubstr("truncated"));
}

TEST(TypeOfSubject, DropsThePrefix) {
  EXPECT_EQ(TypeOfSubject("tocsin.incident.opened"), "incident.opened");
  EXPECT_EQ(TypeOfSubject("other"), "other");
}

TEST(ParseEnvelope, ReturnsTheSerializedEnvelope) {
  Envelope original = MakeEnvelope("ev-1", "incident.opened");
  original.set_incident_id("inc-1");
  std::string bytes = original.SerializeAsString();

  ASSERT_OK_AND_ASSIGN(Envelope parsed,
                       ParseEnvelope(bytes.data(), static_cast<int>(bytes.size())));
  EXPECT_EQ(parsed.event_id(), "ev-1");
  EXPECT_EQ(parsed.incident_id(), "inc-1");
}

TEST(ParseEnvelope, RejectsBytesThatAreNotAValidEnvelope) {
  const std::string garbage = "\xff\xff\xff not a protobuf";
  EXPECT_THAT(ParseEnvelope(garbage.data(), static_cast<int>(garbage.size())),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Envelope")));
  // Empty bytes parse as an empty Envelope, which has no event_id.
  EXPECT_THAT(ParseEnvelope("", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event_id")));
}

}  // namespace
}  // namespace tocsin::bus
