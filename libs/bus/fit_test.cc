#include "libs/bus/fit.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/text/text.h"
#include "tocsin/incidents/v1/incidents.pb.h"

namespace tocsin::bus {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::tocsin::testing::StatusIs;
using ::tocsin::incidents::v1::IncidentOpened;

constexpr size_t kLimit = 64 * 1024;

Envelope Wrap(const google::protobuf::Message& payload) {
  Envelope envelope;
  envelope.set_event_id("evt-1");
  envelope.set_type("incident.opened");
  envelope.set_incident_id("inc-1");
  envelope.mutable_payload()->PackFrom(payload);
  return envelope;
}

// What a consumer would read: the envelope through the wire, then its payload.
IncidentOpened Received(const Envelope& envelope) {
  const std::string bytes = envelope.SerializeAsString();
  Envelope parsed;
  EXPECT_TRUE(parsed.ParseFromString(bytes));
  IncidentOpened opened;
  EXPECT_TRUE(parsed.payload().UnpackTo(&opened)) << "payload does not parse";
  return opened;
}

TEST(FitToSize, LeavesAnEventThatFitsAsItIs) {
  IncidentOpened opened;
  opened.mutable_incident()->set_title("CPU high");
  opened.mutable_alarm()->set_reason("Threshold crossed");
  Envelope envelope = Wrap(opened);
  const std::string before = envelope.SerializeAsString();

  ASSERT_OK(FitToSize(envelope, kLimit));

  EXPECT_EQ(envelope.SerializeAsString(), before);
}

TEST(FitToSize, CutsTheLongestStringsUntilItFitsWithAMarker) {
  IncidentOpened opened;
  opened.mutable_incident()->set_title("CPU high");
  opened.mutable_alarm()->set_reason(std::string(300 * 1000, 'r'));
  opened.mutable_alarm()->add_triggering_alarms(std::string(100 * 1000, 't'));
  opened.mutable_alarm()->add_triggering_alarms("short-child");
  opened.mutable_incident()->add_related_items()->set_value(std::string(50 * 1000, 'v'));
  Envelope envelope = Wrap(opened);
  ASSERT_GT(envelope.ByteSizeLong(), 400 * 1000u);

  ASSERT_OK(FitToSize(envelope, kLimit));

  EXPECT_LE(envelope.ByteSizeLong(), kLimit);
  // Close to the limit: only what had to go went.
  EXPECT_GT(envelope.ByteSizeLong(), kLimit - 1024);
  EXPECT_EQ(envelope.event_id(), "evt-1");
  EXPECT_EQ(envelope.incident_id(), "inc-1");
  IncidentOpened received = Received(envelope);
  EXPECT_EQ(received.incident().title(), "CPU high");
  EXPECT_THAT(received.alarm().reason(), StartsWith("rrrr"));
  EXPECT_THAT(received.alarm().reason(), HasSubstr("…[truncated "));
  ASSERT_THAT(received.alarm().triggering_alarms(), SizeIs(2));
  EXPECT_THAT(received.alarm().triggering_alarms(0), HasSubstr("…[truncated "));
  EXPECT_EQ(received.alarm().triggering_alarms(1), "short-child");
  ASSERT_THAT(received.incident().related_items(), SizeIs(1));
  EXPECT_THAT(received.incident().related_items(0).value(), HasSubstr("…[truncated "));
  // The three long ones are cut to one length (longest first), give or take
  // a digit of their markers.
  EXPECT_NEAR(received.alarm().reason().size(),
              received.alarm().triggering_alarms(0).size(), 2);
  EXPECT_NEAR(received.alarm().reason().size(),
              received.incident().related_items(0).value().size(), 2);
  EXPECT_THAT(received.alarm().reason(),
              EndsWith(text::TruncationMarker(300 * 1000 - received.alarm().reason().find("…"))));
}

TEST(FitToSize, RepairsInvalidUtf8WhateverTheSize) {
  IncidentOpened opened;
  opened.mutable_incident()->set_title("disk \xff\xfe full");
  opened.mutable_incident()->add_related_items()->set_title("bad \xc3");
  opened.mutable_alarm()->add_triggering_alarms("child \x80");
  Envelope envelope = Wrap(opened);
  envelope.set_source("gate\xffway");
  {
    IncidentOpened unreadable;
    ASSERT_FALSE(envelope.payload().UnpackTo(&unreadable)) << "proto3 should refuse it";
  }

  ASSERT_OK(FitToSize(envelope, kLimit));

  EXPECT_TRUE(text::IsValidUtf8(envelope.source()));
  IncidentOpened received = Received(envelope);
  EXPECT_EQ(received.incident().title(), "disk \uFFFD\uFFFD full");
  EXPECT_EQ(received.incident().related_items(0).title(), "bad \uFFFD");
  EXPECT_EQ(received.alarm().triggering_alarms(0), "child \uFFFD");
}

TEST(FitToSize, RepairsMapValuesAndNeverCutsMapKeys) {
  google::protobuf::Struct detail;
  (*detail.mutable_fields())[std::string(2000, 'k')].set_string_value(
      std::string(100 * 1000, 'v'));
  (*detail.mutable_fields())["bad"].set_string_value("\xff");
  Envelope envelope = Wrap(detail);

  ASSERT_OK(FitToSize(envelope, kLimit));

  EXPECT_LE(envelope.ByteSizeLong(), kLimit);
  google::protobuf::Struct received;
  ASSERT_TRUE(envelope.payload().UnpackTo(&received));
  ASSERT_TRUE(received.fields().contains(std::string(2000, 'k')));
  EXPECT_THAT(received.fields().at(std::string(2000, 'k')).string_value(),
              HasSubstr("…[truncated "));
  EXPECT_EQ(received.fields().at("bad").string_value(), "\uFFFD");
}

TEST(FitToSize, LeavesBytesFieldsAlone) {
  google::protobuf::BytesValue raw;
  raw.set_value("\xff\x00\xfe", 3);
  Envelope envelope = Wrap(raw);

  ASSERT_OK(FitToSize(envelope, kLimit));

  google::protobuf::BytesValue received;
  ASSERT_TRUE(envelope.payload().UnpackTo(&received));
  EXPECT_EQ(received.value(), std::string("\xff\x00\xfe", 3));
}

TEST(FitToSize, SaysByHowMuchAPayloadCannotFit) {
  google::protobuf::BytesValue raw;
  raw.set_value(std::string(kLimit + 1000, 'b'));
  Envelope envelope = Wrap(raw);
  const std::string before = envelope.SerializeAsString();

  EXPECT_THAT(FitToSize(envelope, kLimit),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("evt-1"), HasSubstr("bytes over the limit of 65536"))));
  EXPECT_EQ(envelope.SerializeAsString(), before);
}

TEST(FitToSize, RefusesToCutAPayloadOfAnUnknownType) {
  Envelope envelope = Wrap(IncidentOpened());
  envelope.mutable_payload()->set_type_url("type.googleapis.com/nowhere.Unknown");
  envelope.mutable_payload()->set_value(std::string(kLimit, 'x'));

  EXPECT_THAT(FitToSize(envelope, kLimit),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("payload type \"nowhere.Unknown\" is unknown")));
}

TEST(FitToSize, RefusesAPayloadThatIsNotItsType) {
  Envelope envelope = Wrap(IncidentOpened());
  envelope.mutable_payload()->set_value("\xff\xff\xff not a protobuf");

  EXPECT_THAT(FitToSize(envelope, kLimit),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("IncidentOpened")));
}

}  // namespace
}  // namespace tocsin::bus
