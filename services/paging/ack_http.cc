#include "services/paging/ack_http.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "libs/http/status_response.h"
#include "libs/http/url_encoded.h"
#include "libs/proto/time.h"
#include "libs/text/text.h"

namespace tocsin::paging {
namespace {

constexpr char kPath[] = "/v1/pages/ack";
// Longer than any valid page id, accept code or token.
constexpr size_t kMaxField = 256;

std::string Html(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"&", "&amp;"},
                                    {"<", "&lt;"},
                                    {">", "&gt;"},
                                    {"\"", "&quot;"},
                                    {"'", "&#39;"}});
}

// A field of a query string or form body, decoded; "" when absent or too
// long to be valid.
std::string Field(const std::string& encoded, const char* name) {
  std::optional<std::string> value = http::UrlEncodedValue(encoded, name);
  if (!value.has_value() || value->size() >= kMaxField) return "";
  return *std::move(value);
}

// The acknowledgement a query string or form body asks for.
AckRequest RequestFrom(const std::string& encoded, const http::HttpRequest& http) {
  AckRequest request;
  request.page_id = Field(encoded, "page");
  request.token = Field(encoded, "token");
  request.accept_code = Field(encoded, "code");
  request.author = "link";
  request.source = http.remote_addr;
  return request;
}

http::HttpResponse Answer(int status, const std::string& content_type, std::string body) {
  http::HttpResponse r;
  r.status = status;
  r.content_type = content_type;
  r.body = std::move(body);
  r.headers = {{"Cache-Control", "no-store"}, {"Referrer-Policy", "no-referrer"}};
  return r;
}

http::HttpResponse HtmlPage(int status, const std::string& title, const std::string& inner) {
  return Answer(status, "text/html; charset=utf-8",
                absl::StrCat("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                             "<meta name=\"viewport\" content=\"width=device-width\">"
                             "<title>", Html(title), "</title></head>\n<body>\n<h1>",
                             Html(title), "</h1>\n", inner, "</body></html>\n"));
}

// The HTTP status is the suite's one mapping (libs/http/status_response.h):
// 400 bad link, 403 wrong code, 404 unknown page, 409 nothing to acknowledge,
// 429 with Retry-After for a source that sent too many wrong codes, 503 to
// try again.
http::HttpResponse Error(const absl::Status& status) {
  const std::string message = text::Untrusted(status.message(), text::kMaxDetailBytes);
  const int code = http::HttpStatusFor(status.code());
  if (status.code() == absl::StatusCode::kFailedPrecondition) {
    return HtmlPage(code, "Nothing to acknowledge", absl::StrCat("<p>", Html(message), "</p>\n"));
  }
  http::HttpResponse r = Answer(code, "text/plain; charset=utf-8", absl::StrCat(message, "\n"));
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    if (std::optional<absl::Duration> wait = RetryAfter(status); wait.has_value()) {
      r.headers.emplace_back("Retry-After", absl::StrCat(absl::ToInt64Seconds(*wait)));
    }
  }
  return r;
}

std::string Describe(const Page& page) {
  return absl::StrCat("<p>Incident: <b>", Html(page.incident_title()), "</b> (",
                      Html(page.incident_id()), ")</p>\n<p>Page ", Html(page.id()), " to ",
                      Html(page.contact()), "</p>\n");
}

std::string AckedBy(const Page& page) {
  return absl::StrCat("<p>Acknowledged by ", Html(page.acked_by()), " at ",
                      absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", FromProtoTime(page.ack_time()),
                                       absl::UTCTimeZone()),
                      ".</p>\n");
}

http::HttpResponse ShowForm(PagingCore* core, const http::HttpRequest& http) {
  const AckRequest request = RequestFrom(http.query, http);
  absl::StatusOr<Page> page = core->CheckAck(request);
  if (!page.ok()) return Error(page.status());
  if (page->state() == v1::PAGE_STATE_ACKNOWLEDGED) {
    return HtmlPage(200, "Page already acknowledged", Describe(*page) + AckedBy(*page));
  }
  // The form repeats what the link carried: the token, or an old link's code.
  const bool by_token = !request.token.empty();
  return HtmlPage(
      200, "Acknowledge this page?",
      absl::StrCat(Describe(*page), "<form method=\"post\" action=\"", kPath, "\">\n",
                   "<input type=\"hidden\" name=\"page\" value=\"", Html(request.page_id),
                   "\">\n", "<input type=\"hidden\" name=\"", by_token ? "token" : "code",
                   "\" value=\"", Html(by_token ? request.token : request.accept_code),
                   "\">\n", "<button type=\"submit\">Acknowledge</button>\n</form>\n"));
}

http::HttpResponse Acknowledge(PagingCore* core, const http::HttpRequest& http) {
  absl::StatusOr<Page> page = core->AcceptPage(RequestFrom(http.body, http));
  if (!page.ok()) return Error(page.status());
  return HtmlPage(200, "Page acknowledged",
                  absl::StrCat(Describe(*page), AckedBy(*page),
                               "<p>No further stage of this engagement is paged.</p>\n"));
}

}  // namespace

void RegisterAckEndpoints(http::HttpServer& server, PagingCore* core) {
  server.Handle("GET", kPath, [core](const http::HttpRequest& r) { return ShowForm(core, r); });
  server.Handle("POST", kPath,
                [core](const http::HttpRequest& r) { return Acknowledge(core, r); });
}

}  // namespace tocsin::paging
