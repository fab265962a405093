#include "libs/text/email_address.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/status_matchers.h"

namespace tocsin::text {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::tocsin::testing::StatusIs;

TEST(ValidateEmailAddressTest, AcceptsOrdinaryAddresses) {
  for (const char* good :
       {"bob@example.com", "bob@localhost", "oncall-sre+pages@mail.example.co.uk",
        "first.last@example.com", "x_y!#$%&'*=?^`{|}~/@a-b.example", "1@2.3"}) {
    EXPECT_OK(ValidateEmailAddress(good)) << good;
  }
  EXPECT_OK(ValidateEmailAddress(std::string(64, 'a') + "@" + std::string(63, 'b') + ".com"));
}

TEST(ValidateEmailAddressTest, RefusesWithAMessageNamingTheAddressAndTheProblem) {
  struct Case {
    std::string address;
    std::string why;
  };
  for (const Case& c : std::vector<Case>{
           {"", "it is empty"},
           {"bob", "exactly one '@'"},
           {"bob@@example.com", "exactly one '@'"},
           {"bob@example@com", "exactly one '@'"},
           {"@example.com", "name before '@' is empty"},
           {"bob@", "domain after '@' is empty"},
           {"bob smith@example.com", "a space"},
           {"bob@example.com\r\nRCPT TO:<eve@example.com>", "control character"},
           {"b\xC3\xB6" "b@example.com", "non-ASCII"},
           {"Bob<bob@example.com>", "<>()[],;:"},
           {"\"bob\"@example.com", "<>()[],;:"},
           {".bob@example.com", "dot at its start"},
           {"bo..b@example.com", "two in a row"},
           {"bob@example..com", "two in a row"},
           {"bob@example.com.", "dot at its start or end"},
           {"bob@-example.com", "\"-example\" is not a host name label"},
           {"bob@[192.0.2.1]", "\"[192\" is not a host name label"},
           {std::string(65, 'a') + "@example.com", "longer than 64"},
           {"a@" + std::string(64, 'b') + ".com", "is not a host name label"},
           {std::string(60, 'a') + "@" + std::string(200, 'b') + ".com", "longer than 254"},
       }) {
    EXPECT_THAT(ValidateEmailAddress(c.address),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::AllOf(HasSubstr("email address \""), HasSubstr(c.why),
                                          HasSubstr("name@domain"))))
        << c.address;
  }
}

TEST(ValidateEmailAddressTest, TheMessageIsOneSafeLine) {
  absl::Status s = ValidateEmailAddress("bob@example.com\r\nX-Evil: 1\xFF");
  EXPECT_THAT(s.message(), Not(HasSubstr("\n")));
  EXPECT_THAT(s.message(), Not(HasSubstr("\r")));
  EXPECT_THAT(s.message(), HasSubstr("bob@example.com  X-Evil: 1\xEF\xBF\xBD"));
}

}  // namespace
}  // namespace tocsin::text
