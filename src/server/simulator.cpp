#include "server/simulator.hpp"

#include "common/error.hpp"

namespace cxagent::server {

namespace {

class UnavailableSimulator : public Simulator {
 public:
  nlohmann::json WhatIf(const WhatIfRequest& request) const override {
    throw Error(ErrorType::NOT_IMPLEMENTED,
                "what-if simulation is not available: the recommendations stage has not been "
                "built into this server (template '{}')",
                request.action_template);
  }
  std::string ExperimentPlan(const std::string&, const nlohmann::json& incident,
                             const nlohmann::json&) const override {
    throw Error(ErrorType::NOT_IMPLEMENTED,
                "experiment plans are not available: the recommendations stage has not been "
                "built into this server (incident {})",
                incident.value("id", std::string()));
  }
};

class RecommendSimulator : public Simulator {
 public:
  explicit RecommendSimulator(recommend::RecommendConfig config) : config_(std::move(config)) {}
  nlohmann::json WhatIf(const WhatIfRequest& request) const override {
    return recommend::WhatIf(request.data_dir, request.incident, request.action_template,
                             request.params, config_);
  }
  std::string ExperimentPlan(const std::string&, const nlohmann::json& incident,
                             const nlohmann::json& recommendation) const override {
    return recommend::PlanFor(incident, recommendation);
  }

 private:
  recommend::RecommendConfig config_;
};

}  // namespace

std::shared_ptr<const Simulator> MakeRecommendSimulator(const recommend::RecommendConfig& config) {
  return std::make_shared<RecommendSimulator>(config);
}

std::shared_ptr<const Simulator> MakeUnavailableSimulator() {
  return std::make_shared<UnavailableSimulator>();
}

}  // namespace cxagent::server
