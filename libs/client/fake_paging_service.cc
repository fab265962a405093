#include "libs/client/fake_paging_service.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/client/fake_time.h"
#include "libs/grpc/status.h"
#include "libs/http/redact.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::paging::v1;

grpc::Status PageNotFound(const std::string& id) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("page \"", id, "\" not found"));
}

grpc::Status ChannelNotFound(const std::string& name) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("chat channel \"", name, "\" not found"));
}

void Redact(v1::ChatWebhook& webhook) {
  if (!webhook.webhook_url().empty()) {
    webhook.set_webhook_url(http::RedactUrl(webhook.webhook_url()));
  }
}

// The channel as the paging service answers it: webhook URLs redacted.
v1::ChatChannel Public(v1::ChatChannel channel) {
  if (channel.has_slack() && !channel.slack().webhook_url().empty()) {
    channel.mutable_slack()->set_webhook_url(
        http::RedactUrl(channel.slack().webhook_url()));
  }
  if (channel.has_teams()) Redact(*channel.mutable_teams());
  if (channel.has_chime()) Redact(*channel.mutable_chime());
  if (channel.has_mattermost()) Redact(*channel.mutable_mattermost());
  return channel;
}

}  // namespace

void FakePagingService::AddPage(const v1::Page& page) {
  absl::MutexLock lock(&mu_);
  pages_[page.id()] = page;
}

v1::Page FakePagingService::page(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return pages_.at(id);
}

std::vector<v1::AcceptPageRequest> FakePagingService::accepts() {
  absl::MutexLock lock(&mu_);
  return accepts_;
}

grpc::Status FakePagingService::AcceptPage(grpc::ServerContext*,
                                           const v1::AcceptPageRequest* request,
                                           v1::Page* response) {
  absl::MutexLock lock(&mu_);
  accepts_.push_back(*request);
  auto it = pages_.find(request->page_id());
  if (it == pages_.end()) return PageNotFound(request->page_id());
  if (request->accept_code() != it->second.accept_code()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("accept code does not match page \"",
                                     request->page_id(), "\""));
  }
  // As the service: the first acknowledgement stands; a later one answers
  // the page as it is.
  if (it->second.state() != v1::PAGE_STATE_ACKNOWLEDGED) {
    it->second.set_state(v1::PAGE_STATE_ACKNOWLEDGED);
    it->second.set_acked_by(request->author());
    it->second.mutable_ack_time()->set_seconds(kFakeNowSeconds + 300);
  }
  *response = it->second;
  return grpc::Status::OK;
}

grpc::Status FakePagingService::ListPages(grpc::ServerContext*,
                                          const v1::ListPagesRequest* request,
                                          v1::ListPagesResponse* response) {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, page] : pages_) {
    if (page.incident_id() != request->incident_id()) continue;
    v1::Page* listed = response->add_pages();
    *listed = page;
    listed->clear_accept_code();
  }
  return grpc::Status::OK;
}

grpc::Status FakePagingService::GetPage(grpc::ServerContext*,
                                        const v1::GetPageRequest* request,
                                        v1::Page* response) {
  absl::MutexLock lock(&mu_);
  auto it = pages_.find(request->page_id());
  if (it == pages_.end()) return PageNotFound(request->page_id());
  *response = it->second;
  return grpc::Status::OK;
}

// ---- FakeChatService ----

void FakeChatService::AddChannel(const v1::ChatChannel& channel) {
  absl::MutexLock lock(&mu_);
  v1::ChatChannel& stored = channels_[channel.name()];
  stored = channel;
  stored.mutable_create_time()->set_seconds(kFakeNowSeconds);
  stored.mutable_update_time()->set_seconds(kFakeNowSeconds);
}

v1::ChatChannel FakeChatService::channel(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return channels_.at(name);
}

bool FakeChatService::has_channel(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return channels_.count(name) > 0;
}

void FakeChatService::AddPost(const v1::ChatPost& post) {
  absl::MutexLock lock(&mu_);
  posts_[post.id()] = post;
}

v1::ChatPost FakeChatService::post(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return posts_.at(id);
}

void FakeChatService::SetTestAnswer(const std::string& name,
                                    absl::StatusOr<std::string> answer) {
  absl::MutexLock lock(&mu_);
  test_answers_.insert_or_assign(name, std::move(answer));
}

void FakeChatService::RefusePut(const std::string& name, absl::Status error) {
  absl::MutexLock lock(&mu_);
  put_errors_[name] = std::move(error);
}

std::vector<v1::PutChatChannelRequest> FakeChatService::puts() {
  absl::MutexLock lock(&mu_);
  return puts_;
}

std::vector<std::string> FakeChatService::tests() {
  absl::MutexLock lock(&mu_);
  return tests_;
}

grpc::Status FakeChatService::PutChatChannel(
    grpc::ServerContext*, const v1::PutChatChannelRequest* request,
    v1::ChatChannel* response) {
  absl::MutexLock lock(&mu_);
  puts_.push_back(*request);
  const v1::ChatChannel& channel = request->channel();
  if (channel.name().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "chat channel: field \"name\" is required");
  }
  if (channel.platform_case() == v1::ChatChannel::PLATFORM_NOT_SET) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("chat channel \"", channel.name(),
                                     "\": no platform"));
  }
  if (auto refused = put_errors_.find(channel.name());
      refused != put_errors_.end()) {
    return ToGrpcStatus(refused->second);
  }
  v1::ChatChannel stored = channel;
  auto it = channels_.find(channel.name());
  *stored.mutable_create_time() =
      it != channels_.end() ? it->second.create_time()
                            : google::protobuf::Timestamp();
  if (it == channels_.end()) {
    stored.mutable_create_time()->set_seconds(kFakeNowSeconds);
  }
  stored.mutable_update_time()->set_seconds(kFakeNowSeconds);
  if (!request->dry_run()) channels_[channel.name()] = stored;
  *response = Public(std::move(stored));
  return grpc::Status::OK;
}

grpc::Status FakeChatService::GetChatChannel(
    grpc::ServerContext*, const v1::GetChatChannelRequest* request,
    v1::ChatChannel* response) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(request->name());
  if (it == channels_.end()) return ChannelNotFound(request->name());
  *response = Public(it->second);
  return grpc::Status::OK;
}

grpc::Status FakeChatService::ListChatChannels(
    grpc::ServerContext*, const v1::ListChatChannelsRequest*,
    v1::ListChatChannelsResponse* response) {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, channel] : channels_) {
    *response->add_channels() = Public(channel);
  }
  return grpc::Status::OK;
}

grpc::Status FakeChatService::DeleteChatChannel(
    grpc::ServerContext*, const v1::DeleteChatChannelRequest* request,
    v1::DeleteChatChannelResponse*) {
  absl::MutexLock lock(&mu_);
  if (channels_.erase(request->name()) == 0) {
    return ChannelNotFound(request->name());
  }
  return grpc::Status::OK;
}

grpc::Status FakeChatService::TestChatChannel(
    grpc::ServerContext*, const v1::TestChatChannelRequest* request,
    v1::TestChatChannelResponse* response) {
  absl::MutexLock lock(&mu_);
  tests_.push_back(request->name());
  if (channels_.count(request->name()) == 0) {
    return ChannelNotFound(request->name());
  }
  auto answer = test_answers_.find(request->name());
  if (answer == test_answers_.end()) {
    response->set_answer("HTTP 200");
    return grpc::Status::OK;
  }
  if (!answer->second.ok()) return ToGrpcStatus(answer->second.status());
  response->set_answer(*answer->second);
  return grpc::Status::OK;
}

grpc::Status FakeChatService::ListChatPosts(
    grpc::ServerContext*, const v1::ListChatPostsRequest* request,
    v1::ListChatPostsResponse* response) {
  absl::MutexLock lock(&mu_);
  std::vector<const v1::ChatPost*> posts;
  for (const auto& [id, post] : posts_) {
    if (!request->channel().empty() && post.channel() != request->channel()) {
      continue;
    }
    if (!request->incident_id().empty() &&
        post.incident_id() != request->incident_id()) {
      continue;
    }
    posts.push_back(&post);
  }
  std::sort(posts.begin(), posts.end(),
            [](const v1::ChatPost* a, const v1::ChatPost* b) {
              return std::make_tuple(a->create_time().seconds(),
                                     a->create_time().nanos(), a->id()) >
                     std::make_tuple(b->create_time().seconds(),
                                     b->create_time().nanos(), b->id());
            });
  const size_t limit = request->limit() > 0 ? request->limit() : 100;
  for (size_t i = 0; i < posts.size() && i < limit; ++i) {
    *response->add_posts() = *posts[i];
  }
  return grpc::Status::OK;
}

grpc::Status FakeChatService::RetryChatPost(
    grpc::ServerContext*, const v1::RetryChatPostRequest* request,
    v1::ChatPost* response) {
  absl::MutexLock lock(&mu_);
  auto it = posts_.find(request->post_id());
  if (it == posts_.end()) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("chat post \"", request->post_id(), "\" not found"));
  }
  if (it->second.state() != v1::CHAT_POST_STATE_FAILED) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("chat post \"", request->post_id(),
                                     "\" is not FAILED"));
  }
  it->second.set_state(v1::CHAT_POST_STATE_PENDING);
  it->second.clear_last_error();
  *response = it->second;
  return grpc::Status::OK;
}

}  // namespace tocsin::client
