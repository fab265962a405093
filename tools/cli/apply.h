// Manifests: YAML files that declare Tocsin objects, applied the way
// `kubectl apply` applies Kubernetes objects.
//
//   ASSIGN_OR_RETURN(std::vector<ManifestObject> objects, LoadManifest(yaml));
//   RETURN_IF_ERROR(ApplyManifest(
//       objects, Clients{incidents.get(), escalation.get(), paging.get()},
//       std::cout));
//
// A manifest holds one or more YAML documents separated by "---". Each names
// its "kind"; its other keys are the fields of that kind's protobuf message in
// protobuf JSON naming (lowerCamelCase):
//
//   kind: ResponsePlan
//   name: payments-latency
//   incidentTemplate: {title: "Payments latency", impact: 2}
//
// Kinds whose manifest spelling differs from protobuf JSON (the issue's
// contract, kept by users' files):
// - Contact: `type: PERSONAL|ESCALATION|ONCALL_SCHEDULE` (default PERSONAL)
//   and `plan`, whose fields depend on the type: a person's
//   {stages: [{durationInMinutes, targets: [{channel,
//   retryIntervalInMinutes}]}]}, an escalation plan's {stages:
//   [{durationInMinutes, targets: [{contact, isEssential}]}], stopOnFirstAck,
//   repeat}, a schedule's {rotationIds: [...]}.
// - Rotation: hand-off and coverage times are "HH:MM" strings, days are MON
//   .. SUN: recurrence {dailySettings: ["09:00"], weeklySettings: [{dayOfWeek:
//   MON, handOffTime: "10:00"}], monthlySettings: [{dayOfMonth: 31,
//   handOffTime: "09:00"}], numberOfOnCalls, recurrenceMultiplier,
//   shiftCoverages: {MON: [{start: "09:00", end: "18:00"}]}}.
// - Override: name, rotation, contacts, start, end; named "ROTATION/NAME"
//   (override names are unique per rotation).
// - ChatChannel: protobuf JSON of paging.v1.ChatChannel (chat.proto): a
//   name, a description and one platform, e.g.
//     kind: ChatChannel
//     name: payments-incidents
//     slack: {webhookUrlFile: /etc/tocsin/slack-payments-webhook}
//   slack {webhookUrl | webhookUrlFile | botTokenFile + channel}, teams,
//   chime, mattermost {webhookUrl | webhookUrlFile}.
// - Runbook: a name and the SSM-style `document` inline as a mapping
//   (docs/runbooks.md), checked with services/runbook/document.h and sent
//   as YAML text (runbook::DocumentYaml):
//     kind: Runbook
//     name: restart-web
//     document: {schemaVersion: "0.3", mainSteps: [...]}
// - AnalysisTemplate: postmortem.v1.Template (postmortem.proto), a
//   question's `type` in the spelling of services/postmortem/templates.h:
//     kind: AnalysisTemplate
//     name: payments-review
//     description: For payments incidents
//     sections:
//       - id: impact
//         title: Impact
//         questions:
//           - {id: customers, text: "How many customers?", type: number}
//           - id: who
//             text: Who noticed first?
//             type: single-choice    # text | yes-no | single-choice |
//             choices: [An alarm, A customer]   # multiple-choice | number
//   checked with services/postmortem/templates.h; a response plan names it
//   in `postIncidentTemplate`.
// Times (startTime, start, end) are RFC 3339 strings.
//
// Unquoted scalars keep their YAML type: true/false are booleans, integers
// are numbers, null (~ or nothing) leaves a field unset; everything else, and
// every quoted or tagged scalar, is a string. A value of the wrong type or an
// unknown field is an error.
//
// LoadManifest checks every document before ApplyManifest changes anything,
// and its errors name the document: `document 2 (ResponsePlan "x"): unknown
// field "titel"`. Supported kinds are listed in kKinds in apply.cc: a new kind
// is one entry there.
#ifndef TOCSIN_TOOLS_CLI_APPLY_H_
#define TOCSIN_TOOLS_CLI_APPLY_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "libs/client/escalation_client.h"
#include "libs/client/incidents_client.h"
#include "libs/client/paging_client.h"
#include "libs/client/postmortem_client.h"
#include "libs/client/runbook_client.h"

namespace tocsin::cli {

// One object declared by a manifest document.
struct ManifestObject {
  // 1-based position of its document in the manifest.
  int document = 0;
  // "ResponsePlan", "Contact", "Rotation", "Override", "ChatChannel",
  // "Runbook" or "AnalysisTemplate".
  std::string kind;
  // Its name; "ROTATION/NAME" for an Override.
  std::string name;
  // The kind's message: incidents::v1::ResponsePlan for ResponsePlan,
  // escalation::v1::Contact, Rotation and RotationOverride,
  // paging::v1::ChatChannel, runbook::v1::ApplyRunbookRequest (name and
  // document) for a Runbook, and postmortem::v1::Template for an
  // AnalysisTemplate.
  std::unique_ptr<google::protobuf::Message> message;
};

// "responseplan/NAME", "contact/NAME", "rotation/NAME",
// "override/ROTATION/NAME", "chatchannel/NAME", "runbook/NAME",
// "analysistemplate/NAME": how output lines refer to the object.
std::string ObjectLabel(const ManifestObject& object);

// The APIs that objects are applied through, one client per service.
struct Clients {
  // Response plans.
  const client::IncidentsClient* incidents;
  // Contacts, rotations and overrides.
  const client::EscalationClient* escalation;
  // Chat channels (its ChatService); may be null for a manifest without
  // any (FailedPrecondition otherwise).
  const client::PagingClient* paging = nullptr;
  // Runbooks; may be null for a manifest without any.
  const client::RunbookClient* runbook = nullptr;
  // Analysis templates; may be null for a manifest without any.
  const client::PostmortemClient* postmortem = nullptr;
  // Who saves runbooks and analysis templates ("cli:alice"), recorded with
  // each version.
  std::string author;
};

// Parses and checks every document of a manifest, with the rules of the
// services that store them where the CLI has them (response plans:
// services/incidents/matching.h; persons: services/escalation/contacts.h;
// rotations and overrides: libs/oncall, also overrides of one rotation that
// overlap; chat channels: services/paging/chat_channels.h; analysis
// templates: services/postmortem/templates.h). Empty documents are skipped;
// a manifest with no object, or that
// declares one object twice, is an error.
absl::StatusOr<std::vector<ManifestObject>> LoadManifest(
    absl::string_view yaml);

// Applies objects that LoadManifest returned. Response plans are created
// when missing and updated when they differ (values the server fills in,
// such as a plan's impact, count as equal to their defaults; an update is
// conditional on the version read). Contacts, rotations and overrides go to
// the escalation service in one ContactService.Apply, all or nothing. Chat
// channels go to the paging service, one PutChatChannel each: created when
// missing; unchanged (nothing sent) when the service's answer equals the
// manifest's channel, which can only be told when the channel gives no
// inline webhook URL (answers redact URLs to their scheme and host; files
// and Slack app mode compare); otherwise updated (put again). Runbooks go
// to the runbook service, one ApplyRunbook each, after a dry run that says
// whether the document is new (created), differs from the latest version
// (updated: a new version) or equals it (unchanged: nothing saved).
// Analysis templates go to the postmortem service the same way, one
// SaveTemplate each after its dry run.
//
// Order: every plan's and chat channel's state is read; the escalation
// objects are checked by an Apply with dry_run, each chat channel to put
// by a PutChatChannel with dry_run, each runbook by an ApplyRunbook with
// dry_run and each analysis template by a SaveTemplate with dry_run (so a
// reference, cycle, overlap, channel, document or template a service refuses
// changes nothing anywhere); then the escalation objects are applied, then
// the chat channels put, the runbooks and analysis templates saved, in the
// manifest's order, then the plans written (plans may name chat channels,
// runbooks and analysis templates). Prints one line per object, in the
// manifest's order: "contact/NAME created|updated|unchanged" (the escalation
// service's outcome). A write that fails after an earlier one succeeded
// leaves the earlier ones applied (three services, no common transaction);
// the error names the object.
absl::Status ApplyManifest(const std::vector<ManifestObject>& objects,
                           const Clients& clients, std::ostream& out);

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_APPLY_H_
