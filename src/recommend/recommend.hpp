#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/config.hpp"
#include "recommend/action.hpp"
#include "recommend/efficiency.hpp"
#include "recommend/simulate.hpp"

namespace cxagent::rca {
struct IncidentModel;
}

namespace cxagent::recommend {

//! Settings of the recommendation stage (the `recommend` section); docs/recommend.md explains each.
struct RecommendConfig {
  //! Run the stage at all.
  bool enabled = true;
  //! Causes of the RCA (best first) that get actions.
  int max_causes = 2;
  //! Simulation: refits and bootstrap replicates behind each interval, and threads.
  SimulationOptions simulation;
  //! Dollar figures of the cost model.
  CostSettings costs;
  //! Smallest cost change per order (dollars) in the CX-per-cost ratio, so free actions rank by
  //! their CX gain instead of dividing by zero.
  double min_cost_per_order = 0.05;

  //! Reads the `recommend` section (absent keys keep their defaults; unknown keys are rejected
  //! with the file, key and allowed values).
  static RecommendConfig Read(ConfigReader& reader);
};

//! What the stage adds to one incident's JSON: `recommendations`, `tradeoffs`,
//! `efficiency_baseline` (docs/api.md) and `recommend_inputs` (what `serve` needs to simulate
//! and plan again without the tables).
struct IncidentRecommendations {
  nlohmann::json recommendations = nlohmann::json::array();
  nlohmann::json tradeoffs = nlohmann::json::array();
  nlohmann::json efficiency_baseline;
  nlohmann::json inputs;

  //! Writes the four fields into an incident object.
  void AddTo(nlohmann::json& incident) const;
};

//! Actions for an incident's causes (`causes` best first, ids of domain.md §5), each simulated
//! (in parallel), with the parameter sweeps of the CX vs efficiency chart. Recommendations are
//! ranked by CX gain per dollar of cost per order and numbered REC-<incident number>-<rank>.
//! Templates named in `unavailable` (the data lacks their inputs, UnavailableActions) are left
//! out.
IncidentRecommendations Recommend(const ActionRegistry& registry, const rca::IncidentModel& model,
                                  const EfficiencyModel& efficiency,
                                  const std::vector<std::string>& causes,
                                  const std::string& incident_id, const std::string& slice,
                                  const RecommendConfig& config,
                                  const std::vector<std::string>& unavailable = {});

//! The what-if of `POST /api/incidents/{id}/whatif` from a served data folder: loads the
//! incident's stored CX model and sample (rca::LoadIncidentModel) and its `recommend_inputs`,
//! validates the parameters (absent ones take the revert defaults) and simulates. Throws
//! InvalidInput for an unknown template or a bad parameter (naming it), NotFound without a
//! stored model.
nlohmann::json WhatIf(const std::string& data_dir, const nlohmann::json& incident,
                      const std::string& template_name, const nlohmann::json& params,
                      const RecommendConfig& config = {});

//! The experiment plan of `POST /api/incidents/{id}/experiment-plan` (Markdown).
std::string PlanFor(const nlohmann::json& incident, const nlohmann::json& recommendation);

}  // namespace cxagent::recommend
