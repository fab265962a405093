#include "services/escalation/directory.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "libs/events/types.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "libs/status/status_matchers.h"
#include "services/escalation/sqlite_store.h"

namespace tocsin::escalation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::tocsin::testing::StatusIs;

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

Contact Person(const std::string& name) {
  Contact c;
  c.set_name(name);
  auto* email = c.add_channels();
  email->set_name("email");
  email->mutable_email()->set_address(name + "@example.com");
  auto* sms = c.add_channels();
  sms->set_name("sms");
  sms->mutable_sms()->set_number("+81312345678");
  return c;
}

Contact WithPlan(Contact c) {
  auto* stage = c.mutable_personal_plan()->add_stages();
  stage->set_duration_in_minutes(5);
  stage->add_targets()->set_channel("email");
  auto* stage2 = c.mutable_personal_plan()->add_stages();
  stage2->set_duration_in_minutes(5);
  stage2->add_targets()->set_channel("sms");
  return c;
}

Contact Escalation(const std::string& name, const std::vector<std::string>& targets) {
  Contact c;
  c.set_name(name);
  c.set_type(v1::CONTACT_TYPE_ESCALATION);
  for (const auto& t : targets) {
    auto* stage = c.mutable_escalation_plan()->add_stages();
    stage->set_duration_in_minutes(10);
    stage->add_targets()->set_contact(t);
  }
  return c;
}

Contact Schedule(const std::string& name, const std::vector<std::string>& rotations) {
  Contact c;
  c.set_name(name);
  c.set_type(v1::CONTACT_TYPE_ONCALL_SCHEDULE);
  for (const auto& r : rotations) c.mutable_schedule()->add_rotation_ids(r);
  return c;
}

// Hands off daily at 09:00 New York time, from 2026-03-01 09:00 EST.
Rotation NewYork(const std::vector<std::string>& members) {
  Rotation r;
  r.set_name("ny");
  for (const auto& m : members) r.add_contacts(m);
  *r.mutable_start_time() = ToProtoTime(At("2026-03-01T14:00:00Z"));
  r.set_time_zone_id("America/New_York");
  auto* h = r.mutable_recurrence()->add_daily_settings();
  h->set_hour_of_day(9);
  r.mutable_recurrence()->set_number_of_on_calls(1);
  r.mutable_recurrence()->set_recurrence_multiplier(1);
  return r;
}

// Weekly on Monday 09:00 Tokyo, covered Monday to Friday 09:00-18:00 only.
Rotation Tokyo(const std::vector<std::string>& members) {
  Rotation r;
  r.set_name("tokyo");
  for (const auto& m : members) r.add_contacts(m);
  *r.mutable_start_time() = ToProtoTime(At("2026-03-02T00:00:00Z"));  // MON 09:00 JST
  r.set_time_zone_id("Asia/Tokyo");
  auto* w = r.mutable_recurrence()->add_weekly_settings();
  w->set_day_of_week(v1::DAY_OF_WEEK_MON);
  w->mutable_hand_off_time()->set_hour_of_day(9);
  for (auto day : {v1::DAY_OF_WEEK_MON, v1::DAY_OF_WEEK_TUE, v1::DAY_OF_WEEK_WED,
                   v1::DAY_OF_WEEK_THU, v1::DAY_OF_WEEK_FRI}) {
    auto* cov = r.mutable_recurrence()->add_shift_coverages();
    cov->set_day_of_week(day);
    auto* t = cov->add_coverage_times();
    t->mutable_start()->set_hour_of_day(9);
    t->mutable_end()->set_hour_of_day(18);
  }
  return r;
}

RotationOverride Override(const std::string& name, const std::string& rotation,
                          const std::vector<std::string>& contacts, const std::string& start,
                          const std::string& end) {
  RotationOverride o;
  o.set_name(name);
  o.set_rotation(rotation);
  for (const auto& c : contacts) o.add_contacts(c);
  *o.mutable_start() = ToProtoTime(At(start));
  *o.mutable_end() = ToProtoTime(At(end));
  return o;
}

class DirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteEscalationStore::Open(path_, &clock_);
    ASSERT_OK(store);
    store_ = std::move(*store);
    Make(/*activation_required=*/true);
  }

  void Make(bool activation_required) {
    DirectoryOptions options;
    options.activation_required = activation_required;
    options.on_event = [this](const Envelope&) { ++observed_; };
    options.public_url = "https://tocsin.example.com/";
    dir_ = std::make_unique<DirectoryCore>(store_.get(), &clock_, &ids_, options);
  }

  std::vector<v1::PageRequested> Pages() {
    std::vector<v1::PageRequested> pages;
    EXPECT_OK(store_->database()->Read([&]() -> absl::Status {
      ASSIGN_OR_RETURN(auto s,
                       store_->database()->Prepare("SELECT envelope FROM outbox ORDER BY seq"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        Envelope e;
        EXPECT_TRUE(e.ParseFromString(s.ColumnBlob(0)));
        ASSIGN_OR_RETURN(v1::PageRequested p, events::Payload(e, events::kPageRequested));
        pages.push_back(std::move(p));
      }
      return absl::OkStatus();
    }));
    return pages;
  }

  // The last activation code sent to contact's channel.
  std::string CodeSentTo(const std::string& contact, const std::string& channel) {
    std::string code;
    for (const auto& p : Pages()) {
      if (p.contact() == contact && p.channel().name() == channel) code = p.activation_code();
    }
    return code;
  }

  // Creates the person and activates every channel.
  void CreateActivated(const Contact& c) {
    ASSERT_OK(dir_->CreateContact(c));
    for (const auto& ch : c.channels()) {
      ASSERT_OK(dir_->ActivateChannel(c.name(), ch.name(), CodeSentTo(c.name(), ch.name())));
    }
  }

  std::string path_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
  FakeClock clock_;
  SequentialIdGenerator ids_;
  std::unique_ptr<SqliteEscalationStore> store_;
  std::unique_ptr<DirectoryCore> dir_;
  int observed_ = 0;
};

TEST_F(DirectoryTest, NewChannelsArePendingWithACodeSentAsAnActivationPage) {
  ASSERT_OK_AND_ASSIGN(Contact alice, dir_->CreateContact(Person("alice")));
  EXPECT_EQ(alice.version(), 1);
  for (const auto& ch : alice.channels()) {
    EXPECT_EQ(ch.activation().state(), v1::ACTIVATION_STATE_PENDING);
    EXPECT_TRUE(ch.activation().code_sha256().empty()) << "the hash is never returned";
    EXPECT_TRUE(ch.activation().has_code_sent_time());
  }
  std::vector<v1::PageRequested> pages = Pages();
  ASSERT_THAT(pages, SizeIs(2));
  EXPECT_EQ(observed_, 2);
  for (const auto& p : pages) {
    EXPECT_EQ(p.purpose(), v1::PAGE_PURPOSE_ACTIVATION);
    EXPECT_THAT(p.page_id(), ::testing::StartsWith("pg-"));
    EXPECT_EQ(p.contact(), "alice");
    EXPECT_TRUE(p.incident_id().empty());
    EXPECT_TRUE(p.engagement_id().empty());
    EXPECT_THAT(p.activation_code(), ::testing::MatchesRegex("[0-9]{6}"));
    EXPECT_FALSE(p.channel().has_activation());
  }
  EXPECT_EQ(pages[1].channel().sms().number(), "+81312345678");

  // The stored hash is of the code sent.
  ASSERT_OK_AND_ASSIGN(Contact activated,
                       dir_->ActivateChannel("alice", "sms", CodeSentTo("alice", "sms")));
  EXPECT_EQ(activated.channels(1).activation().state(), v1::ACTIVATION_STATE_ACTIVATED);
  EXPECT_TRUE(activated.channels(1).activation().has_activated_time());
  EXPECT_EQ(activated.channels(0).activation().state(), v1::ACTIVATION_STATE_PENDING);
  EXPECT_EQ(activated.version(), 2);
  // Activating again changes nothing, not even the version.
  ASSERT_OK_AND_ASSIGN(Contact again, dir_->ActivateChannel("alice", "sms", "000000"));
  EXPECT_EQ(again.version(), 2);
}

TEST_F(DirectoryTest, WrongCodesAreCountedAndVoidTheCodeAfterFive) {
  ASSERT_OK(dir_->CreateContact(Person("alice")));
  const std::string right = CodeSentTo("alice", "sms");
  const std::string wrong = right == "111111" ? "222222" : "111111";
  for (int i = 1; i <= 5; ++i) {
    EXPECT_THAT(dir_->ActivateChannel("alice", "sms", wrong),
                StatusIs(absl::StatusCode::kInvalidArgument, "wrong activation code"));
    ASSERT_OK_AND_ASSIGN(Contact c, dir_->GetContact("alice"));
    EXPECT_EQ(c.channels(1).activation().failed_attempts(), i);
  }
  EXPECT_THAT(dir_->ActivateChannel("alice", "sms", right),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "too many wrong codes; send a new one: tocsin contacts send-code alice "
                       "sms"));
  ASSERT_OK_AND_ASSIGN(Contact resent, dir_->SendActivationCode("alice", "sms"));
  EXPECT_EQ(resent.channels(1).activation().failed_attempts(), 0);
  EXPECT_THAT(Pages(), SizeIs(3));
  EXPECT_OK(dir_->ActivateChannel("alice", "sms", CodeSentTo("alice", "sms")));
  EXPECT_THAT(dir_->SendActivationCode("alice", "sms"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already activated")));
  EXPECT_THAT(dir_->ActivateChannel("alice", "pager", "1"),
              StatusIs(absl::StatusCode::kNotFound, "contact \"alice\" has no channel \"pager\""));
  EXPECT_THAT(dir_->ActivateChannel("bob", "sms", "1"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DirectoryTest, CodesExpireAfterADay) {
  ASSERT_OK(dir_->CreateContact(Person("alice")));
  clock_.Advance(absl::Hours(24) + absl::Seconds(1));
  EXPECT_THAT(dir_->ActivateChannel("alice", "email", CodeSentTo("alice", "email")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("expired (codes are valid 24 hours); send a new one: tocsin "
                                 "contacts send-code alice email")));
  ASSERT_OK(dir_->SendActivationCode("alice", "email"));
  EXPECT_OK(dir_->ActivateChannel("alice", "email", CodeSentTo("alice", "email")));
}

TEST_F(DirectoryTest, DeactivatedChannelNeedsANewCode) {
  CreateActivated(Person("alice"));
  ASSERT_OK_AND_ASSIGN(Contact c, dir_->DeactivateChannel("alice", "sms"));
  EXPECT_EQ(c.channels(1).activation().state(), v1::ACTIVATION_STATE_DEACTIVATED);
  EXPECT_THAT(dir_->ActivateChannel("alice", "sms", CodeSentTo("alice", "sms")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no activation code pending; send one: tocsin contacts "
                                 "send-code alice sms")));
  ASSERT_OK(dir_->SendActivationCode("alice", "sms"));
  ASSERT_OK_AND_ASSIGN(c, dir_->ActivateChannel("alice", "sms", CodeSentTo("alice", "sms")));
  EXPECT_EQ(c.channels(1).activation().state(), v1::ACTIVATION_STATE_ACTIVATED);
}

TEST_F(DirectoryTest, ActivationSurvivesUpdatesUnlessTheDestinationChanges) {
  CreateActivated(Person("alice"));
  const size_t pages_before = Pages().size();
  Contact update = Person("alice");
  update.set_display_name("Alice A.");
  update.mutable_channels(1)->mutable_activation()->set_state(
      v1::ACTIVATION_STATE_ACTIVATED);  // ignored: the service's to set
  update.mutable_channels(0)->mutable_email()->set_address("alice@new.example.com");
  ASSERT_OK_AND_ASSIGN(Contact c, dir_->UpdateContact(update, 0));
  EXPECT_EQ(c.channels(0).activation().state(), v1::ACTIVATION_STATE_PENDING);
  EXPECT_EQ(c.channels(1).activation().state(), v1::ACTIVATION_STATE_ACTIVATED);
  std::vector<v1::PageRequested> pages = Pages();
  ASSERT_EQ(pages.size(), pages_before + 1);
  EXPECT_EQ(pages.back().channel().email().address(), "alice@new.example.com");
  EXPECT_THAT(dir_->UpdateContact(update, 1),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at version")));
}

// ---- Contacts: create, get, list, update, delete ----

TEST_F(DirectoryTest, ContactIsStoredWithDefaultsAndVersion) {
  Make(/*activation_required=*/false);
  Contact c = Person("alice");
  c.mutable_channels(0)->mutable_delay()->set_seconds(0);
  ASSERT_OK_AND_ASSIGN(Contact created, dir_->CreateContact(c));
  EXPECT_EQ(created.version(), 1);
  EXPECT_EQ(created.channels(1).delay().seconds(), 300) << "an unset delay is 5 minutes";
  EXPECT_EQ(FromProtoTime(created.create_time()), clock_.Now());
  ASSERT_OK_AND_ASSIGN(Contact got, dir_->GetContact("alice"));
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());
  EXPECT_THAT(dir_->GetContact("bob"),
              StatusIs(absl::StatusCode::kNotFound, "contact \"bob\" does not exist"));
}

TEST_F(DirectoryTest, InvalidContactsAreRefusedAndNothingIsStored) {
  Make(/*activation_required=*/false);
  Contact no_channels;
  no_channels.set_name("bob");
  Contact bad_email = Person("bob");
  bad_email.mutable_channels(0)->mutable_email()->set_address("bob at example.com");
  Contact bad_url = Person("bob");
  auto* hook = bad_url.add_channels();
  hook->set_name("hook");
  hook->mutable_webhook()->set_url("ftp://hooks.example.com/x");
  Contact same_channel = Person("bob");
  same_channel.mutable_channels(1)->set_name("email");
  Contact bad_name = Person("bob smith");
  Contact negative = Person("bob");
  negative.mutable_channels(1)->mutable_delay()->set_seconds(-1);

  EXPECT_THAT(dir_->CreateContact(no_channels),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no channels")));
  EXPECT_THAT(dir_->CreateContact(bad_email),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bob at example.com")));
  EXPECT_THAT(dir_->CreateContact(bad_url),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must start with http:// or https://")));
  EXPECT_THAT(dir_->CreateContact(same_channel),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"email\" is used twice")));
  EXPECT_THAT(dir_->CreateContact(bad_name),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"bob smith\"")));
  EXPECT_THAT(dir_->CreateContact(negative),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must not be negative")));
  EXPECT_THAT(dir_->ListContacts(), ::tocsin::testing::IsOkAndHolds(IsEmpty()));
}

TEST_F(DirectoryTest, ContactNameIsTakenOnce) {
  Make(/*activation_required=*/false);
  ASSERT_OK(dir_->CreateContact(Person("alice")));
  Contact again = Person("alice");
  again.mutable_channels()->RemoveLast();
  EXPECT_THAT(dir_->CreateContact(again),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("\"alice\" already exists")));
  ASSERT_OK_AND_ASSIGN(Contact stored, dir_->GetContact("alice"));
  EXPECT_EQ(stored.channels_size(), 2);
}

TEST_F(DirectoryTest, UpdateIncrementsVersionAndRefusesAStaleOne) {
  Make(/*activation_required=*/false);
  Contact one = Person("alice");
  one.mutable_channels()->RemoveLast();
  ASSERT_OK(dir_->CreateContact(one));
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(Contact v2, dir_->UpdateContact(Person("alice"), 1));
  EXPECT_EQ(v2.version(), 2);
  EXPECT_EQ(v2.channels_size(), 2);
  Contact three = Person("alice");
  auto* hook = three.add_channels();
  hook->set_name("hook");
  hook->mutable_webhook()->set_url("https://hooks.example.com/alice");
  EXPECT_THAT(dir_->UpdateContact(three, 1),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("is at version 2, not 1")));
  ASSERT_OK_AND_ASSIGN(Contact v3, dir_->UpdateContact(three, 0));
  EXPECT_EQ(v3.version(), 3);
  EXPECT_EQ(v3.create_time().seconds(), v2.create_time().seconds());
  EXPECT_LT(FromProtoTime(v3.create_time()), FromProtoTime(v3.update_time()));
  EXPECT_THAT(dir_->UpdateContact(Person("carol"), 0),
              StatusIs(absl::StatusCode::kNotFound, "contact \"carol\" does not exist"));
  Contact none;
  none.set_name("alice");
  EXPECT_THAT(dir_->UpdateContact(none, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has no channels")));
  ASSERT_OK_AND_ASSIGN(Contact stored, dir_->GetContact("alice"));
  EXPECT_EQ(stored.version(), 3);
  EXPECT_EQ(stored.channels_size(), 3);
  ASSERT_OK(dir_->DeleteContact("alice"));
  EXPECT_THAT(dir_->GetContact("alice"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(dir_->ListContacts(), ::tocsin::testing::IsOkAndHolds(IsEmpty()));
}

TEST_F(DirectoryTest, ActivationOffStoresChannelsActivatedAndSendsNothing) {
  Make(/*activation_required=*/false);
  ASSERT_OK_AND_ASSIGN(Contact c, dir_->CreateContact(WithPlan(Person("alice"))));
  EXPECT_EQ(c.channels(0).activation().state(), v1::ACTIVATION_STATE_ACTIVATED);
  EXPECT_THAT(Pages(), IsEmpty());
}

TEST_F(DirectoryTest, PlanTargetsMustBeActivated) {
  EXPECT_THAT(dir_->CreateContact(WithPlan(Person("alice"))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("contact \"alice\": personal plan stage 1: channel \"email\" is "
                                 "not activated (pending): confirm the code")));
  EXPECT_THAT(dir_->ListContacts(), ::tocsin::testing::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(Pages(), IsEmpty()) << "a refused save sends no code";
  CreateActivated(Person("alice"));
  ASSERT_OK(dir_->UpdateContact(WithPlan(Person("alice")), 0));
}

TEST_F(DirectoryTest, ReferencesAndCyclesAreChecked) {
  Make(false);
  ASSERT_OK(dir_->CreateContact(Person("alice")));
  EXPECT_THAT(dir_->CreateContact(Escalation("sre", {"alice", "bob"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "contact \"sre\": escalation plan stage 2: target contact \"bob\" does "
                       "not exist"));
  EXPECT_THAT(dir_->CreateContact(Schedule("primary", {"ny"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rotation \"ny\" does not")));
  ASSERT_OK(dir_->CreateRotation(NewYork({"alice"})));
  ASSERT_OK(dir_->CreateContact(Schedule("primary", {"ny"})));
  EXPECT_THAT(dir_->CreateRotation(Tokyo({"alice", "primary"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("contact \"primary\" is an on-call schedule, not a person")));
  ASSERT_OK(dir_->CreateContact(Escalation("sre", {"primary", "alice"})));
  ASSERT_OK(dir_->CreateContact(Escalation("top", {"sre"})));
  EXPECT_THAT(dir_->UpdateContact(Escalation("sre", {"primary", "top"}), 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("escalation cycle sre -> top -> sre")));

  EXPECT_THAT(dir_->DeleteContact("alice"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "contact \"alice\" is still used by escalation plan \"sre\" stage 2, "
                       "rotation \"ny\"; remove it there first"));
  EXPECT_THAT(dir_->DeleteRotation("ny"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("rotation \"ny\" is still used by schedule \"primary\"")));
  EXPECT_THAT(dir_->DeleteContact("sre"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                   HasSubstr("escalation plan \"top\"")));
  EXPECT_OK(dir_->DeleteContact("top"));
  EXPECT_OK(dir_->DeleteContact("sre"));
  EXPECT_OK(dir_->DeleteContact("primary"));
  EXPECT_OK(dir_->DeleteRotation("ny"));
  EXPECT_OK(dir_->DeleteContact("alice"));
  EXPECT_THAT(dir_->DeleteContact("alice"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DirectoryTest, RotationsAreValidatedByTheEngine) {
  Make(false);
  ASSERT_OK(dir_->CreateContact(Person("alice")));
  Rotation bad = NewYork({"alice"});
  bad.set_time_zone_id("EST");
  EXPECT_THAT(dir_->CreateRotation(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("EST")));
  bad = NewYork({"alice"});
  bad.clear_start_time();
  EXPECT_THAT(dir_->CreateRotation(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  "rotation \"ny\": start_time is required"));
  EXPECT_THAT(dir_->CreateRotation(NewYork({"zed"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "rotation \"ny\": contact \"zed\" does not exist"));
  ASSERT_OK_AND_ASSIGN(Rotation r, dir_->CreateRotation(NewYork({"alice"})));
  EXPECT_EQ(r.version(), 1);
  EXPECT_THAT(dir_->CreateRotation(NewYork({"alice"})),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(dir_->UpdateRotation(NewYork({"alice"}), 3),
              StatusIs(absl::StatusCode::kAborted, ::testing::_));
  ASSERT_OK_AND_ASSIGN(r, dir_->UpdateRotation(NewYork({"alice"}), 1));
  EXPECT_EQ(r.version(), 2);
  EXPECT_THAT(dir_->ListRotations(), ::tocsin::testing::IsOkAndHolds(SizeIs(1)));
  EXPECT_THAT(dir_->GetRotation("tokyo"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DirectoryTest, OverlappingOverridesAreRefusedAndNothingIsSaved) {
  Make(false);
  ASSERT_OK(dir_->CreateContact(Person("alice")));
  ASSERT_OK(dir_->CreateContact(Person("bob")));
  ASSERT_OK(dir_->CreateRotation(NewYork({"alice", "bob"})));
  ASSERT_OK(dir_->CreateOverride(
      Override("vacation", "ny", {"bob"}, "2026-03-03T00:00:00Z", "2026-03-05T00:00:00Z")));
  EXPECT_THAT(dir_->CreateOverride(Override("swap", "ny", {"alice"}, "2026-03-04T00:00:00Z",
                                            "2026-03-06T00:00:00Z")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("rotation \"ny\""), HasSubstr("vacation"),
                                        HasSubstr("swap"))));
  EXPECT_THAT(dir_->CreateOverride(Override("vacation", "ny", {"alice"}, "2026-03-07T00:00:00Z",
                                            "2026-03-08T00:00:00Z")),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(dir_->CreateOverride(
                  Override("x", "ny", {"carol"}, "2026-03-07T00:00:00Z", "2026-03-08T00:00:00Z")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"carol\" does not exist")));
  EXPECT_THAT(dir_->CreateOverride(
                  Override("x", "london", {}, "2026-03-07T00:00:00Z", "2026-03-08T00:00:00Z")),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  // Touching is fine.
  ASSERT_OK(dir_->CreateOverride(
      Override("swap", "ny", {"alice"}, "2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z")));

  v1::ListOverridesRequest list;
  list.set_rotation("ny");
  ASSERT_OK_AND_ASSIGN(auto all, dir_->ListOverrides(list));
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[0].name(), "vacation");
  *list.mutable_from() = ToProtoTime(At("2026-03-05T00:00:00Z"));
  ASSERT_OK_AND_ASSIGN(auto later, dir_->ListOverrides(list));
  ASSERT_THAT(later, SizeIs(1));
  EXPECT_EQ(later[0].name(), "swap");
  EXPECT_THAT(dir_->DeleteContact("bob"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("override \"vacation\"")));
  EXPECT_OK(dir_->DeleteOverride("ny", "vacation"));
  EXPECT_THAT(dir_->DeleteOverride("ny", "vacation"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DirectoryTest, ShiftsAndOnCallFollowLocalTimeAcrossDaylightSaving) {
  Make(false);
  ASSERT_OK(dir_->CreateContact(Person("alice")));
  ASSERT_OK(dir_->CreateContact(Person("bob")));
  ASSERT_OK(dir_->CreateRotation(NewYork({"alice", "bob"})));
  // New York springs forward on 2026-03-08: the 09:00 hand-off is 13:00 UTC
  // from then on, so the shift of 03-07 lasts 23 hours.
  v1::ListShiftsRequest req;
  req.set_name("ny");
  *req.mutable_from() = ToProtoTime(At("2026-03-07T15:00:00Z"));
  *req.mutable_to() = ToProtoTime(At("2026-03-08T15:00:00Z"));
  ASSERT_OK_AND_ASSIGN(v1::ListShiftsResponse shifts, dir_->ListShifts(req));
  ASSERT_EQ(shifts.shifts_size(), 2);
  EXPECT_EQ(FromProtoTime(shifts.shifts(0).start()), At("2026-03-07T14:00:00Z"));
  EXPECT_EQ(FromProtoTime(shifts.shifts(0).end()), At("2026-03-08T13:00:00Z"));
  EXPECT_THAT(shifts.shifts(0).contacts(), ElementsAre("alice"));
  EXPECT_THAT(shifts.shifts(1).contacts(), ElementsAre("bob"));
  EXPECT_EQ(shifts.shifts(1).rotation(), "ny");

  v1::GetOnCallRequest on;
  on.set_name("ny");
  *on.mutable_at() = ToProtoTime(At("2026-03-08T13:30:00Z"));
  ASSERT_OK_AND_ASSIGN(v1::OnCall now, dir_->GetOnCall(on));
  EXPECT_THAT(now.on_call(), ElementsAre("bob"));
  EXPECT_EQ(FromProtoTime(now.shift_start()), At("2026-03-08T13:00:00Z"));
  EXPECT_EQ(FromProtoTime(now.shift_end()), At("2026-03-09T13:00:00Z"));

  // An override takes over mid-shift.
  ASSERT_OK(dir_->CreateOverride(
      Override("swap", "ny", {"alice"}, "2026-03-08T13:15:00Z", "2026-03-08T14:00:00Z")));
  ASSERT_OK_AND_ASSIGN(now, dir_->GetOnCall(on));
  EXPECT_THAT(now.on_call(), ElementsAre("alice"));

  // A schedule of the rotation answers the same.
  ASSERT_OK(dir_->CreateContact(Schedule("primary", {"ny"})));
  on.set_name("primary");
  ASSERT_OK_AND_ASSIGN(now, dir_->GetOnCall(on));
  EXPECT_THAT(now.on_call(), ElementsAre("alice"));
  req.set_name("primary");
  ASSERT_OK_AND_ASSIGN(shifts, dir_->ListShifts(req));
  EXPECT_EQ(shifts.shifts_size(), 4);  // cut by the override: alice, bob, alice (override), bob

  on.set_name("alice");
  EXPECT_THAT(dir_->GetOnCall(on),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is a personal contact, not a rotation or an on-call schedule")));
  on.set_name("nobody");
  EXPECT_THAT(dir_->GetOnCall(on), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(DirectoryTest, GapsAndTheReasonNobodyIsOnCall) {
  Make(false);
  ASSERT_OK(dir_->CreateContact(Person("kenji")));
  ASSERT_OK(dir_->CreateRotation(Tokyo({"kenji"})));
  v1::GetOnCallRequest on;
  on.set_name("tokyo");
  *on.mutable_at() = ToProtoTime(At("2026-03-07T03:00:00Z"));  // SAT 12:00 JST
  ASSERT_OK_AND_ASSIGN(v1::OnCall now, dir_->GetOnCall(on));
  EXPECT_THAT(now.on_call(), IsEmpty());
  EXPECT_FALSE(now.has_shift_start());
  EXPECT_THAT(now.reason(), HasSubstr("coverage of rotation tokyo"));

  v1::ListGapsRequest gaps;
  gaps.set_name("tokyo");
  *gaps.mutable_from() = ToProtoTime(At("2026-03-02T00:00:00Z"));  // MON 09:00 JST
  *gaps.mutable_to() = ToProtoTime(At("2026-03-03T00:00:00Z"));
  ASSERT_OK_AND_ASSIGN(v1::ListGapsResponse g, dir_->ListGaps(gaps));
  ASSERT_EQ(g.gaps_size(), 1);
  EXPECT_EQ(FromProtoTime(g.gaps(0).start()), At("2026-03-02T09:00:00Z"));  // 18:00 JST
  EXPECT_EQ(FromProtoTime(g.gaps(0).end()), At("2026-03-03T00:00:00Z"));

  ASSERT_OK(dir_->CreateContact(Schedule("primary", {"tokyo"})));
  on.set_name("primary");
  ASSERT_OK_AND_ASSIGN(now, dir_->GetOnCall(on));
  EXPECT_THAT(now.reason(), HasSubstr("nobody on call: "));
  gaps.set_name("primary");
  ASSERT_OK_AND_ASSIGN(g, dir_->ListGaps(gaps));
  EXPECT_EQ(g.gaps_size(), 1);
}

TEST_F(DirectoryTest, PreviewShiftsComputesAnUnsavedRotation) {
  v1::PreviewShiftsRequest req;
  *req.mutable_rotation() = NewYork({"x", "y"});
  *req.add_overrides() = Override("o", "", {"z"}, "2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z");
  *req.mutable_from() = ToProtoTime(At("2026-03-02T14:00:00Z"));
  *req.mutable_to() = ToProtoTime(At("2026-03-02T18:00:00Z"));
  ASSERT_OK_AND_ASSIGN(v1::ListShiftsResponse shifts, dir_->PreviewShifts(req));
  ASSERT_EQ(shifts.shifts_size(), 3);
  EXPECT_THAT(shifts.shifts(1).contacts(), ElementsAre("z"));
  EXPECT_EQ(shifts.shifts(1).type(), v1::SHIFT_TYPE_OVERRIDDEN);
  EXPECT_THAT(dir_->ListRotations(), ::tocsin::testing::IsOkAndHolds(IsEmpty()));
}

TEST_F(DirectoryTest, ApplyIsAllOrNothingAndDryRunStoresNothing) {
  Make(false);
  v1::ApplyRequest req;
  *req.add_contacts() = Person("alice");
  *req.add_contacts() = Person("bob");
  *req.add_contacts() = Schedule("primary", {"ny"});
  *req.add_contacts() = Escalation("sre", {"primary", "bob"});
  *req.add_rotations() = NewYork({"alice", "bob"});
  *req.add_overrides() =
      Override("swap", "ny", {"bob"}, "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z");

  // A bad override at the end: nothing at all is stored.
  v1::ApplyRequest bad = req;
  *bad.add_overrides() =
      Override("clash", "ny", {"alice"}, "2026-03-03T12:00:00Z", "2026-03-05T00:00:00Z");
  EXPECT_THAT(dir_->Apply(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("clash")));
  EXPECT_THAT(dir_->ListContacts(), ::tocsin::testing::IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(dir_->ListRotations(), ::tocsin::testing::IsOkAndHolds(IsEmpty()));

  // A cycle is refused too.
  bad = req;
  *bad.add_contacts() = Escalation("top", {"top"});
  EXPECT_THAT(dir_->Apply(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("escalation cycle top -> top")));

  v1::ApplyRequest dry = req;
  dry.set_dry_run(true);
  ASSERT_OK_AND_ASSIGN(v1::ApplyResponse outcomes, dir_->Apply(dry));
  EXPECT_THAT(outcomes.outcomes(),
              ElementsAre("created", "created", "created", "created", "created", "created"));
  EXPECT_THAT(dir_->ListContacts(), ::tocsin::testing::IsOkAndHolds(IsEmpty()));

  ASSERT_OK_AND_ASSIGN(outcomes, dir_->Apply(req));
  EXPECT_THAT(outcomes.outcomes(), SizeIs(6));
  EXPECT_THAT(dir_->ListContacts(), ::tocsin::testing::IsOkAndHolds(SizeIs(4)));
  v1::ListOverridesRequest list;
  list.set_rotation("ny");
  EXPECT_THAT(dir_->ListOverrides(list), ::tocsin::testing::IsOkAndHolds(SizeIs(1)));

  // Again: unchanged; then one change.
  ASSERT_OK_AND_ASSIGN(outcomes, dir_->Apply(req));
  EXPECT_THAT(outcomes.outcomes(), ElementsAre("unchanged", "unchanged", "unchanged", "unchanged",
                                               "unchanged", "unchanged"));
  req.mutable_contacts(1)->set_display_name("Bob B.");
  *req.mutable_overrides(0)->mutable_end() = ToProtoTime(At("2026-03-04T12:00:00Z"));
  ASSERT_OK_AND_ASSIGN(outcomes, dir_->Apply(req));
  EXPECT_THAT(outcomes.outcomes(), ElementsAre("unchanged", "updated", "unchanged", "unchanged",
                                               "unchanged", "updated"));
  ASSERT_OK_AND_ASSIGN(Contact bob, dir_->GetContact("bob"));
  EXPECT_EQ(bob.version(), 2);
  ASSERT_OK_AND_ASSIGN(auto overrides, dir_->ListOverrides(list));
  ASSERT_THAT(overrides, SizeIs(1));
  EXPECT_EQ(FromProtoTime(overrides[0].end()), At("2026-03-04T12:00:00Z"));
}

TEST_F(DirectoryTest, ApplyInRequiredModeSendsCodesOnlyWhenStored) {
  v1::ApplyRequest req;
  *req.add_contacts() = Person("alice");
  req.set_dry_run(true);
  ASSERT_OK(dir_->Apply(req));
  EXPECT_THAT(Pages(), IsEmpty());
  req.set_dry_run(false);
  ASSERT_OK(dir_->Apply(req));
  EXPECT_THAT(Pages(), SizeIs(2));
  ASSERT_OK_AND_ASSIGN(v1::ApplyResponse again, dir_->Apply(req));
  EXPECT_THAT(again.outcomes(), ElementsAre("unchanged"));
  EXPECT_THAT(Pages(), SizeIs(2));
  *req.mutable_contacts(0) = WithPlan(Person("alice"));
  EXPECT_THAT(dir_->Apply(req),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not activated")));
}

TEST_F(DirectoryTest, CalendarFeedsByUnguessableToken) {
  Make(false);
  ASSERT_OK(dir_->CreateContact(Person("alice")));
  ASSERT_OK(dir_->CreateContact(Person("bob")));
  ASSERT_OK(dir_->CreateRotation(NewYork({"alice", "bob"})));
  clock_.Set(At("2026-03-10T00:00:00Z"));
  v1::CreateCalendarFeedRequest req;
  req.set_rotation("ny");
  ASSERT_OK_AND_ASSIGN(v1::CalendarFeed feed, dir_->CreateCalendarFeed(req));
  EXPECT_THAT(feed.url(), ::testing::MatchesRegex(
                              "https://tocsin\\.example\\.com/v1/calendars/[0-9a-f]{64}\\.ics"));
  const std::string token = feed.url().substr(feed.url().rfind('/') + 1, 64);
  ASSERT_OK_AND_ASSIGN(CalendarDocument doc, dir_->RenderCalendarFeed(token));
  EXPECT_THAT(doc.ics, HasSubstr("BEGIN:VCALENDAR"));
  EXPECT_THAT(doc.ics, HasSubstr("SUMMARY:ny: bob"));
  EXPECT_THAT(doc.ics, HasSubstr("UID:ny-"));

  req.set_rotation("");
  req.set_contact("alice");
  ASSERT_OK_AND_ASSIGN(feed, dir_->CreateCalendarFeed(req));
  ASSERT_OK_AND_ASSIGN(doc,
                       dir_->RenderCalendarFeed(feed.url().substr(feed.url().rfind('/') + 1, 64)));
  EXPECT_THAT(doc.ics, HasSubstr("SUMMARY:On call: ny"));
  EXPECT_THAT(doc.ics, ::testing::Not(HasSubstr("ny: bob")));

  EXPECT_THAT(dir_->RenderCalendarFeed(std::string(64, 'a')),
              StatusIs(absl::StatusCode::kNotFound, "no such calendar"));
  req.set_rotation("ny");
  EXPECT_THAT(dir_->CreateCalendarFeed(req),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  req.set_rotation("");
  req.set_contact("carol");
  EXPECT_THAT(dir_->CreateCalendarFeed(req), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace tocsin::escalation
