// tocsin runbooks validate|apply|list|show|versions
//
// FILE holds `kind: Runbook` objects (name and the SSM-style document
// inline), the same file `tocsin apply` takes; a bare SSM Automation document
// (schemaVersion at the top, no kind) is taken too, to help porting one
// (`apply` then needs --name). `validate` checks documents offline with the
// runbook service's own rules (services/runbook/document.h); `apply` saves
// each as the runbook's next version through the runbook service, which
// checks it again and saves nothing for a document equal to the latest.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/status/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/runbook/document.h"
#include "tocsin/runbook/v1/runbook.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"
#include "yaml-cpp/yaml.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::runbook::v1;

struct Checked {
  // Empty for a bare SSM document.
  std::string name;
  // The document as the service takes it (runbook::DocumentYaml).
  std::string document;
  size_t steps = 0;
  size_t parameters = 0;
};

std::string Label(const Checked& checked) {
  return checked.name.empty() ? "(bare SSM document)" : checked.name;
}

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
      body = doc;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": neither kind: Runbook nor an SSM document (schemaVersion)"));
    }
    absl::StatusOr<runbook::RunbookDocument> parsed = runbook::ParseRunbookDocumentNode(body);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " (Runbook \"", Label(checked), "\"): ", parsed.status().message()));
    }
    checked.document = runbook::DocumentYaml(body);
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
      all.push_back({{"name", Label(c)}, {"valid", true}, {"steps", c.steps},
                     {"parameters", c.parameters}});
    }
    context.out << all.dump(2) << "\n";
    return absl::OkStatus();
  }
  for (const Checked& c : checked) {
    context.out << "runbook/" << Label(c) << " valid: " << c.steps
                << (c.steps == 1 ? " step, " : " steps, ") << c.parameters
                << (c.parameters == 1 ? " parameter\n" : " parameters\n");
  }
  return absl::OkStatus();
}


absl::Status ApplyRunbooks(const std::string& path, const std::string& name, bool dry_run,
                           const Context& context) {
  ASSIGN_OR_RETURN(std::string text, ReadInput(path, context.in));
  ASSIGN_OR_RETURN(std::vector<Checked> checked, CheckAll(text));
  for (Checked& c : checked) {
    if (c.name.empty() && name.empty()) {
      return UsageError("a bare SSM document needs --name NAME (or wrap it as kind: Runbook)");
    }
    if (c.name.empty()) {
      if (checked.size() != 1) {
        return UsageError("--name names one runbook; the file holds several documents");
      }
      c.name = name;
    } else if (!name.empty() && name != c.name) {
      return UsageError(absl::StrCat("--name ", name, " differs from the file's runbook \"",
                                     c.name, "\""));
    }
  }
  const std::string author = CliAuthor(context.options);
  // Every document through the service's dry run first, so a file with one
  // document the service refuses saves none.
  std::vector<v1::ApplyRunbookResponse> results;
  for (const Checked& c : checked) {
    absl::StatusOr<v1::ApplyRunbookResponse> would =
        context.clients.runbook->ApplyRunbook(c.name, c.document, author, /*dry_run=*/true);
    if (!would.ok()) {
      return absl::Status(would.status().code(),
                          absl::StrCat("runbook/", c.name, ": ", would.status().message()));
    }
    results.push_back(*std::move(would));
  }
  if (!dry_run) {
    for (size_t i = 0; i < checked.size(); ++i) {
      if (results[i].outcome() == v1::APPLY_OUTCOME_UNCHANGED) continue;
      absl::StatusOr<v1::ApplyRunbookResponse> saved =
          context.clients.runbook->ApplyRunbook(checked[i].name, checked[i].document, author);
      if (!saved.ok()) {
        return absl::Status(saved.status().code(), absl::StrCat("runbook/", checked[i].name,
                                                                ": ", saved.status().message()));
      }
      results[i] = *std::move(saved);
    }
  }
  if (context.options.output == OutputFormat::kJson) {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const v1::ApplyRunbookResponse& r : results) {
      ASSIGN_OR_RETURN(nlohmann::ordered_json one, ToJson(r));
      one["dryRun"] = dry_run;
      all.push_back(std::move(one));
    }
    return PrintJson(all, context.out);
  }
  for (size_t i = 0; i < checked.size(); ++i) {
    const v1::ApplyRunbookResponse& r = results[i];
    const std::string outcome = EnumLabel(v1::ApplyOutcome_Name(r.outcome()), "APPLY_OUTCOME_");
    context.out << "runbook/" << checked[i].name << " "
                << (dry_run && r.outcome() != v1::APPLY_OUTCOME_UNCHANGED
                        ? absl::StrCat("would be ", outcome)
                        : outcome)
                << " (version " << r.runbook().version() << ")\n";
  }
  return absl::OkStatus();
}

std::string RunbookLabel(const v1::Runbook& runbook) {
  return runbook.builtin() ? absl::StrCat(runbook.name(), " (built in)") : runbook.name();
}

absl::Status ListRunbooks(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Runbook> runbooks, context.clients.runbook->ListRunbooks());
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(runbooks), context.out);
  }
  Table table;
  table.AddRow({"NAME", "VERSION", "STEPS", "SAVED", "BY", "DESCRIPTION"});
  for (const v1::Runbook& r : runbooks) {
    table.AddRow({RunbookLabel(r), absl::StrCat(r.version()), absl::StrCat(r.step_count()),
                  FormatTimestamp(r.create_time()), r.author().empty() ? "-" : r.author(),
                  FirstLine(r.description())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

// The runbook as a `kind: Runbook` manifest that `tocsin apply` takes back.
std::string Manifest(const v1::Runbook& runbook) {
  std::string out = absl::StrCat("kind: Runbook\nname: ", runbook.name(), "\ndocument:\n");
  for (absl::string_view line : absl::StrSplit(runbook.document(), '\n')) {
    if (!line.empty()) absl::StrAppend(&out, "  ", line);
    absl::StrAppend(&out, "\n");
  }
  while (absl::EndsWith(out, "\n\n")) out.pop_back();
  return out;
}

absl::Status ShowRunbook(const std::string& name, int64_t version, bool manifest,
                         const Context& context) {
  ASSIGN_OR_RETURN(v1::Runbook runbook, context.clients.runbook->GetRunbook(name, version));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(runbook), context.out);
  }
  if (manifest) {
    context.out << Manifest(runbook);
    return absl::OkStatus();
  }
  PrintFields(
      {
          {"Name", runbook.name()},
          {"Version", absl::StrCat(runbook.version(), " of ", runbook.latest_version())},
          {"Built in", runbook.builtin() ? "yes" : "no"},
          {"Description", runbook.description()},
          {"Parameters", runbook.parameters().empty()
                             ? "-"
                             : absl::StrJoin(runbook.parameters(), ", ")},
          {"Steps", absl::StrCat(runbook.step_count())},
          {"Saved", FormatTimestamp(runbook.create_time())},
          {"By", runbook.author().empty() ? "-" : runbook.author()},
      },
      context.out);
  context.out << "\n" << runbook.document();
  if (!absl::EndsWith(runbook.document(), "\n")) context.out << "\n";
  return absl::OkStatus();
}

absl::Status ListVersions(const std::string& name, const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Runbook> versions,
                   context.clients.runbook->ListRunbookVersions(name));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(versions), context.out);
  }
  Table table;
  table.AddRow({"VERSION", "STEPS", "SAVED", "BY", "DESCRIPTION"});
  for (const v1::Runbook& r : versions) {
    table.AddRow({absl::StrCat(r.version()), absl::StrCat(r.step_count()),
                  FormatTimestamp(r.create_time()), r.author().empty() ? "-" : r.author(),
                  FirstLine(r.description())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

}  // namespace

std::string FirstLine(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  const size_t end = text.find('\n');
  std::string line(absl::StripTrailingAsciiWhitespace(text.substr(0, end)));
  if (line.empty()) return "-";
  if (end != absl::string_view::npos) absl::StrAppend(&line, " ...");
  return line;
}

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

  struct ApplyFlags {
    std::string path;
    std::string name;
    bool dry_run = false;
  };
  auto apply = std::make_shared<ApplyFlags>();
  CLI::App* apply_command = table.AddCommand(
      runbooks, "apply",
      "Save each runbook FILE declares as its next version (nothing for a document equal to "
      "the latest); every document is checked by the service before any is saved.",
      [apply](const Context& context) {
        return ApplyRunbooks(apply->path, apply->name, apply->dry_run, context);
      });
  apply_command->add_option("-f", apply->path, "a YAML or JSON file (\"-\": stdin)")
      ->required()
      ->type_name("FILE");
  apply_command->add_option("--name", apply->name,
                            "the name of a bare SSM document (one without kind: Runbook)");
  apply_command->add_flag("--dry-run", apply->dry_run,
                          "check and say what would be saved; save nothing");

  table.AddCommand(runbooks, "list",
                   "List runbooks (the latest version of each, the built-in ones included).",
                   [](const Context& context) { return ListRunbooks(context); });

  struct ShowFlags {
    std::string name;
    int64_t version = 0;
    bool manifest = false;
  };
  auto show = std::make_shared<ShowFlags>();
  CLI::App* show_command = table.AddCommand(
      runbooks, "show", "Show a runbook version and its document.",
      [show](const Context& context) {
        return ShowRunbook(show->name, show->version, show->manifest, context);
      });
  show_command->add_option("NAME", show->name, "the runbook")->required();
  show_command->add_option("--version", show->version, "a saved version (default: the latest)")
      ->check(CLI::PositiveNumber);
  show_command->add_flag("--manifest", show->manifest,
                         "print it as a kind: Runbook manifest, to copy and apply");

  auto versions_name = std::make_shared<std::string>();
  table
      .AddCommand(runbooks, "versions", "List every saved version of a runbook.",
                  [versions_name](const Context& context) {
                    return ListVersions(*versions_name, context);
                  })
      ->add_option("NAME", *versions_name, "the runbook")
      ->required();
}

}  // namespace tocsin::cli
