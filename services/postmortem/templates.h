// Analysis templates: the built-in Tocsin-Default, the rules every template
// obeys, and answers checked against their question's type.
//
// A template is ordered sections of questions. Names: letters, digits, '-',
// '_' and '.', 1 to 128 characters. Section and question ids: lower-case
// letters, digits and '-', 1 to 64 characters, unique within the template
// (question ids across sections). 1 to 50 sections, each with at least one
// question, at most 200 questions in all; text 1 to 1000 characters, help at
// most 4000; choice questions 2 to 20 distinct, non-empty choices, others
// none. Errors are InvalidArgument naming the section and question
// ("sections[1] (engagement) questions[0] (right-people): type is required").
#ifndef TOCSIN_SERVICES_POSTMORTEM_TEMPLATES_H_
#define TOCSIN_SERVICES_POSTMORTEM_TEMPLATES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::postmortem {

inline constexpr char kDefaultTemplate[] = "Tocsin-Default";

// The built-in template (builtin = true, version 1).
const v1::Template& DefaultTemplate();

absl::Status ValidateTemplate(const v1::Template& t);

// The question with that id, or nullptr.
const v1::Question* FindQuestion(const v1::Template& t, absl::string_view question_id);

// The answer as stored, or InvalidArgument saying what the question accepts:
// TEXT: any non-empty text up to 64 KiB; YES_NO: yes/no/y/n/true/false (any
// case) → "yes"/"no"; NUMBER: a decimal number → as given, trimmed;
// SINGLE_CHOICE: one choice (case-insensitive) → the choice as spelled in the
// template; MULTIPLE_CHOICE: choices separated by commas → "a, b" in the
// template's order, without repeats.
absl::StatusOr<std::string> NormalizeAnswer(const v1::Question& q, absl::string_view text);

// "text", "yes-no", "single-choice", "multiple-choice", "number" (the YAML and
// CLI spelling), and back (InvalidArgument listing the spellings).
std::string QuestionTypeName(v1::QuestionType type);
absl::StatusOr<v1::QuestionType> ParseQuestionType(absl::string_view name);

}  // namespace tocsin::postmortem

#endif  // TOCSIN_SERVICES_POSTMORTEM_TEMPLATES_H_
