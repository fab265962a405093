#include "services/paging/chat_actions.h"

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "libs/proto/time.h"

namespace tocsin::paging {

std::string ChatTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

absl::StatusOr<std::string> ChatActions::Acknowledge(const std::string& incident_id,
                                                     const std::string& author) {
  absl::StatusOr<std::vector<Page>> pages = core_->ListPages(incident_id);
  if (!pages.ok()) return pages.status();
  // The first acknowledgement, if there was one.
  std::optional<Page> first_ack;
  // Engagements someone acknowledged: over.
  std::set<std::string> acked;
  // Per engagement, its newest page that can still be acknowledged.
  std::map<std::string, Page> newest;
  bool resolved = false;
  for (const Page& page : *pages) {
    if (page.purpose() == escalation::v1::PAGE_PURPOSE_ACTIVATION) continue;
    if (page.incident_resolved()) resolved = true;
    if (page.state() == v1::PAGE_STATE_ACKNOWLEDGED) {
      acked.insert(page.engagement_id());
      if (!first_ack.has_value() ||
          FromProtoTime(page.ack_time()) < FromProtoTime(first_ack->ack_time())) {
        first_ack = page;
      }
      continue;
    }
    if (page.incident_resolved() || (page.state() != v1::PAGE_STATE_PENDING &&
                                     page.state() != v1::PAGE_STATE_DELIVERED)) {
      continue;
    }
    auto it = newest.find(page.engagement_id());
    if (it == newest.end() ||
        FromProtoTime(page.create_time()) >= FromProtoTime(it->second.create_time())) {
      newest[page.engagement_id()] = page;
    }
  }
  if (resolved) {
    return absl::FailedPreconditionError(
        absl::StrCat(incident_id, " is resolved; nothing to acknowledge"));
  }
  // Only the engagements still paging are acknowledged now.
  for (const std::string& engagement : acked) newest.erase(engagement);
  if (newest.empty()) {
    if (first_ack.has_value()) {
      return absl::StrCat(incident_id, " was already acknowledged by ",
                          first_ack->acked_by().empty() ? "someone" : first_ack->acked_by(),
                          " at ", ChatTime(FromProtoTime(first_ack->ack_time())));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "nobody has been paged for ", incident_id, " yet; nothing to acknowledge"));
  }
  int acknowledged = 0;
  absl::Status last_error;
  for (const auto& [engagement, page] : newest) {
    AckRequest request;
    request.page_id = page.id();
    request.author = author;
    request.provider_verified = true;
    request.source = "slack";
    absl::StatusOr<Page> done = core_->AcceptPage(request);
    if (done.ok()) {
      ++acknowledged;
    } else {
      last_error = done.status();
    }
  }
  if (acknowledged == 0) return last_error;
  return absl::StrCat("Acknowledged ", incident_id, " (", acknowledged,
                      acknowledged == 1 ? " engagement" : " engagements", ")");
}

absl::StatusOr<std::string> ChatActions::Resolve(const std::string& incident_id,
                                                 const std::string& author) {
  const absl::Time asked = absl::Now() - absl::Seconds(1);
  absl::StatusOr<incidents::v1::Incident> resolved =
      resolver_(incident_id, absl::StrCat("Resolved from chat by ", author), author);
  if (!resolved.ok()) return resolved.status();
  // Resolving a resolved incident changes nothing and answers it as it is.
  if (resolved->has_resolve_time() && FromProtoTime(resolved->resolve_time()) < asked) {
    return absl::StrCat(incident_id, " was already resolved at ",
                        ChatTime(FromProtoTime(resolved->resolve_time())));
  }
  return absl::StrCat("Resolved ", incident_id);
}

}  // namespace tocsin::paging
