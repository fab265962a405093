#include "services/paging/core.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/bus/new_event.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/status/status_macros.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::paging {
namespace {

constexpr char kService[] = "paging";
constexpr char kPageRequested[] = "page.requested";
constexpr size_t kMaxPageIdLength = 128;
constexpr char kInterrupted[] =
    "no result recorded: the service stopped during this attempt (the channel may have "
    "received the page)";

absl::Status ValidatePageId(const std::string& id) {
  const bool ok = !id.empty() && id.size() <= kMaxPageIdLength &&
                  std::all_of(id.begin(), id.end(), [](char c) {
                    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                           c == '_' || c == '-';
                  });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "page_id \"", id, "\" must be 1-128 letters, digits, '.', '_' or '-'"));
}

absl::Status PageNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("page \"", id, "\" does not exist"));
}

// Constant time in the code's content, so timing does not reveal how much of
// a guess was right.
bool CodeMatches(const std::string& expected, const std::string& given) {
  return !expected.empty() && expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

absl::Status CheckAcceptArguments(const std::string& page_id, const std::string& accept_code) {
  if (page_id.empty()) return absl::InvalidArgumentError("page_id is required");
  if (accept_code.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("accept_code is required to acknowledge page \"", page_id, "\""));
  }
  return absl::OkStatus();
}

// The page, when it exists and code is its accept code.
absl::StatusOr<Page> PageForCode(PagingStore::Tx& tx, const std::string& page_id,
                                 const std::string& accept_code) {
  ASSIGN_OR_RETURN(std::optional<Page> page, tx.GetPage(page_id));
  if (!page.has_value()) return PageNotFound(page_id);
  if (!CodeMatches(page->accept_code(), accept_code)) {
    return absl::PermissionDeniedError(
        absl::StrCat("wrong accept code for page \"", page_id, "\""));
  }
  return *std::move(page);
}

}  // namespace

bus::ConsumerOptions PageRequestsConsumerOptions() {
  bus::ConsumerOptions options;
  options.durable_name = kPageRequestsConsumer;
  options.types = {kPageRequested};
  options.max_failures = 10;
  options.ack_wait = absl::Seconds(30);
  options.nak_delay = absl::Seconds(2);
  return options;
}

bus::ConsumerOptions IncidentResolvedConsumerOptions() {
  bus::ConsumerOptions options = PageRequestsConsumerOptions();
  options.durable_name = kIncidentsConsumer;
  options.types = {"incident.resolved"};
  return options;
}

Page WithoutAcceptCode(Page page) {
  page.clear_accept_code();
  return page;
}

PagingCore::PagingCore(PagingStore* store, const Clock* clock, IdGenerator* ids, Random* random,
                       Notifier* notifier, PagingOptions options)
    : store_(store),
      clock_(clock),
      ids_(ids),
      random_(random),
      notifier_(notifier),
      options_(std::move(options)) {}

absl::Status PagingCore::Write(const std::function<absl::Status(PagingStore::Tx&)>& body) {
  RETURN_IF_ERROR(store_->Write(body));
  if (options_.on_commit) options_.on_commit();
  return absl::OkStatus();
}

Envelope PagingCore::NewEvent(const std::string& type, const Page& page,
                              const google::protobuf::Message& payload) {
  return bus::NewEvent(*ids_, *clock_, kService, type, page.incident_id(),
                       page.request_event_id(), payload);
}

std::string PagingCore::NewAcceptCode() {
  return absl::StrFormat("%08d", random_->Below(100000000));
}

std::string PagingCore::AckUrl(const Page& page) const {
  std::string base = options_.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  // Page ids are validated to URL-safe characters, codes are digits.
  return absl::StrCat(base, "/v1/pages/ack?page=", page.id(), "&code=", page.accept_code());
}

absl::Duration PagingCore::RetryDelay(int failed_attempts) {
  absl::Duration ceiling = options_.retry_base;
  for (int i = 1; i < failed_attempts && ceiling < options_.retry_cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, options_.retry_cap);
  const uint64_t ms = static_cast<uint64_t>(absl::ToInt64Milliseconds(ceiling));
  return absl::Milliseconds(static_cast<int64_t>(random_->Below(ms + 1)));
}

absl::Status PagingCore::HandlePageRequested(const Envelope& event) {
  escalation::v1::PageRequested request;
  if (event.type() != kPageRequested || !event.payload().UnpackTo(&request)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event \"", event.event_id(), "\" of type \"", event.type(),
        "\" is not a page.requested carrying a tocsin.escalation.v1.PageRequested"));
  }
  RETURN_IF_ERROR(ValidatePageId(request.page_id()));
  bool inserted = false;
  RETURN_IF_ERROR(store_->Write([&](PagingStore::Tx& tx) -> absl::Status {
    inserted = false;
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kPageRequestsConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<Page> existing, tx.GetPage(request.page_id()));
    if (existing.has_value()) return absl::OkStatus();
    const absl::Time now = clock_->Now();
    Page page;
    page.set_id(request.page_id());
    page.set_incident_id(request.incident_id());
    page.set_engagement_id(request.engagement_id());
    page.set_contact(request.contact());
    *page.mutable_channel() = request.channel();
    page.set_state(v1::PAGE_STATE_PENDING);
    page.set_incident_title(request.incident_title());
    page.set_impact(request.impact());
    page.set_summary(request.summary());
    page.set_stage(request.stage());
    *page.mutable_create_time() = ToProtoTime(now);
    *page.mutable_next_attempt() = ToProtoTime(now);
    page.set_accept_code(NewAcceptCode());
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
  if (event.type() != "incident.resolved" || event.incident_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event \"", event.event_id(), "\" of type \"", event.type(),
        "\" is not an incident.resolved naming its incident"));
  }
  int cancelled = 0;
  RETURN_IF_ERROR(Write([&](PagingStore::Tx& tx) -> absl::Status {
    cancelled = 0;
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kIncidentsConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<Page> pages, tx.ListPages(event.incident_id()));
    for (Page& page : pages) {
      if (page.state() != v1::PAGE_STATE_PENDING) continue;
      page.set_state(v1::PAGE_STATE_CANCELLED);
      page.clear_next_attempt();
      RETURN_IF_ERROR(tx.UpdatePage(page));
      v1::PageFailed failed;
      *failed.mutable_page() = WithoutAcceptCode(page);
      failed.set_error("cancelled: the incident was resolved");
      failed.set_final(true);
      RETURN_IF_ERROR(tx.Emit(NewEvent("page.failed", page, failed)));
      ++cancelled;
    }
    return absl::OkStatus();
  }));
  if (cancelled > 0) {
    log::Info("pages cancelled: incident resolved",
              {{"incident_id", event.incident_id()}, {"pages", absl::StrCat(cancelled)}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Page>> PagingCore::Claim(const std::string& page_id,
                                                      absl::Time now) {
  std::optional<Page> claimed;
  RETURN_IF_ERROR(Write([&](PagingStore::Tx& tx) -> absl::Status {
    claimed.reset();
    ASSIGN_OR_RETURN(std::optional<Page> page, tx.GetPage(page_id));
    if (!page.has_value() || page->state() != v1::PAGE_STATE_PENDING ||
        !page->has_next_attempt() || FromProtoTime(page->next_attempt()) > now) {
      return absl::OkStatus();
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
      v1::PageFailed failed;
      *failed.mutable_page() = WithoutAcceptCode(*page);
      failed.set_error(interrupted ? kInterrupted
                                   : absl::StrCat("all ", options_.max_attempts,
                                                  " attempts are used"));
      failed.set_final(true);
      return tx.Emit(NewEvent("page.failed", *page, failed));
    }
    v1::DeliveryAttempt* attempt = page->add_attempts();
    attempt->set_number(attempts + 1);
    *attempt->mutable_time() = ToProtoTime(now);
    attempt->set_in_progress(true);
    *page->mutable_next_attempt() = ToProtoTime(now + options_.lease);
    RETURN_IF_ERROR(tx.UpdatePage(*page));
    v1::PageSent sent;
    *sent.mutable_page() = WithoutAcceptCode(*page);
    sent.set_attempt(attempts + 1);
    RETURN_IF_ERROR(tx.Emit(NewEvent("page.sent", *page, sent)));
    claimed = *std::move(page);
    return absl::OkStatus();
  }));
  return claimed;
}

absl::Status PagingCore::RecordResult(const std::string& page_id, int number,
                                      const absl::Status& result) {
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
    attempt->set_detail(result.ok() ? "accepted by the channel" : std::string(result.message()));
    if (page->state() != v1::PAGE_STATE_PENDING) {
      // Acknowledged while it was being delivered: keep the state.
      return tx.UpdatePage(*page);
    }
    if (result.ok()) {
      page->set_state(v1::PAGE_STATE_DELIVERED);
      page->clear_next_attempt();
      RETURN_IF_ERROR(tx.UpdatePage(*page));
      v1::PageDelivered delivered;
      *delivered.mutable_page() = WithoutAcceptCode(*page);
      return tx.Emit(NewEvent("page.delivered", *page, delivered));
    }
    const bool final = IsPermanentFailure(result) || number >= options_.max_attempts;
    if (final) {
      page->set_state(v1::PAGE_STATE_FAILED);
      page->clear_next_attempt();
    } else {
      *page->mutable_next_attempt() = ToProtoTime(clock_->Now() + RetryDelay(number));
    }
    RETURN_IF_ERROR(tx.UpdatePage(*page));
    v1::PageFailed failed;
    *failed.mutable_page() = WithoutAcceptCode(*page);
    failed.set_error(std::string(result.message()));
    failed.set_final(final);
    return tx.Emit(NewEvent("page.failed", *page, failed));
  });
}

absl::StatusOr<int> PagingCore::RunDueDeliveries() {
  const absl::Time now = clock_->Now();
  std::vector<std::string> due;
  RETURN_IF_ERROR(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(due, tx.DuePageIds(now, options_.batch_size));
    return absl::OkStatus();
  }));
  int attempts = 0;
  for (const std::string& id : due) {
    ASSIGN_OR_RETURN(std::optional<Page> page, Claim(id, now));
    if (!page.has_value()) continue;
    const int number = page->attempts(page->attempts_size() - 1).number();
    const absl::Status result = notifier_->Deliver(*page, AckUrl(*page));
    RETURN_IF_ERROR(RecordResult(id, number, result));
    ++attempts;
    if (result.ok()) {
      log::Info("page delivered", {{"page_id", id},
                                   {"incident_id", page->incident_id()},
                                   {"attempt", absl::StrCat(number)}});
    } else {
      log::Warn("page delivery failed", {{"page_id", id},
                                         {"incident_id", page->incident_id()},
                                         {"attempt", absl::StrCat(number)},
                                         {"error", result.ToString()}});
    }
  }
  return attempts;
}

absl::StatusOr<Page> PagingCore::AcceptPage(const std::string& page_id,
                                            const std::string& accept_code,
                                            const std::string& author) {
  RETURN_IF_ERROR(CheckAcceptArguments(page_id, accept_code));
  RETURN_IF_ERROR(guesses_.Check(page_id));
  Page result;
  bool acknowledged = false;
  RETURN_IF_ERROR(CountGuess(page_id, store_->Write([&](PagingStore::Tx& tx) -> absl::Status {
    acknowledged = false;
    ASSIGN_OR_RETURN(result, PageForCode(tx, page_id, accept_code));
    if (result.state() == v1::PAGE_STATE_ACKNOWLEDGED) return absl::OkStatus();
    result.set_state(v1::PAGE_STATE_ACKNOWLEDGED);
    *result.mutable_ack_time() = ToProtoTime(clock_->Now());
    result.set_acked_by(author.empty() ? "api" : author);
    result.clear_next_attempt();
    RETURN_IF_ERROR(tx.UpdatePage(result));
    v1::PageAcknowledged payload;
    *payload.mutable_page() = WithoutAcceptCode(result);
    acknowledged = true;
    return tx.Emit(NewEvent("page.acknowledged", result, payload));
  })));
  if (acknowledged) {
    if (options_.on_commit) options_.on_commit();
    log::Info("page acknowledged", {{"page_id", page_id},
                                    {"incident_id", result.incident_id()},
                                    {"acked_by", result.acked_by()}});
  }
  return WithoutAcceptCode(std::move(result));
}

absl::Status PagingCore::CountGuess(const std::string& page_id, absl::Status status) {
  if (status.ok()) {
    guesses_.RecordRight(page_id);
  } else if (status.code() == absl::StatusCode::kPermissionDenied) {
    guesses_.RecordWrong(page_id);
  }
  return status;
}

absl::StatusOr<Page> PagingCore::CheckAcceptCode(const std::string& page_id,
                                                 const std::string& accept_code) {
  RETURN_IF_ERROR(CheckAcceptArguments(page_id, accept_code));
  RETURN_IF_ERROR(guesses_.Check(page_id));
  Page page;
  RETURN_IF_ERROR(CountGuess(page_id, store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(page, PageForCode(tx, page_id, accept_code));
    return absl::OkStatus();
  })));
  return WithoutAcceptCode(std::move(page));
}

absl::StatusOr<Page> PagingCore::GetPage(const std::string& page_id) {
  std::optional<Page> page;
  RETURN_IF_ERROR(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(page, tx.GetPage(page_id));
    return absl::OkStatus();
  }));
  if (!page.has_value()) return PageNotFound(page_id);
  return WithoutAcceptCode(*std::move(page));
}

absl::StatusOr<std::vector<Page>> PagingCore::ListPages(const std::string& incident_id) {
  if (incident_id.empty()) return absl::InvalidArgumentError("incident_id is required");
  std::vector<Page> pages;
  RETURN_IF_ERROR(store_->Read([&](PagingStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(pages, tx.ListPages(incident_id));
    return absl::OkStatus();
  }));
  for (Page& p : pages) p.clear_accept_code();
  return pages;
}

}  // namespace tocsin::paging
