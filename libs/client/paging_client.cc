#include "libs/client/paging_client.h"

#include <utility>

#include "libs/client/call.h"
#include "libs/status/status_macros.h"

namespace tocsin::client {

namespace v1 = ::tocsin::paging::v1;
using internal::Call;

std::unique_ptr<PagingClient> PagingClient::Create(
    std::shared_ptr<grpc::Channel> channel, const ClientOptions& options) {
  return std::unique_ptr<PagingClient>(
      new PagingClient(v1::PagingService::NewStub(channel),
                       v1::ChatService::NewStub(channel), options));
}

PagingClient::PagingClient(std::unique_ptr<v1::PagingService::Stub> pages,
                           std::unique_ptr<v1::ChatService::Stub> chat,
                           const ClientOptions& options)
    : pages_(std::move(pages)), chat_(std::move(chat)), options_(options) {}

absl::StatusOr<v1::Page> PagingClient::AcceptPage(
    const std::string& page_id, const std::string& accept_code,
    const std::string& author) const {
  v1::AcceptPageRequest request;
  request.set_page_id(page_id);
  request.set_accept_code(accept_code);
  request.set_author(author);
  return Call(*pages_, &v1::PagingService::Stub::AcceptPage, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::Page>> PagingClient::ListPages(
    const std::string& incident_id) const {
  v1::ListPagesRequest request;
  request.set_incident_id(incident_id);
  ASSIGN_OR_RETURN(v1::ListPagesResponse response,
                   Call(*pages_, &v1::PagingService::Stub::ListPages, request,
                        options_.deadline));
  return internal::ToVector(response.mutable_pages());
}

absl::StatusOr<v1::Page> PagingClient::GetPage(
    const std::string& page_id) const {
  v1::GetPageRequest request;
  request.set_page_id(page_id);
  return Call(*pages_, &v1::PagingService::Stub::GetPage, request,
              options_.deadline);
}

absl::StatusOr<v1::ChatChannel> PagingClient::PutChatChannel(
    const v1::ChatChannel& channel, bool dry_run) const {
  v1::PutChatChannelRequest request;
  *request.mutable_channel() = channel;
  request.set_dry_run(dry_run);
  return Call(*chat_, &v1::ChatService::Stub::PutChatChannel, request,
              options_.deadline);
}

absl::StatusOr<v1::ChatChannel> PagingClient::GetChatChannel(
    const std::string& name) const {
  v1::GetChatChannelRequest request;
  request.set_name(name);
  return Call(*chat_, &v1::ChatService::Stub::GetChatChannel, request,
              options_.deadline);
}

absl::StatusOr<std::vector<v1::ChatChannel>> PagingClient::ListChatChannels()
    const {
  ASSIGN_OR_RETURN(v1::ListChatChannelsResponse response,
                   Call(*chat_, &v1::ChatService::Stub::ListChatChannels,
                        v1::ListChatChannelsRequest(), options_.deadline));
  return internal::ToVector(response.mutable_channels());
}

absl::Status PagingClient::DeleteChatChannel(const std::string& name) const {
  v1::DeleteChatChannelRequest request;
  request.set_name(name);
  return Call(*chat_, &v1::ChatService::Stub::DeleteChatChannel, request,
              options_.deadline)
      .status();
}

absl::StatusOr<std::string> PagingClient::TestChatChannel(
    const std::string& name) const {
  v1::TestChatChannelRequest request;
  request.set_name(name);
  ASSIGN_OR_RETURN(v1::TestChatChannelResponse response,
                   Call(*chat_, &v1::ChatService::Stub::TestChatChannel,
                        request, options_.deadline));
  return std::move(*response.mutable_answer());
}

absl::StatusOr<std::vector<v1::ChatPost>> PagingClient::ListChatPosts(
    const std::string& channel, const std::string& incident_id,
    int limit) const {
  v1::ListChatPostsRequest request;
  request.set_channel(channel);
  request.set_incident_id(incident_id);
  request.set_limit(limit);
  ASSIGN_OR_RETURN(v1::ListChatPostsResponse response,
                   Call(*chat_, &v1::ChatService::Stub::ListChatPosts, request,
                        options_.deadline));
  return internal::ToVector(response.mutable_posts());
}

absl::StatusOr<v1::ChatPost> PagingClient::RetryChatPost(
    const std::string& post_id) const {
  v1::RetryChatPostRequest request;
  request.set_post_id(post_id);
  return Call(*chat_, &v1::ChatService::Stub::RetryChatPost, request,
              options_.deadline);
}

}  // namespace tocsin::client
