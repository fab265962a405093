// In-memory ContactService and EngagementService (testonly), for tests of the
// clients and of the tocsin CLI; serve them with TestServer (test_server.h).
//
// They answer like the escalation service where tests look: NotFound with
// the name for an unknown contact, AlreadyExists for a second create,
// Aborted for an update at the wrong version, a channel without a delay
// stored with 300s; ListEngagements without an incident lists the active
// engagements. Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_FAKE_ESCALATION_SERVICE_H_
#define TOCSIN_LIBS_CLIENT_FAKE_ESCALATION_SERVICE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "tocsin/escalation/v1/escalation.grpc.pb.h"

namespace tocsin::client {

class FakeContactService final
    : public escalation::v1::ContactService::Service {
 public:
  std::map<std::string, escalation::v1::Contact> contacts();
  // Creates and updates so far.
  int writes();

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

 private:
  absl::Mutex mu_;
  std::map<std::string, escalation::v1::Contact> contacts_ ABSL_GUARDED_BY(mu_);
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeEngagementService final
    : public escalation::v1::EngagementService::Service {
 public:
  void AddEngagement(const escalation::v1::Engagement& engagement);

  grpc::Status ListEngagements(
      grpc::ServerContext*,
      const escalation::v1::ListEngagementsRequest* request,
      escalation::v1::ListEngagementsResponse* response) override;

 private:
  absl::Mutex mu_;
  std::vector<escalation::v1::Engagement> engagements_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_FAKE_ESCALATION_SERVICE_H_
