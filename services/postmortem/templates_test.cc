#include "services/postmortem/templates.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::postmortem {
namespace {

using ::testing::HasSubstr;
using ::tocsin::testing::IsOkAndHolds;
using ::tocsin::testing::StatusIs;

v1::Template Valid() {
  v1::Template t;
  t.set_name("team.review_v2");
  v1::Section* s = t.add_sections();
  s->set_id("impact");
  s->set_title("Impact");
  v1::Question* q = s->add_questions();
  q->set_id("who");
  q->set_text("Who was affected?");
  q->set_type(v1::QUESTION_TYPE_SINGLE_CHOICE);
  q->add_choices("Customers");
  q->add_choices("Staff");
  return t;
}

TEST(TemplatesTest, DefaultTemplateIsValidAndAsksWhatTheIssueAsks) {
  const v1::Template& t = DefaultTemplate();
  ASSERT_OK(ValidateTemplate(t));
  EXPECT_TRUE(t.builtin());
  ASSERT_EQ(t.sections_size(), 4);
  EXPECT_EQ(t.sections(0).id(), "detection");
  EXPECT_EQ(t.sections(1).id(), "engagement");
  EXPECT_EQ(t.sections(2).id(), "mitigation");
  EXPECT_EQ(t.sections(3).id(), "prevention");
  EXPECT_EQ(FindQuestion(t, "detect-halve")->text(), "How could the time to detect be halved?");
  EXPECT_EQ(FindQuestion(t, "engage-faster")->text(),
            "How could the right contact be reached faster?");
  EXPECT_EQ(FindQuestion(t, "runbook-changes")->text(), "What should change in the runbook?");
  for (const char* why : {"why-1", "why-2", "why-3", "why-4", "why-5"}) {
    EXPECT_NE(FindQuestion(t, why), nullptr) << why;
  }
  for (const auto& s : t.sections()) {
    for (const auto& q : s.questions()) EXPECT_FALSE(q.help().empty()) << q.id();
  }
}

TEST(TemplatesTest, EachRuleNamesWhereItIsBroken) {
  ASSERT_OK(ValidateTemplate(Valid()));
  struct Case {
    const char* what;
    std::function<void(v1::Template&)> mutate;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"bad name", [](v1::Template& t) { t.set_name("a b"); }, "template name \"a b\""},
      {"no sections", [](v1::Template& t) { t.clear_sections(); }, "at least one section"},
      {"bad section id", [](v1::Template& t) { t.mutable_sections(0)->set_id("Impact"); },
       "sections[0] (Impact): id must be"},
      {"empty section",
       [](v1::Template& t) { t.mutable_sections(0)->clear_questions(); },
       "at least one question"},
      {"no title", [](v1::Template& t) { t.mutable_sections(0)->clear_title(); },
       "title is required"},
      {"no text",
       [](v1::Template& t) { t.mutable_sections(0)->mutable_questions(0)->clear_text(); },
       "sections[0] (impact) questions[0] (who): text is required"},
      {"no type",
       [](v1::Template& t) { t.mutable_sections(0)->mutable_questions(0)->clear_type(); },
       "type is required"},
      {"one choice",
       [](v1::Template& t) {
         t.mutable_sections(0)->mutable_questions(0)->mutable_choices()->RemoveLast();
       },
       "needs 2 to 20 choices, got 1"},
      {"repeated choice",
       [](v1::Template& t) {
         t.mutable_sections(0)->mutable_questions(0)->set_choices(1, "customers");
       },
       "listed twice"},
      {"choices on text",
       [](v1::Template& t) {
         t.mutable_sections(0)->mutable_questions(0)->set_type(v1::QUESTION_TYPE_TEXT);
       },
       "only single-choice and multiple-choice questions have choices"},
      {"duplicate question across sections",
       [](v1::Template& t) {
         v1::Section* s = t.add_sections();
         *s = t.sections(0);
         s->set_id("again");
       },
       "sections[1] (again) questions[0] (who): id is used twice"},
  };
  for (const Case& c : cases) {
    v1::Template t = Valid();
    c.mutate(t);
    EXPECT_THAT(ValidateTemplate(t),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)))
        << c.what;
  }
}

TEST(TemplatesTest, AnswersAreNormalisedForTheirType) {
  v1::Question q;
  q.set_id("q");
  q.set_type(v1::QUESTION_TYPE_NUMBER);
  EXPECT_THAT(NormalizeAnswer(q, " 2.5 "), IsOkAndHolds(std::string("2.5")));
  EXPECT_THAT(NormalizeAnswer(q, "two"), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(NormalizeAnswer(q, "nan"), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  q.set_type(v1::QUESTION_TYPE_TEXT);
  EXPECT_THAT(NormalizeAnswer(q, "   "),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(NormalizeAnswer(q, "line 1\nline 2"),
              IsOkAndHolds(std::string("line 1\nline 2")));
  EXPECT_THAT(NormalizeAnswer(q, std::string(70000, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("65536")));
  q.set_type(v1::QUESTION_TYPE_SINGLE_CHOICE);
  q.add_choices("Customers");
  q.add_choices("Staff");
  EXPECT_THAT(NormalizeAnswer(q, "staff"), IsOkAndHolds(std::string("Staff")));
  EXPECT_THAT(NormalizeAnswer(q, "Staff, Customers"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one of")));
  q.set_type(v1::QUESTION_TYPE_MULTIPLE_CHOICE);
  EXPECT_THAT(NormalizeAnswer(q, "staff,customers,staff"),
              IsOkAndHolds(std::string("Customers, Staff")));
  EXPECT_THAT(NormalizeAnswer(q, "staff, robots"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"robots\"")));
}

TEST(TemplatesTest, QuestionTypeSpellingsRoundTrip) {
  for (auto t : {v1::QUESTION_TYPE_TEXT, v1::QUESTION_TYPE_YES_NO,
                 v1::QUESTION_TYPE_SINGLE_CHOICE, v1::QUESTION_TYPE_MULTIPLE_CHOICE,
                 v1::QUESTION_TYPE_NUMBER}) {
    EXPECT_THAT(ParseQuestionType(QuestionTypeName(t)), IsOkAndHolds(t));
  }
  EXPECT_THAT(ParseQuestionType("essay"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yes-no")));
}

}  // namespace
}  // namespace tocsin::postmortem
