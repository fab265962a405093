// tocsin chat list|show|test|retry|delete: the paging service's chat channels
// (ChatService) and the posts made to them. Channels are created and changed
// with `tocsin apply` (kind ChatChannel).
//
// Nothing printed carries a webhook URL in full: channels are shown through
// services/paging/chat_channels.h (PublicChatChannel, ChatDestinationLabel),
// whatever the service answered.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"
#include "services/paging/chat_channels.h"
#include "tocsin/paging/v1/chat.pb.h"
#include "tools/cli/commands.h"
#include "tools/cli/format.h"

namespace tocsin::cli {
namespace {

namespace v1 = ::tocsin::paging::v1;

// What the LAST ERROR column keeps of an error; JSON has it whole.
constexpr size_t kErrorColumnBytes = 80;

std::string PostStateLabel(const v1::ChatPost& post) {
  const std::string state =
      EnumLabel(v1::ChatPostState_Name(post.state()), "CHAT_POST_STATE_");
  return post.sending() ? absl::StrCat(state, " (sending)") : state;
}

absl::Status ListChannels(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<v1::ChatChannel> channels,
                   context.clients.paging->ListChatChannels());
  for (v1::ChatChannel& channel : channels) {
    channel = paging::PublicChatChannel(std::move(channel));
  }
  if (context.options.output == OutputFormat::kJson) {
    return PrintJson(ToJsonArray(channels), context.out);
  }
  Table table;
  table.AddRow({"NAME", "PLATFORM", "DESTINATION"});
  for (const v1::ChatChannel& channel : channels) {
    table.AddRow({channel.name(), OrDash(paging::ChatPlatformName(channel)),
                  OrDash(paging::ChatDestinationLabel(channel))});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

struct ShowParams {
  std::string name;
  int limit = 20;
};

absl::Status ShowChannel(const ShowParams& params, const Context& context) {
  ASSIGN_OR_RETURN(v1::ChatChannel channel,
                   context.clients.paging->GetChatChannel(params.name));
  channel = paging::PublicChatChannel(std::move(channel));
  ASSIGN_OR_RETURN(
      std::vector<v1::ChatPost> posts,
      context.clients.paging->ListChatPosts(params.name, "", params.limit));
  if (context.options.output == OutputFormat::kJson) {
    ASSIGN_OR_RETURN(nlohmann::ordered_json channel_json, ToJson(channel));
    ASSIGN_OR_RETURN(nlohmann::ordered_json posts_json, ToJsonArray(posts));
    return PrintJson(nlohmann::ordered_json{{"channel", channel_json},
                                            {"posts", posts_json}},
                     context.out);
  }
  PrintFields({{"Name", channel.name()},
               {"Description", channel.description()},
               {"Platform", OrDash(paging::ChatPlatformName(channel))},
               {"Destination", OrDash(paging::ChatDestinationLabel(channel))},
               {"Created", FormatTimestamp(channel.create_time())},
               {"Updated", FormatTimestamp(channel.update_time())}},
              context.out);
  context.out << "\n";
  if (posts.empty()) {
    context.out << "Posts: none\n";
    return absl::OkStatus();
  }
  Table table;
  table.AddRow({"ID", "TIME", "INCIDENT", "KIND", "STATE", "ATTEMPTS",
                "LAST ERROR"});
  for (const v1::ChatPost& post : posts) {
    table.AddRow({post.id(), FormatTimestamp(post.create_time()),
                  OrDash(post.incident_id()), post.kind(),
                  PostStateLabel(post), absl::StrCat(post.attempts()),
                  OrDash(text::UntrustedLine(post.last_error(),
                                             kErrorColumnBytes))});
  }
  table.Print(context.out);
  return absl::OkStatus();
}

absl::Status TestChannel(const std::string& name, const Context& context) {
  ASSIGN_OR_RETURN(std::string answer,
                   context.clients.paging->TestChatChannel(name));
  context.out << "chatchannel/" << name << " test message posted: "
              << OrDash(text::UntrustedLine(answer, kErrorColumnBytes))
              << "\n";
  return absl::OkStatus();
}

absl::Status RetryPost(const std::string& id, const Context& context) {
  ASSIGN_OR_RETURN(v1::ChatPost post,
                   context.clients.paging->RetryChatPost(id));
  context.out << "chatpost/" << post.id() << " " << PostStateLabel(post)
              << "\n";
  return absl::OkStatus();
}

absl::Status DeleteChannel(const std::string& name, const Context& context) {
  RETURN_IF_ERROR(context.clients.paging->DeleteChatChannel(name));
  context.out << "chatchannel/" << name << " deleted\n";
  return absl::OkStatus();
}

}  // namespace

void AddChatCommands(CommandTable& table) {
  CLI::App* chat = table.AddFamily(
      "chat",
      "Chat channels (Slack, Teams, Chime, Mattermost) that incidents post "
      "to; created with \"tocsin apply\" (kind ChatChannel).");

  table.AddCommand(
      chat, "list",
      "List the chat channels: name, platform and destination (webhook URLs "
      "shown as their scheme and host).",
      [](const Context& context) { return ListChannels(context); });

  auto show = std::make_shared<ShowParams>();
  CLI::App* show_command = table.AddCommand(
      chat, "show",
      "Show a chat channel and its recent posts (newest first), with each "
      "one's state and last error.",
      [show](const Context& context) { return ShowChannel(*show, context); });
  show_command->add_option("NAME", show->name, "the channel")
      ->required()
      ->type_name("");
  show_command
      ->add_option("--limit", show->limit,
                   "at most N posts, the newest (1 to 1000; default 20)")
      ->check(CLI::Range(1, 1000).description(""))
      ->type_name("N");

  auto test_name = std::make_shared<std::string>();
  table
      .AddCommand(chat, "test",
                  "Post a test message to a chat channel now and print what "
                  "the platform answered (exit 1 with its error).",
                  [test_name](const Context& context) {
                    return TestChannel(*test_name, context);
                  })
      ->add_option("NAME", *test_name, "the channel")
      ->required()
      ->type_name("");

  auto post_id = std::make_shared<std::string>();
  table
      .AddCommand(chat, "retry",
                  "Queue a FAILED chat post again (posted in its turn).",
                  [post_id](const Context& context) {
                    return RetryPost(*post_id, context);
                  })
      ->add_option("POST_ID", *post_id, "the post, from \"tocsin chat show\"")
      ->required()
      ->type_name("");

  auto delete_name = std::make_shared<std::string>();
  table
      .AddCommand(chat, "delete", "Delete a chat channel.",
                  [delete_name](const Context& context) {
                    return DeleteChannel(*delete_name, context);
                  })
      ->add_option("NAME", *delete_name, "the channel")
      ->required()
      ->type_name("");
}

}  // namespace tocsin::cli
