// Client of the paging service's gRPC APIs (PagingService and ChatService,
// served on one address), as plain calls that return absl::StatusOr.
//
//   auto paging = PagingClient::Create(MakeChannel("127.0.0.1:7004"));
//   ASSIGN_OR_RETURN(Page page, paging->AcceptPage("pg-1", code, "cli:alice"));
//   ASSIGN_OR_RETURN(std::string answer, paging->TestChatChannel("ops"));
//
// Deadlines and errors as in incidents_client.h (AcceptPage answers
// PermissionDenied for a wrong code). Chat channels come back as the service
// shows them: webhook URLs redacted to their scheme and host (file paths
// kept), so a channel read back does not carry its inline webhook URL.
// Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_PAGING_CLIENT_H_
#define TOCSIN_LIBS_CLIENT_PAGING_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "libs/client/options.h"
#include "tocsin/paging/v1/chat.grpc.pb.h"
#include "tocsin/paging/v1/chat.pb.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"
#include "tocsin/paging/v1/paging.pb.h"

namespace tocsin::client {

class PagingClient {
 public:
  static std::unique_ptr<PagingClient> Create(
      std::shared_ptr<grpc::Channel> channel,
      const ClientOptions& options = {});

  PagingClient(const PagingClient&) = delete;
  PagingClient& operator=(const PagingClient&) = delete;

  // Acknowledges a page with the code its recipient was given. `author` is
  // recorded on the timeline, e.g. "cli:alice".
  absl::StatusOr<paging::v1::Page> AcceptPage(const std::string& page_id,
                                              const std::string& accept_code,
                                              const std::string& author) const;
  // The pages of one incident (without their accept codes).
  absl::StatusOr<std::vector<paging::v1::Page>> ListPages(
      const std::string& incident_id) const;
  absl::StatusOr<paging::v1::Page> GetPage(const std::string& page_id) const;

  // ---- Chat channels (ChatService) ----

  // Creates or replaces the channel; with `dry_run`, only checks it
  // (InvalidArgument naming the field) and stores nothing. The channel as
  // stored, redacted.
  absl::StatusOr<paging::v1::ChatChannel> PutChatChannel(
      const paging::v1::ChatChannel& channel, bool dry_run = false) const;
  // NotFound when there is no such channel.
  absl::StatusOr<paging::v1::ChatChannel> GetChatChannel(
      const std::string& name) const;
  absl::StatusOr<std::vector<paging::v1::ChatChannel>> ListChatChannels()
      const;
  // NotFound when there is no such channel.
  absl::Status DeleteChatChannel(const std::string& name) const;
  // Posts a test message now: what the platform answered ("HTTP 200",
  // Slack's ts); NotFound, or the error that says why the platform refused.
  absl::StatusOr<std::string> TestChatChannel(const std::string& name) const;
  // The posts of a channel, of an incident, or both (either may be empty),
  // newest first, at most `limit` (0: the service's default, 100).
  absl::StatusOr<std::vector<paging::v1::ChatPost>> ListChatPosts(
      const std::string& channel, const std::string& incident_id,
      int limit = 0) const;
  // A FAILED post queued again. NotFound; FailedPrecondition when the post
  // is not FAILED.
  absl::StatusOr<paging::v1::ChatPost> RetryChatPost(
      const std::string& post_id) const;

 private:
  PagingClient(std::unique_ptr<paging::v1::PagingService::Stub> pages,
               std::unique_ptr<paging::v1::ChatService::Stub> chat,
               const ClientOptions& options);

  std::unique_ptr<paging::v1::PagingService::Stub> pages_;
  std::unique_ptr<paging::v1::ChatService::Stub> chat_;
  ClientOptions options_;
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_PAGING_CLIENT_H_
