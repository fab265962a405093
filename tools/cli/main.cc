// tocsin: the command-line client of the Tocsin incident response suite.
// Defaults from the environment and wiring only; the commands live in the
// *_commands.cc files, the parsing in cli.cc.
#include <pwd.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "libs/config/config.h"
#include "tools/cli/cli.h"

namespace {

using tocsin::config::EnvOr;

// Who runs the CLI: $USER, else the account of the process (containers and
// cron jobs often have no $USER).
std::string CurrentUser() {
  std::string user = EnvOr("USER", "");
  if (!user.empty()) return user;
  const passwd* pw = getpwuid(getuid());
  return pw != nullptr && pw->pw_name != nullptr ? pw->pw_name : "";
}

}  // namespace

int main(int argc, char** argv) {
  tocsin::cli::GlobalOptions defaults;
  defaults.server = EnvOr("TOCSIN_INCIDENTS_ADDR", defaults.server);
  defaults.escalation = EnvOr("TOCSIN_ESCALATION_ADDR", defaults.escalation);
  defaults.paging = EnvOr("TOCSIN_PAGING_ADDR", defaults.paging);
  defaults.runbook = EnvOr("TOCSIN_RUNBOOK_ADDR", defaults.runbook);
  defaults.postmortem = EnvOr("TOCSIN_POSTMORTEM_ADDR", defaults.postmortem);
  defaults.author = CurrentUser();
  return tocsin::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc),
                             defaults, tocsin::cli::ConnectInsecure, std::cin,
                             std::cout, std::cerr);
}
