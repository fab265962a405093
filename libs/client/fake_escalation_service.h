// In-memory ContactService, RotationService and EngagementService
// (testonly), for tests of the clients and of the tocsin CLI; serve them with
// TestServer (test_server.h):
//
//   FakeRotationService rotations;
//   FakeContactService contacts(&rotations);  // Apply stores rotations there
//   FakeEngagementService engagements;
//   ASSERT_OK_AND_ASSIGN(auto server,
//       TestServer::Start({&contacts, &rotations, &engagements}));
//
// They answer like the escalation service where tests look: NotFound with
// the name for an unknown contact, rotation, override or engagement,
// AlreadyExists for a second create, Aborted for an update at the wrong
// version, a channel without a delay stored with 300s, a channel new to a
// contact stored PENDING with the code kFakeActivationCode (wrong code:
// InvalidArgument "wrong activation code"), overlapping overrides of one
// rotation refused. Apply checks references (escalation targets, schedule
// rotations, rotation members, override rotations) against the request and
// what is stored, answers "created", "updated" or "unchanged" per object
// (contacts, then rotations, then overrides, each in request order) and
// stores nothing on dry_run or error. What only the real engine computes
// (shifts, gaps, who is on call, previews of engagements, a TestAlarm) the
// test sets beforehand and the fake answers as given; the requests are kept
// for the test to read. ListEngagements without an incident lists the active
// engagements. Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_FAKE_ESCALATION_SERVICE_H_
#define TOCSIN_LIBS_CLIENT_FAKE_ESCALATION_SERVICE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"

namespace tocsin::client {

// The code every activation of the fakes expects.
inline constexpr char kFakeActivationCode[] = "123456";

class FakeRotationService final
    : public escalation::v1::RotationService::Service {
 public:
  std::map<std::string, escalation::v1::Rotation> rotations();
  std::vector<escalation::v1::RotationOverride> overrides(
      const std::string& rotation);
  bool HasRotation(const std::string& name);

  // What ListShifts and ListGaps answer for `name` (those intersecting the
  // range asked), GetOnCall for `name` (its `at` set to the one asked, or to
  // kFakeNowSeconds), PreviewShifts for any rotation.
  void SetShifts(const std::string& name,
                 const std::vector<escalation::v1::Shift>& shifts);
  void SetGaps(const std::string& name,
               const std::vector<escalation::v1::Gap>& gaps);
  void SetOnCall(const escalation::v1::OnCall& on_call);
  void SetPreviewShifts(const std::vector<escalation::v1::Shift>& shifts);
  std::vector<escalation::v1::PreviewShiftsRequest> preview_requests();
  std::vector<escalation::v1::GetOnCallRequest> on_call_requests();

  // Stores a rotation or an override as Apply does; "created", "updated" or
  // "unchanged".
  std::string StoreRotation(const escalation::v1::Rotation& rotation);
  std::string StoreOverride(const escalation::v1::RotationOverride& override_);
  // InvalidArgument when `override_` overlaps a stored override of its
  // rotation (other than one of the same name), or ends before it starts.
  grpc::Status CheckOverride(const escalation::v1::RotationOverride& override_);

  grpc::Status CreateRotation(
      grpc::ServerContext*,
      const escalation::v1::CreateRotationRequest* request,
      escalation::v1::Rotation* response) override;
  grpc::Status UpdateRotation(
      grpc::ServerContext*,
      const escalation::v1::UpdateRotationRequest* request,
      escalation::v1::Rotation* response) override;
  grpc::Status GetRotation(grpc::ServerContext*,
                           const escalation::v1::GetRotationRequest* request,
                           escalation::v1::Rotation* response) override;
  grpc::Status ListRotations(
      grpc::ServerContext*, const escalation::v1::ListRotationsRequest*,
      escalation::v1::ListRotationsResponse* response) override;
  grpc::Status DeleteRotation(
      grpc::ServerContext*,
      const escalation::v1::DeleteRotationRequest* request,
      escalation::v1::DeleteRotationResponse*) override;
  grpc::Status CreateOverride(
      grpc::ServerContext*,
      const escalation::v1::CreateOverrideRequest* request,
      escalation::v1::RotationOverride* response) override;
  grpc::Status ListOverrides(
      grpc::ServerContext*, const escalation::v1::ListOverridesRequest* request,
      escalation::v1::ListOverridesResponse* response) override;
  grpc::Status DeleteOverride(
      grpc::ServerContext*,
      const escalation::v1::DeleteOverrideRequest* request,
      escalation::v1::DeleteOverrideResponse*) override;
  grpc::Status ListShifts(
      grpc::ServerContext*, const escalation::v1::ListShiftsRequest* request,
      escalation::v1::ListShiftsResponse* response) override;
  grpc::Status PreviewShifts(
      grpc::ServerContext*, const escalation::v1::PreviewShiftsRequest* request,
      escalation::v1::ListShiftsResponse* response) override;
  grpc::Status ListGaps(grpc::ServerContext*,
                        const escalation::v1::ListGapsRequest* request,
                        escalation::v1::ListGapsResponse* response) override;
  grpc::Status GetOnCall(grpc::ServerContext*,
                         const escalation::v1::GetOnCallRequest* request,
                         escalation::v1::OnCall* response) override;
  grpc::Status CreateCalendarFeed(
      grpc::ServerContext*,
      const escalation::v1::CreateCalendarFeedRequest* request,
      escalation::v1::CalendarFeed* response) override;

 private:
  std::string StoreRotationLocked(const escalation::v1::Rotation& rotation)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  grpc::Status CheckOverrideLocked(
      const escalation::v1::RotationOverride& override_)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::map<std::string, escalation::v1::Rotation> rotations_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<escalation::v1::RotationOverride>>
      overrides_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<escalation::v1::Shift>> shifts_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<escalation::v1::Gap>> gaps_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, escalation::v1::OnCall> on_call_ ABSL_GUARDED_BY(mu_);
  std::vector<escalation::v1::Shift> preview_shifts_ ABSL_GUARDED_BY(mu_);
  std::vector<escalation::v1::PreviewShiftsRequest> preview_requests_
      ABSL_GUARDED_BY(mu_);
  std::vector<escalation::v1::GetOnCallRequest> on_call_requests_
      ABSL_GUARDED_BY(mu_);
  int feeds_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeContactService final
    : public escalation::v1::ContactService::Service {
 public:
  // Apply stores rotations and overrides in `rotations` (without one, Apply
  // refuses them with Unimplemented).
  explicit FakeContactService(FakeRotationService* rotations = nullptr)
      : rotations_(rotations) {}

  std::map<std::string, escalation::v1::Contact> contacts();
  // Creates, updates and applies that stored something, so far.
  int writes();
  // Every Apply request, in order.
  std::vector<escalation::v1::ApplyRequest> apply_requests();

  grpc::Status CreateContact(
      grpc::ServerContext*, const escalation::v1::CreateContactRequest* request,
      escalation::v1::Contact* response) override;
  grpc::Status UpdateContact(
      grpc::ServerContext*, const escalation::v1::UpdateContactRequest* request,
      escalation::v1::Contact* response) override;
  grpc::Status GetContact(grpc::ServerContext*,
                          const escalation::v1::GetContactRequest* request,
                          escalation::v1::Contact* response) override;
  grpc::Status ListContacts(
      grpc::ServerContext*, const escalation::v1::ListContactsRequest*,
      escalation::v1::ListContactsResponse* response) override;
  grpc::Status ActivateChannel(
      grpc::ServerContext*,
      const escalation::v1::ActivateChannelRequest* request,
      escalation::v1::Contact* response) override;
  grpc::Status DeactivateChannel(
      grpc::ServerContext*,
      const escalation::v1::DeactivateChannelRequest* request,
      escalation::v1::Contact* response) override;
  grpc::Status SendActivationCode(
      grpc::ServerContext*,
      const escalation::v1::SendActivationCodeRequest* request,
      escalation::v1::Contact* response) override;
  grpc::Status Apply(grpc::ServerContext*,
                     const escalation::v1::ApplyRequest* request,
                     escalation::v1::ApplyResponse* response) override;

 private:
  // The stored channel `channel` of `contact`, or an error status.
  grpc::Status FindChannel(const std::string& contact,
                           const std::string& channel,
                           escalation::v1::Contact** found_contact,
                           escalation::v1::ContactChannel** found_channel)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  grpc::Status CheckApply(const escalation::v1::ApplyRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string StoreContact(const escalation::v1::Contact& contact)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FakeRotationService* const rotations_;
  absl::Mutex mu_;
  std::map<std::string, escalation::v1::Contact> contacts_ ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<escalation::v1::ApplyRequest> apply_requests_
      ABSL_GUARDED_BY(mu_);
};

class FakeEngagementService final
    : public escalation::v1::EngagementService::Service {
 public:
  void AddEngagement(const escalation::v1::Engagement& engagement);
  // The engagement as stored now; it must exist.
  escalation::v1::Engagement engagement(const std::string& id);
  // What PreviewEngagement answers (whatever it is asked), and what it was
  // asked.
  void SetPreview(const std::vector<escalation::v1::PlannedPage>& pages);
  std::vector<escalation::v1::PreviewEngagementRequest> preview_requests();

  grpc::Status ListEngagements(
      grpc::ServerContext*,
      const escalation::v1::ListEngagementsRequest* request,
      escalation::v1::ListEngagementsResponse* response) override;
  // A root engagement "eng-<n>", ACTIVE, started at kFakeNowSeconds.
  grpc::Status StartEngagement(
      grpc::ServerContext*,
      const escalation::v1::StartEngagementRequest* request,
      escalation::v1::Engagement* response) override;
  grpc::Status GetEngagement(
      grpc::ServerContext*, const escalation::v1::GetEngagementRequest* request,
      escalation::v1::Engagement* response) override;
  // Stops the engagement and every ACTIVE one below it (by parent_id).
  grpc::Status StopEngagement(
      grpc::ServerContext*,
      const escalation::v1::StopEngagementRequest* request,
      escalation::v1::Engagement* response) override;
  grpc::Status PreviewEngagement(
      grpc::ServerContext*,
      const escalation::v1::PreviewEngagementRequest* request,
      escalation::v1::PreviewEngagementResponse* response) override;

 private:
  escalation::v1::Engagement* Find(const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::vector<escalation::v1::Engagement> engagements_ ABSL_GUARDED_BY(mu_);
  std::vector<escalation::v1::PlannedPage> preview_ ABSL_GUARDED_BY(mu_);
  std::vector<escalation::v1::PreviewEngagementRequest> preview_requests_
      ABSL_GUARDED_BY(mu_);
  int started_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_FAKE_ESCALATION_SERVICE_H_
