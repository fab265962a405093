// tocsin engage; engagements list|show|stop
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::escalation::v1;
using Json = nlohmann::ordered_json;

std::string State(const v1::Engagement& engagement) {
  return EnumLabel(v1::EngagementState_Name(engagement.state()),
                   "ENGAGEMENT_STATE_");
}

// The stages started so far, and the plan's repeats.
std::string Stage(const v1::Engagement& engagement) {
  std::string stage = absl::StrCat(engagement.next_stage());
  if (engagement.repeats_done() > 0) {
    absl::StrAppend(&stage, " (repeat ", engagement.repeats_done(), ")");
  }
  return stage;
}

absl::Status ListEngagements(const std::string& incident_id,
                             const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::Engagement> engagements,
                   context.clients.escalation->ListEngagements(incident_id));
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(engagements), context.out);
  }
  Table table;
  table.AddRow({"ID", "INCIDENT", "CONTACT", "PARENT", "STATE", "STAGE",
                "NEXT DUE", "STARTED", "STOP REASON"});
  for (const v1::Engagement& engagement : engagements) {
    table.AddRow({engagement.id(), OrDash(engagement.incident_id()),
                  engagement.contact(), OrDash(engagement.parent_id()),
                  State(engagement), Stage(engagement),
                  FormatTimestamp(engagement.next_due()),
                  FormatTimestamp(engagement.start_time()),
                  engagement.stop_reason()});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

// Prints `id` and its children, each level indented by two spaces.
void PrintTree(const std::string& id,
               const std::map<std::string, v1::Engagement>& by_id,
               const std::map<std::string, std::vector<std::string>>& children,
               int depth, Table& table) {
  auto it = by_id.find(id);
  if (it == by_id.end() || depth > 10) return;
  const v1::Engagement& engagement = it->second;
  table.AddRow({std::string(2 * depth, ' ') + engagement.id(),
                engagement.contact(), State(engagement), Stage(engagement),
                engagement.stop_reason()});
  auto kids = children.find(id);
  if (kids == children.end()) return;
  for (const std::string& child : kids->second) {
    PrintTree(child, by_id, children, depth + 1, table);
  }
}

absl::Status ShowEngagement(const std::string& id, const Context& context) {
  ASSIGN_OR_RETURN(v1::Engagement engagement,
                   context.clients.escalation->GetEngagement(id));
  // The tree: the engagements of the incident (or every active one) that
  // share the root. Shown without it when the list fails.
  std::vector<v1::Engagement> tree;
  absl::StatusOr<std::vector<v1::Engagement>> listed =
      context.clients.escalation->ListEngagements(engagement.incident_id());
  if (listed.ok()) {
    const std::string root =
        engagement.root_id().empty() ? engagement.id() : engagement.root_id();
    for (v1::Engagement& other : *listed) {
      if (other.id() == root || other.root_id() == root) {
        tree.push_back(std::move(other));
      }
    }
  } else {
    context.err << "note: the engagement's tree is not shown: "
                << listed.status().message() << "\n";
  }
  if (context.options.output == OutputFormat::kJson) {
    ASSIGN_OR_RETURN(Json one, ToJson(engagement));
    ASSIGN_OR_RETURN(Json all, ToJsonArray(tree));
    return PrintJson(
        Json{{"engagement", std::move(one)}, {"tree", std::move(all)}},
        context.out);
  }
  PrintFields(
      {
          {"ID", engagement.id()},
          {"Contact", engagement.contact()},
          {"Incident", OrDash(engagement.incident_id())},
          {"State", State(engagement)},
          {"Stage", Stage(engagement)},
          {"Next due", FormatTimestamp(engagement.next_due())},
          {"Parent", OrDash(engagement.parent_id())},
          {"Root", OrDash(engagement.root_id())},
          {"Essential", engagement.essential() ? "yes" : "no"},
          {"Started", FormatTimestamp(engagement.start_time())},
          {"Stopped", FormatTimestamp(engagement.stop_time())},
          {"Stop reason", engagement.stop_reason()},
          {"Acknowledged by", engagement.acked_by()},
          {"Sender", engagement.sender()},
          {"Subject", engagement.subject()},
          {"Content", engagement.content()},
      },
      context.out);
  if (tree.empty()) return absl::OkStatus();
  std::map<std::string, v1::Engagement> by_id;
  std::map<std::string, std::vector<std::string>> children;
  std::string root = tree.front().id();
  for (const v1::Engagement& node : tree) {
    by_id[node.id()] = node;
    if (node.parent_id().empty()) {
      root = node.id();
    } else {
      children[node.parent_id()].push_back(node.id());
    }
  }
  context.out << "\n";
  Table table;
  table.AddRow({"TREE", "CONTACT", "STATE", "STAGE", "STOP REASON"});
  PrintTree(root, by_id, children, 0, table);
  table.Print(context.out);
  return absl::OkStatus();
}

struct EngageArgs {
  std::string contact;
  std::string subject;
  std::string content;
  std::string incident;
};

absl::Status Engage(const EngageArgs& args, const Context& context) {
  ASSIGN_OR_RETURN(v1::Engagement engagement,
                   context.clients.escalation->StartEngagement(
                       {.contact = args.contact,
                        .incident_id = args.incident,
                        .sender = CliAuthor(context.options),
                        .subject = args.subject,
                        .content = args.content}));
  context.out << "engagement/" << engagement.id() << " started\n";
  return absl::OkStatus();
}

absl::Status StopEngagement(const std::string& id, const std::string& reason,
                            const Context& context) {
  const std::string why =
      reason.empty()
          ? absl::StrCat("stopped by ", CliAuthor(context.options))
          : absl::StrCat(reason, " (", CliAuthor(context.options), ")");
  ASSIGN_OR_RETURN(v1::Engagement stopped,
                   context.clients.escalation->StopEngagement(id, why));
  context.out << "engagement/" << stopped.id() << " stopped\n";
  return absl::OkStatus();
}

}  // namespace

void AddEngagementsCommands(CommandTable& table) {
  {
    auto args = std::make_shared<EngageArgs>();
    CLI::App* engage = table.AddCommand(
        &table.root(), "engage",
        "Engage a contact by hand (a person, schedule or escalation plan).",
        [args](const Context& context) { return Engage(*args, context); },
        /*records_author=*/true);
    engage->add_option("CONTACT", args->contact, "the contact")
        ->required()
        ->type_name("");
    engage->add_option("--subject", args->subject, "what the pages say first")
        ->required()
        ->type_name("TEXT");
    engage->add_option("--content", args->content, "the pages' message")
        ->required()
        ->type_name("TEXT");
    engage
        ->add_option("--incident", args->incident,
                     "the incident whose timeline records it")
        ->type_name("ID");
  }

  CLI::App* engagements = table.AddFamily(
      "engagements",
      "Engagements: one contact being paged, stage by stage, and the "
      "engagements its plan starts.");

  auto incident = std::make_shared<std::string>();
  table
      .AddCommand(
          engagements, "list",
          "List the engagements of an incident (default: every active one).",
          [incident](const Context& context) {
            return ListEngagements(*incident, context);
          })
      ->add_option("--incident", *incident, "the incident")
      ->type_name("ID");

  auto id = std::make_shared<std::string>();
  table
      .AddCommand(
          engagements, "show", "Show an engagement and the tree it belongs to.",
          [id](const Context& context) { return ShowEngagement(*id, context); })
      ->add_option("ID", *id, "the engagement")
      ->required()
      ->type_name("");

  auto stop_id = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  CLI::App* stop = table.AddCommand(
      engagements, "stop", "Stop an engagement and everything it started.",
      [stop_id, reason](const Context& context) {
        return StopEngagement(*stop_id, *reason, context);
      },
      /*records_author=*/true);
  stop->add_option("ID", *stop_id, "the engagement")->required()->type_name("");
  stop->add_option("--reason", *reason, "why (recorded with the author)")
      ->type_name("TEXT");
}

}  // namespace tocsin::cli
