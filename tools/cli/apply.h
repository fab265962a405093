// Manifests: YAML files that declare Tocsin objects, applied the way
// `kubectl apply` applies Kubernetes objects.
//
//   ASSIGN_OR_RETURN(std::vector<ManifestObject> objects, LoadManifest(yaml));
//   RETURN_IF_ERROR(ApplyManifest(
//       objects, Clients{incidents.get(), escalation.get()}, std::cout));
//
// A manifest holds one or more YAML documents separated by "---". Each names
// its "kind"; its other keys are the fields of that kind's protobuf message in
// protobuf JSON naming (lowerCamelCase):
//
//   kind: ResponsePlan
//   name: payments-latency
//   incidentTemplate: {title: "Payments latency", impact: 2}
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

namespace tocsin::cli {

// One object declared by a manifest document.
struct ManifestObject {
  // 1-based position of its document in the manifest.
  int document = 0;
  // "ResponsePlan" or "Contact".
  std::string kind;
  std::string name;
  // The kind's message: incidents::v1::ResponsePlan for ResponsePlan,
  // escalation::v1::Contact for Contact.
  std::unique_ptr<google::protobuf::Message> message;
};

// "responseplan/NAME", "contact/NAME": how output lines refer to the object.
std::string ObjectLabel(const ManifestObject& object);

// The APIs that objects are applied through, one client per service.
struct Clients {
  // Response plans.
  const client::IncidentsClient* incidents;
  // Contacts.
  const client::EscalationClient* escalation;
};

// Parses and checks every document of a manifest. Empty documents are
// skipped; a manifest with no object, or that declares one object twice, is
// an error.
absl::StatusOr<std::vector<ManifestObject>> LoadManifest(
    absl::string_view yaml);

// Applies objects that LoadManifest returned, in their order: creates each
// object that does not exist and updates each that differs,
// printing one line per object: "responseplan/NAME created|updated|unchanged".
// Values the server fills in when they are not given (a plan's impact, a
// channel's delay) count as equal to their defaults.
// The current state of every object is read before the first change.
absl::Status ApplyManifest(const std::vector<ManifestObject>& objects,
                           const Clients& clients, std::ostream& out);

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_APPLY_H_
