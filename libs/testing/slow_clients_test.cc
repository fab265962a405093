#include "libs/testing/slow_clients.h"

#include "gmock/gmock.h"
#include "libs/http/http_server.h"
#include "libs/status/status_matchers.h"
#include "libs/testing/faulty_http_server.h"
#include "libs/testing/ports.h"

namespace tocsin::testing {
namespace {

TEST(SlowClients, HoldConnectionsWithRequestsThatNeverEnd) {
  ASSERT_OK_AND_ASSIGN(auto peer, FaultyHttpServer::Start());
  ASSERT_OK_AND_ASSIGN(auto flood,
                       SlowClients::Open({.port = peer->port(),
                                          .connections = 20,
                                          .sources = {"127.0.0.2", "127.0.0.3"},
                                          .trickle_every = absl::Milliseconds(100)}));
  absl::SleepFor(absl::Milliseconds(300));  // a few trickles go out
  EXPECT_EQ(flood->open(), 20);
  EXPECT_TRUE(peer->Requests().empty());  // no request was ever complete
  flood->Close();
  EXPECT_EQ(flood->open(), 0);
}

TEST(SlowClients, CountOnlyWhatTheServerHasNotClosed) {
  ASSERT_OK_AND_ASSIGN(auto server, http::HttpServer::Start({.num_threads = 1,
                                                              .idle_timeout = absl::Seconds(1)}));
  ASSERT_OK_AND_ASSIGN(auto flood, SlowClients::Open({.port = server->port(),
                                                      .connections = 5,
                                                      .trickle_every = absl::ZeroDuration()}));
  EXPECT_OK(WaitFor([&] { return flood->open() == 0; }, absl::Seconds(10)));
}

TEST(SlowClients, RefuseAServerThatIsNotThere) {
  ASSERT_OK_AND_ASSIGN(int port, PickUnusedPort());
  EXPECT_THAT(SlowClients::Open({.port = port, .connections = 3}).status(),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::HasSubstr("cannot connect")));
}

}  // namespace
}  // namespace tocsin::testing
