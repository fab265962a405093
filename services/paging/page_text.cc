#include "services/paging/page_text.h"

#include "absl/strings/str_cat.h"
#include "libs/text/text.h"

namespace tocsin::paging {
namespace {

// Of the incident title, what a page says (an SMS must leave room for the
// code; TwiML is limited to 4000 characters).
constexpr size_t kMaxTitleBytes = 600;

std::string Title(const paging::v1::Page &page) {
  std::string title =
      page.incident_title().empty() ? "an incident" : page.incident_title();
  return text::Truncate(text::UntrustedLine(title, kMaxTitleBytes),
                        kMaxTitleBytes);
}

// "1 2 3 4": digits spoken one by one.
std::string Spelled(absl::string_view digits) {
  std::string out;
  for (char c : digits) {
    if (!out.empty())
      out += ' ';
    out += c;
  }
  return out;
}

// Of each title in a digest, what it says.
constexpr size_t kMaxDigestTitleBytes = 80;

std::string DigestTitle(const paging::v1::DigestEntry &entry) {
  std::string title =
      entry.incident_title().empty() ? "an incident" : entry.incident_title();
  return text::Truncate(text::UntrustedLine(title, kMaxDigestTitleBytes),
                        kMaxDigestTitleBytes);
}

} // namespace

std::string PageSmsText(const paging::v1::Page &page) {
  std::string body;
  if (page.digest_size() > 1) {
    body = absl::StrCat("Tocsin: ", page.digest_size(),
                        " pages held back by the rate limit.");
    int i = 0;
    for (const paging::v1::DigestEntry &entry : page.digest()) {
      absl::StrAppend(&body, " ", ++i, ") ", DigestTitle(entry), " (impact ",
                      entry.impact(), ") code ", entry.accept_code(), ".");
    }
    absl::StrAppend(&body, " Reply with a page's code to acknowledge it.");
  } else if (page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION) {
    body = absl::StrCat("Tocsin: your activation code for channel \"",
                        page.channel().name(), "\" is ", page.activation_code(),
                        ". Confirm with: tocsin contacts activate ",
                        page.contact(), " ", page.channel().name(), " ",
                        page.activation_code());
  } else {
    body = absl::StrCat("Tocsin page: ", Title(page), " (impact ",
                        page.impact(), "). Code ", page.accept_code(),
                        ": reply with the code to acknowledge.");
  }
  return text::Truncate(text::MakeValidUtf8(body), kMaxSmsBodyBytes);
}

std::string PageVoicePrompt(const paging::v1::Page &page) {
  if (page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION) {
    return text::MakeValidUtf8(absl::StrCat(
        "This is Tocsin. Your activation code is ",
        Spelled(page.activation_code()),
        ". Again: ", Spelled(page.activation_code()), ". Goodbye."));
  }
  if (page.digest_size() > 1) {
    std::string prompt = absl::StrCat("This is a Tocsin page about ",
                                      page.digest_size(), " incidents, held back "
                                      "by the rate limit.");
    int i = 0;
    for (const paging::v1::DigestEntry &entry : page.digest()) {
      absl::StrAppend(&prompt, " ", ++i, ": ", DigestTitle(entry), ", impact ",
                      entry.impact(), ".");
    }
    absl::StrAppend(&prompt, " Press 1 to acknowledge the first; the others "
                             "by their codes.");
    return text::MakeValidUtf8(prompt);
  }
  return text::MakeValidUtf8(
      absl::StrCat("This is a Tocsin page. Incident: ", Title(page),
                   ". Impact ", page.impact(), ". Press 1 to acknowledge."));
}

} // namespace tocsin::paging
