#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "rca/cx_model.hpp"
#include "storage/table.hpp"
#include "support/test_support.hpp"

namespace cxagent::rca {
namespace {

// A CX-like target from three features with an interaction and missing values.
FeatureMatrix Synthetic(size_t rows, std::vector<double>& targets, uint32_t seed = 3) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0F, 1.0F);
  FeatureMatrix m;
  m.names = {"late", "missing", "batched", "noise"};
  m.rows = rows;
  targets.clear();
  for (size_t i = 0; i < rows; ++i) {
    const float late = 40.0F * uniform(rng) - 10.0F;
    const float missing = std::floor(3.0F * uniform(rng) * uniform(rng));
    const float batched = uniform(rng) < 0.3F ? 1.0F : 0.0F;
    const float noise =
        uniform(rng) < 0.1F ? std::numeric_limits<float>::quiet_NaN() : uniform(rng);
    m.values.insert(m.values.end(), {late, missing, batched, noise});
    double y = 100.0 - (late > 5 ? 15.0 : 0.0) - (late > 20 ? 15.0 : 0.0) - 10.0 * missing -
               (batched > 0 && late > 0 ? 5.0 : 0.0);
    targets.push_back(y);
  }
  return m;
}

TEST(CxModelTest, ContributionsSumToThePredictionPerRow) {
  std::vector<double> y;
  const FeatureMatrix x = Synthetic(4000, y);
  const CxModel model = CxModel::Train(x, y, {.rounds = 60, .threads = 1});
  const std::vector<double> predictions = model.Predict(x);
  const std::vector<double> contributions = model.Contributions(x);
  const size_t width = x.Columns() + 1;
  ASSERT_EQ(contributions.size(), x.rows * width);
  double worst = 0;
  for (size_t row = 0; row < x.rows; ++row) {
    double sum = 0;
    for (size_t c = 0; c < width; ++c) sum += contributions[row * width + c];
    worst = std::max(worst, std::fabs(sum - predictions[row]));
  }
  EXPECT_LT(worst, 1e-4);
}

TEST(CxModelTest, LearnsTheTargetAndCreditsTheRightFeature) {
  std::vector<double> y;
  const FeatureMatrix x = Synthetic(4000, y);
  const CxModel model = CxModel::Train(x, y, {.rounds = 80});
  const std::vector<double> predictions = model.Predict(x);
  double error = 0;
  for (size_t i = 0; i < y.size(); ++i) error += std::fabs(predictions[i] - y[i]);
  EXPECT_LT(error / static_cast<double>(y.size()), 1.5);
  // Rows with two missing items: the "missing" contribution is about -20 + the mean effect.
  const std::vector<double> contributions = model.Contributions(x);
  double noise_total = 0;
  for (size_t row = 0; row < x.rows; ++row) noise_total += std::fabs(contributions[row * 5 + 3]);
  EXPECT_LT(noise_total / static_cast<double>(x.rows), 0.5);
}

TEST(CxModelTest, SavesAndLoadsToTheSamePredictions) {
  std::vector<double> y;
  const FeatureMatrix x = Synthetic(1000, y);
  const CxModel model = CxModel::Train(x, y, {.rounds = 20});
  const CxModel loaded = CxModel::LoadFromBytes(model.SaveToBytes());
  EXPECT_EQ(loaded.Features(), x.names);
  EXPECT_DOUBLE_EQ(loaded.Offset(), model.Offset());
  const auto a = model.Predict(x);
  const auto b = loaded.Predict(x);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_DOUBLE_EQ(a[i], b[i]);
}

TEST(CxModelTest, RejectsBadInputWithAMessage) {
  std::vector<double> y;
  FeatureMatrix x = Synthetic(100, y);
  y.pop_back();
  EXPECT_NE(testing::ErrorMessage([&] { CxModel::Train(x, y); }).find("99 targets for 100 rows"),
            std::string::npos);
  FeatureMatrix empty;
  empty.names = {"a"};
  EXPECT_NE(testing::ErrorMessage([&] { CxModel::Train(empty, {}); }).find("no orders"),
            std::string::npos);
  EXPECT_NE(testing::ErrorMessage([&] {
              CxModel::LoadFromBytes("not a model");
            }).find("cannot load the CX model"),
            std::string::npos);
  y.push_back(1);
  const CxModel model = CxModel::Train(x, y, {.rounds = 2});
  FeatureMatrix other = x;
  other.names[0] = "other";
  EXPECT_NE(testing::ErrorMessage([&] { model.Predict(other); }).find("expects features"),
            std::string::npos);
}

TEST(CxModelTest, EncodesOrderFactsWithFixedCodes) {
  storage::Table table;
  const auto add_int = [&](const char* name, std::vector<int64_t> values) {
    auto& c = table.AddColumn(name, storage::ColumnType::INTEGER);
    c.ints = std::move(values);
    return &c;
  };
  const auto add_double = [&](const char* name, std::vector<double> values) {
    auto& c = table.AddColumn(name, storage::ColumnType::DOUBLE);
    c.doubles = std::move(values);
    return &c;
  };
  const auto add_text = [&](const char* name, std::vector<std::string> values) {
    auto& c = table.AddColumn(name, storage::ColumnType::VARCHAR);
    c.strings = std::move(values);
    return &c;
  };
  add_int("is_batched", {1, 0});
  add_int("batch_size", {2, 1});
  add_double("assign_delay_min", {3, 0})->SetNull(1);
  add_double("busy_ratio", {0.8, 0.9});
  add_double("prep_wait_min", {1, 0});
  add_double("shop_min", {0, 0});
  add_double("distance_km", {3, 4});
  add_double("quoted_eta_min", {30, 35});
  add_text("weather", {"snow", ""})->SetNull(1);
  add_double("feed_lag_hours", {2, 50});
  add_int("missing_lines", {0, 0});
  add_int("substituted_lines", {2, 0});
  add_int("rejected_subs", {1, 0});
  add_int("n_lines", {4, 0});
  add_text("cancel_reason", {"", "app_error"})->SetNull(0);
  add_text("platform", {"android", "tv"});
  add_text("daypart", {"late_night", "lunch"});
  add_text("store_type", {"grocery", "restaurant"});
  add_text("fulfillment_mode", {"dasher_shop", "merchant_pick"});
  add_int("hour", {22, 12});
  const FeatureMatrix m = EncodeOrderFeatures(table);
  ASSERT_EQ(m.rows, 2U);
  EXPECT_EQ(m.At(0, m.Index("weather")), 2.0F);
  EXPECT_TRUE(std::isnan(m.At(1, m.Index("weather"))));
  EXPECT_TRUE(std::isnan(m.At(1, m.Index("assign_delay_min"))));
  EXPECT_EQ(m.At(0, m.Index("sub_reject_share")), 0.5F);
  EXPECT_TRUE(std::isnan(m.At(1, m.Index("sub_reject_share"))));
  EXPECT_EQ(m.At(1, m.Index("cancel_app_error")), 1.0F);
  EXPECT_EQ(m.At(0, m.Index("cancel_app_error")), 0.0F);
  EXPECT_EQ(m.At(0, m.Index("platform")), 1.0F);
  EXPECT_TRUE(std::isnan(m.At(1, m.Index("platform"))));  // not a contract value
  EXPECT_EQ(m.At(0, m.Index("daypart")), 4.0F);
  EXPECT_EQ(m.At(0, m.Index("store_type")), 1.0F);
  EXPECT_EQ(m.At(0, m.Index("fulfillment_mode")), 1.0F);
  EXPECT_EQ(m.At(1, m.Index("feed_lag_hours")), 50.0F);
}

}  // namespace
}  // namespace cxagent::rca

namespace cxagent::rca {
namespace {

// A cancelled order (no delivery: batch size unknown) takes the dispatched orders' medians, so the
// trees cannot read "no delivery data" as "cancelled".
TEST(CxModelTest, CancelledOrdersTakeTheDispatchedMedians) {
  FeatureMatrix m;
  for (const auto& feature : OrderFeatures()) m.names.emplace_back(feature.name);
  m.rows = 4;
  m.values.assign(m.rows * m.Columns(), 0.0F);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float assign[] = {2, 4, 9, nan};
  const float batch[] = {1, 2, 1, nan};
  const float lines[] = {3, 5, 7, 0};
  for (size_t row = 0; row < 4; ++row) {
    m.At(row, m.Index("assign_delay_min")) = assign[row];
    m.At(row, m.Index("batch_size")) = batch[row];
    m.At(row, m.Index("n_lines")) = lines[row];
    m.At(row, m.Index("is_batched")) = row == 1 ? 1.0F : (row == 3 ? nan : 0.0F);
    m.At(row, m.Index("cancel_app_error")) = row == 3 ? 1.0F : 0.0F;
  }
  ImputeUndispatched(m);
  EXPECT_EQ(m.At(3, m.Index("assign_delay_min")), 4.0F);
  EXPECT_EQ(m.At(3, m.Index("n_lines")), 5.0F);
  EXPECT_EQ(m.At(3, m.Index("is_batched")), 0.0F);
  EXPECT_EQ(m.At(3, m.Index("batch_size")), 1.0F);
  EXPECT_EQ(m.At(3, m.Index("cancel_app_error")), 1.0F);
  EXPECT_EQ(m.At(0, m.Index("assign_delay_min")), 2.0F);  // dispatched rows untouched
}

}  // namespace
}  // namespace cxagent::rca
