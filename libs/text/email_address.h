// The one check of an email address in Tocsin: contacts (escalation) refuse a
// bad address when they are applied, and the email notifier (paging) refuses
// to hand one to the SMTP server.
//
//   RETURN_IF_ERROR(text::ValidateEmailAddress(channel.email().address()));
//
// Accepted: a bare ASCII address local@domain as SMTP carries it in MAIL FROM
// and RCPT TO without extensions: a dot-atom local part of 1-64 characters
// (letters, digits and !#$%&'*+-/=?^_`{|}~, dots only between them), a
// domain of one or more labels (letters, digits, '-' not at either end of a
// label) of at most 253 characters, 254 characters in all. "bob@localhost"
// is accepted (one label). Quoted local parts, domain literals ([192.0.2.1]),
// display names ("Bob <bob@example.com>") and non-ASCII addresses are refused:
// nothing that could end an SMTP command or a header gets through.
//
// InvalidArgument names the address (made one safe line) and what is wrong:
//   email address "bob@@example.com" is not valid: it must have exactly one
//   '@' (write it as name@domain)
// Pure and thread-safe.
#ifndef TOCSIN_LIBS_TEXT_EMAIL_ADDRESS_H_
#define TOCSIN_LIBS_TEXT_EMAIL_ADDRESS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tocsin::text {

absl::Status ValidateEmailAddress(absl::string_view address);

}  // namespace tocsin::text

#endif  // TOCSIN_LIBS_TEXT_EMAIL_ADDRESS_H_
