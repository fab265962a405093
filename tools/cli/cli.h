// The tocsin command line: parses the arguments (with CLI11), runs one
// command against the Tocsin services and prints its result to the given
// streams, so a test runs exactly what a user runs.
//
//   tocsin [global flags] <family> <command> [args]   e.g. tocsin incidents
//   show inc-1
//
// Global flags may appear anywhere on the line. main() supplies the defaults
// (from the environment) and how to connect:
//
//   return RunCli({argv + 1, argv + argc}, defaults, ConnectInsecure,
//                 std::cin, std::cout, std::cerr);
//
// Exit codes: kExitOk; kExitFailed when a service or the input (a manifest, a
// file) gives an error, after "error: <CODE>: <message>" on `err`;
// kExitUsage for a mistake on the command line (an unknown command or flag, a
// missing argument, a bad flag value), after one line "error: <mistake>" and
// a hint to --help on `err`. `tocsin help`, `tocsin --help` and
// `tocsin <command> --help` print on `out` and exit kExitOk. Notes that do
// not fail a command ("note: ...") go to `err`.
//
// The commands live in one file per family (incidents_commands.cc, ...),
// each registering its CLI11 subcommands; see commands.h.
#ifndef TOCSIN_TOOLS_CLI_CLI_H_
#define TOCSIN_TOOLS_CLI_CLI_H_

#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/client/admin_client.h"
#include "libs/client/escalation_client.h"
#include "libs/client/incidents_client.h"
#include "libs/client/paging_client.h"
#include "libs/client/postmortem_client.h"
#include "libs/client/runbook_client.h"

namespace tocsin::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

enum class OutputFormat { kTable, kJson };

// Settings of every command: the global flags, or their defaults.
struct GlobalOptions {
  // gRPC address of each service (--server or --incidents, --escalation,
  // --paging, --runbook, --postmortem). Each also serves AdminService there.
  std::string server = "127.0.0.1:7002";
  std::string escalation = "127.0.0.1:7003";
  std::string paging = "127.0.0.1:7004";
  std::string runbook = "127.0.0.1:7005";
  std::string postmortem = "127.0.0.1:7006";
  // Format of what reads print (--output).
  OutputFormat output = OutputFormat::kTable;
  // Deadline of each call (--timeout).
  absl::Duration timeout = absl::Seconds(10);
  // Who writes, recorded as "cli:<author>" (--author).
  std::string author;
};

// A service of the suite and the address the options give it.
struct ServiceAddress {
  // "incidents", "escalation", "paging", "runbook", "postmortem": the name
  // in dead-letter ids and in --service.
  std::string service;
  std::string address;
};

// Every service that serves AdminService, in that order.
std::vector<ServiceAddress> ServiceAddresses(const GlobalOptions& options);

// The clients a command talks through; a command uses those it needs.
struct ServiceClients {
  std::unique_ptr<client::IncidentsClient> incidents;
  std::unique_ptr<client::EscalationClient> escalation;
  std::unique_ptr<client::PagingClient> paging;
  std::unique_ptr<client::RunbookClient> runbook;
  std::unique_ptr<client::PostmortemClient> postmortem;
  // AdminService of each service of ServiceAddresses(), by service name.
  std::map<std::string, std::unique_ptr<client::AdminClient>> admin;
};

// Makes the clients from the final options. gRPC channels connect on first
// use, so a command never waits on a service it does not call.
using Connector = std::function<ServiceClients(const GlobalOptions&)>;

// The Connector of the real CLI: plaintext channels to the options'
// addresses, one per service, each call with the deadline --timeout.
ServiceClients ConnectInsecure(const GlobalOptions& options);

// Runs the command in `args` (the arguments after the program name) and
// returns the process exit code. `in` is read by "-f -".
int RunCli(const std::vector<std::string>& args, const GlobalOptions& defaults,
           const Connector& connect, std::istream& in, std::ostream& out,
           std::ostream& err);

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_CLI_H_
