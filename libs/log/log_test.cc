#include "libs/log/log.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tocsin::log {
namespace {

TEST(Log, LineIsOneJsonObjectWithServiceAndFields) {
  Init("incidents");
  std::string line = FormatLine("info", "incident \"opened\"\n",
                                {{"incident_id", "inc-1"}, {"event_id", "e1"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["service"], "incidents");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "incident \"opened\"\n");
  EXPECT_EQ(j["incident_id"], "inc-1");
  EXPECT_EQ(j["event_id"], "e1");
  EXPECT_TRUE(j["ts"].get<std::string>().back() == 'Z');
}

TEST(Log, InvalidUtf8DoesNotThrow) {
  std::string line = FormatLine("warn", "bad \xff byte", {});
  EXPECT_NO_THROW(nlohmann::json::parse(line));
}

}  // namespace
}  // namespace tocsin::log
