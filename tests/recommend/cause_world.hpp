#pragma once

#include <nlohmann/json.hpp>

#include <limits>
#include <memory>
#include <string>

#include <fmt/format.h>
#include "common/slice.hpp"
#include "rca/rca.hpp"
#include "recommend/efficiency.hpp"
#include "support/test_support.hpp"

#include "common/date.hpp"
#include "common/file.hpp"
#include "generate/run.hpp"
#include "metrics/cx_config.hpp"
#include "metrics/order_facts.hpp"
#include "rca/panel.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "storage/table.hpp"

namespace cxagent::testing {

//! A generated world with one incident (a scenarios/causes file), the incident's CX model and
//! sample built the way the RCA stage builds them, its efficiency model and, when asked, the true
//! effect of undoing the incident (the same world generated --without it).
struct CauseWorld {
  TempDir dir;
  nlohmann::json truth;
  Slice slice;
  rca::IncidentModel model;
  recommend::EfficiencyModel efficiency;
  double true_effect = 0;    //!< CX in the slice and window: without the incident minus with it
  double observed_drop = 0;  //!< incident-window CX minus baseline CX in the slice
};

namespace detail {

inline double SliceCx(const std::string& folder, const Slice& slice, Date start, Date end) {
  storage::Database database;
  storage::Connection connection(database);
  metrics::BuildOrderFacts(connection, storage::Dataset::Open(connection, {.folder = folder}),
                           metrics::CxScoreConfig{});
  const storage::Table t = connection.Query(fmt::format(
      "SELECT avg(cx_score) AS cx FROM order_facts WHERE {} AND order_date BETWEEN DATE '{}' AND "
      "DATE '{}'",
      rca::SliceCondition(slice), FormatDate(start), FormatDate(end)));
  return t.Get("cx").doubles[0];
}

}  // namespace detail

//! Builds the world of scenarios/causes/<cause>.yaml at `orders_per_day`; `per_window` below
//! 10000 keeps about that share (per 10000) of the orders.
inline std::unique_ptr<CauseWorld> BuildCauseWorld(const std::string& cause, int orders_per_day,
                                                   bool with_truth, int per_window = 10000) {
  auto world = std::make_unique<CauseWorld>();
  const std::string scenario =
      std::string(CXAGENT_SOURCE_DIR) + "/scenarios/causes/" + cause + ".yaml";
  const std::string with = world->dir.File("with");
  generate::GenerateRequest request;
  request.scenario_path = scenario;
  request.out_dir = with;
  request.orders_per_day = orders_per_day;
  request.progress = false;
  request.threads = 1;
  generate::RunGenerate(request);
  world->truth = nlohmann::json::parse(ReadFile(with + "/truth.json"));
  const auto& incident = world->truth.at("incidents").at(0);
  world->slice = Slice::FromJson(incident.at("slice"));
  const Date first = ParseDate(world->truth.at("start_date").get<std::string>());
  const Date start = ParseDate(incident.at("start_date").get<std::string>());
  const Date end = AddDays(first, world->truth.at("days").get<int>() - 1);
  const Date baseline_start = first;
  const Date baseline_end = AddDays(start, -1);

  storage::Database database;
  storage::Connection connection(database);
  const storage::Dataset dataset = storage::Dataset::Open(connection, {.folder = with});
  metrics::BuildOrderFacts(connection, dataset, metrics::CxScoreConfig{});
  const storage::Table table = connection.Query(fmt::format(
      "SELECT order_id, (order_date >= DATE '{start}')::INTEGER AS in_incident, cx_score, "
      "late_min::DOUBLE AS observed_late_min, {columns} "
      "FROM order_facts WHERE {slice} AND order_date BETWEEN DATE '{bs}' AND DATE '{end}' "
      "AND hash(order_id) % 1000000 < {keep} ORDER BY order_id",
      fmt::arg("start", FormatDate(start)), fmt::arg("columns", rca::OrderFeatureColumnsSql()),
      fmt::arg("slice", rca::SliceCondition(world->slice)),
      fmt::arg("bs", FormatDate(baseline_start)), fmt::arg("end", FormatDate(end)),
      fmt::arg("keep", per_window >= 10000 ? 1000000 : per_window * 100)));
  world->model.sample = rca::EncodeOrderFeatures(table);
  const auto& ids = table.Get("order_id");
  const auto& flags = table.Get("in_incident");
  const auto& cx = table.Get("cx_score");
  const auto& late = table.Get("observed_late_min");
  for (size_t row = 0; row < table.RowCount(); ++row) {
    world->model.late_min.push_back(late.IsNull(row) ? std::numeric_limits<float>::quiet_NaN()
                                                     : static_cast<float>(late.doubles[row]));
    world->model.order_ids.push_back(ids.ints[row]);
    world->model.in_incident.push_back(flags.ints[row] != 0 ? 1 : 0);
    world->model.cx_score.push_back(cx.doubles[row]);
  }
  world->model.model = rca::CxModel::Train(world->model.sample, world->model.cx_score);
  world->efficiency = recommend::MeasureEfficiency(connection, dataset, world->slice,
                                                   baseline_start, baseline_end, start, end, {});
  const double before = detail::SliceCx(with, world->slice, baseline_start, baseline_end);
  const double after = detail::SliceCx(with, world->slice, start, end);
  world->observed_drop = after - before;
  if (with_truth) {
    const std::string without = world->dir.File("without");
    request.out_dir = without;
    request.without = incident.at("id").get<std::string>();
    generate::RunGenerate(request);
    world->true_effect = detail::SliceCx(without, world->slice, start, end) - after;
  }
  return world;
}

}  // namespace cxagent::testing
