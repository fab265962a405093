#include "services/paging/core.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/bus/new_event.h"
#include "libs/events/types.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/status/retry.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"
#include "libs/http/redact.h"

namespace tocsin::paging {
namespace {

constexpr char kService[] = "paging";
constexpr size_t kMaxPageIdLength = 128;
// Random bytes in an ack-link token (256 bits).
constexpr size_t kTokenBytes = 32;
// Short fields copied from a page.requested (names, a title).
constexpr size_t kMaxNameBytes = 1024;
constexpr char kInterrupted[] =
    "no result recorded: the service stopped during this attempt (the channel may have "
    "received the page)";
// Waits between tries to record a result while the database is busy.
constexpr absl::Duration kRecordRetryFirst = absl::Milliseconds(50);
constexpr absl::Duration kRecordRetryMax = absl::Seconds(2);

// Set-aside reasons (metric labels).
constexpr char kUnreadable[] = "unreadable";
constexpr char kClaimFailed[] = "claim_failed";
constexpr char kRecordFailed[] = "record_failed";

absl::Status ValidatePageId(const std::string& id) {
  const bool ok = !id.empty() && id.size() <= kMaxPageIdLength &&
                  std::all_of(id.begin(), id.end(), [](char c) {
                    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                           c == '_' || c == '-';
                  });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "page_id \"", text::UntrustedLine(id, kMaxPageIdLength + 16),
      "\" must be 1-128 letters, digits, '.', '_' or '-'"));
}

absl::Status PageNotFound(const std::string& id) {
  return absl::NotFoundError(
      absl::StrCat("page \"", text::UntrustedLine(id, kMaxPageIdLength + 16),
                   "\" does not exist"));
}

// Constant time in the secret's content, so timing does not reveal how much
// of a guess was right.
bool SecretMatches(const std::string& expected, const std::string& given) {
  return !expected.empty() && expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

std::string Sha256(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// Whether token is one of the page's links (every stored hash is compared).
bool TokenMatches(const Page& page, const std::string& token) {
  const std::string hash = Sha256(token);
  bool match = false;
  for (const std::string& stored : page.ack_token_sha256()) {
    match |= SecretMatches(stored, hash);
  }
  return match;
}

absl::Status CheckAckArguments(const AckRequest& request) {
  if (request.page_id.empty()) return absl::InvalidArgumentError("page_id is required");
  if (request.provider_verified) {
    if (request.token.empty() && request.accept_code.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        "a verified provider callback acknowledges without a token or an accept code");
  }
  if (request.token.empty() == request.accept_code.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(request.token.empty() ? "accept_code is required"
                                           : "give either accept_code or the link's token, "
                                             "not both,",
                     " to acknowledge page \"", text::UntrustedLine(request.page_id, 200),
                     "\""));
  }
  return absl::OkStatus();
}

bool IsActivation(const Page& page) {
  return page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION;
}

// Why a page that was not acknowledged cannot be any more; OK when it can.
absl::Status NotAcknowledgeable(const Page& page) {
  if (IsActivation(page)) {
    return absl::FailedPreconditionError(
        absl::StrCat("page ", page.id(), " carries an activation code; nothing to acknowledge"));
  }
  if (page.state() == v1::PAGE_STATE_CANCELLED) {
    return absl::FailedPreconditionError(
        absl::StrCat("page ", page.id(), " was cancelled: incident ", page.incident_id(),
                     " is resolved; nothing to acknowledge"));
  }
  if (page.incident_resolved()) {
    return absl::FailedPreconditionError(
        absl::StrCat("page ", page.id(), " cannot be acknowledged: incident ",
                     page.incident_id(), " is resolved; nothing to acknowledge"));
  }
  if (page.state() == v1::PAGE_STATE_FAILED) {
    return absl::FailedPreconditionError(
        absl::StrCat("page ", page.id(), " failed: it was not delivered; nothing to "
                     "acknowledge"));
  }
  return absl::OkStatus();
}

// What GetPage and ListPages show for a row whose body does not parse.
Page UnreadablePage(const PageRow& row) {
  Page page;
  page.set_id(row.id);
  page.set_incident_id(row.incident_id);
  page.set_state(v1::PAGE_STATE_FAILED);
  *page.mutable_create_time() = ToProtoTime(row.create_time);
  v1::DeliveryAttempt* attempt = page.add_attempts();
  attempt->set_number(0);
  attempt->set_ok(false);
  attempt->set_detail(absl::StrCat("set aside: ", row.page.status().message(),
                                   "; this page cannot be delivered or acknowledged"));
  return page;
}

// A notifier's answer with its message made safe to store and log.
absl::Status Sanitized(const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), text::Untrusted(status.message(), text::kMaxDetailBytes));
}

// The rate-limited kind of a page's channel ("sms", "voice"), "" for others.
std::string LimitedKind(const Page& page) {
  if (page.channel().has_sms()) return "sms";
  if (page.channel().has_voice()) return "voice";
  return "";
}

std::string NumberOf(const Page& page) {
  if (page.channel().has_sms()) return page.channel().sms().number();
  if (page.channel().has_voice()) return page.channel().voice().number();
  return "";
}

bool InProgress(const Page& page) {
  const int n = page.attempts_size();
  return n > 0 && page.attempts(n - 1).in_progress();
}

bool Older(const Page& a, const Page& b) {
  const absl::Time ta = FromProtoTime(a.create_time());
  const absl::Time tb = FromProtoTime(b.create_time());
  if (ta != tb) return ta < tb;
  return a.id() < b.id();
}

absl::Duration LongestWindow(const std::vector<RateLimit>& limits) {
  absl::Duration longest = absl::ZeroDuration();
  for (const RateLimit& l : limits) longest = std::max(longest, l.window);
  return longest;
}

absl::Status ValidateLimits(const std::vector<RateLimit>& limits, absl::string_view name) {
  for (const RateLimit& l : limits) {
    if (l.count < 1 || l.window <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": each limit needs a count of at least 1 and a positive window"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<RateLimit>> ParseRateLimits(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  std::vector<RateLimit> limits;
  if (text.empty() || absl::AsciiStrToLower(text) == "off") return limits;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    std::vector<absl::string_view> halves = absl::StrSplit(part, absl::MaxSplits('/', 1));
    RateLimit limit;
    if (halves.size() != 2 || !absl::SimpleAtoi(halves[0], &limit.count) || limit.count < 1 ||
        !absl::ParseDuration(absl::StripAsciiWhitespace(halves[1]), &limit.window) ||
        limit.window <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rate limit \"", text::UntrustedLine(part, 64),
          "\" is not COUNT/WINDOW (e.g. 5/15m, 11/1h; or \"off\")"));
    }
    limits.push_back(limit);
  }
  return limits;
}

std::string FormatRateLimit(const RateLimit& limit) {
  const int64_t seconds = absl::ToInt64Seconds(limit.window);
  std::string window;
  if (seconds > 0 && seconds % 3600 == 0) {
    window = absl::StrCat(seconds / 3600, " h");
  } else if (seconds > 0 && seconds % 60 == 0) {
    window = absl::StrCat(seconds / 60, " min");
  } else {
    window = absl::FormatDuration(limit.window);
  }
  return absl::StrCat(limit.count, " per ", window);
}

LimitVerdict NextAllowed(const std::vector<RateLimit>& limits,
                         const std::vector<absl::Time>& sends, absl::Time now) {
  LimitVerdict verdict{now, std::nullopt};
  for (const RateLimit& limit : limits) {
    std::vector<absl::Time> within;
    for (absl::Time t : sends) {
      if (t > now - limit.window) within.push_back(t);
    }
    const int n = static_cast<int>(within.size());
    if (n < limit.count) continue;
    // The oldest n - count + 1 must leave the window; the last of them
    // leaves at its time + window.
    const absl::Time free = within[n - limit.count] + limit.window;
    if (free > verdict.until) verdict = {free, limit};
  }
  return verdict;
}

absl::Status ValidatePagingOptions(const PagingOptions& options,
                                   absl::Duration longest_notifier_timeout) {
  auto bad = [](absl::string_view what) { return absl::InvalidArgumentError(what); };
  if (options.lease <= longest_notifier_timeout) {
    return bad(absl::StrCat("the delivery lease (", absl::FormatDuration(options.lease),
                            ") must be longer than the longest notifier timeout (",
                            absl::FormatDuration(longest_notifier_timeout),
                            "), or pages are claimed again while still being delivered"));
  }
  if (options.retry_base <= absl::ZeroDuration()) return bad("retry_base must be positive");
  if (options.retry_cap < options.retry_base) {
    return bad("retry_cap must be at least retry_base");
  }
  if (options.max_attempts < 1) return bad("max_attempts must be at least 1");
  if (options.batch_size < 1) return bad("batch_size must be at least 1");
  if (options.workers < 1) return bad("workers (delivery workers) must be at least 1");
  if (options.max_wrong_codes < 1) return bad("max_wrong_codes must be at least 1");
  if (options.wrong_code_window <= absl::ZeroDuration()) {
    return bad("wrong_code_window must be positive");
  }
  RETURN_IF_ERROR(ValidateLimits(options.sms_limits, "sms_limits"));
  RETURN_IF_ERROR(ValidateLimits(options.voice_limits, "voice_limits"));
  if (options.degraded_after < 0) return bad("degraded_after must not be negative");
  if (options.degraded_after > 0 && options.degraded_window <= absl::ZeroDuration()) {
    return bad("degraded_window must be positive");
  }
  return absl::OkStatus();
}

Page PublicView(Page page) {
  page.clear_accept_code();
  page.clear_activation_code();
  page.clear_ack_token_sha256();
  for (v1::DigestEntry& entry : *page.mutable_digest()) entry.clear_accept_code();
  if (page.channel().has_webhook()) {
    auto* webhook = page.mutable_channel()->mutable_webhook();
    webhook->set_url(http::RedactUrl(webhook->url()));
  }
  return page;
}

PagingCore::PagingCore(PagingStore* store, const Clock* clock, IdGenerator* ids, Random* random,
                       Notifier* notifier, PagingOptions options)
    : store_(store),
      clock_(clock),
      ids_(ids),
      random_(random),
      notifier_(notifier),
      options_(std::move(options)),
      limiter_({.max_wrong = options_.max_wrong_codes, .window = options_.wrong_code_window}),
      own_registry_(options_.registry == nullptr ? std::make_unique<prometheus::Registry>()
                                                 : nullptr),
      metrics_(options_.registry != nullptr ? *options_.registry : *own_registry_) {
  const int workers = std::max(1, options_.workers);
  workers_.reserve(workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

PagingCore::~PagingCore() {
  Shutdown(absl::ZeroDuration());
  {
    absl::MutexLock l(&mu_);
    stop_workers_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

void PagingCore::WorkerLoop() {
  while (true) {
    std::function<void()> job;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](PagingCore* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
            return !c->queue_.empty() || c->stop_workers_;
          },
          this));
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
    absl::MutexLock l(&mu_);
    --in_flight_;
  }
}

void PagingCore::Shutdown(absl::Duration grace) {
  absl::MutexLock l(&mu_);
  stopping_ = true;
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](int* n) { return *n == 0; }, &in_flight_),
                       grace);
  give_up_ = true;
}

void PagingCore::WaitForIdle() {
  absl::MutexLock l(&mu_);
  mu_.Await(absl::Condition(+[](int* n) { return *n == 0; }, &in_flight_));
}

absl::Status PagingCore::Write(const std::function<absl::Status(PagingStore::Tx&)>& body) {
  return store_->Write(body);
}

template <typename T>
Envelope PagingCore::NewEvent(const events::EventType<T>& type, const Page& page,
                              const T& payload) {
  return bus::NewEvent(*ids_, *clock_, kService, type, page.incident_id(),
                       page.request_event_id(), payload);
}

std::string PagingCore::NewAcceptCode() {
  return absl::StrFormat("%08d", random_->Below(100000000));
}

std::string PagingCore::AckUrl(const std::string& page_id, const std::string& token) const {
  std::string base = options_.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  // Page ids are validated to URL-safe characters, tokens are base64url.
  return absl::StrCat(base, "/v1/pages/ack?page=", page_id, "&token=", token);
}

absl::Duration PagingCore::RetryDelay(int failed_attempts) {
  absl::Duration ceiling = options_.retry_base;
  for (int i = 1; i < failed_attempts && ceiling < options_.retry_cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, options_.retry_cap);
  const uint64_t ms = static_cast<uint64_t>(absl::ToInt64Milliseconds(ceiling));
  return absl::Milliseconds(static_cast<int64_t>(random_->Below(ms + 1)));
}

absl::Status PagingCore::HandlePageRequested(const Envelope& event) {
  // InvalidArgument naming the event when the type or the payload is not a
  // page.requested's (the bus keeps the error as one line of valid UTF-8).
  ASSIGN_OR_RETURN(escalation::v1::PageRequested request,
                   events::Payload(event, events::kPageRequested));
  RETURN_IF_ERROR(ValidatePageId(request.page_id()));
  bool inserted = false;
  RETURN_IF_ERROR(store_->Write([&](PagingStore::Tx& tx) -> absl::Status {
    inserted = false;
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kPageRequestsConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<PageRow> existing, tx.GetPageRow(request.page_id()));
    if (existing.has_value()) return absl::OkStatus();
    const absl::Time now = clock_->Now();
    Page page;
    page.set_id(request.page_id());
    page.set_incident_id(text::UntrustedLine(request.incident_id(), kMaxNameBytes));
    page.set_engagement_id(text::UntrustedLine(request.engagement_id(), kMaxNameBytes));
    page.set_contact(text::UntrustedLine(request.contact(), kMaxNameBytes));
    *page.mutable_channel() = request.channel();
    page.mutable_channel()->set_name(
        text::UntrustedLine(request.channel().name(), kMaxNameBytes));
    page.set_state(v1::PAGE_STATE_PENDING);
    // Alarm text: the title goes into a mail header, so it is one line.
    page.set_incident_title(text::UntrustedLine(request.incident_title(), kMaxNameBytes));
    page.set_impact(request.impact());
    page.set_summary(text::Untrusted(request.summary(), text::kMaxFieldBytes));
    page.set_stage(request.stage());
    *page.mutable_create_time() = ToProtoTime(now);
    *page.mutable_next_attempt() = ToProtoTime(now);
    page.set_purpose(request.purpose());
    if (request.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION) {
      // Nothing to acknowledge: no accept code (and no ack link).
      page.set_activation_code(text::UntrustedLine(request.activation_code(), 64));
    } else {
      page.set_accept_code(NewAcceptCode());
    }
    page.set_request_event_id(event.event_id());
    inserted = true;
    return tx.InsertPage(page);
  }));
  if (inserted) {
    log::Info("page accepted for delivery", {{"page_id", request.page_id()},
                                             {"incident_id", request.incident_id()},
                                             {"event_id", event.event_id()}});
  }
  return absl::OkStatus();
}

absl::Status PagingCore::HandleIncidentResolved(const Envelope& event) {
  if (!events::Is(event, events::kIncidentResolved) || event.incident_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event \"", text::UntrustedLine(event.event_id(), 200), "\" of type \"",
        text::UntrustedLine(event.type(), 200), "\" is not an ",
        events::kIncidentResolved.name, " naming its incident"));
  }
  int cancelled = 0;
  std::vector<std::string> unreadable;
  RETURN_IF_ERROR(Write([&](PagingStore::Tx& tx) -> absl::Status {
    cancelled = 0;
    unreadable.clear();
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kIncidentsConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<PageRow> rows, tx.ListPages(event.incident_id()));
    for (PageRow& row : rows) {
      if (!row.page.ok()) {
        unreadable.push_back(row.id);
        continue;
      }
      Page& page = *row.page;
      if (page.incident_resolved()) continue;
      page.set_incident_resolved(true);
      if (page.state() != v1::PAGE_STATE_PENDING) {
        RETURN_IF_ERROR(tx.UpdatePage(page));
        continue;
      }
      page.set_state(v1::PAGE_STATE_CANCELLED);
      page.clear_next_attempt();
      RETURN_IF_ERROR(tx.UpdatePage(page));
      v1::PageFailed failed;
      *failed.mutable_page() = PublicView(page);
      failed.set_error("cancelled: the incident was resolved");
      failed.set_final(true);
      RETURN_IF_ERROR(tx.Emit(NewEvent(events::kPageFailed, page, failed)));
      ++cancelled;
    }
    return absl::OkStatus();
  }));
  if (cancelled > 0) {
    log::Info("pages cancelled: incident resolved",
              {{"incident_id", event.incident_id()}, {"pages", absl::StrCat(cancelled)}});
  }
  for (const std::string& id : unreadable) {
    log::Warn("unreadable page left as it is by incident.resolved",
              {{"page_id", id}, {"incident_id", event.incident_id()}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PagingCore::ToSend>> PagingCore::ApplyLimits(
    PagingStore::Tx& tx, Page page, absl::Time now, bool& held) {
  const std::string kind = LimitedKind(page);
  const std::string number = NumberOf(page);
  if (!page.digest_of().empty()) {
    ASSIGN_OR_RETURN(std::optional<PageRow> carrier, tx.GetPageRow(page.digest_of()));
    if (carrier.has_value() && carrier->state == v1::PAGE_STATE_PENDING) {
      // Sent in that page's digest, whose delivery is under way: wait for it.
      *page.mutable_next_attempt() = ToProtoTime(now + options_.lease);
      RETURN_IF_ERROR(tx.UpdatePage(page));
      return std::optional<ToSend>();
    }
    // That delivery ended without it (the carrier failed or was cancelled).
    page.clear_digest_of();
  }
  // An activation code is never held back (it is counted).
  if (IsActivation(page)) return std::optional<ToSend>(ToSend{std::move(page), {}});
  const std::vector<RateLimit>& limits = kind == "sms" ? options_.sms_limits
                                                       : options_.voice_limits;
  if (!limits.empty()) {
    ASSIGN_OR_RETURN(std::vector<absl::Time> sends,
                     tx.SendsSince(kind, number, now - LongestWindow(limits)));
    const LimitVerdict verdict = NextAllowed(limits, sends, now);
    if (verdict.until > now) {
      const bool first = !page.has_held_until();
      const std::string reason = absl::StrCat(kind == "sms" ? "SMS" : "voice", " limit ",
                                              FormatRateLimit(*verdict.bucket), " reached");
      *page.mutable_held_until() = ToProtoTime(verdict.until);
      page.set_held_reason(reason);
      *page.mutable_next_attempt() = ToProtoTime(verdict.until);
      RETURN_IF_ERROR(tx.UpdatePage(page));
      if (first) {
        v1::PageHeld payload;
        *payload.mutable_page() = PublicView(page);
        *payload.mutable_until() = ToProtoTime(verdict.until);
        payload.set_reason(reason);
        RETURN_IF_ERROR(tx.Emit(NewEvent(events::kPageHeld, page, payload)));
        held = true;
      }
      return std::optional<ToSend>();
    }
  }
  // The limit allows one message: it carries every page held for the
  // number (of this kind), the oldest first.
  ASSIGN_OR_RETURN(std::vector<PageRow> rows, tx.ListPendingPagesTo(number, 1000));
  std::vector<Page> group;
  for (PageRow& row : rows) {
    if (!row.page.ok()) continue;
    Page& p = *row.page;
    // Pages of another digest in flight are left to it; those of this
    // page's own earlier attempt (interrupted by a crash) come along again.
    if (p.id() == page.id() || LimitedKind(p) != kind || IsActivation(p) ||
        (!p.digest_of().empty() && p.digest_of() != page.id()) || InProgress(p)) {
      continue;
    }
    if (!p.has_held_until() && p.digest().empty() && p.digest_of().empty()) continue;
    group.push_back(std::move(p));
  }
  if (group.empty()) return std::optional<ToSend>(ToSend{std::move(page), {}});
  group.push_back(std::move(page));
  std::sort(group.begin(), group.end(), Older);
  if (group.size() > static_cast<size_t>(kMaxDigestPages)) group.resize(kMaxDigestPages);
  ToSend send{std::move(group.front()), {}};
  for (size_t i = 1; i < group.size(); ++i) send.members.push_back(std::move(group[i]));
  return std::optional<ToSend>(std::move(send));
}

absl::Status PagingCore::SettleDigest(PagingStore::Tx& tx, const Page& carrier, bool ok) {
  const absl::Time now = clock_->Now();
  for (const v1::DigestEntry& entry : carrier.digest()) {
    if (entry.page_id() == carrier.id()) continue;
    ASSIGN_OR_RETURN(std::optional<PageRow> row, tx.GetPageRow(entry.page_id()));
    if (!row.has_value() || !row->page.ok()) continue;
    Page& member = *row->page;
    // Acknowledged or cancelled meanwhile, or taken into another digest.
    if (member.state() != v1::PAGE_STATE_PENDING || member.digest_of() != carrier.id()) continue;
    if (ok) {
      v1::DeliveryAttempt* attempt = member.add_attempts();
      attempt->set_number(member.attempts_size());
      *attempt->mutable_time() = ToProtoTime(now);
      attempt->set_ok(true);
      attempt->set_detail(absl::StrCat("sent in digest with page ", carrier.id()));
      member.set_state(v1::PAGE_STATE_DELIVERED);
      member.clear_next_attempt();
      RETURN_IF_ERROR(tx.UpdatePage(member));
      v1::PageDelivered delivered;
      *delivered.mutable_page() = PublicView(member);
      RETURN_IF_ERROR(tx.Emit(NewEvent(events::kPageDelivered, member, delivered)));
    } else {
      // Never dropped: due again with the carrier's retry (or now).
      member.clear_digest_of();
      const bool retrying =
          carrier.state() == v1::PAGE_STATE_PENDING && carrier.has_next_attempt();
      *member.mutable_next_attempt() = retrying ? carrier.next_attempt() : ToProtoTime(now);
      RETURN_IF_ERROR(tx.UpdatePage(member));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<PagingCore::Claimed>> PagingCore::Claim(const std::string& page_id,
                                                                     absl::Time now) {
  std::optional<Claimed> claimed;
  std::string held_kind;
  RETURN_IF_ERROR(Write([&](PagingStore::Tx& tx) -> absl::Status {
    claimed.reset();
    held_kind.clear();
    ASSIGN_OR_RETURN(std::optional<Page> found, tx.GetPage(page_id));
    if (!found.has_value() || found->state() != v1::PAGE_STATE_PENDING ||
        !found->has_next_attempt() || FromProtoTime(found->next_attempt()) > now) {
      return absl::OkStatus();
    }
    const std::string kind = LimitedKind(*found);
    std::optional<Page> page;
    std::vector<Page> members;
    if (kind.empty()) {
      page = std::move(found);
    } else {
      bool held = false;
      ASSIGN_OR_RETURN(std::optional<ToSend> send, ApplyLimits(tx, *std::move(found), now, held));
      if (held) held_kind = kind;
      if (!send.has_value()) return absl::OkStatus();
      page = std::move(send->page);
      members = std::move(send->members);
    }
    const int attempts = page->attempts_size();
    const bool interrupted = attempts > 0 && page->attempts(attempts - 1).in_progress();
    if (interrupted) {
      v1::DeliveryAttempt* last = page->mutable_attempts(attempts - 1);
      last->set_in_progress(false);
      last->set_ok(false);
      last->set_detail(kInterrupted);
    }
    if (attempts >= options_.max_attempts) {
      page->set_state(v1::PAGE_STATE_FAILED);
      page->clear_next_attempt();
      RETURN_IF_ERROR(tx.UpdatePage(*page));
      RETURN_IF_ERROR(SettleDigest(tx, *page, /*ok=*/false));
      v1::PageFailed failed;
      *failed.mutable_page() = PublicView(*page);
      failed.set_error(interrupted ? kInterrupted
                                   : absl::StrCat("all ", options_.max_attempts,
                                                  " attempts are used"));
      failed.set_final(true);
      return tx.Emit(NewEvent(events::kPageFailed, *page, failed));
    }
    // An activation page has no ack link.
    std::string token;
    if (!IsActivation(*page)) {
      token = absl::WebSafeBase64Escape(random_->Bytes(kTokenBytes));
      page->add_ack_token_sha256(Sha256(token));
    }
    v1::DeliveryAttempt* attempt = page->add_attempts();
    attempt->set_number(attempts + 1);
    *attempt->mutable_time() = ToProtoTime(now);
    attempt->set_in_progress(true);
    *page->mutable_next_attempt() = ToProtoTime(now + options_.lease);
    page->clear_digest();
    if (!members.empty()) {
      auto add_entry = [&](const Page& p) {
        v1::DigestEntry* entry = page->add_digest();
        entry->set_page_id(p.id());
        entry->set_incident_title(p.incident_title());
        entry->set_impact(p.impact());
        entry->set_accept_code(p.accept_code());
      };
      add_entry(*page);
      for (Page& m : members) {
        add_entry(m);
        m.set_digest_of(page->id());
        // Not due while the carrier's attempt runs (its lease).
        *m.mutable_next_attempt() = ToProtoTime(now + options_.lease + absl::Seconds(1));
        RETURN_IF_ERROR(tx.UpdatePage(m));
      }
    }
    if (!kind.empty()) {
      RETURN_IF_ERROR(tx.RecordSend(kind, NumberOf(*page), page->id(), attempts + 1, now));
    }
    RETURN_IF_ERROR(tx.UpdatePage(*page));
    v1::PageSent sent;
    *sent.mutable_page() = PublicView(*page);
    sent.set_attempt(attempts + 1);
    RETURN_IF_ERROR(tx.Emit(NewEvent(events::kPageSent, *page, sent)));
    claimed = Claimed{*std::move(page), attempts + 1, std::move(token)};
    return absl::OkStatus();
  }));
  if (!held_kind.empty()) {
    metrics_.Held(held_kind);
    log::Info("page held back by a rate limit", {{"page_id", page_id}, {"channel", held_kind}});
  }
  return claimed;
}

absl::Status PagingCore::RecordResult(const std::string& page_id, int number,
                                      const absl::Status& result, const std::string& accepted,
                                      const std::string& fall_through) {
  return Write([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Page> page, tx.GetPage(page_id));
    if (!page.has_value()) return PageNotFound(page_id);
    const int n = page->attempts_size();
    // Someone else re-claimed the page meanwhile: their result counts.
    if (n == 0 || page->attempts(n - 1).number() != number ||
        !page->attempts(n - 1).in_progress()) {
      return absl::OkStatus();
    }
    v1::DeliveryAttempt* attempt = page->mutable_attempts(n - 1);
    attempt->set_in_progress(false);
    attempt->set_ok(result.ok());
    std::string detail = result.ok() ? accepted : std::string(result.message());
    if (result.ok() && page->digest_size() > 1) {
      absl::StrAppend(&detail, " (a digest of ", page->digest_size(), " pages)");
    }
    attempt->set_detail(detail);
    // A message that was not sent does not count towards the limits.
    if (!result.ok() && !LimitedKind(*page).empty()) {
      RETURN_IF_ERROR(tx.ForgetSend(page_id, number));
    }
    if (page->state() != v1::PAGE_STATE_PENDING) {
      // Acknowledged or cancelled while it was being delivered: keep the
      // state (the pages of its digest reached the person all the same).
      RETURN_IF_ERROR(tx.UpdatePage(*page));
      return SettleDigest(tx, *page, result.ok());
    }
    if (result.ok()) {
      page->set_state(v1::PAGE_STATE_DELIVERED);
      page->clear_next_attempt();
      RETURN_IF_ERROR(tx.UpdatePage(*page));
      v1::PageDelivered delivered;
      *delivered.mutable_page() = PublicView(*page);
      RETURN_IF_ERROR(tx.Emit(NewEvent(events::kPageDelivered, *page, delivered)));
      return SettleDigest(tx, *page, true);
    }
    // A degraded provider does not end the page: it is retried as any other
    // (the provider may recover, and a transient error never loses a page);
    // fall_through tells escalation to page the person's next channel now.
    const bool final = IsPermanentFailure(result) || number >= options_.max_attempts;
    if (final) {
      page->set_state(v1::PAGE_STATE_FAILED);
      page->clear_next_attempt();
    } else {
      *page->mutable_next_attempt() = ToProtoTime(clock_->Now() + RetryDelay(number));
    }
    RETURN_IF_ERROR(tx.UpdatePage(*page));
    RETURN_IF_ERROR(SettleDigest(tx, *page, false));
    v1::PageFailed failed;
    *failed.mutable_page() = PublicView(*page);
    failed.set_error(fall_through.empty()
                         ? std::string(result.message())
                         : absl::StrCat(fall_through, " (this attempt: ", result.message(), ")"));
    failed.set_final(final);
    failed.set_fall_through(!fall_through.empty());
    return tx.Emit(NewEvent(events::kPageFailed, *page, failed));
  });
}

std::string PagingCore::ProviderOf(const Page& page) const {
  return options_.provider_of ? options_.provider_of(page) : std::string();
}

std::string PagingCore::NoteProviderResult(const std::string& provider, const Page& page,
                                           const absl::Status& result, absl::Time now) {
  if (provider.empty() || options_.degraded_after <= 0) return "";
  // A page without a usable destination says nothing about the provider.
  if (result.code() == absl::StatusCode::kInvalidArgument) return "";
  bool changed = false;
  std::string fall_through;
  {
    absl::MutexLock l(&health_mu_);
    ProviderHealth& h = health_[provider];
    if (result.ok()) {
      changed = h.degraded;
      h = ProviderHealth();
    } else {
      h.failures.push_back(now);
      h.last_error = text::UntrustedLine(result.message(), 200);
      while (h.failures.size() > static_cast<size_t>(options_.degraded_after)) {
        h.failures.pop_front();
      }
      if (!h.degraded && h.failures.size() == static_cast<size_t>(options_.degraded_after) &&
          now - h.failures.front() <= options_.degraded_window) {
        h.degraded = true;
        h.since = now;
        changed = true;
      }
      if (h.degraded) {
        fall_through = absl::StrCat(provider, " is degraded (", options_.degraded_after,
                                    " failures in ",
                                    absl::FormatDuration(options_.degraded_window),
                                    "): paging ", page.contact(), "'s next channel");
      }
    }
  }
  if (changed) {
    metrics_.SetDegraded(provider, !result.ok());
    if (result.ok()) {
      log::Info("provider recovered: a delivery succeeded", {{"provider", provider}});
    } else {
      log::Warn("provider degraded: pages fall through to the next channel",
                {{"provider", provider},
                 {"failures", absl::StrCat(options_.degraded_after)},
                 {"window", absl::FormatDuration(options_.degraded_window)},
                 {"error", std::string(result.message())}});
    }
  }
  return fall_through;
}

std::string PagingCore::DegradedProviders() const {
  std::vector<std::string> lines;
  absl::MutexLock l(&health_mu_);
  for (const auto& [provider, h] : health_) {
    if (!h.degraded) continue;
    lines.push_back(absl::StrCat(provider, ": degraded since ",
                                 absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", h.since,
                                                  absl::UTCTimeZone()),
                                 " (", options_.degraded_after,
                                 " failures in a row; last: ", h.last_error,
                                 "); pages fall through to the next channel"));
  }
  return absl::StrJoin(lines, "; ");
}

absl::StatusOr<int64_t> PagingCore::PruneSends(absl::Time before) {
  const absl::Duration longest =
      std::max(LongestWindow(options_.sms_limits), LongestWindow(options_.voice_limits));
  const absl::Time cutoff = std::min(before, clock_->Now() - longest);
  int64_t pruned = 0;
  RETURN_IF_ERROR(Write([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pruned, tx.PruneSends(cutoff));
    return absl::OkStatus();
  }));
  return pruned;
}

void PagingCore::SetAside(const std::string& page_id, const std::string& reason,
                          const absl::Status& why) {
  const std::string error = text::Untrusted(why.message(), text::kMaxDetailBytes);
  std::string incident_id;
  bool set_aside = false;
  // First with the body (the page then reads as FAILED with the reason on
  // its last attempt); if the body cannot be read or written, by columns.
  auto write = [&](bool with_body) {
    return Write([&](PagingStore::Tx& tx) -> absl::Status {
      set_aside = false;
      ASSIGN_OR_RETURN(std::optional<PageRow> row, tx.GetPageRow(page_id));
      if (!row.has_value()) return absl::OkStatus();
      incident_id = row->incident_id;
      // Only a page still waiting for delivery is set aside; one that was
      // acknowledged or cancelled meanwhile keeps its state.
      if (row->state != v1::PAGE_STATE_PENDING) return absl::OkStatus();
      Page page;
      if (with_body) {
        if (!row->page.ok()) return row->page.status();
        page = *row->page;
        const int n = page.attempts_size();
        if (n > 0 && page.attempts(n - 1).in_progress()) {
          v1::DeliveryAttempt* last = page.mutable_attempts(n - 1);
          last->set_in_progress(false);
          last->set_ok(false);
          last->set_detail(absl::StrCat("set aside: ", error));
        }
        page.set_state(v1::PAGE_STATE_FAILED);
        page.clear_next_attempt();
        RETURN_IF_ERROR(tx.UpdatePage(page));
      } else {
        RETURN_IF_ERROR(tx.SetPageStateColumn(page_id, v1::PAGE_STATE_FAILED));
        page.set_id(row->id);
        page.set_incident_id(row->incident_id);
        page.set_state(v1::PAGE_STATE_FAILED);
        *page.mutable_create_time() = ToProtoTime(row->create_time);
        if (row->page.ok()) page.set_request_event_id(row->page->request_event_id());
      }
      v1::PageFailed failed;
      *failed.mutable_page() = PublicView(page);
      failed.set_error(absl::StrCat("set aside: ", error));
      failed.set_final(true);
      RETURN_IF_ERROR(tx.Emit(NewEvent(events::kPageFailed, page, failed)));
      set_aside = true;
      return absl::OkStatus();
    });
  };
  absl::Status s = write(/*with_body=*/true);
  if (!s.ok() && !IsTransient(s)) s = write(/*with_body=*/false);
  if (!s.ok()) {
    log::Error("cannot set a page aside; it is tried again later",
               {{"page_id", page_id}, {"incident_id", incident_id}, {"reason", reason},
                {"error", error}, {"store_error", text::Untrusted(s.ToString(), 2048)}});
    return;
  }
  if (!set_aside) {
    log::Warn("page not set aside: it is no longer waiting for delivery",
              {{"page_id", page_id}, {"incident_id", incident_id}, {"reason", reason},
               {"error", error}});
    return;
  }
  metrics_.SetAside(reason);
  log::Error("page set aside as FAILED", {{"page_id", page_id},
                                         {"incident_id", incident_id},
                                         {"reason", reason},
                                         {"error", error}});
}

void PagingCore::RecordWithRetry(const Claimed& claimed, const absl::Status& result,
                                 const std::string& accepted, const std::string& fall_through) {
  const std::string& id = claimed.page.id();
  absl::Duration wait = kRecordRetryFirst;
  while (true) {
    const absl::Status s = RecordResult(id, claimed.number, result, accepted, fall_through);
    if (s.ok()) return;
    if (!IsTransient(s)) {
      SetAside(id, kRecordFailed,
               absl::Status(s.code(), absl::StrCat("the result of attempt ", claimed.number, " (",
                                                   result.ok() ? "delivered"
                                                               : std::string(result.message()),
                                                   ") cannot be recorded: ", s.message())));
      return;
    }
    log::Warn("cannot record a delivery result yet; retrying",
              {{"page_id", id},
               {"incident_id", claimed.page.incident_id()},
               {"attempt", absl::StrCat(claimed.number)},
               {"error", text::Untrusted(s.ToString(), text::kMaxDetailBytes)}});
    absl::MutexLock l(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&give_up_), wait);
    if (give_up_) {
      log::Error("gave up recording a delivery result at shutdown; the page is delivered "
                 "again after its lease",
                 {{"page_id", id},
                  {"incident_id", claimed.page.incident_id()},
                  {"attempt", absl::StrCat(claimed.number)},
                  {"delivered", result.ok() ? "true" : "false"}});
      return;
    }
    wait = std::min(wait * 2, kRecordRetryMax);
  }
}

void PagingCore::Deliver(const Claimed& claimed) {
  const Page& page = claimed.page;
  const absl::StatusOr<std::string> delivered = notifier_->DeliverWithDetail(
      page, claimed.token.empty() ? std::string() : AckUrl(page.id(), claimed.token));
  const absl::Status result = Sanitized(delivered.status());
  const std::string fall_through =
      NoteProviderResult(ProviderOf(page), page, result, clock_->Now());
  RecordWithRetry(claimed, result,
                  delivered.ok() ? text::UntrustedLine(*delivered, text::kMaxDetailBytes)
                                 : std::string(),
                  fall_through);
  if (result.ok()) {
    log::Info("page delivered", {{"page_id", page.id()},
                                 {"incident_id", page.incident_id()},
                                 {"attempt", absl::StrCat(claimed.number)}});
  } else {
    log::Warn("page delivery failed", {{"page_id", page.id()},
                                       {"incident_id", page.incident_id()},
                                       {"attempt", absl::StrCat(claimed.number)},
                                       {"permanent", IsPermanentFailure(result) ? "true" : "false"},
                                       {"error", result.ToString()}});
  }
}

absl::StatusOr<double> PagingCore::CountPagesWaiting() {
  int64_t waiting = 0;
  RETURN_IF_ERROR(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(waiting, tx.CountPages(v1::PAGE_STATE_PENDING));
    return absl::OkStatus();
  }));
  return static_cast<double>(waiting);
}

absl::StatusOr<int> PagingCore::Dispatch(const std::shared_ptr<Pass>& pass) {
  absl::MutexLock pass_lock(&dispatch_mu_);
  int idle = 0;
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return 0;
    idle = static_cast<int>(workers_.size()) - in_flight_;
  }
  if (idle <= 0) return 0;
  const absl::Time now = clock_->Now();
  std::vector<std::string> due;
  RETURN_IF_ERROR(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(due, tx.DuePageIds(now, std::min(idle, options_.batch_size)));
    return absl::OkStatus();
  }));
  int dispatched = 0;
  absl::Status ended;
  for (const std::string& id : due) {
    {
      absl::MutexLock l(&mu_);
      if (stopping_) break;
    }
    absl::StatusOr<std::optional<Claimed>> claimed = Claim(id, now);
    if (!claimed.ok()) {
      if (IsTransient(claimed.status())) {
        // The database is busy for every page, not just this one: end the
        // pass; nothing was claimed, so nothing counts as an attempt.
        ended = claimed.status();
        break;
      }
      SetAside(id,
               claimed.status().code() == absl::StatusCode::kDataLoss ? kUnreadable
                                                                      : kClaimFailed,
               claimed.status());
      continue;
    }
    if (!claimed->has_value()) continue;
    if (pass != nullptr) {
      absl::MutexLock l(&pass->mu);
      ++pass->remaining;
    }
    auto job = [this, pass, c = **std::move(claimed)] {
      Deliver(c);
      // Before the pass hears of it: a caller of RunDueDeliveries then sees
      // the gauge without this delivery.
      metrics_.deliveries_in_flight().Decrement();
      if (pass != nullptr) {
        absl::MutexLock l(&pass->mu);
        --pass->remaining;
      }
    };
    metrics_.deliveries_in_flight().Increment();
    {
      absl::MutexLock l(&mu_);
      ++in_flight_;
      queue_.push_back(std::move(job));
    }
    ++dispatched;
  }
  if (!ended.ok()) {
    log::Warn("delivery pass ended early: the database is busy; due pages are tried next pass",
              {{"dispatched", absl::StrCat(dispatched)},
               {"error", text::Untrusted(ended.ToString(), text::kMaxDetailBytes)}});
    return ended;
  }
  return dispatched;
}

absl::StatusOr<int> PagingCore::DispatchDueDeliveries() { return Dispatch(nullptr); }

absl::StatusOr<int> PagingCore::RunDueDeliveries() {
  auto pass = std::make_shared<Pass>();
  absl::StatusOr<int> dispatched = Dispatch(pass);
  absl::MutexLock l(&pass->mu);
  pass->mu.Await(absl::Condition(
      +[](Pass* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu) { return p->remaining == 0; },
      pass.get()));
  return dispatched;
}

absl::StatusOr<Page> PagingCore::Acknowledge(const AckRequest& request, bool commit) {
  RETURN_IF_ERROR(CheckAckArguments(request));
  const bool by_code = !request.accept_code.empty();
  const std::string source = request.source.empty() ? "unknown" : request.source;
  Page result;
  absl::Status refused;
  const char* refused_reason = nullptr;
  bool acknowledged = false;
  RETURN_IF_ERROR(store_->Write([&](PagingStore::Tx& tx) -> absl::Status {
    refused = absl::OkStatus();
    refused_reason = nullptr;
    acknowledged = false;
    const absl::Time now = clock_->Now();
    if (by_code) {
      absl::Status limited = limiter_.Check(tx, source, now);
      if (limited.code() == absl::StatusCode::kResourceExhausted) {
        refused = limited;
        refused_reason = "rate_limited";
        return absl::OkStatus();
      }
      RETURN_IF_ERROR(limited);
    }
    ASSIGN_OR_RETURN(std::optional<PageRow> row, tx.GetPageRow(request.page_id));
    if (!row.has_value()) {
      if (by_code) RETURN_IF_ERROR(limiter_.RecordWrong(tx, source, now));
      refused = PageNotFound(request.page_id);
      refused_reason = by_code ? "wrong_code" : "wrong_token";
      return absl::OkStatus();
    }
    if (!row->page.ok()) {
      refused = absl::FailedPreconditionError(absl::StrCat(
          "page ", row->id, " failed: its stored record cannot be read; nothing to "
          "acknowledge"));
      refused_reason = "not_acknowledgeable";
      return absl::OkStatus();
    }
    Page& page = *row->page;
    if (IsActivation(page)) {
      refused = NotAcknowledgeable(page);
      refused_reason = "not_acknowledgeable";
      return absl::OkStatus();
    }
    const bool right = request.provider_verified ||
                       (by_code ? SecretMatches(page.accept_code(), request.accept_code)
                                : TokenMatches(page, request.token));
    if (!right) {
      if (by_code) RETURN_IF_ERROR(limiter_.RecordWrong(tx, source, now));
      refused = absl::PermissionDeniedError(
          by_code ? absl::StrCat("wrong accept code for page \"", page.id(), "\"")
                  : absl::StrCat("this ack link is not valid for page \"", page.id(), "\""));
      refused_reason = by_code ? "wrong_code" : "wrong_token";
      return absl::OkStatus();
    }
    result = page;
    if (page.state() == v1::PAGE_STATE_ACKNOWLEDGED) return absl::OkStatus();
    if (absl::Status closed = NotAcknowledgeable(page); !closed.ok()) {
      refused = closed;
      refused_reason = "not_acknowledgeable";
      return absl::OkStatus();
    }
    if (!commit) return absl::OkStatus();
    result.set_state(v1::PAGE_STATE_ACKNOWLEDGED);
    *result.mutable_ack_time() = ToProtoTime(now);
    result.set_acked_by(request.author.empty()
                            ? "api"
                            : text::UntrustedLine(request.author, kMaxNameBytes));
    result.clear_next_attempt();
    RETURN_IF_ERROR(tx.UpdatePage(result));
    v1::PageAcknowledged payload;
    *payload.mutable_page() = PublicView(result);
    acknowledged = true;
    return tx.Emit(NewEvent(events::kPageAcknowledged, result, payload));
  }));
  if (refused_reason != nullptr) {
    metrics_.AckRefused(refused_reason);
    log::Info("acknowledgement refused",
              {{"page_id", text::UntrustedLine(request.page_id, 200)},
               {"source", text::UntrustedLine(source, 200)},
               {"reason", refused_reason},
               {"error", std::string(refused.message())}});
    return refused;
  }
  if (acknowledged) {
    log::Info("page acknowledged", {{"page_id", result.id()},
                                    {"incident_id", result.incident_id()},
                                    {"acked_by", result.acked_by()}});
  }
  return PublicView(std::move(result));
}

absl::StatusOr<Page> PagingCore::AcceptPage(const AckRequest& request) {
  return Acknowledge(request, /*commit=*/true);
}

absl::StatusOr<Page> PagingCore::CheckAck(const AckRequest& request) {
  return Acknowledge(request, /*commit=*/false);
}

namespace {

// The runs of 4 or more ASCII digits in text, in order.
std::vector<std::string> DigitRuns(absl::string_view text) {
  std::vector<std::string> runs;
  std::string run;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      run += text[i];
      continue;
    }
    if (run.size() >= 4) runs.push_back(run);
    run.clear();
  }
  return runs;
}

}  // namespace

absl::StatusOr<Page> PagingCore::AcceptReply(const std::string& number, absl::string_view text,
                                             const std::string& author) {
  const std::vector<std::string> runs = DigitRuns(text);
  if (runs.empty()) return absl::InvalidArgumentError("the reply carries no accept code");
  std::vector<PageRow> rows;
  RETURN_IF_ERROR(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(rows, tx.ListPagesTo(number, clock_->Now() - kReplyWindow, 100));
    return absl::OkStatus();
  }));
  const Page* newest = nullptr;
  const Page* matched = nullptr;
  std::string code;
  for (const PageRow& row : rows) {
    if (!row.page.ok() || IsActivation(*row.page)) continue;
    if (newest == nullptr) newest = &*row.page;
    for (const std::string& run : runs) {
      if (SecretMatches(row.page->accept_code(), run)) {
        matched = &*row.page;
        code = run;
        break;
      }
    }
    if (matched != nullptr) break;
  }
  if (newest == nullptr) {
    return absl::NotFoundError(absl::StrCat("no page was sent to ",
                                            text::UntrustedLine(number, 64), " in the last ",
                                            absl::FormatDuration(kReplyWindow)));
  }
  if (matched == nullptr) {
    // Tried against the newest page: wrong, and counted for the source.
    matched = newest;
    code = runs.front();
  }
  return AcceptPage(
      {.page_id = matched->id(), .accept_code = code, .author = author, .source = author});
}

absl::StatusOr<Page> PagingCore::RecordReceipt(const std::string& page_id, v1::Receipt receipt) {
  if (!receipt.has_time()) *receipt.mutable_time() = ToProtoTime(clock_->Now());
  receipt.set_provider(text::UntrustedLine(receipt.provider(), 64));
  receipt.set_provider_id(text::UntrustedLine(receipt.provider_id(), 128));
  receipt.set_detail(text::UntrustedLine(receipt.detail(), text::kMaxDetailBytes));
  Page result;
  RETURN_IF_ERROR(Write([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PageRow> row, tx.GetPageRow(page_id));
    if (!row.has_value()) return PageNotFound(page_id);
    if (!row->page.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("page ", row->id, ": its stored record cannot be read"));
    }
    result = *std::move(row->page);
    *result.add_receipts() = receipt;
    while (result.receipts_size() > kMaxReceipts) {
      result.mutable_receipts()->DeleteSubrange(0, 1);
    }
    return tx.UpdatePage(result);
  }));
  return PublicView(std::move(result));
}

absl::StatusOr<Page> PagingCore::GetPage(const std::string& page_id) {
  std::optional<PageRow> row;
  RETURN_IF_ERROR(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(row, tx.GetPageRow(page_id));
    return absl::OkStatus();
  }));
  if (!row.has_value()) return PageNotFound(page_id);
  if (!row->page.ok()) return UnreadablePage(*row);
  return PublicView(*std::move(row->page));
}

absl::StatusOr<std::vector<Page>> PagingCore::ListPages(const std::string& incident_id) {
  if (incident_id.empty()) return absl::InvalidArgumentError("incident_id is required");
  std::vector<PageRow> rows;
  RETURN_IF_ERROR(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(rows, tx.ListPages(incident_id));
    return absl::OkStatus();
  }));
  std::vector<Page> pages;
  pages.reserve(rows.size());
  for (PageRow& row : rows) {
    pages.push_back(row.page.ok() ? PublicView(*std::move(row.page)) : UnreadablePage(row));
  }
  return pages;
}

}  // namespace tocsin::paging
