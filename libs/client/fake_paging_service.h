// In-memory PagingService and ChatService (testonly), for tests of the
// clients and of the tocsin CLI; serve them with TestServer (test_server.h).
//
// They answer like the paging service where tests look: NotFound with the id
// for an unknown page, PermissionDenied for a wrong accept code (the page
// stays as it was), List calls without the accept codes; for chat, NotFound
// for an unknown channel or post, InvalidArgument for a channel without a
// name or a platform, webhook URLs redacted in every answer (RedactUrl,
// libs/http/redact.h), FailedPrecondition for retrying a post that is not
// FAILED. Thread-safe.
#ifndef TOCSIN_LIBS_CLIENT_FAKE_PAGING_SERVICE_H_
#define TOCSIN_LIBS_CLIENT_FAKE_PAGING_SERVICE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "absl/status/statusor.h"
#include "tocsin/paging/v1/chat.grpc.pb.h"
#include "tocsin/paging/v1/paging.grpc.pb.h"

namespace tocsin::client {

class FakePagingService final : public paging::v1::PagingService::Service {
 public:
  void AddPage(const paging::v1::Page& page);
  // The page as stored now; it must exist.
  paging::v1::Page page(const std::string& id);
  // Every AcceptPage request, in order.
  std::vector<paging::v1::AcceptPageRequest> accepts();

  grpc::Status AcceptPage(grpc::ServerContext*,
                          const paging::v1::AcceptPageRequest* request,
                          paging::v1::Page* response) override;
  grpc::Status ListPages(grpc::ServerContext*,
                         const paging::v1::ListPagesRequest* request,
                         paging::v1::ListPagesResponse* response) override;
  grpc::Status GetPage(grpc::ServerContext*,
                       const paging::v1::GetPageRequest* request,
                       paging::v1::Page* response) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, paging::v1::Page> pages_ ABSL_GUARDED_BY(mu_);
  std::vector<paging::v1::AcceptPageRequest> accepts_ ABSL_GUARDED_BY(mu_);
};

class FakeChatService final : public paging::v1::ChatService::Service {
 public:
  // Stores a channel as given (not redacted), stamped with the fakes' now.
  void AddChannel(const paging::v1::ChatChannel& channel);
  // The channel as stored (webhook URLs in full); it must exist.
  paging::v1::ChatChannel channel(const std::string& name);
  bool has_channel(const std::string& name);
  void AddPost(const paging::v1::ChatPost& post);
  // The post as stored now; it must exist.
  paging::v1::ChatPost post(const std::string& id);
  // What TestChatChannel answers for `name` (default: "HTTP 200"): the
  // answer, or the error the platform's refusal maps to.
  void SetTestAnswer(const std::string& name,
                     absl::StatusOr<std::string> answer);
  // PutChatChannel of `name` (dry run or not) fails with `error`, as the
  // service does for a channel it refuses.
  void RefusePut(const std::string& name, absl::Status error);
  // Every PutChatChannel request (dry runs included), in order.
  std::vector<paging::v1::PutChatChannelRequest> puts();
  // The names TestChatChannel was called with, in order.
  std::vector<std::string> tests();

  grpc::Status PutChatChannel(grpc::ServerContext*,
                              const paging::v1::PutChatChannelRequest* request,
                              paging::v1::ChatChannel* response) override;
  grpc::Status GetChatChannel(grpc::ServerContext*,
                              const paging::v1::GetChatChannelRequest* request,
                              paging::v1::ChatChannel* response) override;
  grpc::Status ListChatChannels(
      grpc::ServerContext*, const paging::v1::ListChatChannelsRequest* request,
      paging::v1::ListChatChannelsResponse* response) override;
  grpc::Status DeleteChatChannel(
      grpc::ServerContext*, const paging::v1::DeleteChatChannelRequest* request,
      paging::v1::DeleteChatChannelResponse* response) override;
  grpc::Status TestChatChannel(
      grpc::ServerContext*, const paging::v1::TestChatChannelRequest* request,
      paging::v1::TestChatChannelResponse* response) override;
  // Newest first (by create_time, then id), at most `limit` (0: 100).
  grpc::Status ListChatPosts(grpc::ServerContext*,
                             const paging::v1::ListChatPostsRequest* request,
                             paging::v1::ListChatPostsResponse* response) override;
  grpc::Status RetryChatPost(grpc::ServerContext*,
                             const paging::v1::RetryChatPostRequest* request,
                             paging::v1::ChatPost* response) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, paging::v1::ChatChannel> channels_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, paging::v1::ChatPost> posts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::StatusOr<std::string>> test_answers_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> put_errors_ ABSL_GUARDED_BY(mu_);
  std::vector<paging::v1::PutChatChannelRequest> puts_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> tests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tocsin::client

#endif  // TOCSIN_LIBS_CLIENT_FAKE_PAGING_SERVICE_H_
