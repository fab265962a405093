// tocsin executions start|list|show|complete-step|approve|reject|retry|skip|cancel
//
// Runbook executions (services/runbook/engine.h): start a runbook for an
// incident, follow its steps, and decide the steps that wait for a person.
// States print in SSM's spelling (InProgress, TimedOut); `--output json`
// prints the execution as protobuf JSON.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/status/status_macros.h"
#include "tocsin/runbook/v1/runbook.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::runbook::v1;

// "EXECUTION_STATE_IN_PROGRESS" without `prefix` in SSM's spelling:
// "InProgress"; "-" for the unspecified value.
std::string PascalLabel(absl::string_view name, absl::string_view prefix) {
  absl::ConsumePrefix(&name, prefix);
  if (name.empty() || name == "UNSPECIFIED") return "-";
  std::string out;
  for (absl::string_view word : absl::StrSplit(name, '_', absl::SkipEmpty())) {
    std::string lower = absl::AsciiStrToLower(word);
    lower[0] = absl::ascii_toupper(lower[0]);
    absl::StrAppend(&out, lower);
  }
  return out;
}

std::string State(v1::ExecutionState state) {
  return PascalLabel(v1::ExecutionState_Name(state), "EXECUTION_STATE_");
}

std::string State(v1::StepState state) {
  return PascalLabel(v1::StepState_Name(state), "STEP_STATE_");
}

std::string Joined(const google::protobuf::Map<std::string, std::string>& values) {
  const std::map<std::string, std::string> sorted(values.begin(), values.end());
  if (sorted.empty()) return "-";
  return absl::StrJoin(sorted, ", ", absl::PairFormatter("="));
}

// What the steps table says of a step beside its state.
std::string StepDetail(const v1::StepExecution& step) {
  if (step.state() == v1::STEP_STATE_WAITING && !step.waiting_for().empty()) {
    return absl::StrCat("waits for ", step.waiting_for());
  }
  if (!step.error().empty()) return FirstLine(step.error());
  if (!step.outputs().empty()) return Joined(step.outputs());
  if (step.wake_time().seconds() != 0 && step.state() == v1::STEP_STATE_IN_PROGRESS) {
    return absl::StrCat("until ", FormatTimestamp(step.wake_time()));
  }
  if (!step.decided_by().empty()) {
    return step.comment().empty() ? absl::StrCat("by ", step.decided_by())
                                  : absl::StrCat("by ", step.decided_by(), ": ",
                                                 FirstLine(step.comment()));
  }
  return "-";
}

// "exe-1 Waiting at step assess", "exe-1 Success".
std::string Summary(const v1::Execution& execution) {
  std::string line = absl::StrCat(execution.id(), " ", State(execution.state()));
  if (!execution.current_step().empty()) {
    absl::StrAppend(&line, " at step ", execution.current_step());
  }
  if (!execution.error().empty()) absl::StrAppend(&line, ": ", FirstLine(execution.error()));
  return line;
}

void PrintExecution(const v1::Execution& execution, std::ostream& out) {
  PrintFields(
      {
          {"ID", execution.id()},
          {"Runbook", absl::StrCat(execution.runbook(), " (version ", execution.version(), ")")},
          {"Incident", execution.incident_id()},
          {"State", State(execution.state())},
          {"Current step", OrDash(execution.current_step())},
          {"Parameters", Joined(execution.parameters())},
          {"Started by", OrDash(execution.started_by())},
          {"Started", FormatTimestamp(execution.start_time())},
          {"Ended", FormatTimestamp(execution.end_time())},
          {"Error", OrDash(execution.error())},
      },
      out);
  out << "\n";
  Table table;
  table.AddRow({"STEP", "ACTION", "STATE", "ATTEMPTS", "STARTED", "ENDED", "DETAIL"});
  for (const v1::StepExecution& step : execution.steps()) {
    table.AddRow({step.name(), step.action(), State(step.state()), absl::StrCat(step.attempts()),
                  FormatTimestamp(step.start_time()), FormatTimestamp(step.end_time()),
                  StepDetail(step)});
  }
  table.Print(out);
  // What the waiting step asks, in full: the person who reads this acts on it.
  for (const v1::StepExecution& step : execution.steps()) {
    if (step.state() != v1::STEP_STATE_WAITING) continue;
    out << "\nStep " << step.name() << " waits for " << OrDash(step.waiting_for()) << ".\n";
    if (!step.message().empty()) {
      out << "\n" << step.message();
      if (!absl::EndsWith(step.message(), "\n")) out << "\n";
    }
    for (const v1::Approval& approval : step.approvals()) {
      out << (approval.approved() ? "approved by " : "rejected by ") << approval.approver()
          << (approval.comment().empty() ? "" : absl::StrCat(": ", approval.comment())) << "\n";
    }
  }
}

struct StartFlags {
  std::string runbook;
  std::string incident;
  std::vector<std::string> params;
  int64_t version = 0;
};

absl::Status Start(const StartFlags& flags, const Context& context) {
  v1::StartExecutionRequest request;
  request.set_runbook(flags.runbook);
  request.set_version(flags.version);
  request.set_incident_id(flags.incident);
  request.set_author(CliAuthor(context.options));
  for (const std::string& param : flags.params) {
    const size_t eq = param.find('=');
    if (eq == std::string::npos || eq == 0) {
      return UsageError(absl::StrCat("--param \"", param, "\": expected NAME=VALUE"));
    }
    const std::string name = param.substr(0, eq);
    if (request.parameters().contains(name)) {
      return UsageError(absl::StrCat("--param ", name, " given twice"));
    }
    (*request.mutable_parameters())[name] = param.substr(eq + 1);
  }
  ASSIGN_OR_RETURN(v1::Execution execution, context.clients.runbook->StartExecution(request));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(execution), context.out);
  }
  context.out << "started " << execution.runbook() << " (version " << execution.version()
              << ") for " << execution.incident_id() << ": " << Summary(execution) << "\n";
  return absl::OkStatus();
}

absl::Status List(const std::string& incident, const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Execution> executions,
                   context.clients.runbook->ListExecutions(incident));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(executions), context.out);
  }
  Table table;
  table.AddRow({"ID", "RUNBOOK", "VERSION", "INCIDENT", "STATE", "STEP", "STARTED", "BY"});
  for (const v1::Execution& e : executions) {
    table.AddRow({e.id(), e.runbook(), absl::StrCat(e.version()), e.incident_id(),
                  State(e.state()), OrDash(e.current_step()), FormatTimestamp(e.start_time()),
                  OrDash(e.started_by())});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status Show(const std::string& id, const Context& context) {
  ASSIGN_OR_RETURN(v1::Execution execution, context.clients.runbook->GetExecution(id));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(execution), context.out);
  }
  PrintExecution(execution, context.out);
  return absl::OkStatus();
}

struct DecideFlags {
  std::string execution;
  std::string step;
  std::string comment;
};

absl::Status Decide(v1::StepDecision decision, const DecideFlags& flags,
                    const Context& context) {
  ASSIGN_OR_RETURN(v1::Execution execution,
                   context.clients.runbook->DecideStep(flags.execution, flags.step, decision,
                                                       flags.comment,
                                                       CliAuthor(context.options)));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(execution), context.out);
  }
  std::string step_state = "-";
  for (const v1::StepExecution& step : execution.steps()) {
    if (step.name() == flags.step) step_state = State(step.state());
  }
  context.out << "step " << flags.step << " " << step_state << "; execution "
              << Summary(execution) << "\n";
  return absl::OkStatus();
}

struct CancelFlags {
  std::string execution;
  std::string reason;
};

absl::Status Cancel(const CancelFlags& flags, const Context& context) {
  ASSIGN_OR_RETURN(v1::Execution execution,
                   context.clients.runbook->CancelExecution(flags.execution, flags.reason,
                                                            CliAuthor(context.options)));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJson(execution), context.out);
  }
  context.out << "execution " << Summary(execution) << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddExecutionsCommands(CommandTable& table) {
  CLI::App* executions = table.AddFamily(
      "executions", "Runbook executions: start a runbook for an incident, follow and decide "
                    "its steps.");

  auto start = std::make_shared<StartFlags>();
  CLI::App* start_command = table.AddCommand(
      executions, "start", "Start a runbook for an incident.",
      [start](const Context& context) { return Start(*start, context); },
      /*records_author=*/true);
  start_command->add_option("RUNBOOK", start->runbook, "the runbook")->required();
  start_command->add_option("--incident", start->incident, "the incident it runs for")
      ->required()
      ->type_name("ID");
  start_command
      ->add_option("--param", start->params,
                   "a parameter's value, as text (repeat for several)")
      ->type_name("NAME=VALUE")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  start_command->add_option("--version", start->version, "a saved version (default: the latest)")
      ->check(CLI::PositiveNumber);

  auto incident = std::make_shared<std::string>();
  table
      .AddCommand(executions, "list", "List executions, newest first.",
                  [incident](const Context& context) { return List(*incident, context); })
      ->add_option("--incident", *incident, "only this incident's")
      ->type_name("ID");

  auto show_id = std::make_shared<std::string>();
  table
      .AddCommand(executions, "show",
                  "Show an execution: its steps, their states, outputs and errors, and what a "
                  "waiting step asks.",
                  [show_id](const Context& context) { return Show(*show_id, context); })
      ->add_option("EXECUTION", *show_id, "the execution, e.g. exe-...")
      ->required();

  struct Decision {
    const char* name;
    v1::StepDecision decision;
    const char* help;
  };
  const Decision decisions[] = {
      {"complete-step", v1::STEP_DECISION_COMPLETE,
       "Complete a manual step (tocsin:manual, aws:pause)."},
      {"approve", v1::STEP_DECISION_APPROVE, "Approve an aws:approve step, as one of its approvers."},
      {"reject", v1::STEP_DECISION_REJECT,
       "Reject an aws:approve step, as one of its approvers: the step fails."},
      {"retry", v1::STEP_DECISION_RETRY,
       "Run a failed step, or one in doubt after a restart, again."},
      {"skip", v1::STEP_DECISION_SKIP, "Go on without a waiting or failed step (it is Skipped)."},
  };
  for (const Decision& d : decisions) {
    auto flags = std::make_shared<DecideFlags>();
    const v1::StepDecision decision = d.decision;
    CLI::App* command = table.AddCommand(
        executions, d.name, d.help,
        [flags, decision](const Context& context) { return Decide(decision, *flags, context); },
        /*records_author=*/true);
    command->add_option("EXECUTION", flags->execution, "the execution")->required();
    command->add_option("STEP", flags->step, "the step, by its name")->required();
    command->add_option("--comment", flags->comment, "recorded with the decision")
        ->type_name("TEXT");
  }

  auto cancel = std::make_shared<CancelFlags>();
  CLI::App* cancel_command = table.AddCommand(
      executions, "cancel", "Cancel an execution: it runs no further step.",
      [cancel](const Context& context) { return Cancel(*cancel, context); },
      /*records_author=*/true);
  cancel_command->add_option("EXECUTION", cancel->execution, "the execution")->required();
  cancel_command->add_option("--reason", cancel->reason, "why, on the timeline")
      ->type_name("TEXT");
}

}  // namespace tocsin::cli
