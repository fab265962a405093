// Client of the escalation service's gRPC API (ContactService,
// RotationService and EngagementService), as plain calls that return
// absl::StatusOr.
//
//   auto escalation = EscalationClient::Create(MakeChannel("127.0.0.1:7003"));
//   ASSIGN_OR_RETURN(std::vector<Engagement> engaged,
//                    escalation->ListEngagements("inc-1"));
//   ASSIGN_OR_RETURN(OnCall now, escalation->GetOnCall("primary", {}));
//
// Times are absl::Time; an optional time that is std::nullopt is left unset
// in the request (the service then means "now" or "unbounded", as
// escalation.proto says). Deadlines and errors as in incidents_client.h.
// Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_ESCALATION_CLIENT_H_
#define TOCSIN_LIBS_CLIENT_ESCALATION_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "libs/client/options.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"
#include "tocsin/escalation/v1/escalation.pb.h"

namespace tocsin::client {

// A range [from, to); either end may be open (unset in the request).
struct TimeRangeParams {
  std::optional<absl::Time> from;
  std::optional<absl::Time> to;
};

// StartEngagement: engages `contact` by hand.
struct StartEngagementParams {
  std::string contact;
  // Optional: the incident whose timeline records it.
  std::string incident_id;
  // Who engages, e.g. "cli:alice".
  std::string sender;
  std::string subject;
  std::string content;
};

class EscalationClient {
 public:
  static std::unique_ptr<EscalationClient> Create(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  EscalationClient(const EscalationClient&) = delete;
  EscalationClient& operator=(const EscalationClient&) = delete;

  // ---- ContactService ----

  absl::StatusOr<escalation::v1::Contact> CreateContact(
      const escalation::v1::Contact& contact) const;
  // Replaces the contact of the same name. A non-zero `expected_version`
  // makes the update conditional on the stored version (Aborted when it
  // differs).
  absl::StatusOr<escalation::v1::Contact> UpdateContact(
      const escalation::v1::Contact& contact, int64_t expected_version) const;
  absl::StatusOr<escalation::v1::Contact> GetContact(
      const std::string& name) const;
  absl::StatusOr<std::vector<escalation::v1::Contact>> ListContacts() const;
  // Confirms the code sent to a channel; the contact as stored afterwards.
  absl::StatusOr<escalation::v1::Contact> ActivateChannel(
      const std::string& contact, const std::string& channel,
      const std::string& code) const;
  absl::StatusOr<escalation::v1::Contact> DeactivateChannel(
      const std::string& contact, const std::string& channel) const;
  absl::StatusOr<escalation::v1::Contact> SendActivationCode(
      const std::string& contact, const std::string& channel) const;
  // Contacts, rotations and overrides in one transaction (all or nothing);
  // with request.dry_run() checks everything and stores nothing.
  absl::StatusOr<escalation::v1::ApplyResponse> Apply(
      const escalation::v1::ApplyRequest& request) const;

  // ---- RotationService ----

  absl::StatusOr<escalation::v1::Rotation> CreateRotation(
      const escalation::v1::Rotation& rotation) const;
  absl::StatusOr<escalation::v1::Rotation> UpdateRotation(
      const escalation::v1::Rotation& rotation, int64_t expected_version) const;
  absl::StatusOr<escalation::v1::Rotation> GetRotation(
      const std::string& name) const;
  absl::StatusOr<std::vector<escalation::v1::Rotation>> ListRotations() const;
  absl::Status DeleteRotation(const std::string& name) const;
  absl::StatusOr<escalation::v1::RotationOverride> CreateOverride(
      const escalation::v1::RotationOverride& override_) const;
  // The overrides of `rotation` that end after range.from and start before
  // range.to.
  absl::StatusOr<std::vector<escalation::v1::RotationOverride>> ListOverrides(
      const std::string& rotation, const TimeRangeParams& range) const;
  absl::Status DeleteOverride(const std::string& rotation,
                              const std::string& name) const;
  // The shifts of a rotation (or of a schedule's rotations) in [from, to).
  absl::StatusOr<std::vector<escalation::v1::Shift>> ListShifts(
      const std::string& name, absl::Time from, absl::Time to) const;
  // The shifts of a rotation that is not saved, with its overrides.
  absl::StatusOr<std::vector<escalation::v1::Shift>> PreviewShifts(
      const escalation::v1::Rotation& rotation,
      const std::vector<escalation::v1::RotationOverride>& overrides,
      absl::Time from, absl::Time to) const;
  // The ranges in [from, to) that nobody covers.
  absl::StatusOr<std::vector<escalation::v1::Gap>> ListGaps(
      const std::string& name, absl::Time from, absl::Time to) const;
  // Who is on call for a schedule or rotation at `at` (nullopt: now).
  absl::StatusOr<escalation::v1::OnCall> GetOnCall(
      const std::string& name, std::optional<absl::Time> at) const;
  // A secret iCalendar URL of a rotation's (or a contact's) shifts; exactly
  // one of the two is non-empty.
  absl::StatusOr<escalation::v1::CalendarFeed> CreateCalendarFeed(
      const std::string& rotation, const std::string& contact) const;

  // ---- EngagementService ----

  // The engagements of one incident; an empty `incident_id` lists every
  // active engagement.
  absl::StatusOr<std::vector<escalation::v1::Engagement>> ListEngagements(
      const std::string& incident_id) const;
  absl::StatusOr<escalation::v1::Engagement> StartEngagement(
      const StartEngagementParams& params) const;
  absl::StatusOr<escalation::v1::Engagement> GetEngagement(
      const std::string& id) const;
  // Stops the engagement and its subtree.
  absl::StatusOr<escalation::v1::Engagement> StopEngagement(
      const std::string& id, const std::string& reason) const;
  // What engaging `contacts` at `at` (nullopt: now) would page, storing
  // nothing and paging nobody.
  absl::StatusOr<std::vector<escalation::v1::PlannedPage>> PreviewEngagement(
      const std::vector<std::string>& contacts,
      std::optional<absl::Time> at) const;

 private:
  EscalationClient(
      std::unique_ptr<escalation::v1::ContactService::Stub> contacts,
      std::unique_ptr<escalation::v1::RotationService::Stub> rotations,
      std::unique_ptr<escalation::v1::EngagementService::Stub> engagements,
      const ClientOptions& options);

  std::unique_ptr<escalation::v1::ContactService::Stub> contacts_;
  std::unique_ptr<escalation::v1::RotationService::Stub> rotations_;
  std::unique_ptr<escalation::v1::EngagementService::Stub> engagements_;
  ClientOptions options_;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_ESCALATION_CLIENT_H_
