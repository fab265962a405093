#include "libs/client/paging_client.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/client/fake_paging_service.h"
#include "libs/client/test_server.h"
#include "libs/status/status_matchers.h"

namespace tocsin::client {
namespace {

namespace v1 = ::tocsin::paging::v1;
using ::testing::IsEmpty;
using ::tocsin::testing::StatusIs;

class PagingClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, TestServer::Start({&paging_}));
    client_ = PagingClient::Create(MakeChannel(server_->address()));
    v1::Page page;
    page.set_id("pg-1");
    page.set_incident_id("inc-1");
    page.set_accept_code("12345678");
    page.set_state(v1::PAGE_STATE_DELIVERED);
    paging_.AddPage(page);
  }

  FakePagingService paging_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<PagingClient> client_;
};

TEST_F(PagingClientTest, AcceptPageWithTheRightCodeAcknowledgesIt) {
  EXPECT_THAT(client_->AcceptPage("pg-1", "00000000", "cli:alice"),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  ASSERT_OK_AND_ASSIGN(v1::Page page,
                       client_->AcceptPage("pg-1", "12345678", "cli:alice"));

  EXPECT_EQ(page.state(), v1::PAGE_STATE_ACKNOWLEDGED);
  EXPECT_EQ(page.acked_by(), "cli:alice");
}

TEST_F(PagingClientTest, ListAndGetPages) {
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Page> pages,
                       client_->ListPages("inc-1"));
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0].accept_code(), "");
  ASSERT_OK_AND_ASSIGN(std::vector<v1::Page> none, client_->ListPages("inc-2"));
  EXPECT_THAT(none, IsEmpty());
  ASSERT_OK_AND_ASSIGN(v1::Page page, client_->GetPage("pg-1"));
  EXPECT_EQ(page.accept_code(), "12345678");
  EXPECT_THAT(client_->GetPage("pg-2"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

}  // namespace
}  // namespace tocsin::client
