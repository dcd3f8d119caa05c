#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "recommend/recommend.hpp"

namespace cxagent::server {

//! What a what-if simulation is asked: an action template with parameters, applied inside one
//! incident's slice and window. The request has been validated (known fields, JSON types, a
//! template and parameter names the incident's recommendations use).
struct WhatIfRequest {
  std::string data_dir;     //!< the data folder being served
  nlohmann::json incident;  //!< the incident as in the analysis file (with rca, recommendations)
  std::string action_template;  //!< e.g. batching_cap
  nlohmann::json params;        //!< object of parameter name -> number, string or boolean
};

//! The seam between the API and the recommendations stage: computes what-if effects and
//! experiment plans. The server caches what-if results per (incident, template, parameters), so
//! an implementation may be slow but must be thread-safe and deterministic.
class Simulator {
 public:
  virtual ~Simulator() = default;
  //! The simulated effect, in the shape of docs/api.md's WhatIfResult (`template`, `params`,
  //! `action`, `expected_cx_delta`, `efficiency_delta`).
  virtual nlohmann::json WhatIf(const WhatIfRequest& request) const = 0;
  //! The experiment plan (Markdown) for one of the incident's recommendations.
  virtual std::string ExperimentPlan(const std::string& data_dir, const nlohmann::json& incident,
                                     const nlohmann::json& recommendation) const = 0;
};

//! The simulator of a server built without the recommendations stage: every call throws
//! NotImplemented saying so (tests use it to check the 501 path).
std::shared_ptr<const Simulator> MakeUnavailableSimulator();

//! The recommendations stage behind the seam: what-if through the incident's stored CX model and
//! sample (recommend::WhatIf with `config`), plans from recommend::PlanFor. Needs only the data
//! folder's stored results.
std::shared_ptr<const Simulator> MakeRecommendSimulator(const recommend::RecommendConfig& config);

}  // namespace cxagent::server
