// tocsin: the command-line client of the Tocsin incident response suite.
// Flags and wiring only; the commands live in commands.cc.
#include <pwd.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/config/config.h"
#include "tools/cli/client.h"
#include "tools/cli/commands.h"

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
  defaults.author = CurrentUser();
  auto connect = [](const tocsin::cli::GlobalOptions& options) {
    auto channel = [](const std::string& address) {
      return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    };
    return tocsin::cli::ServiceClients{
        tocsin::cli::IncidentsClient::Create(channel(options.server),
                                             options.timeout),
        tocsin::cli::EscalationClient::Create(channel(options.escalation),
                                              options.timeout),
        tocsin::cli::PagingClient::Create(channel(options.paging),
                                          options.timeout),
    };
  };
  return tocsin::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc),
                             defaults, connect, std::cin, std::cout, std::cerr);
}
