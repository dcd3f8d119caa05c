#include "rca/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/error.hpp"
#include "rca/hypothesis.hpp"

namespace cxagent::rca {

RcaConfig RcaConfig::Read(ConfigReader& reader, const HypothesisRegistry& registry) {
  RcaConfig config;
  config.enabled = reader.Boolean("enabled", config.enabled, "run root-cause analysis");
  const YAML::Node hypotheses = reader.Section("hypotheses");
  if (hypotheses.IsDefined() && !hypotheses.IsNull()) {
    if (!hypotheses.IsSequence() || hypotheses.size() == 0) {
      throw InvalidInput("{}: must be a non-empty list of: {}", reader.Where("hypotheses"),
                         fmt::join(registry.Names(), ", "));
    }
    for (const auto& entry : hypotheses) {
      const std::string name = entry.IsScalar() ? entry.Scalar() : "";
      if (!registry.Contains(name)) {
        throw InvalidInput("{}: unknown hypothesis '{}'; allowed: {}", reader.Where("hypotheses"),
                           name, fmt::join(registry.Names(), ", "));
      }
      if (std::find(config.hypotheses.begin(), config.hypotheses.end(), name) !=
          config.hypotheses.end()) {
        throw InvalidInput("{}: hypothesis '{}' is listed twice", reader.Where("hypotheses"), name);
      }
      config.hypotheses.push_back(name);
    }
  }
  config.sample_per_window =
      reader.Integer("sample_per_window", config.sample_per_window, 100, 10'000'000,
                     "orders sampled per window for the CX model");
  config.facts_per_window =
      reader.Integer("facts_per_window", config.facts_per_window, 100, 100'000'000,
                     "orders per window kept for the samples and the recommendations");
  if (config.facts_per_window < config.sample_per_window) {
    throw InvalidInput("{}: {} is below sample_per_window ({}); the sample is drawn from these",
                       reader.Where("facts_per_window"), config.facts_per_window,
                       config.sample_per_window);
  }
  config.shap_per_window = reader.Integer("shap_per_window", config.shap_per_window, 50, 10'000'000,
                                          "orders per window explained with TreeSHAP");
  config.min_orders_per_window =
      reader.Integer("min_orders_per_window", config.min_orders_per_window, 10, 1'000'000,
                     "fewest orders per window for the CX model");
  config.model.rounds =
      reader.Integer("model_rounds", config.model.rounds, 1, 5000, "boosting rounds");
  config.model.max_depth =
      reader.Integer("model_max_depth", config.model.max_depth, 1, 12, "tree depth");
  config.model.learning_rate =
      reader.Number("model_learning_rate", config.model.learning_rate, 0.001, 1.0, "XGBoost eta");
  config.change_window_days =
      reader.Integer("change_window_days", config.change_window_days, 0, 60,
                     "days between a change and the start that still count as consistent");
  config.control_min_daily_orders =
      reader.Number("control_min_daily_orders", config.control_min_daily_orders, 0, 1e9,
                    "fewest orders per day of a control slice");
  config.control_max_driver_share =
      reader.Number("control_max_driver_share", config.control_max_driver_share, 0, 1,
                    "largest driver move of a control, as a share of the treated move");
  config.min_confidence = reader.Number("min_confidence", config.min_confidence, 0, 1,
                                        "smallest confidence of a reported cause");
  config.min_impact = reader.Number("min_impact", config.min_impact, 0, 100,
                                    "smallest CX impact (points) of a reported cause");
  config.baseline_variance_z =
      reader.Boolean("baseline_variance_z", config.baseline_variance_z,
                     "scale a signature driver's shift by the baseline's daily variance");
  config.wider_incidents = reader.Boolean(
      "wider_incidents", config.wider_incidents,
      "a driver that moved as much inside a concurrent wider incident is not this incident's");
  config.narrower_incidents = reader.Boolean(
      "narrower_incidents", config.narrower_incidents,
      "test the drivers without the orders of concurrent incidents strictly inside the slice");
  config.report_all =
      reader.Boolean("report_all", config.report_all, "report every hypothesis, supported or not");
  config.threads = reader.Integer("threads", config.threads, 1, 256, "worker threads");
  config.max_window_days =
      reader.Integer("max_window_days", config.max_window_days, 1, 3650,
                     "days of an incident, from its start, that the RCA and recommendations read");
  reader.Finish();
  return config;
}

}  // namespace cxagent::rca
