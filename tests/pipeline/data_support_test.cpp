#include "pipeline/data_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "metrics/cx_config.hpp"
#include "metrics/metric_catalog.hpp"
#include "rca/cx_model.hpp"
#include "rca/hypothesis.hpp"
#include "rca/panel.hpp"
#include "recommend/action.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "storage/needs.hpp"
#include "support/test_support.hpp"

namespace cxagent::pipeline {
namespace {

using Strings = std::vector<std::string>;

// Orders with every contract column the analysis reads from them, one order.
constexpr const char* ORDERS =
    "order_id,created_at,status,cancel_reason,region,store_id,store_type,platform,daypart,"
    "fulfillment_mode,distance_km,quoted_eta_min\n"
    "1,2026-06-01 12:00:00,delivered,,seattle,7,grocery,ios,lunch,merchant_pick,2.5,30\n";

class DataSupportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rca::RegisterBuiltinHypotheses(hypotheses_);
    recommend::RegisterBuiltinActionTemplates(actions_);
  }

  DataSupport Assess() {
    const storage::Dataset dataset =
        storage::Dataset::Open(connection_, {.folder = dir_.Path().string()});
    return AssessDataSupport(dataset, hypotheses_, actions_);
  }

  static const Unavailable* Find(const DataSupport& support, std::string_view kind,
                                 std::string_view name) {
    for (const auto& entry : support.unavailable) {
      if (entry.kind == kind && entry.name == name) return &entry;
    }
    return nullptr;
  }

  testing::TempDir dir_;
  storage::Database database_;
  storage::Connection connection_{database_};
  rca::HypothesisRegistry hypotheses_;
  recommend::ActionRegistry actions_;
};

TEST_F(DataSupportTest, EveryDeclaredNeedIsAContractColumn) {
  std::vector<std::pair<std::string, storage::Needs>> declared;
  for (const auto& metric : metrics::Metrics()) declared.emplace_back(metric.name, metric.needs);
  for (const auto& metric : rca::PanelMetrics()) declared.emplace_back(metric.name, metric.needs);
  for (const auto& feature : rca::OrderFeatures())
    declared.emplace_back(feature.name, feature.needs);
  for (const auto& component : metrics::CxComponents()) {
    declared.emplace_back(component.name, component.needs);
  }
  for (const auto& action : actions_.All()) declared.emplace_back(action.name, action.needs);
  for (const auto& [name, needs] : declared) {
    for (const auto need : needs)
      EXPECT_TRUE(storage::IsContractColumn(need)) << name << ": " << need;
  }
  EXPECT_FALSE(storage::IsContractColumn("deliveries.lateness"));
  EXPECT_FALSE(storage::IsContractColumn("late_min"));
}

TEST_F(DataSupportTest, TheRcaMetricsNeedAtLeastWhatTheCatalogNeedsUnderTheSameName) {
  for (const auto& metric : rca::PanelMetrics()) {
    const auto& catalog = metrics::Metrics();
    const auto same = std::find_if(catalog.begin(), catalog.end(),
                                   [&](const auto& m) { return m.name == metric.name; });
    if (same == catalog.end()) continue;
    for (const auto need : same->needs) {
      EXPECT_NE(std::find(metric.needs.begin(), metric.needs.end(), need), metric.needs.end())
          << metric.name << " lacks " << need;
    }
  }
}

TEST_F(DataSupportTest, AllTablesSupportEverything) {
  dir_.Write("orders.csv", ORDERS);
  dir_.Write("deliveries.csv",
             "order_id,is_batched,batch_size,assign_delay_min,prep_wait_min,shop_min,travel_min,"
             "actual_eta_min,late_min,weather\n1,false,1,3,4,0,12,28,-2,clear\n");
  dir_.Write("items.csv", "order_id,status,substitution_accepted\n1,found,\n");
  dir_.Write("inventory.csv", "date,store_id,feed_lag_hours\n2026-06-01,7,2\n");
  dir_.Write("support.csv", "ticket_id,order_id\n5,1\n");
  dir_.Write("ratings.csv", "order_id,rating\n1,5\n");
  dir_.Write("supply_hourly.csv",
             "region,hour,active_dashers,busy_ratio\nseattle,2026-06-01 12:00:00,40,0.8\n");
  const DataSupport support = Assess();
  EXPECT_TRUE(support.unavailable.empty()) << support.UnavailableJson().dump();
  EXPECT_EQ(support.cx_components, (Strings{"cancelled", "late", "missing_lines",
                                            "rejected_substitutions", "contact", "rating"}));
  EXPECT_EQ(support.CxScoreJson()["unavailable"], nlohmann::json::array());
}

TEST_F(DataSupportTest, OrdersAloneSayWhatTheyCannotSupportAndWhy) {
  dir_.Write("orders.csv", ORDERS);
  const DataSupport support = Assess();
  const Unavailable* on_time = Find(support, "metric", "on_time_rate");
  ASSERT_NE(on_time, nullptr);
  EXPECT_EQ(on_time->needs, Strings{"deliveries.late_min"});
  ASSERT_NE(Find(support, "metric", "avg_rating"), nullptr);
  EXPECT_EQ(Find(support, "metric", "avg_rating")->needs, Strings{"ratings.rating"});
  // The RCA's own driver metrics are listed too; what orders carry is not.
  ASSERT_NE(Find(support, "metric", "active_dashers"), nullptr);
  EXPECT_EQ(Find(support, "metric", "cancel_rate"), nullptr);
  EXPECT_EQ(Find(support, "metric", "avg_quoted_eta"), nullptr);
  EXPECT_EQ(Find(support, "metric", "app_error_rate"), nullptr);

  EXPECT_EQ(support.cx_components, Strings{"cancelled"});
  const nlohmann::json cx = support.CxScoreJson();
  EXPECT_EQ(cx["components"], nlohmann::json::array({"cancelled"}));
  EXPECT_EQ(cx["unavailable"][0],
            (nlohmann::json{{"name", "late"}, {"needs", {"deliveries.late_min"}}}));
  EXPECT_EQ(cx["unavailable"].size(), 5u);

  // A lateness cause needs lateness (its outcome) and its signature driver.
  const Unavailable* batching = Find(support, "cause", "batching_expansion");
  ASSERT_NE(batching, nullptr);
  EXPECT_EQ(batching->needs, (Strings{"deliveries.late_min", "deliveries.is_batched"}));
  // A cancellation cause is testable from orders: its outcome and signature are there.
  EXPECT_EQ(Find(support, "cause", "app_release_regression"), nullptr);
  EXPECT_NE(Find(support, "action", "batching_rollback"), nullptr);
  EXPECT_EQ(Find(support, "action", "app_release_rollback"), nullptr);

  // Kinds come in a fixed order, and the JSON names each entry's kind, name and needs.
  const nlohmann::json json = support.UnavailableJson();
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json[0]["kind"], "metric");
  EXPECT_EQ(json.back()["kind"], "action");
  EXPECT_EQ(support.Names("metric").front(), "on_time_rate");
}

TEST_F(DataSupportTest, ACauseWithOneMeasurableSignatureIsTestable) {
  dir_.Write("orders.csv", ORDERS);
  // Deliveries with lateness and assignment delay, no supply: the supply shortage is testable on
  // its assignment-delay signature, not on active dashers.
  dir_.Write("deliveries.csv", "order_id,late_min,assign_delay_min\n1,3,4\n");
  const storage::Dataset dataset =
      storage::Dataset::Open(connection_, {.folder = dir_.Path().string()});
  const auto& supply = hypotheses_.Find("dasher_supply_shortage");
  EXPECT_TRUE(rca::UntestableNeeds(supply, dataset).empty());
  // Prep delay needs the prep wait (its only signature).
  EXPECT_EQ(rca::UntestableNeeds(hypotheses_.Find("merchant_prep_delay"), dataset),
            Strings{"deliveries.prep_wait_min"});
}

TEST_F(DataSupportTest, ACauseWithNoMeasurableSignatureNeedsAnyOfThem) {
  dir_.Write("orders.csv", ORDERS);
  dir_.Write("deliveries.csv", "order_id,late_min\n1,3\n");
  const storage::Dataset dataset =
      storage::Dataset::Open(connection_, {.folder = dir_.Path().string()});
  EXPECT_EQ(rca::UntestableNeeds(hypotheses_.Find("dasher_supply_shortage"), dataset),
            (Strings{"supply_hourly.active_dashers", "supply_hourly.region", "supply_hourly.hour",
                     "deliveries.assign_delay_min"}));
}

}  // namespace
}  // namespace cxagent::pipeline
