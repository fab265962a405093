// The built-in runbook template Tocsin-IncidentResponse: the four stages of AWS's incident
// runbook template (triage = impact assessment, diagnosis, mitigation, recovery), each a
// tocsin:manual step listing the questions to answer, for teams to copy and extend.
//
// Thread-safety: the functions are thread-safe (constant data).

#ifndef TOCSIN_SERVICES_RUNBOOK_BUILTIN_TEMPLATE_H_
#define TOCSIN_SERVICES_RUNBOOK_BUILTIN_TEMPLATE_H_

#include "absl/strings/string_view.h"

namespace tocsin::runbook {

inline constexpr absl::string_view kBuiltinTemplateName = "Tocsin-IncidentResponse";

// The template's document, YAML in the format of document.h; ParseRunbookDocument accepts it.
absl::string_view BuiltinTemplateDocument();

}  // namespace tocsin::runbook

#endif  // TOCSIN_SERVICES_RUNBOOK_BUILTIN_TEMPLATE_H_
