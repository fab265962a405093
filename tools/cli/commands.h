// The tocsin command line: parses the arguments, runs one command against the
// Tocsin services (incidents, escalation, paging) and prints its result to
// the given streams, so a test runs exactly what a user runs.
//
//   tocsin [global flags] <noun> <verb> [args]   e.g. tocsin incidents show
//   inc-1
//
// Global flags may appear anywhere on the line. main() supplies the defaults
// (from the environment) and how to connect:
//
//   return RunCli({argv + 1, argv + argc}, defaults, connect, std::cin,
//                 std::cout, std::cerr);
//
// Exit codes: kExitOk; kExitFailed when the server or the input (a manifest,
// a file) gives an error, after "error: <CODE>: <message>" on `err`;
// kExitUsage for a mistake on the command line, after the usage on `err`.
// `tocsin help` prints the usage on `out`; notes that do not fail a command
// ("note: ...") go to `err`.
#ifndef TOCSIN_TOOLS_CLI_COMMANDS_H_
#define TOCSIN_TOOLS_CLI_COMMANDS_H_

#include <functional>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/cli/client.h"

namespace tocsin::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

enum class OutputFormat { kTable, kJson };

// Settings of every command: the global flags, or their defaults.
struct GlobalOptions {
  // Address of the incidents service (--server, or --incidents).
  std::string server = "127.0.0.1:7002";
  // Address of the escalation service (--escalation).
  std::string escalation = "127.0.0.1:7003";
  // Address of the paging service (--paging).
  std::string paging = "127.0.0.1:7004";
  // Format of what reads print (--output).
  OutputFormat output = OutputFormat::kTable;
  // Deadline of each call (--timeout).
  absl::Duration timeout = absl::Seconds(10);
  // Who writes, recorded as "cli:<author>" (--author).
  std::string author;
};

// One client per service; a command uses those it needs.
struct ServiceClients {
  std::unique_ptr<IncidentsClient> incidents;
  std::unique_ptr<EscalationClient> escalation;
  std::unique_ptr<PagingClient> paging;
};

// Makes the clients a command talks through, from the final options. gRPC
// channels connect on first use, so a command never waits on a service it
// does not call.
using Connector = std::function<ServiceClients(const GlobalOptions&)>;

// Runs the command in `args` (the arguments after the program name) and
// returns the process exit code. `in` is read by "-f -".
int RunCli(const std::vector<std::string>& args, const GlobalOptions& defaults,
           const Connector& connect, std::istream& in, std::ostream& out,
           std::ostream& err);

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_COMMANDS_H_
