#include "services/paging/reply_answers.h"

#include "absl/strings/str_cat.h"
#include "libs/proto/time.h"
#include "libs/text/text.h"

namespace tocsin::paging {
namespace {

std::string When(const google::protobuf::Timestamp &t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", FromProtoTime(t),
                          absl::UTCTimeZone());
}

std::string Title(const v1::Page &page) {
  return page.incident_title().empty()
             ? page.id()
             : text::UntrustedLine(page.incident_title(), 300);
}

} // namespace

std::string SmsHelpAnswer() {
  return "Tocsin paging: reply with the 8-digit code from a page to "
         "acknowledge it.";
}

std::string SmsReplyAnswer(const absl::StatusOr<v1::Page> &page,
                           const std::string &author, absl::Time started) {
  if (page.ok()) {
    if (page->acked_by() == author &&
        FromProtoTime(page->ack_time()) >= started) {
      return absl::StrCat("Acknowledged: ", Title(*page), ". Thank you.");
    }
    return absl::StrCat(Title(*page), " was already acknowledged by ",
                        page->acked_by(), " at ", When(page->ack_time()), ".");
  }
  switch (page.status().code()) {
  case absl::StatusCode::kInvalidArgument:
    return SmsHelpAnswer();
  case absl::StatusCode::kNotFound:
    return "Tocsin sent no page to this number in the last 24 hours.";
  case absl::StatusCode::kPermissionDenied:
    return "That code does not match a page sent to this number. "
           "Reply with the 8-digit code "
           "from the page.";
  case absl::StatusCode::kResourceExhausted:
    return "Too many wrong codes from this number; try again later.";
  case absl::StatusCode::kFailedPrecondition:
    return absl::StrCat("Nothing to acknowledge: ",
                        text::UntrustedLine(page.status().message(), 300));
  default:
    return "Tocsin could not record that just now; please reply again shortly.";
  }
}

std::string VoiceKeyAnswer(const absl::StatusOr<v1::Page> &page,
                           const std::string &author, absl::Time started) {
  if (page.ok()) {
    if (page->acked_by() == author &&
        FromProtoTime(page->ack_time()) >= started) {
      return "Acknowledged. Thank you. Goodbye.";
    }
    return absl::StrCat("This page was already acknowledged by ",
                        page->acked_by(), " at ", When(page->ack_time()),
                        ". Goodbye.");
  }
  if (page.status().code() == absl::StatusCode::kFailedPrecondition) {
    return "There is nothing to acknowledge any more. Goodbye.";
  }
  return "Tocsin could not record that just now. Please acknowledge "
         "another way.";
}

} // namespace tocsin::paging
