// EmailNotifier: delivers a page as a plain-text email over SMTP (libcurl).
//
//   EmailNotifierOptions options;
//   options.smtp_url = "smtps://mail.example.com:465";
//   options.from = "tocsin@example.com";
//   options.username = "tocsin";
//   options.password = secret;            // from config::Secret, never a flag
//   ASSIGN_OR_RETURN(auto email, EmailNotifier::Create(options, clock));
//
// The message (ComposeEmail) is RFC 5322: Date (from the injected clock),
// From, To, Subject "[Tocsin] <impact name> <incident title>", a Message-ID
// derived from the page id (the same on every attempt, so a receiver can drop
// a repeat), and a UTF-8 plain-text body with the summary, the ack link and
// the line "Accept code: <code>". A page without an incident (engaged by
// hand) has its subject as Subject and its content as body. An activation
// page (purpose PAGE_PURPOSE_ACTIVATION) is "[Tocsin] Activation code for
// channel <name>" with the code and the command that confirms it, and no ack
// link or accept code.
//
// Nothing in a page can change the SMTP exchange or the headers:
// - header values are one line (text::UntrustedLine) and RFC 2047 encoded
//   words when they are not ASCII;
// - every line end in the body (CRLF, a bare CR, a bare LF) becomes CRLF,
//   so no "\r\n.\r\n" or "\n.\n" in a summary can end DATA early (SMTP
//   smuggling); libcurl then doubles the dot of every body line that starts
//   with one (RFC 5321 4.5.2) and the server removes it again;
// - addresses are checked with text::ValidateEmailAddress.
// smtp:// upgrades with STARTTLS when the server offers it, and requires it
// when credentials are set (a password never crosses the network in clear:
// a server without STARTTLS fails the page at once, FailedPrecondition);
// smtps:// is TLS from the start. Credentials in smtp_url itself are refused
// (they would bypass that rule); errors never repeat the URL's user part.
//
// Results: OK when the server accepted the mail; FailedPrecondition when it
// refused it with a 5xx (a rejected recipient) or offers no STARTTLS while
// credentials are set (permanent); InvalidArgument for a page without a valid
// email address; Unavailable for everything a retry may fix (unreachable,
// timed out, 4xx, authentication refused). Messages quoting the server are
// made one valid UTF-8 line.
#ifndef TOCSIN_SERVICES_PAGING_EMAIL_NOTIFIER_H_
#define TOCSIN_SERVICES_PAGING_EMAIL_NOTIFIER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/clock/clock.h"
#include "services/paging/notifier.h"

namespace tocsin::paging {

struct EmailNotifierOptions {
  // smtp://host:port or smtps://host:port.
  std::string smtp_url = "smtp://127.0.0.1:2525";
  // A bare address ("tocsin@example.com"); its domain also names Message-IDs.
  std::string from = "tocsin@localhost";
  // Empty: no authentication.
  std::string username;
  std::string password;
  // The whole SMTP exchange, connection included.
  absl::Duration timeout = absl::Seconds(30);
};

class EmailNotifier final : public Notifier {
 public:
  // InvalidArgument for a URL that is not smtp:// or smtps:// or carries a
  // user or password, or a from that is not a bare address.
  static absl::StatusOr<std::unique_ptr<EmailNotifier>> Create(EmailNotifierOptions options,
                                                               const Clock* clock);

  absl::Status Deliver(const paging::v1::Page& page, const std::string& ack_url) override;

 private:
  EmailNotifier(EmailNotifierOptions options, const Clock* clock)
      : options_(std::move(options)), clock_(clock) {}

  const EmailNotifierOptions options_;
  const Clock* const clock_;
};

// The message EmailNotifier sends for page (CRLF line ends).
std::string ComposeEmail(const paging::v1::Page& page, const std::string& ack_url,
                         const std::string& from, absl::Time now);

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_EMAIL_NOTIFIER_H_
