#include "tools/cli/commands.h"

namespace tocsin::cli {

void AddAllCommands(CommandTable& table) {
  AddIncidentsCommands(table);
  AddPlansCommands(table);
  AddContactsCommands(table);
  AddOnCallCommands(table);
  AddEngagementsCommands(table);
  AddPagesCommands(table);
  AddChatCommands(table);
  AddRunbooksCommands(table);
  AddExecutionsCommands(table);
  AddPostmortemsCommands(table);
  AddApplyCommand(table);
  AddDeadLettersCommands(table);
}

}  // namespace tocsin::cli
