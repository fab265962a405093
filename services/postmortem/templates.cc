#include "services/postmortem/templates.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tocsin::postmortem {
namespace {

constexpr size_t kMaxAnswerBytes = 64 * 1024;

v1::Question Q(const char* id, const char* text, const char* help,
               v1::QuestionType type = v1::QUESTION_TYPE_TEXT,
               std::vector<std::string> choices = {}) {
  v1::Question q;
  q.set_id(id);
  q.set_text(text);
  q.set_help(help);
  q.set_type(type);
  for (auto& c : choices) q.add_choices(std::move(c));
  return q;
}

v1::Section S(const char* id, const char* title, const char* help,
              std::vector<v1::Question> questions) {
  v1::Section s;
  s.set_id(id);
  s.set_title(title);
  s.set_help(help);
  for (auto& q : questions) *s.add_questions() = std::move(q);
  return s;
}

v1::Template MakeDefault() {
  v1::Template t;
  t.set_name(kDefaultTemplate);
  t.set_description(
      "Tocsin's default post-incident analysis: detection, engagement, diagnosis and "
      "mitigation, prevention (the five whys).");
  t.set_builtin(true);
  t.set_version(1);
  t.set_author("tocsin");
  *t.add_sections() = S(
      "detection", "Detection",
      "How the problem was noticed. The metrics table has the time to detect.",
      {Q("detect-halve", "How could the time to detect be halved?",
         "Think of an earlier signal (a leading metric, a synthetic check, a lower threshold, a "
         "shorter evaluation period) and what it would cost in false alarms."),
       Q("right-alarm", "Was the alarm that fired the right one?",
         "Yes if it pointed at the cause or at customer impact; no if people learned of the "
         "problem another way, or the alarm was noisy or misleading.",
         v1::QUESTION_TYPE_YES_NO),
       Q("detected-by", "Who or what noticed the problem first?",
         "Pick the first signal, even if someone noticed it before an alarm paged.",
         v1::QUESTION_TYPE_SINGLE_CHOICE,
         {"An alarm", "A customer", "A team member", "Another team", "A synthetic check"}),
       Q("missing-alarms", "Which alarms or dashboards were missing or misleading?",
         "Name them, and say what each should have shown.")});
  *t.add_sections() = S(
      "engagement", "Engagement",
      "Who was reached and how fast. See the people engaged and the times to engage and to "
      "acknowledge.",
      {Q("right-people", "Were the right people reached?",
         "Yes if the first people paged could act on the problem.", v1::QUESTION_TYPE_YES_NO),
       Q("engage-quickly", "How quickly were they reached, and what slowed it?",
         "Look at the time from the first page to the first acknowledgement, the escalation "
         "stages reached and any page that failed or was held."),
       Q("engage-faster", "How could the right contact be reached faster?",
         "A different escalation plan or rotation, another channel (SMS, voice), a shorter stage "
         "delay, a chat channel."),
       Q("engaged-teams", "How many teams were involved?",
         "Count the teams that had to act, not only those informed.", v1::QUESTION_TYPE_NUMBER)});
  *t.add_sections() = S(
      "mitigation", "Diagnosis and mitigation",
      "From acknowledgement to the impact ending (the time to mitigate).",
      {Q("diagnose-shorter", "What would have shortened the diagnosis?",
         "Missing logs, traces or dashboards; access people did not have; knowledge held by one "
         "person."),
       Q("mitigate-shorter", "What would have shortened the mitigation?",
         "Automation, a feature flag, a rollback path, a pre-approved action."),
       Q("runbook-changes", "What should change in the runbook?",
         "Steps that were missing, wrong or slow; steps to automate (tocsin:http, "
         "tocsin:command)."),
       Q("mitigation-helped", "What helped mitigate the impact?",
         "Pick every one that applied.", v1::QUESTION_TYPE_MULTIPLE_CHOICE,
         {"Rollback", "Failover", "Scaling up", "Configuration change", "Feature flag",
          "Restart", "Other"})});
  *t.add_sections() = S(
      "prevention", "Prevention",
      "Ask why the problem happened, then why that happened, five times, down to a root cause "
      "that can be fixed.",
      {Q("why-1", "Why did the problem happen?", "The direct cause of the impact."),
       Q("why-2", "Why did that happen?", "The cause of the answer above."),
       Q("why-3", "Why did that happen?", "Keep going: the cause of the answer above."),
       Q("why-4", "Why did that happen?", "Stop when the answer is something a team can fix."),
       Q("why-5", "Why did that happen? (the root cause)",
         "The root cause: a process, a design or a missing safeguard rather than a person."),
       Q("prevent-recurrence", "What would stop it recurring?",
         "Each answer should become an action item with an owner and a due date."),
       Q("happened-before", "Has this happened before?",
         "Search earlier analyses of the same response plan.", v1::QUESTION_TYPE_YES_NO)});
  return t;
}

bool ValidId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
  });
}

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
           c == '.';
  });
}

absl::Status Bad(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

bool IsChoice(v1::QuestionType type) {
  return type == v1::QUESTION_TYPE_SINGLE_CHOICE || type == v1::QUESTION_TYPE_MULTIPLE_CHOICE;
}

// The template's spelling of `given` (case-insensitive), or nullptr.
const std::string* MatchChoice(const v1::Question& q, absl::string_view given) {
  for (const std::string& c : q.choices()) {
    if (absl::EqualsIgnoreCase(c, given)) return &c;
  }
  return nullptr;
}

std::string ChoiceList(const v1::Question& q) {
  return absl::StrJoin(q.choices(), "\", \"");
}

}  // namespace

const v1::Template& DefaultTemplate() {
  static const auto* t = new v1::Template(MakeDefault());
  return *t;
}

std::string QuestionTypeName(v1::QuestionType type) {
  switch (type) {
    case v1::QUESTION_TYPE_TEXT: return "text";
    case v1::QUESTION_TYPE_YES_NO: return "yes-no";
    case v1::QUESTION_TYPE_SINGLE_CHOICE: return "single-choice";
    case v1::QUESTION_TYPE_MULTIPLE_CHOICE: return "multiple-choice";
    case v1::QUESTION_TYPE_NUMBER: return "number";
    default: return "unspecified";
  }
}

absl::StatusOr<v1::QuestionType> ParseQuestionType(absl::string_view name) {
  for (v1::QuestionType t :
       {v1::QUESTION_TYPE_TEXT, v1::QUESTION_TYPE_YES_NO, v1::QUESTION_TYPE_SINGLE_CHOICE,
        v1::QUESTION_TYPE_MULTIPLE_CHOICE, v1::QUESTION_TYPE_NUMBER}) {
    if (name == QuestionTypeName(t)) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("question type \"", name,
                   "\" is not one of text, yes-no, single-choice, multiple-choice, number"));
}

absl::Status ValidateTemplate(const v1::Template& t) {
  if (!ValidName(t.name())) {
    return absl::InvalidArgumentError(
        absl::StrCat("template name \"", t.name(),
                     "\" must be 1 to 128 letters, digits, '-', '_' or '.'"));
  }
  if (t.description().size() > 4000) {
    return Bad("description", "must be at most 4000 characters");
  }
  if (t.sections_size() == 0) return Bad(t.name(), "a template needs at least one section");
  if (t.sections_size() > 50) return Bad(t.name(), "at most 50 sections");
  std::set<std::string> section_ids;
  std::set<std::string> question_ids;
  int questions = 0;
  for (int i = 0; i < t.sections_size(); ++i) {
    const v1::Section& s = t.sections(i);
    const std::string where = absl::StrCat("sections[", i, "] (", s.id(), ")");
    if (!ValidId(s.id())) {
      return Bad(where, "id must be 1 to 64 lower-case letters, digits or '-'");
    }
    if (!section_ids.insert(s.id()).second) return Bad(where, "id is used twice");
    if (s.title().empty() || s.title().size() > 1000) {
      return Bad(where, "title is required (at most 1000 characters)");
    }
    if (s.help().size() > 4000) return Bad(where, "help must be at most 4000 characters");
    if (s.questions_size() == 0) return Bad(where, "a section needs at least one question");
    for (int j = 0; j < s.questions_size(); ++j) {
      const v1::Question& q = s.questions(j);
      const std::string at = absl::StrCat(where, " questions[", j, "] (", q.id(), ")");
      if (!ValidId(q.id())) {
        return Bad(at, "id must be 1 to 64 lower-case letters, digits or '-'");
      }
      if (!question_ids.insert(q.id()).second) {
        return Bad(at, "id is used twice (question ids are unique in the template)");
      }
      if (q.text().empty() || q.text().size() > 1000) {
        return Bad(at, "text is required (at most 1000 characters)");
      }
      if (q.help().size() > 4000) return Bad(at, "help must be at most 4000 characters");
      if (q.type() == v1::QUESTION_TYPE_UNSPECIFIED) {
        return Bad(at,
                   "type is required: text, yes-no, single-choice, multiple-choice or number");
      }
      if (!v1::QuestionType_IsValid(q.type())) return Bad(at, "type is not a known type");
      if (IsChoice(q.type())) {
        if (q.choices_size() < 2 || q.choices_size() > 20) {
          return Bad(at, absl::StrCat(QuestionTypeName(q.type()),
                                      " needs 2 to 20 choices, got ", q.choices_size()));
        }
        std::set<std::string> seen;
        for (const std::string& c : q.choices()) {
          if (c.empty() || c.size() > 200 || c.find(',') != std::string::npos) {
            return Bad(at, absl::StrCat("choice \"", c,
                                        "\" must be 1 to 200 characters without commas"));
          }
          if (!seen.insert(absl::AsciiStrToLower(c)).second) {
            return Bad(at, absl::StrCat("choice \"", c, "\" is listed twice"));
          }
        }
      } else if (q.choices_size() > 0) {
        return Bad(at, absl::StrCat("only single-choice and multiple-choice questions have "
                                    "choices, this one is ", QuestionTypeName(q.type())));
      }
      ++questions;
    }
  }
  if (questions > 200) return Bad(t.name(), "at most 200 questions in all");
  return absl::OkStatus();
}

const v1::Question* FindQuestion(const v1::Template& t, absl::string_view question_id) {
  for (const v1::Section& s : t.sections()) {
    for (const v1::Question& q : s.questions()) {
      if (q.id() == question_id) return &q;
    }
  }
  return nullptr;
}

absl::StatusOr<std::string> NormalizeAnswer(const v1::Question& q, absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the answer to ", q.id(), " is empty; give --text"));
  }
  if (text.size() > kMaxAnswerBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the answer to ", q.id(),
                                                   " is ", text.size(),
                                                   " bytes; at most 65536"));
  }
  switch (q.type()) {
    case v1::QUESTION_TYPE_YES_NO: {
      const std::string lower = absl::AsciiStrToLower(trimmed);
      if (lower == "yes" || lower == "y" || lower == "true") return std::string("yes");
      if (lower == "no" || lower == "n" || lower == "false") return std::string("no");
      return absl::InvalidArgumentError(
          absl::StrCat(q.id(), " is a yes/no question: answer yes or no, not \"", trimmed,
                       "\""));
    }
    case v1::QUESTION_TYPE_NUMBER: {
      double value = 0;
      if (!absl::SimpleAtod(trimmed, &value) || !std::isfinite(value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            q.id(), " takes a number (e.g. 3 or 2.5), not \"", trimmed, "\""));
      }
      return std::string(trimmed);
    }
    case v1::QUESTION_TYPE_SINGLE_CHOICE: {
      const std::string* choice = MatchChoice(q, trimmed);
      if (choice == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(q.id(), ": \"", trimmed,
                                                       "\" is not a choice; one of \"",
                                                       ChoiceList(q), "\""));
      }
      return *choice;
    }
    case v1::QUESTION_TYPE_MULTIPLE_CHOICE: {
      std::set<const std::string*> picked;
      for (absl::string_view part : absl::StrSplit(trimmed, ',')) {
        part = absl::StripAsciiWhitespace(part);
        if (part.empty()) continue;
        const std::string* choice = MatchChoice(q, part);
        if (choice == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              q.id(), ": \"", part, "\" is not a choice; any of \"", ChoiceList(q),
              "\", separated by commas"));
        }
        picked.insert(choice);
      }
      std::vector<std::string> ordered;
      for (const std::string& c : q.choices()) {
        if (picked.count(&c) > 0) ordered.push_back(c);
      }
      if (ordered.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("the answer to ", q.id(), " is empty"));
      }
      return absl::StrJoin(ordered, ", ");
    }
    default:
      return std::string(text);
  }
}

}  // namespace tocsin::postmortem
