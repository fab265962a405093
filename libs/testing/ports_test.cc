#include "libs/testing/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::testing {
namespace {

using ::testing::HasSubstr;

TEST(WaitFor, ReturnsOnceTheConditionHolds) {
  int calls = 0;
  EXPECT_OK(WaitFor([&] { return ++calls == 3; }, absl::Seconds(10),
                    absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(WaitFor, TimesOutWithDeadlineExceeded) {
  EXPECT_THAT(WaitFor([] { return false; }, absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("50ms")));
}

TEST(PickUnusedPort, ReturnsABindablePort) {
  ASSERT_OK_AND_ASSIGN(int port, PickUnusedPort());
  EXPECT_GT(port, 0);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  close(fd);
}

TEST(WaitForTcp, SucceedsWhenSomethingListens) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);

  EXPECT_OK(WaitForTcp("127.0.0.1", ntohs(address.sin_port), absl::Seconds(5)));
  close(fd);
}

TEST(WaitForTcp, TimesOutWhenNothingListens) {
  ASSERT_OK_AND_ASSIGN(int port, PickUnusedPort());
  EXPECT_THAT(WaitForTcp("127.0.0.1", port, absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr(absl::StrCat("127.0.0.1:", port))));
}

TEST(WaitForTcp, RejectsAHostName) {
  EXPECT_THAT(WaitForTcp("localhost", 1, absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("localhost")));
}

}  // namespace
}  // namespace tocsin::testing
