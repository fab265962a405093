#include "services/gateway/ingest_result.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tocsin::gateway {
namespace {

using ::nlohmann::json;
using ::tocsin::incidents::v1::IngestOutcome;

TEST(ResultsBody, OneEntryPerResultInOrder) {
  const std::vector<EventResult> results = {
      {"ev-1", "opened", "inc-42", "db-plan", "", false},
      {"ev-2", "joined", "inc-42", "db-plan", "joined open incident", true},
  };
  const json body = json::parse(ResultsBody(results));
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body.size(), 1u);
  const json& entries = body["results"];
  ASSERT_TRUE(entries.is_array());
  ASSERT_EQ(entries.size(), 2u);

  EXPECT_EQ(entries[0], json::parse(R"({"eventId": "ev-1", "outcome": "opened",
      "incidentId": "inc-42", "responsePlan": "db-plan", "duplicate": false})"));
  EXPECT_EQ(entries[1]["eventId"], "ev-2");
  EXPECT_EQ(entries[1]["outcome"], "joined");
  EXPECT_EQ(entries[1]["incidentId"], "inc-42");
  EXPECT_EQ(entries[1]["responsePlan"], "db-plan");
  EXPECT_EQ(entries[1]["detail"], "joined open incident");
  EXPECT_EQ(entries[1]["duplicate"], true);
}

TEST(ResultsBody, EmptyStringsAreLeftOut) {
  const json body = json::parse(
      ResultsBody({{"ev-3", "unmatched", "", "", "no plan matched", false}}));
  EXPECT_EQ(body["results"][0], json::parse(R"({"eventId": "ev-3",
      "outcome": "unmatched", "detail": "no plan matched",
      "duplicate": false})"));
}

TEST(ResultsBody, NoResultsIsAnEmptyArray) {
  EXPECT_EQ(json::parse(ResultsBody({})), json::parse(R"({"results": []})"));
}

TEST(OutcomeName, NamesEveryOutcome) {
  EXPECT_EQ(OutcomeName(IngestOutcome::INGEST_OUTCOME_OPENED), "opened");
  EXPECT_EQ(OutcomeName(IngestOutcome::INGEST_OUTCOME_JOINED), "joined");
  EXPECT_EQ(OutcomeName(IngestOutcome::INGEST_OUTCOME_RESOLVED), "resolved");
  EXPECT_EQ(OutcomeName(IngestOutcome::INGEST_OUTCOME_IGNORED), "ignored");
  EXPECT_EQ(OutcomeName(IngestOutcome::INGEST_OUTCOME_UNMATCHED), "unmatched");
  EXPECT_EQ(OutcomeName(IngestOutcome::INGEST_OUTCOME_UNSPECIFIED),
            "unspecified");
  EXPECT_EQ(OutcomeName(static_cast<IngestOutcome>(99)), "unspecified");
}

}  // namespace
}  // namespace tocsin::gateway
