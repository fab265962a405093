#include "services/runbook/builtin_template.h"

namespace tocsin::runbook {

absl::string_view BuiltinTemplateDocument() {
  static constexpr absl::string_view kDocument = R"yaml(schemaVersion: "0.3"
description: |
  Tocsin-IncidentResponse: a guided response in four stages, triage (impact assessment),
  diagnosis, mitigation and recovery. Copy it and extend each stage with your own checks
  (tocsin:http, tocsin:command) and approvals (aws:approve).
mainSteps:
  - name: triage
    action: tocsin:manual
    description: Impact assessment
    inputs:
      Message: |
        ## Triage: assess the impact of {{ incident.title }} ({{ incident.id }})
        Alarm: {{ alarm.name }} in {{ alarm.account }} / {{ alarm.region }}
        Resources: {{ alarm.resources }}. Current impact: {{ incident.impact }}.

        Answer in your comment:
        - [ ] Who is affected: which customers, regions, services?
        - [ ] What is the business impact: failed requests, lost revenue, data at risk?
        - [ ] Since when? Is it getting worse, stable or recovering?
        - [ ] Is the impact level right? Change it (tocsin:updateIncident) if not.
        - [ ] Who else must be engaged or informed now?
  - name: diagnosis
    action: tocsin:manual
    description: Find the cause
    inputs:
      Message: |
        ## Diagnosis
        Answer in your comment:
        - [ ] What changed recently: deployments, configuration, traffic, dependencies?
        - [ ] What do the metrics, logs and traces of {{ alarm.resources }} show?
        - [ ] Is a dependency (database, network, third party) degraded?
        - [ ] What is the most likely cause, and what evidence supports it?
  - name: mitigation
    action: tocsin:manual
    description: Stop or reduce the impact
    inputs:
      Message: |
        ## Mitigation
        Answer in your comment:
        - [ ] Which action stops or reduces the impact fastest (roll back, fail over, scale,
              disable a feature)?
        - [ ] What are its risks, and who must approve it?
        - [ ] How will you know it worked? Which metric must recover?
        - [ ] Was it applied, and did the impact stop?
  - name: recovery
    action: tocsin:manual
    description: Return to normal and follow up
    isEnd: true
    inputs:
      Message: |
        ## Recovery
        Answer in your comment:
        - [ ] Is the service fully back to normal, including backlogs and data repairs?
        - [ ] Are temporary mitigations still in place? When are they removed?
        - [ ] Are customers and stakeholders informed?
        - [ ] What follow-up actions and post-incident analysis are needed, and who owns them?
)yaml";
  return kDocument;
}

}  // namespace tocsin::runbook
