// ChatService over gRPC: a thin adapter from protos to ChatCore (chat
// channels, the test post, the posts made and their replay).
#ifndef TOCSIN_SERVICES_PAGING_CHAT_GRPC_SERVICE_H_
#define TOCSIN_SERVICES_PAGING_CHAT_GRPC_SERVICE_H_

#include "services/paging/chat_core.h"
#include "tocsin/paging/v1/chat.grpc.pb.h"

namespace tocsin::paging {

class ChatServiceImpl final : public v1::ChatService::Service {
 public:
  explicit ChatServiceImpl(ChatCore* core) : core_(core) {}

  grpc::Status PutChatChannel(grpc::ServerContext*, const v1::PutChatChannelRequest*,
                              v1::ChatChannel*) override;
  grpc::Status GetChatChannel(grpc::ServerContext*, const v1::GetChatChannelRequest*,
                              v1::ChatChannel*) override;
  grpc::Status ListChatChannels(grpc::ServerContext*, const v1::ListChatChannelsRequest*,
                                v1::ListChatChannelsResponse*) override;
  grpc::Status DeleteChatChannel(grpc::ServerContext*, const v1::DeleteChatChannelRequest*,
                                 v1::DeleteChatChannelResponse*) override;
  grpc::Status TestChatChannel(grpc::ServerContext*, const v1::TestChatChannelRequest*,
                               v1::TestChatChannelResponse*) override;
  grpc::Status ListChatPosts(grpc::ServerContext*, const v1::ListChatPostsRequest*,
                             v1::ListChatPostsResponse*) override;
  grpc::Status RetryChatPost(grpc::ServerContext*, const v1::RetryChatPostRequest*,
                             v1::ChatPost*) override;

 private:
  ChatCore* core_;
};

}  // namespace tocsin::paging

#endif  // TOCSIN_SERVICES_PAGING_CHAT_GRPC_SERVICE_H_
