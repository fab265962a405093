#include "services/paging/chat_format.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"

namespace tocsin::paging {
namespace {

using json = nlohmann::json;

// Slack: a field of a section at most 2000 characters.
constexpr size_t kSlackMaxFieldBytes = 1900;
// The incident id as a button value or a context mention.
constexpr size_t kMaxIdBytes = 200;
// A link longer than this is left out rather than cut (a cut URL is wrong).
constexpr size_t kMaxLinkBytes = 2000;

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ImpactLabel(const v1::ChatIncident& incident) {
  return incident.impact() > 0 ? absl::StrCat("P", incident.impact()) : "";
}

// "[P1] Database down" (one line, valid UTF-8, not escaped).
std::string Title(const v1::ChatIncident& incident, size_t max_bytes) {
  std::string title = incident.title().empty() ? absl::StrCat("Incident ", incident.id())
                                               : incident.title();
  const std::string impact = ImpactLabel(incident);
  if (!impact.empty()) title = absl::StrCat("[", impact, "] ", title);
  return text::UntrustedLine(title, max_bytes);
}

std::string Engaged(const v1::ChatIncident& incident) {
  return absl::StrJoin(incident.engaged(), ", ");
}

// The incident's link when it is an http(s) URL without white space or
// control characters (anything else is left out).
std::string Link(const v1::ChatIncident& incident) {
  const std::string& link = incident.link();
  if (link.size() > kMaxLinkBytes) return "";
  if (!absl::StartsWith(link, "https://") && !absl::StartsWith(link, "http://")) return "";
  for (char c : link) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return "";
  }
  if (!text::IsValidUtf8(link)) return "";
  return link;
}

std::string Context(const v1::ChatPost& post) {
  std::string context =
      absl::StrCat("Tocsin · incident ", text::UntrustedLine(post.incident().id(), kMaxIdBytes));
  if (!post.kind().empty()) absl::StrAppend(&context, " · ", text::UntrustedLine(post.kind(), 64));
  return context;
}

// "@all", "@here", "@channel", "@present", "@everyone" (any case, as whole
// words) get a zero-width space after the '@', and "<!" one after the '<', so
// untrusted text cannot alert a whole room.
std::string DefuseMentions(absl::string_view s) {
  static constexpr absl::string_view kWords[] = {"all", "here", "channel", "present",
                                                 "everyone"};
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    // Mattermost turns Slack's "<!channel>", "<!here>", "<!all>" into
    // mentions of everyone.
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '!') {
      out += "\u200B";
      continue;
    }
    if (s[i] != '@') continue;
    for (absl::string_view w : kWords) {
      const size_t end = i + 1 + w.size();
      if (end > s.size() || !absl::EqualsIgnoreCase(s.substr(i + 1, w.size()), w)) continue;
      if (end < s.size() && (absl::ascii_isalnum(static_cast<unsigned char>(s[end])) ||
                             s[end] == '_' || s[end] == '-' || s[end] == '.')) {
        continue;
      }
      out += "\u200B";
      break;
    }
  }
  return out;
}

// Untrusted text for Chime and Mattermost: valid UTF-8, mentions defused,
// bounded.
std::string Plain(absl::string_view s, size_t max_bytes) {
  return text::Truncate(DefuseMentions(text::MakeValidUtf8(s)), max_bytes);
}

std::string PlainLine(absl::string_view s, size_t max_bytes) {
  return text::Truncate(DefuseMentions(text::UntrustedLine(s, s.size() + 1)), max_bytes);
}

json PlainText(const std::string& s) {
  return {{"type", "plain_text"}, {"text", s}, {"emoji", true}};
}

json Mrkdwn(const std::string& s) { return {{"type", "mrkdwn"}, {"text", s}}; }

json Button(const char* action_id, const std::string& label, const std::string& value,
            const char* style) {
  return {{"type", "button"},
          {"action_id", action_id},
          {"text", PlainText(label)},
          {"value", value},
          {"style", style}};
}

// The Block Kit blocks of a post (include_text: the post's own text, left
// out of a chat.update of the first message; buttons: the first message of
// Slack app mode).
json SlackBlocks(const v1::ChatPost& post, bool include_text, bool buttons) {
  const v1::ChatIncident& incident = post.incident();
  json blocks = json::array();
  blocks.push_back({{"type", "header"}, {"text", PlainText(Title(incident, kSlackMaxHeaderBytes))}});
  if (include_text && !post.text().empty()) {
    blocks.push_back({{"type", "section"}, {"text", Mrkdwn(SlackEscape(post.text()))}});
  }
  json fields = json::array();
  if (const std::string impact = ImpactLabel(incident); !impact.empty()) {
    fields.push_back(Mrkdwn(absl::StrCat("*Impact*\n", impact)));
  }
  if (!incident.status().empty()) {
    fields.push_back(
        Mrkdwn(absl::StrCat("*Status*\n", SlackEscape(incident.status(), kSlackMaxFieldBytes))));
  }
  if (!incident.engaged().empty()) {
    fields.push_back(
        Mrkdwn(absl::StrCat("*Engaged*\n", SlackEscape(Engaged(incident), kSlackMaxFieldBytes))));
  }
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});
  if (!incident.summary().empty()) {
    blocks.push_back(
        {{"type", "section"},
         {"text", Mrkdwn(absl::StrCat("*Summary*\n",
                                      SlackEscape(incident.summary(), kSlackMaxSectionBytes - 12)))}});
  }
  if (const std::string link = Link(incident); !link.empty()) {
    // <url|label>: the URL escaped like any mrkdwn, and '|' (which would end
    // it) percent-encoded.
    const std::string url = absl::StrReplaceAll(SlackEscape(link, 3 * kMaxLinkBytes), {{"|", "%7C"}});
    blocks.push_back({{"type", "section"},
                      {"text", Mrkdwn(absl::StrCat("<", url, "|Open incident ",
                                                   SlackEscape(incident.id(), kMaxIdBytes), ">"))}});
  }
  // A test message stands for no incident: nothing to press.
  if (buttons && post.kind() != "test" && !incident.id().empty() &&
      !ChatIncidentResolved(incident)) {
    const std::string id = text::UntrustedLine(incident.id(), kMaxIdBytes);
    json elements = json::array();
    if (!ChatIncidentAcknowledged(incident)) {
      elements.push_back(Button(kSlackAcknowledgeAction, "Acknowledge", id, "primary"));
    }
    json resolve = Button(kSlackResolveAction, "Resolve", id, "danger");
    resolve["confirm"] = {{"title", PlainText("Resolve the incident?")},
                          {"text", PlainText(Title(incident, 300))},
                          {"confirm", PlainText("Resolve")},
                          {"deny", PlainText("Cancel")}};
    elements.push_back(std::move(resolve));
    blocks.push_back({{"type", "actions"}, {"block_id", "tocsin_incident"}, {"elements", elements}});
  }
  blocks.push_back({{"type", "context"}, {"elements", json::array({Mrkdwn(SlackEscape(Context(post)))})}});
  while (blocks.size() > kSlackMaxBlocks) blocks.erase(blocks.end() - 2);
  return blocks;
}

std::string HeadFallback(const v1::ChatIncident& incident) {
  std::string s = Title(incident, kSlackMaxSectionBytes);
  if (!incident.status().empty()) absl::StrAppend(&s, " (", incident.status(), ")");
  return text::UntrustedLine(s, kSlackMaxSectionBytes);
}

}  // namespace

bool ChatIncidentResolved(const v1::ChatIncident& incident) {
  return incident.resolved() ||
         absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(incident.status()),
                                    "RESOLVED");
}

bool ChatIncidentAcknowledged(const v1::ChatIncident& incident) {
  return incident.acknowledged() || ChatIncidentResolved(incident) ||
         absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(incident.status()),
                                    "ACKNOWLEDGED");
}

std::string SlackEscape(absl::string_view raw, size_t max_bytes) {
  const std::string valid = text::MakeValidUtf8(raw);
  auto escape = [](absl::string_view s) {
    return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}});
  };
  // Escaping lengthens the text: cut the raw text shorter until its escaped
  // form fits (so no entity is ever cut in half).
  size_t budget = max_bytes;
  while (true) {
    std::string escaped = escape(text::Truncate(valid, budget));
    if (escaped.size() <= max_bytes || budget == 0) return escaped;
    // Shrink in proportion (at least by one byte): a few rounds at most.
    const size_t scaled = budget * max_bytes / escaped.size();
    budget = scaled < budget ? scaled : budget - 1;
  }
}

std::string ChatFallbackText(const v1::ChatPost& post) {
  std::string s = HeadFallback(post.incident());
  if (!post.text().empty()) absl::StrAppend(&s, ": ", post.text());
  return text::UntrustedLine(s, kSlackMaxSectionBytes);
}

std::string SlackWebhookBody(const v1::ChatPost& post) {
  return Dump({{"text", SlackEscape(ChatFallbackText(post))},
               {"blocks", SlackBlocks(post, /*include_text=*/true, /*buttons=*/false)}});
}

std::string SlackPostMessageBody(const v1::ChatPost& post, const std::string& channel,
                                 const std::string& thread_ts) {
  json j = {{"channel", channel},
            {"text", SlackEscape(ChatFallbackText(post))},
            {"blocks", SlackBlocks(post, /*include_text=*/true, /*buttons=*/thread_ts.empty())}};
  if (!thread_ts.empty()) j["thread_ts"] = thread_ts;
  return Dump(j);
}

std::string SlackUpdateBody(const v1::ChatPost& post, const std::string& channel,
                            const std::string& ts) {
  return Dump({{"channel", channel},
               {"ts", ts},
               {"text", SlackEscape(HeadFallback(post.incident()))},
               {"blocks", SlackBlocks(post, /*include_text=*/false, /*buttons=*/true)}});
}

std::string TeamsBody(const v1::ChatPost& post) {
  const v1::ChatIncident& incident = post.incident();
  json body = json::array();
  body.push_back({{"type", "TextBlock"},
                  {"text", Title(incident, kChatMaxFieldBytes)},
                  {"size", "Large"},
                  {"weight", "Bolder"},
                  {"wrap", true}});
  if (!post.text().empty()) {
    body.push_back({{"type", "TextBlock"},
                    {"text", text::Untrusted(post.text(), kChatMaxFieldBytes)},
                    {"wrap", true}});
  }
  json facts = json::array();
  if (const std::string impact = ImpactLabel(incident); !impact.empty()) {
    facts.push_back({{"title", "Impact"}, {"value", impact}});
  }
  if (!incident.status().empty()) {
    facts.push_back(
        {{"title", "Status"}, {"value", text::UntrustedLine(incident.status(), kChatMaxFieldBytes)}});
  }
  if (!incident.engaged().empty()) {
    facts.push_back(
        {{"title", "Engaged"}, {"value", text::UntrustedLine(Engaged(incident), kChatMaxFieldBytes)}});
  }
  if (!facts.empty()) body.push_back({{"type", "FactSet"}, {"facts", facts}});
  if (!incident.summary().empty()) {
    body.push_back({{"type", "TextBlock"},
                    {"text", text::Untrusted(incident.summary(), kChatMaxFieldBytes)},
                    {"wrap", true},
                    {"isSubtle", true}});
  }
  body.push_back({{"type", "TextBlock"},
                  {"text", Context(post)},
                  {"size", "Small"},
                  {"isSubtle", true},
                  {"wrap", true}});
  json card = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
               {"type", "AdaptiveCard"},
               {"version", "1.4"},
               {"body", body}};
  if (const std::string link = Link(incident); !link.empty()) {
    card["actions"] =
        json::array({{{"type", "Action.OpenUrl"}, {"title", "Open incident"}, {"url", link}}});
  }
  return Dump({{"type", "message"},
               {"attachments", json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                             {"contentUrl", nullptr},
                                             {"content", card}}})}});
}

std::string ChimeBody(const v1::ChatPost& post) {
  const v1::ChatIncident& incident = post.incident();
  std::vector<std::string> lines;
  lines.push_back(PlainLine(HeadFallback(incident), kChimeMaxContentBytes));
  if (!post.text().empty()) lines.push_back(Plain(post.text(), kChimeMaxContentBytes));
  if (!incident.summary().empty()) {
    lines.push_back(absl::StrCat("Summary: ", Plain(incident.summary(), kChimeMaxContentBytes)));
  }
  if (!incident.engaged().empty()) {
    lines.push_back(absl::StrCat("Engaged: ", PlainLine(Engaged(incident), kChimeMaxContentBytes)));
  }
  if (const std::string link = Link(incident); !link.empty()) lines.push_back(link);
  std::string content = absl::StrJoin(lines, "\n");
  if (incident.impact() == 1) content = absl::StrCat("@All ", content);
  return Dump({{"Content", text::Truncate(content, kChimeMaxContentBytes)}});
}

std::string MattermostBody(const v1::ChatPost& post) {
  const v1::ChatIncident& incident = post.incident();
  std::string markdown = absl::StrCat("#### ", PlainLine(Title(incident, kChatMaxFieldBytes),
                                                         kChatMaxFieldBytes));
  if (!post.text().empty()) absl::StrAppend(&markdown, "\n", Plain(post.text(), kChatMaxFieldBytes));
  json fields = json::array();
  if (const std::string impact = ImpactLabel(incident); !impact.empty()) {
    fields.push_back({{"short", true}, {"title", "Impact"}, {"value", impact}});
  }
  if (!incident.status().empty()) {
    fields.push_back({{"short", true},
                      {"title", "Status"},
                      {"value", PlainLine(incident.status(), kChatMaxFieldBytes)}});
  }
  if (!incident.engaged().empty()) {
    fields.push_back({{"short", false},
                      {"title", "Engaged"},
                      {"value", PlainLine(Engaged(incident), kChatMaxFieldBytes)}});
  }
  json attachment = {
      {"fallback", PlainLine(ChatFallbackText(post), kChatMaxFieldBytes)},
      {"color", ChatIncidentResolved(incident)       ? "#2eb67d"
                : ChatIncidentAcknowledged(incident) ? "#ecb22e"
                                                     : "#e01e5a"},
      {"title", PlainLine(Title(incident, kChatMaxFieldBytes), kChatMaxFieldBytes)},
      {"fields", fields},
      {"footer", PlainLine(Context(post), kChatMaxFieldBytes)}};
  if (!incident.summary().empty()) {
    attachment["text"] = Plain(incident.summary(), kChatMaxFieldBytes);
  }
  if (const std::string link = Link(incident); !link.empty()) attachment["title_link"] = link;
  return Dump({{"text", markdown}, {"attachments", json::array({attachment})}});
}

}  // namespace tocsin::paging
