#include "services/paging/email_notifier.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "libs/text/email_address.h"
#include "libs/text/text.h"
#include "libs/http/redact.h"

namespace tocsin::paging {
namespace {

// SMTP allows 998 octets a line; longer body lines are split.
constexpr size_t kMaxLine = 990;
// Bytes of text in one RFC 2047 encoded word (its base64 fits in 75 chars).
constexpr size_t kEncodedWordBytes = 45;

std::string ImpactName(int impact) {
  switch (impact) {
    case 1: return "Critical";
    case 2: return "High";
    case 3: return "Medium";
    case 4: return "Low";
    case 5: return "No impact";
    default: return absl::StrCat("Impact ", impact);
  }
}

// Header values are one line (CR and LF above all: header injection), valid
// UTF-8 and bounded.
constexpr size_t kMaxHeaderText = 1024;
std::string OneLine(absl::string_view text) { return text::UntrustedLine(text, kMaxHeaderText); }

bool IsAscii(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Where a cut at most `max` bytes into text keeps UTF-8 characters whole.
size_t Utf8Cut(absl::string_view text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut == 0 ? max : cut;
}

// A header value as RFC 2047 encoded words when it is not plain ASCII.
std::string HeaderText(absl::string_view raw) {
  std::string text = OneLine(raw);
  if (IsAscii(text)) return text;
  std::vector<std::string> words;
  absl::string_view rest = text;
  while (!rest.empty()) {
    size_t cut = Utf8Cut(rest, kEncodedWordBytes);
    words.push_back(absl::StrCat("=?UTF-8?B?", absl::Base64Escape(rest.substr(0, cut)), "?="));
    rest.remove_prefix(cut);
  }
  return absl::StrJoin(words, "\r\n ");
}

// Body text with CRLF line ends and no line longer than SMTP allows. Every
// line end (CRLF, a bare CR, a bare LF) becomes CRLF, so nothing in the text
// can look like the end of DATA to a lenient server.
std::string BodyText(absl::string_view raw) {
  const std::string text = text::MakeValidUtf8(raw);
  std::vector<absl::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r' && text[i] != '\n') continue;
    lines.push_back(absl::string_view(text).substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  lines.push_back(absl::string_view(text).substr(start));
  std::vector<std::string> out;
  for (absl::string_view line : lines) {
    while (line.size() > kMaxLine) {
      size_t cut = Utf8Cut(line, kMaxLine);
      out.emplace_back(line.substr(0, cut));
      line.remove_prefix(cut);
    }
    out.emplace_back(line);
  }
  return absl::StrJoin(out, "\r\n");
}

absl::string_view DomainOf(absl::string_view address) {
  return address.substr(address.rfind('@') + 1);
}

struct Upload {
  absl::string_view data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t n, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t len = std::min(size * n, upload->data.size() - upload->offset);
  memcpy(buffer, upload->data.data() + upload->offset, len);
  upload->offset += len;
  return len;
}

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// Whether url names a user or password (smtp://user:pw@host).
bool UrlHasCredentials(const std::string& url) {
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return false;
  bool found = false;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    for (CURLUPart part : {CURLUPART_USER, CURLUPART_PASSWORD}) {
      char* value = nullptr;
      if (curl_url_get(parsed, part, &value, 0) == CURLUE_OK && value != nullptr) {
        found |= value[0] != '\0';
        curl_free(value);
      }
    }
  }
  curl_url_cleanup(parsed);
  return found;
}

}  // namespace

std::string ComposeEmail(const paging::v1::Page& page, const std::string& ack_url,
                         const std::string& from, absl::Time now) {
  const std::string address = page.channel().email().address();
  std::string title = OneLine(page.incident_title());
  std::string message;
  absl::StrAppend(&message, "Date: ",
                  absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", now, absl::UTCTimeZone()),
                  "\r\n");
  absl::StrAppend(&message, "From: Tocsin <", from, ">\r\n");
  absl::StrAppend(&message, "To: <", OneLine(address), ">\r\n");
  std::string subject;
  if (page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION) {
    subject = absl::StrCat("[Tocsin] Activation code for channel ", OneLine(page.channel().name()));
  } else if (page.incident_id().empty()) {
    subject = absl::StrCat("[Tocsin] ", title);  // an engagement by hand: its subject
  } else {
    subject = absl::StrCat("[Tocsin] ", ImpactName(page.impact()), " ", title);
  }
  absl::StrAppend(&message, "Subject: ", HeaderText(subject), "\r\n");
  absl::StrAppend(&message, "Message-ID: <", OneLine(page.id()), "@", DomainOf(from), ">\r\n");
  absl::StrAppend(&message, "MIME-Version: 1.0\r\n");
  absl::StrAppend(&message, "Content-Type: text/plain; charset=utf-8\r\n");
  absl::StrAppend(&message, "Content-Transfer-Encoding: 8bit\r\n");
  absl::StrAppend(&message, "Auto-Submitted: auto-generated\r\n");
  absl::StrAppend(&message, "X-Tocsin-Page-Id: ", OneLine(page.id()), "\r\n");
  absl::StrAppend(&message, "X-Tocsin-Incident-Id: ", OneLine(page.incident_id()), "\r\n");
  absl::StrAppend(&message, "\r\n");

  std::string body;
  if (page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION) {
    absl::StrAppend(&body, "Your activation code for channel ", page.channel().name(),
                    " of contact ", page.contact(), " is ", page.activation_code(), "\n\n");
    absl::StrAppend(&body, "Confirm it with: tocsin contacts activate ", page.contact(), " ",
                    page.channel().name(), " ", page.activation_code(), "\n");
    absl::StrAppend(&body, "This channel is not paged until it is activated. If you did not "
                           "expect this message, ignore it.\n");
    absl::StrAppend(&message, BodyText(body));
    return message;
  }
  if (page.incident_id().empty()) {
    absl::StrAppend(&body, title, "\n\n");
  } else {
    absl::StrAppend(&body, ImpactName(page.impact()), " impact: ", title, "\n\n");
  }
  if (!page.summary().empty()) absl::StrAppend(&body, page.summary(), "\n\n");
  absl::StrAppend(&body, "Acknowledge this page: ", ack_url, "\n");
  absl::StrAppend(&body, "Accept code: ", page.accept_code(), "\n\n");
  if (!page.incident_id().empty()) absl::StrAppend(&body, "Incident: ", page.incident_id(), "\n");
  absl::StrAppend(&body, "Page: ", page.id(), " (contact ", page.contact(), ", channel ",
                  page.channel().name(), ")\n");
  absl::StrAppend(&message, BodyText(body));
  return message;
}

absl::StatusOr<std::unique_ptr<EmailNotifier>> EmailNotifier::Create(
    EmailNotifierOptions options, const Clock* clock) {
  if (!absl::StartsWith(options.smtp_url, "smtp://") &&
      !absl::StartsWith(options.smtp_url, "smtps://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "smtp_url ", http::RedactUrl(options.smtp_url), " must start with smtp:// or smtps://"));
  }
  if (absl::Status s = text::ValidateEmailAddress(options.from); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "from must be a bare email address like tocsin@example.com: ", s.message()));
  }
  if (UrlHasCredentials(options.smtp_url)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "smtp_url ", http::RedactUrl(options.smtp_url),
        " carries a user or password: set them as username and password instead (so "
        "STARTTLS is required and the password stays out of URLs)"));
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  static GlobalInit init;
  return std::unique_ptr<EmailNotifier>(new EmailNotifier(std::move(options), clock));
}

absl::Status EmailNotifier::Deliver(const paging::v1::Page& page, const std::string& ack_url) {
  const std::string& address = page.channel().email().address();
  if (!page.channel().has_email()) {
    return absl::InvalidArgumentError(absl::StrCat("page \"", page.id(), "\": channel \"",
                                                   OneLine(page.channel().name()),
                                                   "\" has no email address"));
  }
  if (absl::Status s = text::ValidateEmailAddress(address); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("page \"", page.id(), "\": channel \"",
                                                   OneLine(page.channel().name()), "\": ",
                                                   s.message()));
  }
  const std::string message = ComposeEmail(page, ack_url, options_.from, clock_->Now());
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::UnavailableError("curl_easy_init failed");
  const std::string mail_from = absl::StrCat("<", options_.from, ">");
  curl_slist* rcpt = curl_slist_append(nullptr, absl::StrCat("<", address, ">").c_str());
  Upload upload{message};
  char error[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(absl::ToInt64Milliseconds(options_.timeout));
  curl_easy_setopt(curl, CURLOPT_URL, options_.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10000L));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  } else {
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  }
  const CURLcode rc = curl_easy_perform(curl);
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) return absl::OkStatus();
  // What the server or libcurl said: untrusted, and it may quote the URL.
  const std::string why = text::UntrustedLine(
      http::RedactUrlIn(error[0] != '\0' ? error : curl_easy_strerror(rc), options_.smtp_url),
      text::kMaxDetailBytes);
  if (rc == CURLE_USE_SSL_FAILED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot send page \"", page.id(), "\" by email: the SMTP server ",
        http::RedactUrl(options_.smtp_url),
        " does not offer STARTTLS, which is required when SMTP credentials are set (the "
        "password is never sent in clear): ", why));
  }
  if (reply >= 500 && reply < 600 && rc != CURLE_LOGIN_DENIED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the SMTP server refused page \"", page.id(), "\" for <", address, ">: ", why));
  }
  return absl::UnavailableError(
      absl::StrCat("cannot send page \"", page.id(), "\" by email: ", why));
}

}  // namespace tocsin::paging
