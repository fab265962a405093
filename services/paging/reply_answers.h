// What to tell a person who answered a page by SMS reply or voice key,
// whichever provider carried it (Twilio, the generic gateway): the outcome
// of PagingCore::AcceptReply / AcceptPage in one short sentence. Pure and
// thread-safe.
#ifndef TOCSIN_SERVICES_PAGING_REPLY_ANSWERS_H_
#define TOCSIN_SERVICES_PAGING_REPLY_ANSWERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/tocsin/paging/v1/paging.pb.h"

namespace tocsin::paging {

// "Tocsin paging: reply with the 8-digit code from a page to acknowledge it."
std::string SmsHelpAnswer();

// The answer to an SMS reply: result is what AcceptReply answered for
// author; a page acknowledged by author at or after started is "Acknowledged:
// <title>. Thank you.", otherwise "already acknowledged by X at T"; errors
// say what to do (help, no page to this number, wrong code, too many wrong
// codes, nothing to acknowledge, try again).
std::string SmsReplyAnswer(const absl::StatusOr<v1::Page> &result,
                           const std::string &author, absl::Time started);

// The spoken answer to the voice key 1, as SmsReplyAnswer for AcceptPage's
// result. NotFound is the caller's to answer (404).
std::string VoiceKeyAnswer(const absl::StatusOr<v1::Page> &result,
                           const std::string &author, absl::Time started);

} // namespace tocsin::paging

#endif // TOCSIN_SERVICES_PAGING_REPLY_ANSWERS_H_
