#include "services/incidents/reported_events.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "libs/log/log.h"
#include "libs/status/status_macros.h"
#include "tocsin/escalation/v1/escalation.pb.h"
#include "tocsin/paging/v1/paging.pb.h"

namespace tocsin::incidents {
namespace {

namespace esc = ::tocsin::escalation::v1;
namespace pg = ::tocsin::paging::v1;

template <typename T>
absl::StatusOr<T> Unpack(const Envelope& event) {
  T payload;
  if (!event.payload().UnpackTo(&payload)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event ", event.event_id(), " of type ", event.type(), " does not carry a ",
        T::descriptor()->full_name()));
  }
  return payload;
}

std::string ChannelLabel(const esc::ContactChannel& channel) {
  if (channel.has_email()) return absl::StrCat(channel.name(), " (email ", channel.email().address(), ")");
  if (channel.has_webhook()) return absl::StrCat(channel.name(), " (webhook)");
  return channel.name();
}

std::string PageLabel(const pg::Page& page) {
  return absl::StrCat("page ", page.id(), " to ", page.contact(), " via ",
                      ChannelLabel(page.channel()));
}

}  // namespace

const std::vector<std::string>& ReportedEngagementTypes() {
  static const auto* types = new std::vector<std::string>{
      "engagement.started", "engagement.stage_started", "engagement.stopped"};
  return *types;
}

const std::vector<std::string>& ReportedPageTypes() {
  static const auto* types = new std::vector<std::string>{
      "page.sent", "page.delivered", "page.failed", "page.acknowledged"};
  return *types;
}

absl::StatusOr<v1::AddTimelineEventRequest> TimelineEntryFor(const Envelope& event) {
  v1::AddTimelineEventRequest entry;
  entry.set_incident_id(event.incident_id());
  entry.set_type(event.type());
  entry.set_source_event_id(event.event_id());
  entry.set_author(event.source());
  const std::string& type = event.type();
  if (type == "engagement.started") {
    ASSIGN_OR_RETURN(auto e, Unpack<esc::EngagementStarted>(event));
    entry.set_message(absl::StrCat("Engaging ", e.engagement().contact(), " (",
                                   e.engagement().contact_snapshot().channels_size(),
                                   " channels)"));
  } else if (type == "engagement.stage_started") {
    ASSIGN_OR_RETURN(auto e, Unpack<esc::EngagementStageStarted>(event));
    entry.set_message(absl::StrCat("Paging ", e.engagement().contact(), " on ", e.channel(),
                                   " (stage ", e.stage() + 1, ", page ", e.page_id(), ")"));
  } else if (type == "engagement.stopped") {
    ASSIGN_OR_RETURN(auto e, Unpack<esc::EngagementStopped>(event));
    entry.set_message(absl::StrCat("Engagement of ", e.engagement().contact(),
                                   " stopped: ", e.engagement().stop_reason()));
  } else if (type == "page.sent") {
    ASSIGN_OR_RETURN(auto e, Unpack<pg::PageSent>(event));
    entry.set_message(absl::StrCat("Sending ", PageLabel(e.page()), " (attempt ", e.attempt(),
                                   ")"));
  } else if (type == "page.delivered") {
    ASSIGN_OR_RETURN(auto e, Unpack<pg::PageDelivered>(event));
    entry.set_message(absl::StrCat("Delivered ", PageLabel(e.page())));
  } else if (type == "page.failed") {
    ASSIGN_OR_RETURN(auto e, Unpack<pg::PageFailed>(event));
    entry.set_message(absl::StrCat("Delivery of ", PageLabel(e.page()), " failed: ", e.error(),
                                   e.final() ? " (no more retries)" : " (will retry)"));
  } else if (type == "page.acknowledged") {
    ASSIGN_OR_RETURN(auto e, Unpack<pg::PageAcknowledged>(event));
    entry.set_message(absl::StrCat("Acknowledged by ", e.page().acked_by().empty()
                                                           ? std::string("someone")
                                                           : e.page().acked_by(),
                                   " (", PageLabel(e.page()), ")"));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("event type ", type, " is not one the timeline records"));
  }
  return entry;
}

absl::Status RecordReportedEvent(IncidentsCore& core, const Envelope& event) {
  ASSIGN_OR_RETURN(v1::AddTimelineEventRequest entry, TimelineEntryFor(event));
  auto added = core.AddTimelineEvent(entry);
  if (added.status().code() == absl::StatusCode::kNotFound) {
    log::Warn("event about an unknown incident; not on any timeline",
              {{"event_id", event.event_id()}, {"incident_id", event.incident_id()},
               {"type", event.type()}});
    return absl::OkStatus();
  }
  return added.status();
}

}  // namespace tocsin::incidents
