// SmtpReceiver: a real SMTP server for tests of code that sends mail
// (testonly). It runs Debian's python3-aiosmtpd (smtp_receiver.py, a data
// dependency found with RunfilePath) as a child process on a port it picks,
// and keeps every message it accepts as one file in a temporary folder.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpReceiver> smtp, SmtpReceiver::Start());
//   options.smtp_url = smtp->url();         // "smtp://127.0.0.1:<port>"
//   ... code under test sends ...
//   ASSERT_OK(smtp->WaitForCount(1, absl::Seconds(10)));
//   EXPECT_EQ(smtp->Messages()[0].Header("Message-ID"), "<pg-1@localhost>");
//
// A recipient whose local part starts with "reject" (reject@example.com) is
// refused with 550, the way a server refuses an unknown mailbox. A test can
// make it refuse whole messages for a while, as a server that is full or
// greylisting does, and then accept again:
//
//   ASSERT_OK(smtp->RefuseNext(2, 451, SmtpStage::kData));  // then accepts
//   ASSERT_OK(smtp->RefuseNext(-1, 421, SmtpStage::kMail)); // until AcceptAll()
//   ASSERT_OK(smtp->AcceptAll());
//   EXPECT_EQ(smtp->Refusals(), 2);
//
// By default (and after AcceptAll) every message is accepted. The Python
// interpreter is $PYTHON3 if set, else /usr/bin/python3 (Debian's, which has
// aiosmtpd; a PATH python3 may be another one). Stops the server when
// destroyed. Not thread-safe: one owner.
#ifndef TOCSIN_LIBS_TESTING_SMTP_RECEIVER_H_
#define TOCSIN_LIBS_TESTING_SMTP_RECEIVER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/testing/process.h"

namespace tocsin::testing {

// The SMTP command at which RefuseNext refuses a message.
enum class SmtpStage { kMail, kData };

// One accepted message, as Python's email package parsed it.
struct SmtpMessage {
  // The SMTP envelope (MAIL FROM, RCPT TO).
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
  // The message exactly as received (CRLF line ends).
  std::string raw;
  // Header fields in order, values decoded (RFC 2047 words become UTF-8).
  std::vector<std::pair<std::string, std::string>> headers;
  // The decoded Subject and text/plain body.
  std::string subject;
  std::string body;

  // The first header of that name (case-insensitive), or "" if absent.
  std::string Header(absl::string_view name) const;
};

class SmtpReceiver {
 public:
  // Unavailable (with the server's output) when it does not come up.
  static absl::StatusOr<std::unique_ptr<SmtpReceiver>> Start();

  SmtpReceiver(const SmtpReceiver&) = delete;
  SmtpReceiver& operator=(const SmtpReceiver&) = delete;

  // Every message accepted so far, oldest first.
  std::vector<SmtpMessage> Messages() const;
  // Waits until at least n messages arrived; DeadlineExceeded (saying how
  // many did) after timeout.
  absl::Status WaitForCount(int n, absl::Duration timeout) const;

  // The next n messages (every message if n < 0, until AcceptAll) are
  // refused at stage with code: a 4xx says "try again later", a 5xx "never".
  // Replaces an earlier RefuseNext. Internal if the setting cannot be written.
  absl::Status RefuseNext(int n, int code, SmtpStage stage = SmtpStage::kData);
  // Accepts every message from now on.
  absl::Status AcceptAll() { return RefuseNext(0, 250, SmtpStage::kData); }
  // Messages refused by RefuseNext so far.
  int Refusals() const;

  int port() const { return port_; }
  // "smtp://127.0.0.1:<port>".
  std::string url() const;

 private:
  SmtpReceiver(std::string root, int port, std::unique_ptr<Process> process)
      : root_(std::move(root)),
        dir_(root_ + "/messages"),
        port_(port),
        process_(std::move(process)) {}
  int Count() const;

  // The receiver's folder: messages/, refused/, control.json.
  const std::string root_;
  const std::string dir_;
  const int port_;
  std::unique_ptr<Process> process_;
  int generation_ = 0;
};

}  // namespace tocsin::testing

#endif  // TOCSIN_LIBS_TESTING_SMTP_RECEIVER_H_
