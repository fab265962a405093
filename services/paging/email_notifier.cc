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

// Control characters (CR and LF above all: header injection) become spaces.
std::string OneLine(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

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

// Body text with CRLF line ends and no line longer than SMTP allows.
std::string BodyText(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    while (line.size() > kMaxLine) {
      size_t cut = Utf8Cut(line, kMaxLine);
      lines.emplace_back(line.substr(0, cut));
      line.remove_prefix(cut);
    }
    lines.emplace_back(line);
  }
  return absl::StrJoin(lines, "\r\n");
}

absl::string_view DomainOf(absl::string_view address) {
  return address.substr(address.rfind('@') + 1);
}

// A bare address: one '@' with text either side, nothing that could end an
// SMTP command or a header.
bool IsBareAddress(absl::string_view address) {
  size_t at = address.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  return std::none_of(address.begin(), address.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == ',' ||
           c == 0x7f;
  });
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
  absl::StrAppend(&message, "To: <", address, ">\r\n");
  absl::StrAppend(&message, "Subject: ",
                  HeaderText(absl::StrCat("[Tocsin] ", ImpactName(page.impact()), " ", title)),
                  "\r\n");
  absl::StrAppend(&message, "Message-ID: <", OneLine(page.id()), "@", DomainOf(from), ">\r\n");
  absl::StrAppend(&message, "MIME-Version: 1.0\r\n");
  absl::StrAppend(&message, "Content-Type: text/plain; charset=utf-8\r\n");
  absl::StrAppend(&message, "Content-Transfer-Encoding: 8bit\r\n");
  absl::StrAppend(&message, "Auto-Submitted: auto-generated\r\n");
  absl::StrAppend(&message, "X-Tocsin-Page-Id: ", OneLine(page.id()), "\r\n");
  absl::StrAppend(&message, "X-Tocsin-Incident-Id: ", OneLine(page.incident_id()), "\r\n");
  absl::StrAppend(&message, "\r\n");

  std::string body;
  absl::StrAppend(&body, ImpactName(page.impact()), " impact: ", title, "\n\n");
  if (!page.summary().empty()) absl::StrAppend(&body, page.summary(), "\n\n");
  absl::StrAppend(&body, "Acknowledge this page: ", ack_url, "\n");
  absl::StrAppend(&body, "Accept code: ", page.accept_code(), "\n\n");
  absl::StrAppend(&body, "Incident: ", page.incident_id(), "\n");
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
        "smtp_url \"", options.smtp_url, "\" must start with smtp:// or smtps://"));
  }
  if (!IsBareAddress(options.from)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "from \"", options.from, "\" is not a bare email address like tocsin@example.com"));
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  static GlobalInit init;
  return std::unique_ptr<EmailNotifier>(new EmailNotifier(std::move(options), clock));
}

absl::Status EmailNotifier::Deliver(const paging::v1::Page& page, const std::string& ack_url) {
  const std::string& address = page.channel().email().address();
  if (!page.channel().has_email() || !IsBareAddress(address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page \"", page.id(), "\": channel \"", page.channel().name(),
        "\" has no valid email address (got \"", OneLine(address), "\")"));
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
  const std::string why = error[0] != '\0' ? error : curl_easy_strerror(rc);
  if (reply >= 500 && reply < 600 && rc != CURLE_LOGIN_DENIED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the SMTP server refused page \"", page.id(), "\" for <", address, ">: ", why));
  }
  return absl::UnavailableError(
      absl::StrCat("cannot send page \"", page.id(), "\" by email: ", why));
}

}  // namespace tocsin::paging
