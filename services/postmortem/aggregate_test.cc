#include "services/postmortem/aggregate.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/proto/time.h"
#include "tocsin/postmortem/v1/postmortem.pb.h"

namespace tocsin::postmortem {
namespace {

using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::Optional;

// ---- Percentiles ----

TEST(PercentileTest, NearestRank) {
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 50), 2);
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 90), 4);
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 100), 4);
  EXPECT_EQ(Percentile({1, 2, 3, 4}, 0), 1);
}

TEST(PercentileTest, OneValueIsEveryPercentile) {
  EXPECT_EQ(Percentile({7.5}, 50), 7.5);
  EXPECT_EQ(Percentile({7.5}, 90), 7.5);
}

TEST(PercentileTest, UnsortedInput) {
  EXPECT_EQ(Percentile({5, 1, 4, 2, 3}, 50), 3);
  EXPECT_EQ(Percentile({5, 1, 4, 2, 3}, 90), 5);
  EXPECT_EQ(Percentile({30, 10, 20}, 50), 20);
}

TEST(PercentileTest, WholeRanksAreNotRoundedUp) {
  // p90 of ten values is the 9th: 0.9 * 10 must not become 9.000000000000002.
  EXPECT_EQ(Percentile({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 90), 9);
  EXPECT_EQ(Percentile({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 50), 5);
}

// ---- Metric values ----

TEST(MetricNamesTest, InReportOrder) {
  EXPECT_THAT(MetricNames(), ElementsAre("time_to_detect", "time_to_engage", "time_to_acknowledge",
                                         "time_to_mitigate", "time_to_resolve", "pages",
                                         "people_engaged", "stages_reached"));
}

TEST(MetricValueTest, DurationsOnlyWhenPresentCountsAlways) {
  v1::Metrics metrics;
  metrics.set_time_to_detect_seconds(0);  // present, and 0
  metrics.set_time_to_resolve_seconds(3725);
  metrics.set_pages(3);
  EXPECT_EQ(MetricValue(metrics, "time_to_detect"), 0.0);
  EXPECT_EQ(MetricValue(metrics, "time_to_engage"), std::nullopt);
  EXPECT_EQ(MetricValue(metrics, "time_to_acknowledge"), std::nullopt);
  EXPECT_EQ(MetricValue(metrics, "time_to_mitigate"), std::nullopt);
  EXPECT_EQ(MetricValue(metrics, "time_to_resolve"), 3725.0);
  EXPECT_EQ(MetricValue(metrics, "pages"), 3.0);
  EXPECT_EQ(MetricValue(metrics, "people_engaged"), 0.0);
  EXPECT_EQ(MetricValue(metrics, "stages_reached"), 0.0);
  EXPECT_EQ(MetricValue(metrics, "alarms"), std::nullopt);
  EXPECT_EQ(MetricValue(metrics, "nonsense"), std::nullopt);
}

// ---- Grouping ----

struct Facts {
  std::string plan;
  absl::CivilSecond opened;
  std::optional<double> detect;
  std::optional<double> resolve;
  int64_t pages;
};

v1::Analysis MakeAnalysis(const Facts& facts) {
  v1::Analysis analysis;
  analysis.mutable_incident()->set_response_plan(facts.plan);
  *analysis.mutable_incident()->mutable_create_time() =
      ToProtoTime(absl::FromCivil(facts.opened, absl::UTCTimeZone()));
  v1::Metrics& metrics = *analysis.mutable_metrics();
  if (facts.detect.has_value()) metrics.set_time_to_detect_seconds(*facts.detect);
  if (facts.resolve.has_value()) metrics.set_time_to_resolve_seconds(*facts.resolve);
  metrics.set_pages(facts.pages);
  return analysis;
}

std::vector<std::pair<std::string, std::string>> Keys(const v1::GetMetricsResponse& response) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const v1::MetricsGroup& group : response.groups()) {
    keys.emplace_back(group.plan(), group.month());
  }
  return keys;
}

const v1::MetricsGroup& Group(const v1::GetMetricsResponse& response, const std::string& plan,
                              const std::string& month) {
  for (const v1::MetricsGroup& group : response.groups()) {
    if (group.plan() == plan && group.month() == month) return group;
  }
  ADD_FAILURE() << "no group " << plan << " " << month;
  static const v1::MetricsGroup* const kEmpty = new v1::MetricsGroup();
  return *kEmpty;
}

const v1::MetricSummary& Summary(const v1::MetricsGroup& group, const std::string& metric) {
  for (const v1::MetricSummary& summary : group.metrics()) {
    if (summary.metric() == metric) return summary;
  }
  ADD_FAILURE() << "no metric " << metric;
  static const v1::MetricSummary* const kEmpty = new v1::MetricSummary();
  return *kEmpty;
}

std::vector<v1::Analysis> TwoPlansTwoMonths() {
  return {
      MakeAnalysis({"checkout", absl::CivilSecond(2026, 3, 1, 10, 0, 0), 300, std::nullopt, 4}),
      MakeAnalysis({"checkout", absl::CivilSecond(2026, 2, 27, 9, 0, 0), 100, 1000, 2}),
      MakeAnalysis({"api", absl::CivilSecond(2026, 3, 2, 0, 0, 0), 50, 600, 0}),
      MakeAnalysis({"checkout", absl::CivilSecond(2026, 3, 15, 23, 59, 59), std::nullopt, 3000, 1}),
      // 23:30 UTC on the last day of January: January (UTC), whatever the
      // reader's zone.
      MakeAnalysis({"", absl::CivilSecond(2026, 1, 31, 23, 30, 0), 20, 200, 1}),
  };
}

TEST(AggregateTest, GroupsByPlanThenMonthOldestFirstThenTotal) {
  const v1::GetMetricsResponse response =
      Aggregate(TwoPlansTwoMonths(), {}, absl::CivilDay(2026, 3, 20));
  using Key = std::pair<std::string, std::string>;
  EXPECT_THAT(Keys(response), ElementsAre(Key{"", "2026-01"}, Key{"", ""}, Key{"api", "2026-03"},
                                          Key{"api", ""}, Key{"checkout", "2026-02"},
                                          Key{"checkout", "2026-03"}, Key{"checkout", ""}));
  EXPECT_EQ(Group(response, "checkout", "2026-02").incidents(), 1);
  EXPECT_EQ(Group(response, "checkout", "2026-03").incidents(), 2);
  EXPECT_EQ(Group(response, "checkout", "").incidents(), 3);
  EXPECT_EQ(Group(response, "api", "").incidents(), 1);
  EXPECT_EQ(Group(response, "", "").incidents(), 1);
  EXPECT_TRUE(response.owners().empty());
}

TEST(AggregateTest, EveryGroupHasEveryMetricInOrder) {
  const v1::GetMetricsResponse response =
      Aggregate(TwoPlansTwoMonths(), {}, absl::CivilDay(2026, 3, 20));
  for (const v1::MetricsGroup& group : response.groups()) {
    std::vector<std::string> names;
    for (const v1::MetricSummary& summary : group.metrics()) names.push_back(summary.metric());
    EXPECT_EQ(names, MetricNames()) << group.plan() << " " << group.month();
  }
}

TEST(AggregateTest, PlanTotals) {
  const v1::GetMetricsResponse response =
      Aggregate(TwoPlansTwoMonths(), {}, absl::CivilDay(2026, 3, 20));
  const v1::MetricsGroup& checkout = Group(response, "checkout", "");

  const v1::MetricSummary& detect = Summary(checkout, "time_to_detect");
  EXPECT_EQ(detect.count(), 2);
  EXPECT_THAT(detect.has_mean() ? std::optional<double>(detect.mean()) : std::nullopt,
              Optional(DoubleEq(200)));
  EXPECT_EQ(detect.p50(), 100);
  EXPECT_EQ(detect.p90(), 300);

  const v1::MetricSummary& resolve = Summary(checkout, "time_to_resolve");
  EXPECT_EQ(resolve.count(), 2);
  EXPECT_DOUBLE_EQ(resolve.mean(), 2000);
  EXPECT_EQ(resolve.p50(), 1000);
  EXPECT_EQ(resolve.p90(), 3000);

  // Counts are always there: every analysis counts, zeros included.
  const v1::MetricSummary& pages = Summary(checkout, "pages");
  EXPECT_EQ(pages.count(), 3);
  EXPECT_DOUBLE_EQ(pages.mean(), 7.0 / 3);
  EXPECT_EQ(pages.p50(), 2);
  EXPECT_EQ(pages.p90(), 4);
  const v1::MetricSummary& api_pages = Summary(Group(response, "api", ""), "pages");
  EXPECT_EQ(api_pages.count(), 1);
  EXPECT_TRUE(api_pages.has_mean());
  EXPECT_EQ(api_pages.mean(), 0);
}

TEST(AggregateTest, MissingMetricIsLeftOutNotCountedAsZero) {
  const v1::GetMetricsResponse response =
      Aggregate(TwoPlansTwoMonths(), {}, absl::CivilDay(2026, 3, 20));
  const v1::MetricsGroup& march = Group(response, "checkout", "2026-03");
  ASSERT_EQ(march.incidents(), 2);

  // One of the two has a time to detect (300), the other has none: the mean
  // is 300, not 150.
  const v1::MetricSummary& detect = Summary(march, "time_to_detect");
  EXPECT_EQ(detect.count(), 1);
  EXPECT_DOUBLE_EQ(detect.mean(), 300);
  EXPECT_EQ(detect.p50(), 300);
  EXPECT_EQ(detect.p90(), 300);
  const v1::MetricSummary& resolve = Summary(march, "time_to_resolve");
  EXPECT_EQ(resolve.count(), 1);
  EXPECT_DOUBLE_EQ(resolve.mean(), 3000);

  // Nobody has it: count 0, nothing else set.
  for (const v1::MetricsGroup& group : response.groups()) {
    for (const char* name : {"time_to_engage", "time_to_acknowledge", "time_to_mitigate"}) {
      const v1::MetricSummary& summary = Summary(group, name);
      EXPECT_EQ(summary.count(), 0) << name;
      EXPECT_FALSE(summary.has_mean()) << name;
      EXPECT_FALSE(summary.has_p50()) << name;
      EXPECT_FALSE(summary.has_p90()) << name;
    }
  }
}

TEST(AggregateTest, NothingGivenNothingReported) {
  const v1::GetMetricsResponse response = Aggregate({}, {}, absl::CivilDay(2026, 3, 20));
  EXPECT_TRUE(response.groups().empty());
  EXPECT_TRUE(response.owners().empty());
}

// ---- Action items per owner ----

v1::ActionItem Item(const std::string& owner, const std::string& due_date,
                    v1::ActionItemState state = v1::ACTION_ITEM_STATE_OPEN) {
  v1::ActionItem item;
  item.set_owner(owner);
  item.set_due_date(due_date);
  item.set_state(state);
  return item;
}

TEST(IsOverdueTest, DueBeforeTodayOnly) {
  const absl::CivilDay today(2026, 3, 10);
  EXPECT_TRUE(IsOverdue(Item("a", "2026-03-09"), today));
  EXPECT_TRUE(IsOverdue(Item("a", "2025-12-31"), today));
  EXPECT_FALSE(IsOverdue(Item("a", "2026-03-10"), today));
  EXPECT_FALSE(IsOverdue(Item("a", "2026-03-11"), today));
}

TEST(IsOverdueTest, DoneIsNeverOverdue) {
  EXPECT_FALSE(
      IsOverdue(Item("a", "2026-03-01", v1::ACTION_ITEM_STATE_DONE), absl::CivilDay(2026, 3, 10)));
}

TEST(IsOverdueTest, UnparsableDueDateIsNeverOverdue) {
  const absl::CivilDay today(2026, 3, 10);
  EXPECT_FALSE(IsOverdue(Item("a", ""), today));
  EXPECT_FALSE(IsOverdue(Item("a", "next week"), today));
  EXPECT_FALSE(IsOverdue(Item("a", "2026-03-01T00:00:00"), today));
  EXPECT_FALSE(IsOverdue(Item("a", "01/03/2026"), today));
  EXPECT_FALSE(IsOverdue(Item("a", "2026-02-30"), today));
}

TEST(AggregateTest, OwnersOpenAndOverdue) {
  const std::vector<v1::ActionItem> items = {
      Item("bob", "2026-03-09"),                                // yesterday: overdue
      Item("alice", "2026-03-10"),                              // today: not yet
      Item("alice", "2026-03-09"),                              // yesterday: overdue
      Item("alice", "2026-03-01", v1::ACTION_ITEM_STATE_DONE),  // done: never
      Item("bob", "soon"),                                      // unparsable: never
      Item("carol", "2026-01-01", v1::ACTION_ITEM_STATE_DONE),  // only done items
  };
  const v1::GetMetricsResponse response = Aggregate({}, items, absl::CivilDay(2026, 3, 10));
  ASSERT_EQ(response.owners_size(), 2);
  EXPECT_EQ(response.owners(0).owner(), "alice");
  EXPECT_EQ(response.owners(0).open(), 2);
  EXPECT_EQ(response.owners(0).overdue(), 1);
  EXPECT_EQ(response.owners(1).owner(), "bob");
  EXPECT_EQ(response.owners(1).open(), 2);
  EXPECT_EQ(response.owners(1).overdue(), 1);
}

}  // namespace
}  // namespace tocsin::postmortem
