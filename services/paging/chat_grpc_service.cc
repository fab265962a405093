#include "services/paging/chat_grpc_service.h"

#include "libs/grpc/status.h"

namespace tocsin::paging {

grpc::Status ChatServiceImpl::PutChatChannel(grpc::ServerContext*,
                                             const v1::PutChatChannelRequest* req,
                                             v1::ChatChannel* resp) {
  return Answer(resp, [&] { return core_->PutChannel(req->channel(), req->dry_run()); });
}

grpc::Status ChatServiceImpl::GetChatChannel(grpc::ServerContext*,
                                             const v1::GetChatChannelRequest* req,
                                             v1::ChatChannel* resp) {
  return Answer(resp, [&] { return core_->GetChannel(req->name()); });
}

grpc::Status ChatServiceImpl::ListChatChannels(grpc::ServerContext*,
                                               const v1::ListChatChannelsRequest*,
                                               v1::ListChatChannelsResponse* resp) {
  return AnswerList(resp->mutable_channels(), [&] { return core_->ListChannels(); });
}

grpc::Status ChatServiceImpl::DeleteChatChannel(grpc::ServerContext*,
                                                const v1::DeleteChatChannelRequest* req,
                                                v1::DeleteChatChannelResponse*) {
  return ToGrpcStatus(core_->DeleteChannel(req->name()));
}

grpc::Status ChatServiceImpl::TestChatChannel(grpc::ServerContext*,
                                              const v1::TestChatChannelRequest* req,
                                              v1::TestChatChannelResponse* resp) {
  absl::StatusOr<std::string> answer = core_->TestChannel(req->name());
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  resp->set_answer(*answer);
  return grpc::Status::OK;
}

grpc::Status ChatServiceImpl::ListChatPosts(grpc::ServerContext*,
                                            const v1::ListChatPostsRequest* req,
                                            v1::ListChatPostsResponse* resp) {
  return AnswerList(resp->mutable_posts(), [&] {
    return core_->ListPosts(req->channel(), req->incident_id(), req->limit());
  });
}

grpc::Status ChatServiceImpl::RetryChatPost(grpc::ServerContext*,
                                            const v1::RetryChatPostRequest* req,
                                            v1::ChatPost* resp) {
  return Answer(resp, [&] { return core_->RetryPost(req->post_id()); });
}

}  // namespace tocsin::paging
