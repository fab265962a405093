#include "services/paging/grpc_service.h"

#include "gtest/gtest.h"

namespace tocsin::paging {
namespace {

TEST(PeerSourceTest, DropsTheSchemeAndThePort) {
  EXPECT_EQ(PeerSource("ipv4:127.0.0.1:54321"), "127.0.0.1");
  EXPECT_EQ(PeerSource("ipv4:203.0.113.9:1"), "203.0.113.9");
  EXPECT_EQ(PeerSource("ipv6:[::1]:54321"), "::1");
  EXPECT_EQ(PeerSource("ipv6:[2001:db8::7]:443"), "2001:db8::7");
  EXPECT_EQ(PeerSource("unix:/run/tocsin.sock"), "unix:/run/tocsin.sock");
  EXPECT_EQ(PeerSource(""), "");
}

}  // namespace
}  // namespace tocsin::paging
