#include "libs/testing/nats_server.h"

#include <nats/nats.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/ports.h"

namespace tocsin::testing {
namespace {

// Whether a NATS client can connect to url and get JetStream account info.
bool JetStreamAnswers(const std::string& url) {
  natsConnection* connection = nullptr;
  if (natsConnection_ConnectTo(&connection, url.c_str()) != NATS_OK) {
    return false;
  }
  jsCtx* js = nullptr;
  jsAccountInfo* info = nullptr;
  bool ok = natsConnection_JetStream(&js, connection, nullptr) == NATS_OK &&
            js_GetAccountInfo(&info, js, nullptr, nullptr) == NATS_OK;
  jsAccountInfo_Destroy(info);
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
  return ok;
}

TEST(NatsServer, StartsWithJetStreamOnItsOwnPort) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NatsServer> server, NatsServer::Start());

  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->url(), absl::StrCat("nats://127.0.0.1:", server->port()));
  EXPECT_TRUE(JetStreamAnswers(server->url())) << server->Log();
}

TEST(NatsServer, RestartsOnTheSamePort) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NatsServer> server, NatsServer::Start());
  const int port = server->port();

  server->Kill();
  EXPECT_THAT(WaitForTcp("127.0.0.1", port, absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  ASSERT_OK(server->Restart());

  EXPECT_EQ(server->port(), port);
  EXPECT_TRUE(JetStreamAnswers(server->url())) << server->Log();
}

// Messages in stream "S" (subject "s"), created on first use; -1 on error.
int64_t PublishAndCount(const std::string& url, int publish) {
  natsConnection* connection = nullptr;
  if (natsConnection_ConnectTo(&connection, url.c_str()) != NATS_OK) return -1;
  jsCtx* js = nullptr;
  int64_t count = -1;
  if (natsConnection_JetStream(&js, connection, nullptr) == NATS_OK) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = "S";
    const char* subjects[] = {"s"};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    jsStreamInfo* info = nullptr;
    js_AddStream(&info, js, &config, nullptr, nullptr);
    jsStreamInfo_Destroy(info);
    bool ok = true;
    for (int i = 0; i < publish && ok; ++i) {
      ok = js_Publish(nullptr, js, "s", "m", 1, nullptr, nullptr) == NATS_OK;
    }
    info = nullptr;
    if (ok && js_GetStreamInfo(&info, js, "S", nullptr, nullptr) == NATS_OK) {
      count = static_cast<int64_t>(info->State.Msgs);
    }
    jsStreamInfo_Destroy(info);
    jsCtx_Destroy(js);
  }
  natsConnection_Destroy(connection);
  return count;
}

TEST(NatsServer, StopKeepsWhatWasAcknowledgedAndRestartServesItAgain) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NatsServer> server, NatsServer::Start());
  const int port = server->port();
  ASSERT_EQ(PublishAndCount(server->url(), 3), 3) << server->Log();
  EXPECT_TRUE(server->running());

  server->Stop();
  EXPECT_FALSE(server->running());
  EXPECT_THAT(WaitForTcp("127.0.0.1", port, absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  server->Stop();  // idempotent
  ASSERT_OK(server->Restart());

  EXPECT_TRUE(server->running());
  EXPECT_EQ(server->port(), port);
  EXPECT_EQ(PublishAndCount(server->url(), 0), 3) << server->Log();
}

TEST(NatsServer, TwoServersGetDifferentPorts) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NatsServer> first, NatsServer::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NatsServer> second, NatsServer::Start());

  EXPECT_NE(first->port(), second->port());
  EXPECT_NE(first->dir(), second->dir());
}

}  // namespace
}  // namespace tocsin::testing
