#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "rca/artifacts.hpp"
#include "storage/duckdb.hpp"
#include "storage/results_store.hpp"
#include "support/test_support.hpp"

namespace cxagent::rca {
namespace {

TEST(Base64Test, RoundTripsEveryByte) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t length : {0U, 1U, 2U, 3U, 4U, 255U, 256U}) {
    const std::string part = bytes.substr(0, length);
    EXPECT_EQ(Base64Decode(Base64Encode(part)), part) << length;
  }
  EXPECT_EQ(Base64Encode("Man"), "TWFu");
  EXPECT_EQ(Base64Encode("Ma"), "TWE=");
  EXPECT_NE(testing::ErrorMessage([] { Base64Decode("abc"); }).find("malformed"),
            std::string::npos);
}

// A model and sample staged by the analysis come back from the results store unchanged, so the
// server can re-predict orders without retraining.
TEST(ArtifactsTest, TheModelAndSampleSurviveTheResultsStore) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> uniform(0.0F, 10.0F);
  IncidentRca rca;
  rca.incident_id = "INC-0007";
  FeatureMatrix sample;
  for (const auto& feature : OrderFeatures()) sample.names.emplace_back(feature.name);
  sample.rows = 300;
  std::vector<double> cx;
  std::vector<int64_t> ids;
  std::vector<uint8_t> incident;
  std::vector<float> late;
  for (size_t row = 0; row < sample.rows; ++row) {
    late.push_back(row % 5 == 0 ? std::numeric_limits<float>::quiet_NaN() : uniform(rng) - 4.0F);
    for (size_t c = 0; c < sample.names.size(); ++c) {
      sample.values.push_back(row % 7 == c % 7 ? std::numeric_limits<float>::quiet_NaN()
                                               : uniform(rng));
    }
    cx.push_back(90.0 - static_cast<double>(row % 10));
    ids.push_back(static_cast<int64_t>(1000 + row));
    incident.push_back(row % 2);
  }
  CxModel model = CxModel::Train(sample, cx, {.rounds = 5});
  const std::vector<double> expected = model.Predict(sample);
  rca.model = IncidentModel{std::move(model), sample, ids, incident, cx, late};

  testing::TempDir dir;
  {
    storage::Database database;
    storage::Connection connection(database);
    std::vector<IncidentRca> results;
    results.push_back(std::move(rca));
    StageArtifacts(connection, results);
    storage::StoreResults(connection, dir.Path().string(), nlohmann::json::object(),
                          storage::Table{});
  }
  const IncidentModel loaded = LoadIncidentModel(dir.Path().string(), "INC-0007");
  EXPECT_EQ(loaded.order_ids, ids);
  EXPECT_EQ(loaded.in_incident, incident);
  EXPECT_EQ(loaded.cx_score, cx);
  // The lateness the what-if reads (not a feature), NULL where the order has none.
  ASSERT_EQ(loaded.late_min.size(), late.size());
  for (size_t i = 0; i < late.size(); ++i) {
    if (std::isnan(late[i])) {
      ASSERT_TRUE(std::isnan(loaded.late_min[i])) << i;
    } else {
      ASSERT_EQ(loaded.late_min[i], late[i]) << i;
    }
  }
  ASSERT_EQ(loaded.sample.rows, sample.rows);
  for (size_t i = 0; i < sample.values.size(); ++i) {
    if (std::isnan(sample.values[i])) {
      ASSERT_TRUE(std::isnan(loaded.sample.values[i])) << i;
    } else {
      ASSERT_EQ(loaded.sample.values[i], sample.values[i]) << i;
    }
  }
  const std::vector<double> predicted = loaded.model.Predict(loaded.sample);
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_DOUBLE_EQ(predicted[i], expected[i]);

  EXPECT_NE(testing::ErrorMessage([&] { LoadIncidentModel(dir.Path().string(), "INC-0404"); },
                                  ErrorType::NOT_FOUND)
                .find("no stored RCA model for incident INC-0404"),
            std::string::npos);
}

// Results stored before the samples kept late_min (no such column) still load: the lateness is
// unknown (empty) and the what-if scores quote changes with the CX model alone.
TEST(ArtifactsTest, SamplesStoredWithoutLatenessLoadWithoutIt) {
  IncidentRca rca;
  rca.incident_id = "INC-0003";
  FeatureMatrix sample;
  for (const auto& feature : OrderFeatures()) sample.names.emplace_back(feature.name);
  sample.rows = 40;
  sample.values.assign(sample.rows * sample.names.size(), 1.0F);
  std::vector<double> cx(sample.rows, 80.0);
  for (size_t row = 0; row < sample.rows; ++row) cx[row] += static_cast<double>(row % 3);
  std::vector<int64_t> ids(sample.rows);
  for (size_t row = 0; row < sample.rows; ++row) ids[row] = static_cast<int64_t>(row);
  std::vector<uint8_t> incident(sample.rows, 0);
  incident.back() = 1;
  CxModel model = CxModel::Train(sample, cx, {.rounds = 2});
  rca.model = IncidentModel{std::move(model), sample, ids, incident, cx, {}};
  testing::TempDir dir;
  {
    storage::Database database;
    storage::Connection connection(database);
    std::vector<IncidentRca> results;
    results.push_back(std::move(rca));
    StageArtifacts(connection, results);
    // As written before the column existed.
    connection.Execute("ALTER TABLE rca_samples DROP COLUMN late_min");
    storage::StoreResults(connection, dir.Path().string(), nlohmann::json::object(),
                          storage::Table{});
  }
  const IncidentModel loaded = LoadIncidentModel(dir.Path().string(), "INC-0003");
  EXPECT_EQ(loaded.sample.rows, sample.rows);
  EXPECT_TRUE(loaded.late_min.empty());
}

TEST(ArtifactsTest, ResultsWithoutModelsAreNotFound) {
  testing::TempDir dir;
  {
    storage::Database database;
    storage::Connection connection(database);
    storage::StoreResults(connection, dir.Path().string(), nlohmann::json::object(),
                          storage::Table{});
  }
  EXPECT_NE(testing::ErrorMessage([&] { LoadIncidentModel(dir.Path().string(), "INC-0001"); },
                                  ErrorType::NOT_FOUND)
                .find("hold no RCA models"),
            std::string::npos);
}

}  // namespace
}  // namespace cxagent::rca
