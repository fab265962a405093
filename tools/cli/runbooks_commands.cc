// tocsin runbooks validate: checks runbook documents offline, with the
// runbook service's own rules (services/runbook/document.h), before anything
// is saved. FILE holds `kind: Runbook` objects (name and the SSM-style
// document inline), the same file `tocsin apply` will take; a bare SSM
// Automation document (schemaVersion at the top, no kind) is checked too, to
// help porting one.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/runbook/document.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"
#include "yaml-cpp/yaml.h"

namespace tocsin::cli {
namespace {

struct Checked {
  std::string name;
  size_t steps = 0;
  size_t parameters = 0;
};

absl::StatusOr<std::vector<Checked>> CheckAll(const std::string& text) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not YAML: ", e.what()));
  }
  std::vector<Checked> out;
  for (size_t i = 0; i < documents.size(); ++i) {
    // Not const: a const lookup of a missing key is an invalid node that throws.
    YAML::Node doc = documents[i];
    if (!doc || doc.IsNull()) continue;
    const std::string where = absl::StrCat("document ", i + 1);
    if (!doc.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a mapping"));
    YAML::Node body;
    Checked checked;
    if (doc["kind"].IsDefined()) {
      const std::string kind = doc["kind"].as<std::string>("");
      if (kind != "Runbook") {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": kind \"", kind, "\": runbooks validate checks kind Runbook"));
      }
      checked.name = doc["name"].IsDefined() ? doc["name"].as<std::string>("") : "";
      if (checked.name.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, " (Runbook): needs a name"));
      }
      body = doc["document"];
      if (!body.IsDefined() || !body.IsMap()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, " (Runbook \"", checked.name,
            "\"): needs \"document\", the SSM-style document as a mapping"));
      }
    } else if (doc["schemaVersion"].IsDefined()) {
      checked.name = "(bare SSM document)";
      body = doc;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": neither kind: Runbook nor an SSM document (schemaVersion)"));
    }
    absl::StatusOr<runbook::RunbookDocument> parsed = runbook::ParseRunbookDocumentNode(body);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " (Runbook \"", checked.name, "\"): ", parsed.status().message()));
    }
    checked.steps = parsed->main_steps.size();
    checked.parameters = parsed->parameters.size();
    out.push_back(std::move(checked));
  }
  if (out.empty()) return absl::InvalidArgumentError("no runbook in the file");
  return out;
}

absl::Status Validate(const std::string& path, const Context& context) {
  ASSIGN_OR_RETURN(std::string text, ReadInput(path, context.in));
  ASSIGN_OR_RETURN(std::vector<Checked> checked, CheckAll(text));
  if (context.options.output == OutputFormat::kJson) {
    nlohmann::json all = nlohmann::json::array();
    for (const Checked& c : checked) {
      all.push_back({{"name", c.name}, {"valid", true}, {"steps", c.steps},
                     {"parameters", c.parameters}});
    }
    context.out << all.dump(2) << "\n";
    return absl::OkStatus();
  }
  for (const Checked& c : checked) {
    context.out << "runbook/" << c.name << " valid: " << c.steps
                << (c.steps == 1 ? " step, " : " steps, ") << c.parameters
                << (c.parameters == 1 ? " parameter\n" : " parameters\n");
  }
  return absl::OkStatus();
}

}  // namespace

void AddRunbooksCommands(CommandTable& table) {
  CLI::App* runbooks = table.AddFamily(
      "runbooks", "Runbooks: SSM Automation-style documents that guide and automate a response.");
  auto path = std::make_shared<std::string>();
  table
      .AddCommand(runbooks, "validate",
                  "Check the runbooks FILE declares (kind Runbook, or a bare SSM Automation "
                  "document) with the runbook service's rules; nothing is saved.",
                  [path](const Context& context) { return Validate(*path, context); })
      ->add_option("-f", *path, "a YAML or JSON file (\"-\": stdin)")
      ->required()
      ->type_name("FILE");
}

}  // namespace tocsin::cli
