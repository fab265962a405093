// The command families of the tocsin CLI, one file each, each registering
// its commands (CLI11 subcommands and their actions) on the table. A new
// family is a new file and one line in AddAllCommands (commands.cc); a new
// command is a few lines in its family's file.
//
//   incidents_commands.cc    incidents list|show|resolve|unmatched
//   plans_commands.cc        plans list|show|create
//   contacts_commands.cc     contacts list|show|create|activate|deactivate|
//                            send-code
//   oncall_commands.cc       oncall; rotations list|show|shifts|preview|gaps;
//                            overrides list|create|delete; calendars create
//   engagements_commands.cc  engage; engagements list|show|stop
//   pages_commands.cc        pages list|show|ack
//   chat_commands.cc         chat list|show|test|retry|delete
//   runbooks_commands.cc     runbooks validate|apply|list|show|versions
//   executions_commands.cc   executions start|list|show|complete-step|
//                            approve|reject|retry|skip|cancel
//   postmortems_commands.cc  postmortems list|show|create|answer|action-add|
//                            status|export|metrics; actions list|done;
//                            templates list|show
//   apply_command.cc         apply
//   deadletters_commands.cc  deadletters list|replay
#ifndef TOCSIN_TOOLS_CLI_COMMANDS_H_
#define TOCSIN_TOOLS_CLI_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/paging/v1/paging.pb.h"
#include "tools/cli/command.h"

namespace tocsin::cli {

void AddIncidentsCommands(CommandTable& table);
void AddPlansCommands(CommandTable& table);
void AddContactsCommands(CommandTable& table);
void AddOnCallCommands(CommandTable& table);
void AddEngagementsCommands(CommandTable& table);
void AddPagesCommands(CommandTable& table);
void AddChatCommands(CommandTable& table);
void AddRunbooksCommands(CommandTable& table);
void AddExecutionsCommands(CommandTable& table);
void AddPostmortemsCommands(CommandTable& table);
void AddApplyCommand(CommandTable& table);
void AddDeadLettersCommands(CommandTable& table);

// Every family, in the order `tocsin help` lists them.
void AddAllCommands(CommandTable& table);

// ---- Views that several families print ----

// The pages table: ID CONTACT CHANNEL STATE ATTEMPTS LAST RECEIPT CREATED
// (LAST RECEIPT: the status of the newest provider receipt, "-" if none;
// pages list, incidents show).
void PrintPages(const std::vector<paging::v1::Page>& pages, std::ostream& out);

// Where a channel pages: "email alice@example.com", "webhook https://...",
// "-" (contacts show, pages show).
std::string Destination(const escalation::v1::ContactChannel& channel);

// The first line of `text` for a table cell ("..." after it when more
// follows), "-" when empty (runbooks list, executions show).
std::string FirstLine(absl::string_view text);

}  // namespace tocsin::cli

#endif  // TOCSIN_TOOLS_CLI_COMMANDS_H_
