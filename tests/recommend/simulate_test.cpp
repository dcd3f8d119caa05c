#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "common/error.hpp"
#include "metrics/slice_cube.hpp"
#include "recommend/action.hpp"
#include "recommend/cause_world.hpp"
#include "recommend/efficiency.hpp"
#include "recommend/recommend.hpp"
#include "recommend/simulate.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::recommend {
namespace {

using testing::BuildCauseWorld;

struct CauseCase {
  const char* cause;
};

class RecommendRevertTest : public ::testing::TestWithParam<CauseCase> {};

// Undoing the cause through its revert template recovers the CX the incident cost: the
// simulated change has the sign and roughly the size of the true effect (the same world
// generated without the incident).
TEST_P(RecommendRevertTest, RevertRecoversTheTrueEffect) {
  const auto world = BuildCauseWorld(GetParam().cause, 1500, true);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const ActionTemplate* revert = registry.RevertFor(GetParam().cause);
  ASSERT_NE(revert, nullptr);
  SimulationOptions options;
  options.refits = 3;
  options.bootstrap = 200;
  const Simulator simulator(world->model, world->efficiency, options);
  const ParamValues params = revert->Resolve(nlohmann::json(), simulator.Sample());
  const WhatIfResult result = simulator.Simulate(*revert, params, world->slice.ToText());
  SCOPED_TRACE(WhatIfJson(result).dump());
  EXPECT_GT(world->true_effect, 0.5);
  EXPECT_GT(result.cx.mean, 0.5 * world->true_effect);
  EXPECT_LT(result.cx.mean, 1.5 * world->true_effect);
}

INSTANTIATE_TEST_SUITE_P(
    Causes, RecommendRevertTest,
    ::testing::Values(CauseCase{"batching_expansion"}, CauseCase{"dasher_supply_shortage"},
                      CauseCase{"merchant_prep_delay"}, CauseCase{"inventory_feed_outage"},
                      CauseCase{"substitution_model_regression"}, CauseCase{"eta_underestimation"},
                      CauseCase{"app_release_regression"}, CauseCase{"demand_surge"},
                      CauseCase{"delivery_radius_expansion"}),
    [](const auto& test) { return std::string(test.param.cause); });

double Width(const Interval& interval) {
  return interval.hi - interval.lo;
}

TEST(RecommendSimulate, IntervalNarrowsWithMoreOrders) {
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const ActionTemplate& rollback = registry.Find("batching_rollback");
  SimulationOptions options;
  options.refits = 2;
  options.bootstrap = 300;
  double widths[2] = {0, 0};
  const int keep[2] = {1500, 10000};  // per 10000 orders of the slice
  for (int i = 0; i < 2; ++i) {
    const auto world = BuildCauseWorld("batching_expansion", 1500, false, keep[i]);
    const Simulator simulator(world->model, world->efficiency, options);
    const ParamValues params = rollback.Resolve(nlohmann::json(), simulator.Sample());
    // The sampling part: the model-error share adds the same share of the effect to both.
    widths[i] = simulator.Simulate(rollback, params, world->slice.ToText()).cx_sampling_half_width;
  }
  EXPECT_GT(widths[0], 1.3 * widths[1]) << widths[0] << " vs " << widths[1];
}

// The model-error share widens the CX interval by a share of the effect, in quadrature with the
// bootstrap's half-width, and leaves the estimate, the bootstrap and the efficiency intervals.
TEST(RecommendSimulate, ModelErrorShareWidensTheCxIntervalOnly) {
  const auto world = BuildCauseWorld("batching_expansion", 1500, false);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const ActionTemplate& rollback = registry.Find("batching_rollback");
  SimulationOptions options;
  options.refits = 2;
  options.bootstrap = 200;
  options.model_error_share = 0;
  const Simulator plain(world->model, world->efficiency, options);
  options.model_error_share = 0.2;
  const Simulator widened(world->model, world->efficiency, options);
  const ParamValues params = rollback.Resolve(nlohmann::json(), plain.Sample());
  const WhatIfResult a = plain.Simulate(rollback, params, world->slice.ToText());
  const WhatIfResult b = widened.Simulate(rollback, params, world->slice.ToText());
  ASSERT_GT(a.cx.mean, 0.5);
  EXPECT_DOUBLE_EQ(a.cx.mean, b.cx.mean);
  EXPECT_DOUBLE_EQ(a.cx_sampling_half_width, b.cx_sampling_half_width);
  EXPECT_NEAR(a.cx.hi - a.cx.mean, a.cx_sampling_half_width, 1e-12);
  const double expected = std::hypot(a.cx_sampling_half_width, 0.2 * a.cx.mean);
  EXPECT_NEAR(b.cx.hi - b.cx.mean, expected, 1e-12);
  EXPECT_NEAR(b.cx.mean - b.cx.lo, expected, 1e-12);
  EXPECT_GT(Width(b.cx), Width(a.cx));
  EXPECT_DOUBLE_EQ(a.efficiency.cost_per_order.hi, b.efficiency.cost_per_order.hi);
  const nlohmann::json json = WhatIfJson(b);
  EXPECT_NEAR(json.at("cx_interval").at("model_error_share").get<double>(), 0.2, 1e-12);
  EXPECT_NEAR(json.at("cx_interval").at("sampling_half_width").get<double>(),
              b.cx_sampling_half_width, 1e-3);
}

TEST(RecommendSimulate, NoBatchingGoesBeyondTheRollbackAndCostsDasherTime) {
  const auto world = BuildCauseWorld("batching_expansion", 1500, false);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  RecommendConfig config;
  config.simulation.refits = 1;
  config.simulation.bootstrap = 100;
  const IncidentRecommendations out =
      Recommend(registry, world->model, world->efficiency, {"batching_expansion"}, "INC-0007",
                world->slice.ToText(), config);
  ASSERT_EQ(out.recommendations.size(), 2U);
  double revert = 0;
  double improve = 0;
  for (const auto& rec : out.recommendations) {
    EXPECT_EQ(rec.at("id").get<std::string>().rfind("REC-0007-", 0), 0U) << rec.dump();
    const double gain = rec.at("expected_cx_delta").at("mean").get<double>();
    (rec.at("kind") == "revert" ? revert : improve) = gain;
    // Unbatching spends more dasher time per delivery.
    EXPECT_GT(rec.at("efficiency_delta").at("dasher_hours_per_delivery").at("mean").get<double>(),
              0);
    EXPECT_TRUE(rec.at("cx_per_cost").is_number());
  }
  EXPECT_GT(improve, revert);
  // The frontier: caps 1..4, the CX gain falls as the cap loosens (3 and 4 change nothing).
  ASSERT_EQ(out.tradeoffs.size(), 1U);
  const auto& points = out.tradeoffs[0].at("points");
  ASSERT_EQ(points.size(), 4U);
  EXPECT_GT(points[0].at("cx_delta").at("mean").get<double>(),
            points[1].at("cx_delta").at("mean").get<double>());
  EXPECT_NEAR(points[3].at("cx_delta").at("mean").get<double>(), 0, 1e-9);
  EXPECT_TRUE(out.efficiency_baseline.at("cost_per_order").get<double>() > 0);
}

TEST(RecommendSimulate, WithoutSupplyDataNoChangeInDeliveriesPerDasherHourIsClaimed) {
  // As MeasureEfficiency leaves the model when the data has no supply_hourly.
  auto world = BuildCauseWorld("batching_expansion", 1500, false);
  world->efficiency.active_dasher_hours_per_day = 0;
  world->efficiency.deliveries_per_dasher_hour = 0;
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  RecommendConfig config;
  config.simulation.refits = 1;
  config.simulation.bootstrap = 100;
  const IncidentRecommendations out =
      Recommend(registry, world->model, world->efficiency, {"batching_expansion"}, "INC-0007",
                world->slice.ToText(), config);
  ASSERT_FALSE(out.recommendations.empty());
  for (const auto& rec : out.recommendations) {
    const auto& efficiency = rec.at("efficiency_delta");
    EXPECT_EQ(efficiency.at("deliveries_per_dasher_hour").at("mean").get<double>(), 0)
        << rec.dump();
    EXPECT_EQ(efficiency.at("deliveries_per_dasher_hour").at("ci90"), nlohmann::json({0, 0}));
    // The engaged time it costs is measured from the deliveries, supply or not.
    EXPECT_GT(efficiency.at("dasher_hours_per_delivery").at("mean").get<double>(), 0);
  }
}

// The RCA encoding puts every cancelled order at one imputed point, which the trees learn as
// "cancelled" too: an order the rollback lets through must be scored as a real delivery, not as
// that point with its flag cleared (a depth-3 slice's rollback recovered half its effect).
TEST(RecommendSimulate, OrdersLetThroughAreScoredAsDeliveries) {
  const auto world = BuildCauseWorld("app_release_regression", 1500, false, 2000);
  SimulationOptions options;
  options.refits = 0;
  const Simulator simulator(world->model, world->efficiency, options);
  const IncidentSample& sample = simulator.Sample();
  Counterfactual cf = MakeCounterfactual(sample, 17);
  cf.ClearFlag("cancel_app_error", [](size_t) { return 1.0; });
  cf.DeliverLetThrough();
  const std::vector<double> predicted = world->model.model.Predict(cf.rows);
  double let_through = 0;
  double delivered = 0;
  size_t counts[2] = {0, 0};
  std::vector<float> prep_waits;
  const size_t prep = cf.rows.Index("prep_wait_min");
  for (size_t i = 0; i < cf.rows.rows; ++i) {
    const size_t row = sample.IncidentRows()[i];
    if (sample.At(row, "cancel_app_error") > 0.5) {
      let_through += predicted[i];
      ++counts[0];
      prep_waits.push_back(cf.rows.At(i, prep));
    } else if (!sample.Cancelled(row)) {
      delivered += predicted[i];
      ++counts[1];
    }
  }
  ASSERT_GT(counts[0], 20U);
  // Donors' deliveries, not one imputed value.
  std::sort(prep_waits.begin(), prep_waits.end());
  EXPECT_GT(prep_waits.back(), prep_waits.front());
  EXPECT_NEAR(let_through / static_cast<double>(counts[0]),
              delivered / static_cast<double>(counts[1]), 5.0);
}

// A radius expansion ties dashers up without moving the busy ratio: the restore must bring back
// the no-dasher cancellations and the assignment delay with the distance.
TEST(RecommendSimulate, RadiusRestoreBringsBackTheDispatchDrivers) {
  const auto world = BuildCauseWorld("delivery_radius_expansion", 1500, false);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  SimulationOptions options;
  options.refits = 0;
  const Simulator simulator(world->model, world->efficiency, options);
  const IncidentSample& sample = simulator.Sample();
  const ActionTemplate& restore = registry.Find("delivery_radius_restore");
  Counterfactual cf = MakeCounterfactual(sample, 3);
  restore.apply(restore.Resolve(nlohmann::json(), sample), cf);
  const size_t delay = cf.rows.Index("assign_delay_min");
  double delay_sum = 0;
  double delivered = 0;
  for (size_t i = 0; i < cf.rows.rows; ++i) {
    if (cf.Cancelled(i)) continue;
    delay_sum += cf.rows.At(i, delay);
    ++delivered;
  }
  const double incident_delay = sample.Mean("assign_delay_min", true, true);
  const double baseline_delay = sample.Mean("assign_delay_min", false, true);
  ASSERT_GT(incident_delay, baseline_delay + 0.5);
  EXPECT_LT(delay_sum / delivered, baseline_delay + 0.2 * (incident_delay - baseline_delay));
  const double incident_rate = sample.Rate("cancel_no_dasher", true);
  const double baseline_rate = sample.Rate("cancel_no_dasher", false);
  ASSERT_GT(incident_rate, baseline_rate);
  const size_t no_dasher = cf.rows.Index("cancel_no_dasher");
  double cancelled = 0;
  for (size_t i = 0; i < cf.rows.rows; ++i) cancelled += cf.rows.At(i, no_dasher) > 0.5F ? 1 : 0;
  EXPECT_LT(cancelled / static_cast<double>(cf.rows.rows),
            baseline_rate + 0.3 * (incident_rate - baseline_rate));
}

// Half-sample refits come in complementary pairs, each checked on the half it never saw.
TEST(RecommendSimulate, RefitsRecoverTheObservedChangeOutOfSample) {
  const auto world = BuildCauseWorld("dasher_supply_shortage", 1500, false);
  SimulationOptions options;
  options.refits = 2;
  const Simulator simulator(world->model, world->efficiency, options);
  const std::vector<double> shares = simulator.RecoveredShares();
  ASSERT_EQ(shares.size(), 2U);
  for (double share : shares) {
    EXPECT_GT(share, 0.7);
    EXPECT_LT(share, 1.3);
  }
}

// The efficiency figures read from the tables and, for the CX spread and its clustering, through
// selected_order_facts for the slice's baseline orders equal those of order_facts itself.
TEST(RecommendEfficiency, TablesAndSelectedFactsAgreeWithOrderFacts) {
  const auto world = BuildCauseWorld("merchant_prep_delay", 800, false);
  const std::string with = world->dir.File("with");
  storage::Database database;
  storage::Connection connection(database);
  const storage::Dataset dataset = storage::Dataset::Open(connection, {.folder = with});
  metrics::BuildOrderFacts(connection, dataset, metrics::CxScoreConfig{});
  const auto& incident = world->truth.at("incidents").at(0);
  const Date first = ParseDate(world->truth.at("start_date").get<std::string>());
  const Date start = ParseDate(incident.at("start_date").get<std::string>());
  const Date end = AddDays(first, world->truth.at("days").get<int>() - 1);
  const EfficiencyModel selected = MeasureEfficiency(connection, dataset, world->slice, first,
                                                     AddDays(start, -1), start, end, {});
  // Without the selective view, the CX figures come from order_facts over every order.
  connection.Execute("DROP VIEW selected_order_facts");
  const EfficiencyModel facts = MeasureEfficiency(connection, dataset, world->slice, first,
                                                  AddDays(start, -1), start, end, {});
  const nlohmann::json a = selected.ToJson();
  const nlohmann::json b = facts.ToJson();
  for (const auto& [key, value] : b.items()) {
    EXPECT_NEAR(a.at(key).get<double>(), value.get<double>(),
                1e-9 * (1 + std::abs(value.get<double>())))
        << key;
  }
  EXPECT_GT(facts.orders_per_day, 0);
  EXPECT_GT(facts.cx_sd, 0);
  EXPECT_GT(facts.icc_store_day, 0);
}

// The windows' sums read day by day, in two parts (as a refresh reads the new days and takes the
// others from the stored results), and through their JSON, add up to the sums of one read.
TEST(RecommendEfficiency, DaysReadInPartsAddUpToTheWholeWindows) {
  const auto world = BuildCauseWorld("merchant_prep_delay", 800, false);
  storage::Database database;
  storage::Connection connection(database);
  const storage::Dataset dataset =
      storage::Dataset::Open(connection, {.folder = world->dir.File("with")});
  metrics::BuildOrderFacts(connection, dataset, metrics::CxScoreConfig{});
  const Date first = ParseDate(world->truth.at("start_date").get<std::string>());
  const Date start =
      ParseDate(world->truth.at("incidents").at(0).at("start_date").get<std::string>());
  const Date end = AddDays(first, world->truth.at("days").get<int>() - 1);
  const std::vector<Date> window = DaysBetween(start, end);
  const std::vector<Date> baseline = DaysBetween(first, AddDays(start, -1));
  const storage::SliceEfficiencySums whole =
      SumEfficiencyDays(ReadEfficiencyDays(connection, world->slice, window, baseline));
  std::vector<EfficiencyDay> days =
      ReadEfficiencyDays(connection, world->slice, {window.begin(), window.end() - 1},
                         {baseline.begin() + 1, baseline.end()});
  ASSERT_EQ(days.size(), window.size() + baseline.size() - 2);
  for (auto day :
       ReadEfficiencyDays(connection, world->slice, {window.back()}, {baseline.front()})) {
    day.sums = EfficiencyDay::SumsFromJson(nlohmann::json::parse(day.SumsJson().dump()));
    days.push_back(day);
  }
  const storage::SliceEfficiencySums parts = SumEfficiencyDays(days);
  EXPECT_GT(whole.orders, 0);
  EXPECT_GT(whole.n, 0);
  EXPECT_DOUBLE_EQ(parts.orders, whole.orders);
  EXPECT_NEAR(parts.sxy, whole.sxy, 1e-9 * std::abs(whole.sxy));
  EXPECT_NEAR(parts.refunds, whole.refunds, 1e-9 * (1 + std::abs(whole.refunds)));
  EXPECT_EQ(parts.region_hours.size(), whole.region_hours.size());
  EXPECT_EQ(parts.store_days.size(), whole.store_days.size());
  // And the model measured from them is the one MeasureEfficiency reads itself.
  const nlohmann::json a = MeasureEfficiency(connection, dataset, world->slice, first,
                                             AddDays(start, -1), start, end, {}, &parts)
                               .ToJson();
  const nlohmann::json b = MeasureEfficiency(connection, dataset, world->slice, first,
                                             AddDays(start, -1), start, end, {})
                               .ToJson();
  for (const auto& [key, value] : b.items()) {
    EXPECT_NEAR(a.at(key).get<double>(), value.get<double>(),
                1e-9 * (1 + std::abs(value.get<double>())))
        << key;
  }
}

TEST(RecommendEfficiency, StoredDaySumsWithoutAFieldAreRejected) {
  const auto message = [](const nlohmann::json& json) {
    try {
      EfficiencyDay::SumsFromJson(json);
    } catch (const Error& error) {
      EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT) << error.what();
      return std::string(error.what());
    }
    return std::string("(accepted)");
  };
  nlohmann::json json = EfficiencyDay{}.SumsJson();
  json.erase("sxy");
  EXPECT_NE(message(json).find("field 'sxy' is missing"), std::string::npos) << message(json);
  json = EfficiencyDay{}.SumsJson();
  json["store_days"] = nlohmann::json::array({nlohmann::json::array({1, 2})});
  EXPECT_NE(message(json).find("'store_days' holds a malformed cluster"), std::string::npos)
      << message(json);
}

// The orders of the slice's regions (the share of their dasher-hours) read from the leaves pass's
// per-day counts equal those read from the orders.
TEST(RecommendEfficiency, RegionOrdersFromTheLeavesEqualThoseFromTheOrders) {
  const auto world = BuildCauseWorld("merchant_prep_delay", 800, false);
  const std::string with = world->dir.File("with");
  storage::Database database;
  storage::Connection connection(database);
  const storage::Dataset dataset = storage::Dataset::Open(connection, {.folder = with});
  ASSERT_TRUE(dataset.HasColumn("supply_hourly", "active_dashers"));
  metrics::BuildOrderFacts(connection, dataset, metrics::CxScoreConfig{});
  const auto& incident = world->truth.at("incidents").at(0);
  const Date first = ParseDate(world->truth.at("start_date").get<std::string>());
  const Date start = ParseDate(incident.at("start_date").get<std::string>());
  const Date end = AddDays(first, world->truth.at("days").get<int>() - 1);
  for (const Slice& slice : {world->slice, Slice::Parse("all")}) {
    connection.Execute("DROP TABLE IF EXISTS order_leaves");
    const EfficiencyModel orders =
        MeasureEfficiency(connection, dataset, slice, first, AddDays(start, -1), start, end, {});
    connection.Execute(metrics::OrderLeavesSql({}, dataset.Dimensions()));
    const EfficiencyModel leaves =
        MeasureEfficiency(connection, dataset, slice, first, AddDays(start, -1), start, end, {});
    EXPECT_GT(orders.active_dasher_hours_per_day, 0) << slice.ToText();
    EXPECT_DOUBLE_EQ(leaves.active_dasher_hours_per_day, orders.active_dasher_hours_per_day)
        << slice.ToText();
    EXPECT_EQ(leaves.regions, orders.regions) << slice.ToText();
    EXPECT_DOUBLE_EQ(leaves.deliveries_per_dasher_hour, orders.deliveries_per_dasher_hour)
        << slice.ToText();
  }
}

// A synthetic ETA underestimation: quotes 15% short in the incident window, deliveries as before,
// and a CX Score that is 100 less the late penalty (15 above 5 minutes late, 30 above 20) and
// the contacts (15) and low ratings (20) lateness makes likelier, as in the generator. The CX
// model sees lateness only through its parts (the quote, the assignment, the wait, the distance;
// the trip's own noise it never sees). `expected_change` gets each incident order's expected
// score change when its quote is scaled back: penalty, contact and rating odds at both latenesses.
rca::IncidentModel QuoteShrinkSample(std::vector<double>* expected_change) {
  rca::IncidentModel model;
  for (const auto& feature : rca::OrderFeatures()) model.sample.names.emplace_back(feature.name);
  const size_t columns = model.sample.names.size();
  std::mt19937_64 rng(41);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const auto penalty = [](double late) { return late > 20 ? 30.0 : late > 5 ? 15.0 : 0.0; };
  const auto contact = [](double late) { return late > 20 ? 0.18 : late > 5 ? 0.05 : 0.01; };
  const auto low = [](double late) {
    return 0.05 + (late > 5 ? 0.15 : 0) + (late > 20 ? 0.15 : 0);
  };
  const auto expected = [&](double late) {
    return penalty(late) + 15 * contact(late) + 20 * low(late);
  };
  const size_t per_window = 4000;
  model.sample.rows = 2 * per_window;
  model.sample.values.assign(model.sample.rows * columns, 0.0F);
  const auto set = [&](size_t row, std::string_view name, double value) {
    model.sample.At(row, model.sample.Index(name)) = static_cast<float>(value);
  };
  for (size_t row = 0; row < model.sample.rows; ++row) {
    const bool incident = row >= per_window;
    const double assign = 2 + 8 * uniform(rng);
    const double prep = std::max(0.0, 6 * normal(rng) + 2);
    const double distance = 1 + 7 * uniform(rng);
    const double actual = assign + prep + 8 + 3.2 * distance + 5 * normal(rng);
    const double quote = (17 + 3 * distance) * (incident ? 0.85 : 1.0);
    const double late = actual - quote;
    for (std::string_view name : {"batch_size", "n_lines"}) set(row, name, 1);
    set(row, "busy_ratio", 0.8);
    set(row, "assign_delay_min", assign);
    set(row, "prep_wait_min", prep);
    set(row, "distance_km", distance);
    set(row, "quoted_eta_min", quote);
    set(row, "sub_reject_share", std::numeric_limits<double>::quiet_NaN());
    set(row, "hour", 12);
    model.order_ids.push_back(static_cast<int64_t>(row));
    model.in_incident.push_back(incident ? 1 : 0);
    const double contacted = uniform(rng) < contact(late) ? 15 : 0;
    const double rated_low = uniform(rng) < low(late) ? 20 : 0;
    model.cx_score.push_back(100 - penalty(late) - contacted - rated_low);
    model.late_min.push_back(static_cast<float>(late));
    if (incident && expected_change != nullptr) {
      expected_change->push_back(expected(late) - expected(actual - quote / 0.85));
    }
  }
  model.model = rca::CxModel::Train(model.sample, model.cx_score);
  return model;
}

// Scaling the quotes back recovers the change of the late penalty and of the contacts and ratings
// behind it: the lateness model moves each order's late_min by its quote's change.
TEST(RecommendSimulate, QuotesScaledBackRecoverTheLatePenaltysChange) {
  std::vector<double> changes;
  const rca::IncidentModel model = QuoteShrinkSample(&changes);
  const double direct =
      std::accumulate(changes.begin(), changes.end(), 0.0) / static_cast<double>(changes.size());
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const ActionTemplate& rollback = registry.Find("eta_model_rollback");
  SimulationOptions options;
  options.refits = 2;
  options.bootstrap = 100;
  const ParamValues params = {{"quote_scale", 1 / 0.85}};
  const Simulator simulator(model, EfficiencyModel{}, options);
  ASSERT_TRUE(simulator.KnowsLateness());
  const WhatIfResult result = simulator.Simulate(rollback, params, "all");
  SCOPED_TRACE(fmt::format("expected {:.3f}, simulated {:.3f}", direct, result.cx.mean));
  ASSERT_GT(direct, 3.0);
  EXPECT_NEAR(result.cx.mean, direct, 0.08 * direct);
  EXPECT_LT(result.cx.lo, direct);
  EXPECT_GT(result.cx.hi, direct);
}

// Only a counterfactual that changes nothing but the quotes has a known lateness: one that moves
// a delivery (the radius restore shortens trips and their quotes) is scored by the CX model, with
// or without late_min in the sample.
TEST(RecommendSimulate, ActionsThatMoveTheDeliveryKeepTheCxModel) {
  rca::IncidentModel model = QuoteShrinkSample(nullptr);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const ActionTemplate& restore = registry.Find("delivery_radius_restore");
  SimulationOptions options;
  options.refits = 2;
  options.bootstrap = 100;
  const ParamValues params = {{"distance_km", 3.0}};
  const Simulator with(model, EfficiencyModel{}, options);
  const WhatIfResult a = with.Simulate(restore, params, "all");
  model.late_min.clear();
  const Simulator without(model, EfficiencyModel{}, options);
  const WhatIfResult b = without.Simulate(restore, params, "all");
  EXPECT_GT(a.cx.mean, 0.5);
  EXPECT_DOUBLE_EQ(a.cx.mean, b.cx.mean);
  EXPECT_DOUBLE_EQ(a.cx.hi, b.cx.hi);
}

TEST(RecommendSimulate, SimulateRejectsParametersOutOfRange) {
  const auto world = BuildCauseWorld("app_release_regression", 600, false);
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  SimulationOptions options;
  options.refits = 0;
  const Simulator simulator(world->model, world->efficiency, options);
  const std::string message = testing::ErrorMessage([&] {
    simulator.Simulate(registry.Find("app_release_rollback"), {{"app_error_rate", 2}}, "all");
  });
  EXPECT_NE(message.find("'app_error_rate' must be between 0 and 1"), std::string::npos) << message;
}

}  // namespace
}  // namespace cxagent::recommend
