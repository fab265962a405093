#include "services/escalation/core.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "libs/bus/new_event.h"
#include "libs/events/types.h"
#include "libs/log/log.h"
#include "libs/proto/time.h"
#include "libs/status/retry.h"
#include "libs/status/status_macros.h"
#include "libs/text/text.h"
#include "services/escalation/contacts.h"

namespace tocsin::escalation {
namespace {

constexpr char kService[] = "escalation";
// Due engagements read at a time by RunDueTimers.
constexpr int kDueBatch = 100;

absl::Status ContactNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("contact \"", name, "\" does not exist"));
}

}  // namespace

EscalationCore::EscalationCore(EscalationStore* store, const Clock* clock, IdGenerator* ids,
                               EscalationOptions options)
    : store_(store), clock_(clock), ids_(ids), options_(std::move(options)) {}

absl::Status EscalationCore::Write(
    const std::function<absl::Status(EscalationStore::Tx&, Events&)>& body) {
  Events emitted;
  RETURN_IF_ERROR(store_->Write([&](EscalationStore::Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(body(tx, emitted));
    for (const Envelope& e : emitted) RETURN_IF_ERROR(tx.Emit(e));
    return absl::OkStatus();
  }));
  if (options_.on_event) {
    for (const Envelope& e : emitted) options_.on_event(e);
  }
  return absl::OkStatus();
}

absl::StatusOr<double> EscalationCore::CountActiveEngagements() {
  int64_t n = 0;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(n, tx.CountActiveEngagements());
    return absl::OkStatus();
  }));
  return static_cast<double>(n);
}

template <typename T>
Envelope EscalationCore::NewEvent(const events::EventType<T>& type,
                                  const std::string& incident_id,
                                  const std::string& causation_id, const T& payload) {
  return bus::NewEvent(*ids_, *clock_, kService, type, incident_id, causation_id, payload);
}

// ---- Contacts ----

absl::StatusOr<Contact> EscalationCore::CreateContact(const Contact& request) {
  RETURN_IF_ERROR(ValidateContact(request));
  Contact contact = ContactWithDefaults(request);
  const absl::Time now = clock_->Now();
  contact.set_version(1);
  *contact.mutable_create_time() = ToProtoTime(now);
  *contact.mutable_update_time() = ToProtoTime(now);
  RETURN_IF_ERROR(store_->Write([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto existing, tx.GetContact(contact.name()));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("contact \"", contact.name(), "\" already exists; update it instead"));
    }
    return tx.InsertContact(contact);
  }));
  return contact;
}

absl::StatusOr<Contact> EscalationCore::UpdateContact(const Contact& request,
                                                      int64_t expected_version) {
  RETURN_IF_ERROR(ValidateContact(request));
  Contact contact = ContactWithDefaults(request);
  RETURN_IF_ERROR(store_->Write([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(auto existing, tx.GetContact(contact.name()));
    if (!existing.has_value()) return ContactNotFound(contact.name());
    if (expected_version != 0 && existing->version() != expected_version) {
      return absl::AbortedError(absl::StrCat(
          "contact \"", contact.name(), "\" is at version ", existing->version(), ", not ",
          expected_version, "; read it again and retry"));
    }
    contact.set_version(existing->version() + 1);
    *contact.mutable_create_time() = existing->create_time();
    *contact.mutable_update_time() = ToProtoTime(clock_->Now());
    ASSIGN_OR_RETURN(bool written, tx.UpdateContact(contact, existing->version()));
    if (!written) {
      return absl::AbortedError(absl::StrCat("contact \"", contact.name(),
                                             "\" changed meanwhile; read it again and retry"));
    }
    return absl::OkStatus();
  }));
  return contact;
}

absl::StatusOr<Contact> EscalationCore::GetContact(const std::string& name) {
  std::optional<Contact> contact;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(contact, tx.GetContact(name));
    return absl::OkStatus();
  }));
  if (!contact.has_value()) return ContactNotFound(name);
  return *contact;
}

absl::StatusOr<std::vector<Contact>> EscalationCore::ListContacts() {
  std::vector<Contact> contacts;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(contacts, tx.ListContacts());
    return absl::OkStatus();
  }));
  return contacts;
}

absl::Status EscalationCore::DeleteContact(const std::string& name) {
  return store_->Write([&](EscalationStore::Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(bool deleted, tx.DeleteContact(name));
    if (!deleted) return ContactNotFound(name);
    return absl::OkStatus();
  });
}

// ---- Engagements ----

void EscalationCore::PageNextStage(Engagement& e, const Incident& incident,
                                   const std::string& causation_id, Events& emitted) {
  const int stage = e.next_stage();
  const auto& channels = e.contact_snapshot().channels();
  const v1::ContactChannel& channel = channels.Get(stage);
  const std::string page_id = ids_->Next("pg");
  const absl::Time now = clock_->Now();

  e.set_next_stage(stage + 1);
  if (stage + 1 < channels.size()) {
    *e.mutable_next_due() = ToProtoTime(now + ChannelDelay(channels.Get(stage + 1)));
  } else {
    e.clear_next_due();
  }

  v1::EngagementStageStarted started;
  *started.mutable_engagement() = e;
  started.set_stage(stage);
  started.set_channel(channel.name());
  started.set_page_id(page_id);
  emitted.push_back(
      NewEvent(events::kEngagementStageStarted, e.incident_id(), causation_id, started));

  v1::PageRequested page;
  page.set_page_id(page_id);
  page.set_incident_id(e.incident_id());
  page.set_engagement_id(e.id());
  page.set_contact(e.contact());
  *page.mutable_channel() = channel;
  page.set_incident_title(incident.title());
  page.set_impact(incident.impact());
  page.set_summary(incident.summary());
  page.set_stage(stage);
  emitted.push_back(NewEvent(events::kPageRequested, e.incident_id(), causation_id, page));

  if (e.next_stage() == channels.size()) {
    Stop(e, v1::ENGAGEMENT_STATE_EXHAUSTED,
         absl::StrCat("all ", channels.size(), " channels paged; no further stage"),
         causation_id, emitted);
  }
}

void EscalationCore::Stop(Engagement& e, v1::EngagementState state, const std::string& reason,
                          const std::string& causation_id, Events& emitted) {
  e.set_state(state);
  e.set_stop_reason(reason);
  *e.mutable_stop_time() = ToProtoTime(clock_->Now());
  e.clear_next_due();
  v1::EngagementStopped stopped;
  *stopped.mutable_engagement() = e;
  emitted.push_back(NewEvent(events::kEngagementStopped, e.incident_id(), causation_id, stopped));
}

absl::Status EscalationCore::CompareAndSet(EscalationStore::Tx& tx, Engagement& e,
                                           int64_t expected_version) {
  ASSIGN_OR_RETURN(bool written, tx.UpdateEngagement(e, expected_version));
  if (!written) {
    return absl::AbortedError(absl::StrCat("engagement ", e.id(), " changed since version ",
                                           expected_version, "; retry"));
  }
  return absl::OkStatus();
}

absl::Status EscalationCore::OnIncidentOpened(EscalationStore::Tx& tx, const Envelope& event,
                                              Events& emitted) {
  ASSIGN_OR_RETURN(auto opened, events::Payload(event, events::kIncidentOpened));
  const Incident& incident = opened.incident();
  if (incident.id().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(events::kIncidentOpened.name, " event ", event.event_id(),
                     " has no incident.id"));
  }
  // Known already: opened before under another event id, or resolved before
  // its opening arrived. Either way nobody is to be paged now.
  ASSIGN_OR_RETURN(auto known, tx.GetIncident(incident.id()));
  if (known.has_value()) return absl::OkStatus();
  RETURN_IF_ERROR(tx.PutIncident(incident));

  const absl::Time now = clock_->Now();
  absl::flat_hash_set<std::string> engaged;
  for (const std::string& name : incident.engagements()) {
    if (!engaged.insert(name).second) continue;
    Engagement e;
    e.set_id(ids_->Next("eng"));
    e.set_incident_id(incident.id());
    e.set_contact(name);
    *e.mutable_start_time() = ToProtoTime(now);
    e.set_version(1);
    ASSIGN_OR_RETURN(auto contact, tx.GetContact(name));
    if (!contact.has_value()) {
      Stop(e, v1::ENGAGEMENT_STATE_STOPPED, absl::StrCat("contact \"", name, "\" does not exist"),
           event.event_id(), emitted);
    } else {
      *e.mutable_contact_snapshot() = *contact;
      e.set_state(v1::ENGAGEMENT_STATE_ACTIVE);
      v1::EngagementStarted started;
      *started.mutable_engagement() = e;
      emitted.push_back(
          NewEvent(events::kEngagementStarted, incident.id(), event.event_id(), started));
      PageNextStage(e, incident, event.event_id(), emitted);
    }
    RETURN_IF_ERROR(tx.InsertEngagement(e));
  }
  return absl::OkStatus();
}

absl::Status EscalationCore::OnIncidentResolved(EscalationStore::Tx& tx, const Envelope& event,
                                                Events& emitted) {
  ASSIGN_OR_RETURN(auto resolved, events::Payload(event, events::kIncidentResolved));
  const Incident& incident = resolved.incident();
  if (incident.id().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(events::kIncidentResolved.name, " event ", event.event_id(),
                     " has no incident.id"));
  }
  RETURN_IF_ERROR(tx.PutIncident(incident));
  ASSIGN_OR_RETURN(std::vector<Engagement> engagements, tx.ListEngagements(incident.id()));
  for (Engagement& e : engagements) {
    if (e.state() != v1::ENGAGEMENT_STATE_ACTIVE) continue;
    const int64_t expected = e.version();
    e.set_version(expected + 1);
    Stop(e, v1::ENGAGEMENT_STATE_STOPPED, "incident resolved", event.event_id(), emitted);
    RETURN_IF_ERROR(CompareAndSet(tx, e, expected));
  }
  return absl::OkStatus();
}

absl::Status EscalationCore::OnIncidentUpdated(EscalationStore::Tx& tx, const Envelope& event) {
  ASSIGN_OR_RETURN(auto updated, events::Payload(event, events::kIncidentUpdated));
  const Incident& incident = updated.incident();
  ASSIGN_OR_RETURN(auto known, tx.GetIncident(incident.id()));
  // Later pages say what the incident says now. An update that arrives
  // before the opening (redelivery order) is not stored: the opening must
  // still find the incident unknown and engage.
  if (!known.has_value() || known->version() >= incident.version()) return absl::OkStatus();
  return tx.PutIncident(incident);
}

absl::Status EscalationCore::OnPageAcknowledged(EscalationStore::Tx& tx, const Envelope& event,
                                                Events& emitted) {
  ASSIGN_OR_RETURN(auto acknowledged, events::Payload(event, events::kPageAcknowledged));
  const paging::v1::Page& page = acknowledged.page();
  ASSIGN_OR_RETURN(auto found, tx.GetEngagement(page.engagement_id()));
  if (!found.has_value()) {
    log::Warn("page.acknowledged for an engagement this service does not know; ignored",
              {{"event_id", event.event_id()},
               {"page_id", page.id()},
               {"engagement_id", page.engagement_id()}});
    return absl::OkStatus();
  }
  Engagement& e = *found;
  // Acknowledged, resolved or exhausted already: it never changes again.
  if (e.state() != v1::ENGAGEMENT_STATE_ACTIVE) return absl::OkStatus();
  const int64_t expected = e.version();
  e.set_version(expected + 1);
  Stop(e, v1::ENGAGEMENT_STATE_ACKNOWLEDGED, absl::StrCat("acknowledged (page ", page.id(), ")"),
       event.event_id(), emitted);
  return CompareAndSet(tx, e, expected);
}

absl::Status EscalationCore::HandleIncidentEvent(const Envelope& event) {
  if (!events::Is(event, events::kIncidentOpened) &&
      !events::Is(event, events::kIncidentResolved) &&
      !events::Is(event, events::kIncidentUpdated)) {
    return absl::OkStatus();
  }
  return Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kIncidentsConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    if (events::Is(event, events::kIncidentOpened)) return OnIncidentOpened(tx, event, emitted);
    if (events::Is(event, events::kIncidentUpdated)) return OnIncidentUpdated(tx, event);
    return OnIncidentResolved(tx, event, emitted);
  });
}

absl::Status EscalationCore::HandlePageEvent(const Envelope& event) {
  if (!events::Is(event, events::kPageAcknowledged)) return absl::OkStatus();
  return Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
    ASSIGN_OR_RETURN(bool fresh, tx.RecordInInbox(kPagesConsumer, event.event_id()));
    if (!fresh) return absl::OkStatus();
    return OnPageAcknowledged(tx, event, emitted);
  });
}

absl::StatusOr<bool> EscalationCore::FireStage(EscalationStore::Tx& tx,
                                               const std::string& engagement_id, absl::Time now,
                                               Events& emitted) {
  ASSIGN_OR_RETURN(auto found, tx.GetEngagement(engagement_id));
  // Re-read in this transaction: an acknowledgement or a resolution may have
  // stopped it since it was listed as due.
  if (!found.has_value() || found->state() != v1::ENGAGEMENT_STATE_ACTIVE ||
      !found->has_next_due() || FromProtoTime(found->next_due()) > now) {
    return false;
  }
  Engagement& e = *found;
  ASSIGN_OR_RETURN(auto incident, tx.GetIncident(e.incident_id()));
  const int64_t expected = e.version();
  e.set_version(expected + 1);
  PageNextStage(e, incident.value_or(Incident()), "", emitted);
  RETURN_IF_ERROR(CompareAndSet(tx, e, expected));
  return true;
}

absl::Status EscalationCore::SetAside(const std::string& engagement_id, const absl::Status& why) {
  const std::string reason =
      absl::StrCat("set aside: its next stage could not be paged (",
                   text::UntrustedLine(why.ToString(), text::kMaxDetailBytes),
                   "); nobody more is paged by it");
  std::string incident_id;
  absl::Status s = Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
    Engagement stopped;
    absl::StatusOr<std::optional<Engagement>> readable = tx.GetEngagement(engagement_id);
    if (readable.ok() && readable->has_value()) stopped = **readable;
    ASSIGN_OR_RETURN(std::optional<std::string> incident, tx.StopEngagementColumns(engagement_id));
    if (!incident.has_value()) return absl::OkStatus();
    incident_id = *incident;
    stopped.set_id(engagement_id);
    stopped.set_incident_id(*incident);
    stopped.set_state(v1::ENGAGEMENT_STATE_STOPPED);
    stopped.clear_next_due();
    stopped.set_stop_reason(reason);
    if (readable.ok() && readable->has_value()) {
      // Readable: keep the record whole, stopped, by compare-and-set.
      const int64_t expected = stopped.version() + 1;  // StopEngagementColumns bumped it
      stopped.set_version(expected + 1);
      RETURN_IF_ERROR(CompareAndSet(tx, stopped, expected));
    }
    v1::EngagementStopped payload;
    *payload.mutable_engagement() = stopped;
    emitted.push_back(NewEvent(events::kEngagementStopped, *incident, "", payload));
    return absl::OkStatus();
  });
  log::Error("engagement set aside: its stage could not be fired",
             {{"engagement_id", engagement_id},
              {"incident_id", incident_id},
              {"error", why.ToString()},
              {"set_aside", s.ok() ? "yes" : s.ToString()}});
  return s;
}

absl::StatusOr<int> EscalationCore::RunDueTimers() {
  const absl::Time now = clock_->Now();
  int paged = 0;
  while (true) {
    std::vector<std::string> due;
    RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
      ASSIGN_OR_RETURN(due, tx.DueEngagements(now, kDueBatch));
      return absl::OkStatus();
    }));
    int fired_now = 0;
    int set_aside = 0;
    for (const std::string& id : due) {
      bool fired = false;
      absl::Status s = Write([&](EscalationStore::Tx& tx, Events& emitted) -> absl::Status {
        ASSIGN_OR_RETURN(fired, FireStage(tx, id, now, emitted));
        return absl::OkStatus();
      });
      if (!s.ok()) {
        if (IsTransient(s)) return s;
        // If even that fails, the pass ends (and the next tick tries again)
        // rather than meeting the same engagement again in this one.
        RETURN_IF_ERROR(SetAside(id, s));
        ++set_aside;
        continue;
      }
      if (fired) ++fired_now;
    }
    // Set-aside engagements are no longer due: list again for the others.
    if (fired_now == 0 && set_aside > 0) continue;
    // A stage whose channel has no delay is due at once: go round again
    // until nothing more is due.
    if (fired_now == 0) break;
    paged += fired_now;
  }
  return paged;
}

absl::StatusOr<v1::ListEngagementsResponse> EscalationCore::ListEngagements(
    const v1::ListEngagementsRequest& request) {
  v1::ListEngagementsResponse response;
  RETURN_IF_ERROR(store_->Read([&](EscalationStore::Tx& tx) -> absl::Status {
    std::vector<Engagement> engagements;
    if (request.incident_id().empty()) {
      ASSIGN_OR_RETURN(engagements, tx.ListActiveEngagements());
    } else {
      ASSIGN_OR_RETURN(engagements, tx.ListEngagements(request.incident_id()));
    }
    for (Engagement& e : engagements) *response.add_engagements() = std::move(e);
    return absl::OkStatus();
  }));
  return response;
}

}  // namespace tocsin::escalation
