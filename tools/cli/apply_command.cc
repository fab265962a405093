// tocsin apply
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/status/status_macros.h"
#include "tools/cli/apply.h"
#include "tools/cli/commands.h"

namespace tocsin::cli {
namespace {

absl::Status Apply(const std::string& path, const Context& context) {
  ASSIGN_OR_RETURN(std::string yaml, ReadInput(path, context.in));
  ASSIGN_OR_RETURN(std::vector<ManifestObject> objects, LoadManifest(yaml));
  return ApplyManifest(objects,
                       Clients{context.clients.incidents.get(),
                               context.clients.escalation.get(),
                               context.clients.paging.get(),
                               context.clients.runbook.get(),
                               context.clients.postmortem.get(),
                               context.options.author.empty()
                                   ? std::string("cli")
                                   : CliAuthor(context.options)},
                       context.out);
}

}  // namespace

void AddApplyCommand(CommandTable& table) {
  auto path = std::make_shared<std::string>();
  table
      .AddCommand(
          &table.root(), "apply",
          "Create or update every object that FILE declares (\"-\": stdin).",
          [path](const Context& context) { return Apply(*path, context); })
      ->add_option("-f", *path,
                   "a YAML manifest of ResponsePlan, Contact, Rotation, Override, "
                   "ChatChannel, Runbook and AnalysisTemplate objects")
      ->required()
      ->type_name("FILE");
}

}  // namespace tocsin::cli
