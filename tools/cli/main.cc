// tocsin: the command-line client of the Tocsin incident response suite.
// Flags and wiring only; the commands live in commands.cc.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tools/cli/client.h"
#include "tools/cli/commands.h"

namespace {

// The environment's value, or `fallback` when it is unset or empty.
std::string FromEnvironment(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  tocsin::cli::GlobalOptions defaults;
  defaults.server = FromEnvironment("TOCSIN_INCIDENTS_ADDR", defaults.server);
  defaults.escalation =
      FromEnvironment("TOCSIN_ESCALATION_ADDR", defaults.escalation);
  defaults.paging = FromEnvironment("TOCSIN_PAGING_ADDR", defaults.paging);
  defaults.author = FromEnvironment("USER", "");
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
