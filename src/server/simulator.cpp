#include "server/simulator.hpp"

#include "common/error.hpp"
#include "recommend/action.hpp"
#include "server/json_response.hpp"

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
  explicit RecommendSimulator(recommend::RecommendConfig config) : config_(std::move(config)) {
    recommend::RegisterBuiltinActionTemplates(templates_);
  }
  nlohmann::json WhatIf(const WhatIfRequest& request) const override {
    CheckParams(request.action_template, request.params);
    return recommend::WhatIf(request.data_dir, request.incident, request.action_template,
                             request.params, config_);
  }
  std::string ExperimentPlan(const std::string&, const nlohmann::json& incident,
                             const nlohmann::json& recommendation) const override {
    return recommend::PlanFor(incident, recommendation);
  }

 private:
  // Checks each given parameter against its template before the simulation loads the incident's
  // model, so that the 400 names it (`params.max_batch`). The template checks complete values,
  // so the other parameters are set to their minimum, which is always allowed.
  void CheckParams(const std::string& name, const nlohmann::json& params) const {
    if (!templates_.Contains(name)) return;  // recommend::WhatIf names the known templates
    const recommend::ActionTemplate& action = templates_.Find(name);
    for (const auto& [key, value] : params.items()) {
      try {
        if (!value.is_number()) {
          throw InvalidInput("{}: parameter '{}' must be a number, got {}", name, key,
                             value.type_name());
        }
        recommend::ParamValues values;
        for (const auto& spec : action.params) values[spec.name] = spec.min;
        values[key] = value.get<double>();
        action.Validate(values);
      } catch (const Error& error) {
        if (error.Type() != ErrorType::INVALID_INPUT) throw;
        throw ApiError(ErrorType::INVALID_INPUT, {{"parameter", "params." + key}}, error.what());
      }
    }
  }

  recommend::RecommendConfig config_;
  recommend::ActionRegistry templates_;
};

}  // namespace

std::shared_ptr<const Simulator> MakeRecommendSimulator(const recommend::RecommendConfig& config) {
  return std::make_shared<RecommendSimulator>(config);
}

std::shared_ptr<const Simulator> MakeUnavailableSimulator() {
  return std::make_shared<UnavailableSimulator>();
}

}  // namespace cxagent::server
