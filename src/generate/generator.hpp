#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "generate/scenario.hpp"
#include "storage/table.hpp"

namespace cxagent::generate {

//! The eight tables of domain.md §2, in the order of TableNames().
struct WorldTables {
  storage::Table orders, deliveries, items, inventory, support, ratings, supply_hourly, change_log;

  //! The table names, in output order.
  static const std::vector<std::string>& TableNames();
  //! The table at position `index` of TableNames().
  storage::Table& At(size_t index);
  //! The table at position `index` of TableNames().
  const storage::Table& At(size_t index) const;
  //! Appends the rows of `other` (same schema) to these tables.
  void AppendRows(WorldTables&& other);
};

//! Empty tables with the exact columns, types and dictionaries of domain.md §2.
WorldTables MakeEmptyTables(const std::vector<std::string>& regions);

//! Receives the world one chunk at a time, in day order (change_log comes in the last chunk).
class TableSink {
 public:
  virtual ~TableSink() = default;
  //! Takes the rows of the next chunk.
  virtual void Consume(WorldTables&& chunk) = 0;
};

//! How to generate: counterfactual, parallelism, progress.
struct GenerateOptions {
  std::optional<std::string> without;  //!< incident id to leave out (counterfactual world)
  int threads = 2;                     //!< results never depend on this
  std::function<void(int days_done, int days_total)> progress;
};

//! A change_log row written on behalf of an incident.
struct IncidentChange {
  std::string incident_id;
  std::string change_id;
};

//! What a generation run produced besides the tables.
struct GenerateSummary {
  int64_t orders = 0;
  std::vector<int64_t> rows;  //!< per table, in TableNames() order
  std::vector<IncidentChange> changes;
};

//! Throws InvalidInput listing the ids when `id` is not an incident of the scenario.
void CheckIncidentId(const Scenario& scenario, const std::string& id);

//! Generates the world of `scenario` into `sink`, days in parallel, deterministically.
GenerateSummary GenerateWorld(const Scenario& scenario, TableSink& sink,
                              const GenerateOptions& options = {});

//! Generates the whole world into memory (for tests and small worlds).
WorldTables GenerateWorldTables(const Scenario& scenario, const GenerateOptions& options = {},
                                GenerateSummary* summary = nullptr);

//! The truth.json document of domain.md §7 (plus log_change and change_id per incident).
std::string TruthJson(const Scenario& scenario, const GenerateOptions& options,
                      const GenerateSummary& summary);

}  // namespace cxagent::generate
