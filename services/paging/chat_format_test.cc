#include "services/paging/chat_format.h"

#include "gmock/gmock.h"
#include "libs/text/text.h"
#include "nlohmann/json.hpp"

namespace tocsin::paging {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

v1::ChatPost Post() {
  v1::ChatPost p;
  p.set_id("cp-1");
  p.set_channel("ops");
  p.set_incident_id("inc-1");
  p.set_kind("opened");
  p.set_text("Incident opened: 3 alarms");
  v1::ChatIncident* i = p.mutable_incident();
  i->set_id("inc-1");
  i->set_title("Database down");
  i->set_impact(1);
  i->set_summary("Primary database is not answering.");
  i->set_status("OPEN");
  i->add_engaged("alice");
  i->add_engaged("bob");
  i->set_link("https://tocsin.example/incidents/inc-1");
  return p;
}

// The action_ids of the buttons in blocks, in order.
std::vector<std::string> Buttons(const json& blocks) {
  std::vector<std::string> ids;
  for (const json& b : blocks) {
    if (b["type"] != "actions") continue;
    for (const json& e : b["elements"]) {
      ids.push_back(e["action_id"]);
      EXPECT_EQ(e["value"], "inc-1");
    }
  }
  return ids;
}

TEST(SlackWebhookBody, HasTheFallbackAndTheIncidentAsBlocks) {
  json j = json::parse(SlackWebhookBody(Post()));
  EXPECT_EQ(j["text"], "[P1] Database down (OPEN): Incident opened: 3 alarms");
  const json& blocks = j["blocks"];
  ASSERT_EQ(blocks.size(), 6u) << blocks.dump(2);
  EXPECT_EQ(blocks[0], json({{"type", "header"},
                             {"text", {{"type", "plain_text"}, {"text", "[P1] Database down"},
                                       {"emoji", true}}}}));
  EXPECT_EQ(blocks[1]["text"]["text"], "Incident opened: 3 alarms");
  EXPECT_EQ(blocks[2]["fields"],
            json::array({{{"type", "mrkdwn"}, {"text", "*Impact*\nP1"}},
                         {{"type", "mrkdwn"}, {"text", "*Status*\nOPEN"}},
                         {{"type", "mrkdwn"}, {"text", "*Engaged*\nalice, bob"}}}));
  EXPECT_EQ(blocks[3]["text"]["text"], "*Summary*\nPrimary database is not answering.");
  EXPECT_EQ(blocks[4]["text"]["text"],
            "<https://tocsin.example/incidents/inc-1|Open incident inc-1>");
  EXPECT_EQ(blocks[5]["type"], "context");
  EXPECT_EQ(blocks[5]["elements"][0]["text"], "Tocsin · incident inc-1 · opened");
  EXPECT_THAT(Buttons(blocks), ::testing::IsEmpty());
}

TEST(SlackPostMessageBody, TheFirstMessageHasButtonsUntilResolved) {
  json head = json::parse(SlackPostMessageBody(Post(), "C0123", ""));
  EXPECT_EQ(head["channel"], "C0123");
  EXPECT_FALSE(head.contains("thread_ts"));
  EXPECT_THAT(Buttons(head["blocks"]),
              ::testing::ElementsAre(kSlackAcknowledgeAction, kSlackResolveAction));

  json reply = json::parse(SlackPostMessageBody(Post(), "C0123", "1712345678.000100"));
  EXPECT_EQ(reply["thread_ts"], "1712345678.000100");
  EXPECT_THAT(Buttons(reply["blocks"]), ::testing::IsEmpty());

  v1::ChatPost acked = Post();
  acked.mutable_incident()->set_status("ACKNOWLEDGED by alice");
  EXPECT_THAT(Buttons(json::parse(SlackPostMessageBody(acked, "C0123", ""))["blocks"]),
              ::testing::ElementsAre(kSlackResolveAction));
  v1::ChatPost resolved = Post();
  resolved.mutable_incident()->set_status("RESOLVED by bob");
  EXPECT_THAT(Buttons(json::parse(SlackPostMessageBody(resolved, "C0123", ""))["blocks"]),
              ::testing::IsEmpty());
}

TEST(SlackUpdateBody, ShowsTheIncidentAsItStandsWithoutThePostsText) {
  v1::ChatPost p = Post();
  p.set_kind("acknowledged");
  p.set_text("Acknowledged by alice");
  p.mutable_incident()->set_status("ACKNOWLEDGED by alice");
  json j = json::parse(SlackUpdateBody(p, "C0123", "1712345678.000100"));
  EXPECT_EQ(j["channel"], "C0123");
  EXPECT_EQ(j["ts"], "1712345678.000100");
  EXPECT_EQ(j["text"], "[P1] Database down (ACKNOWLEDGED by alice)");
  EXPECT_THAT(j.dump(), Not(HasSubstr("Acknowledged by alice\"")));
  EXPECT_THAT(j["blocks"][1]["fields"][1]["text"], "*Status*\nACKNOWLEDGED by alice");
  EXPECT_THAT(Buttons(j["blocks"]), ::testing::ElementsAre(kSlackResolveAction));
  p.mutable_incident()->set_status("RESOLVED");
  EXPECT_THAT(Buttons(json::parse(SlackUpdateBody(p, "C0123", "1.2"))["blocks"]),
              ::testing::IsEmpty());
}

TEST(SlackEscape, EscapesMrkdwnAndNeverCutsAnEntity) {
  EXPECT_EQ(SlackEscape("a & <!channel> <https://evil|x>"),
            "a &amp; &lt;!channel&gt; &lt;https://evil|x&gt;");
  const std::string escaped = SlackEscape(std::string(5000, '<'));
  EXPECT_LE(escaped.size(), kSlackMaxSectionBytes);
  EXPECT_THAT(escaped, StartsWith("&lt;&lt;"));
  const size_t marker = escaped.find("\xE2\x80\xA6");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_EQ(marker % 4, 0u) << "an entity was cut";
  EXPECT_EQ(SlackEscape("caf\xC3"), "caf\xEF\xBF\xBD");
}

TEST(SlackBodies, UntrustedTextIsEscapedAndBounded) {
  v1::ChatPost p = Post();
  p.set_text("<!channel> " + std::string(10000, 'x'));
  p.mutable_incident()->set_title("<!here> " + std::string(400, 't'));
  p.mutable_incident()->set_summary(std::string(10000, '&'));
  p.mutable_incident()->set_link("javascript:alert(1)");
  for (const std::string& body :
       {SlackWebhookBody(p), SlackPostMessageBody(p, "C1", ""), SlackUpdateBody(p, "C1", "1")}) {
    json j = json::parse(body);
    EXPECT_THAT(body, Not(HasSubstr("<!channel>")));
    EXPECT_THAT(body, Not(HasSubstr("javascript")));
    EXPECT_LE(j["text"].get<std::string>().size(), kSlackMaxSectionBytes);
    EXPECT_LE(j["blocks"].size(), kSlackMaxBlocks);
    for (const json& b : j["blocks"]) {
      if (b.contains("text")) {
        EXPECT_LE(b["text"]["text"].get<std::string>().size(),
                  b["type"] == "header" ? kSlackMaxHeaderBytes : kSlackMaxSectionBytes);
      }
    }
  }
}

TEST(SlackBodies, ALinkCannotEndTheMrkdwnLinkEarly) {
  v1::ChatPost p = Post();
  p.mutable_incident()->set_link("https://tocsin.example/i?a=1&b=<2>|x");
  json j = json::parse(SlackWebhookBody(p));
  EXPECT_EQ(j["blocks"][4]["text"]["text"],
            "<https://tocsin.example/i?a=1&amp;b=&lt;2&gt;%7Cx|Open incident inc-1>");
}

TEST(TeamsBody, IsAnAdaptiveCardInAMessage) {
  json j = json::parse(TeamsBody(Post()));
  EXPECT_EQ(j["type"], "message");
  ASSERT_EQ(j["attachments"].size(), 1u);
  const json& a = j["attachments"][0];
  EXPECT_EQ(a["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_TRUE(a["contentUrl"].is_null());
  const json& card = a["content"];
  EXPECT_EQ(card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json");
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["version"], "1.4");
  EXPECT_EQ(card["body"][0]["text"], "[P1] Database down");
  EXPECT_EQ(card["body"][0]["weight"], "Bolder");
  EXPECT_EQ(card["body"][1]["text"], "Incident opened: 3 alarms");
  EXPECT_EQ(card["body"][2], json({{"type", "FactSet"},
                                   {"facts",
                                    {{{"title", "Impact"}, {"value", "P1"}},
                                     {{"title", "Status"}, {"value", "OPEN"}},
                                     {{"title", "Engaged"}, {"value", "alice, bob"}}}}}));
  EXPECT_EQ(card["body"][3]["text"], "Primary database is not answering.");
  EXPECT_EQ(card["actions"], json::array({{{"type", "Action.OpenUrl"},
                                           {"title", "Open incident"},
                                           {"url", "https://tocsin.example/incidents/inc-1"}}}));
  v1::ChatPost no_link = Post();
  no_link.mutable_incident()->clear_link();
  EXPECT_FALSE(json::parse(TeamsBody(no_link))["attachments"][0]["content"].contains("actions"));
}

TEST(ChimeBody, AlertsAllForImpactOneAndStaysWithinFourKilobytes) {
  json j = json::parse(ChimeBody(Post()));
  EXPECT_EQ(j["Content"],
            "@All [P1] Database down (OPEN)\nIncident opened: 3 alarms\n"
            "Summary: Primary database is not answering.\nEngaged: alice, bob\n"
            "https://tocsin.example/incidents/inc-1");
  v1::ChatPost p2 = Post();
  p2.mutable_incident()->set_impact(2);
  EXPECT_THAT(json::parse(ChimeBody(p2))["Content"].get<std::string>(), StartsWith("[P2] "));

  v1::ChatPost big = Post();
  big.set_text(std::string(4090, 'x') + "\xE2\x82\xAC\xE2\x82\xAC");  // ends in two euro signs
  const std::string content = json::parse(ChimeBody(big))["Content"];
  EXPECT_LE(content.size(), kChimeMaxContentBytes);
  EXPECT_TRUE(text::IsValidUtf8(content));
  EXPECT_THAT(content, StartsWith("@All "));
  EXPECT_THAT(content, HasSubstr("\xE2\x80\xA6"));  // the ellipsis of the cut
}

TEST(ChimeAndMattermost, UntrustedTextCannotMentionEveryone) {
  v1::ChatPost p = Post();
  p.mutable_incident()->set_impact(3);
  p.set_text("ping @All and @here and @channel, not @alice or @allison");
  const std::string chime = json::parse(ChimeBody(p))["Content"];
  EXPECT_THAT(chime, HasSubstr("@\u200B" "All and @\u200B" "here and @\u200B" "channel,"));
  EXPECT_THAT(chime, HasSubstr("@alice or @allison"));
  const std::string mm = json::parse(MattermostBody(p))["text"];
  EXPECT_THAT(mm, HasSubstr("@\u200B" "here"));
  EXPECT_THAT(mm, Not(HasSubstr("@here")));
  p.set_text("<!channel> and <!here|here>");
  EXPECT_THAT(json::parse(MattermostBody(p))["text"].get<std::string>(),
              HasSubstr("<\u200B!channel> and <\u200B!here|here>"));
}

TEST(MattermostBody, IsMarkdownWithAnAttachment) {
  json j = json::parse(MattermostBody(Post()));
  EXPECT_EQ(j["text"], "#### [P1] Database down\nIncident opened: 3 alarms");
  ASSERT_EQ(j["attachments"].size(), 1u);
  const json& a = j["attachments"][0];
  EXPECT_EQ(a["fallback"], "[P1] Database down (OPEN): Incident opened: 3 alarms");
  EXPECT_EQ(a["color"], "#e01e5a");
  EXPECT_EQ(a["title"], "[P1] Database down");
  EXPECT_EQ(a["title_link"], "https://tocsin.example/incidents/inc-1");
  EXPECT_EQ(a["text"], "Primary database is not answering.");
  EXPECT_EQ(a["fields"][1], json({{"short", true}, {"title", "Status"}, {"value", "OPEN"}}));
  v1::ChatPost resolved = Post();
  resolved.mutable_incident()->set_status("RESOLVED");
  EXPECT_EQ(json::parse(MattermostBody(resolved))["attachments"][0]["color"], "#2eb67d");
}

TEST(ChatIncidentState, ReadsTheStatus) {
  v1::ChatIncident i;
  i.set_status("OPEN");
  EXPECT_FALSE(ChatIncidentAcknowledged(i));
  EXPECT_FALSE(ChatIncidentResolved(i));
  i.set_status("ACKNOWLEDGED by alice");
  EXPECT_TRUE(ChatIncidentAcknowledged(i));
  EXPECT_FALSE(ChatIncidentResolved(i));
  i.set_status("RESOLVED");
  EXPECT_TRUE(ChatIncidentAcknowledged(i));
  EXPECT_TRUE(ChatIncidentResolved(i));
  v1::ChatIncident flags;
  flags.set_acknowledged(true);
  EXPECT_TRUE(ChatIncidentAcknowledged(flags));
  EXPECT_FALSE(ChatIncidentResolved(flags));
  flags.set_resolved(true);
  EXPECT_TRUE(ChatIncidentResolved(flags));
}

}  // namespace
}  // namespace tocsin::paging
