#include "pipeline/data_support.hpp"

#include <algorithm>

#include "metrics/cx_config.hpp"
#include "metrics/metric_catalog.hpp"
#include "rca/hypothesis.hpp"
#include "rca/panel.hpp"
#include "recommend/action.hpp"
#include "storage/dataset.hpp"
#include "storage/needs.hpp"

namespace cxagent::pipeline {

std::vector<std::string> DataSupport::Names(std::string_view kind) const {
  std::vector<std::string> names;
  for (const auto& entry : unavailable) {
    if (entry.kind == kind) names.push_back(entry.name);
  }
  return names;
}

nlohmann::json DataSupport::UnavailableJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& entry : unavailable) {
    out.push_back({{"kind", entry.kind}, {"name", entry.name}, {"needs", entry.needs}});
  }
  return out;
}

nlohmann::json DataSupport::CxScoreJson() const {
  nlohmann::json missing = nlohmann::json::array();
  for (const auto& entry : unavailable) {
    if (entry.kind == "cx_component") {
      missing.push_back({{"name", entry.name}, {"needs", entry.needs}});
    }
  }
  return {{"components", cx_components}, {"unavailable", missing}};
}

DataSupport AssessDataSupport(const storage::Dataset& dataset,
                              const rca::HypothesisRegistry& hypotheses,
                              const recommend::ActionRegistry& actions) {
  DataSupport support;
  // Metrics: the catalog's, then the RCA's driver metrics the catalog does not have.
  for (auto& metric : metrics::UnavailableMetrics(dataset)) {
    support.unavailable.push_back({"metric", std::move(metric.name), std::move(metric.needs)});
  }
  for (const auto& metric : rca::PanelMetrics()) {
    const bool in_catalog =
        std::any_of(metrics::Metrics().begin(), metrics::Metrics().end(),
                    [&](const metrics::MetricDefinition& m) { return m.name == metric.name; });
    if (in_catalog) continue;
    std::vector<std::string> missing = storage::MissingNeeds(dataset, metric.needs);
    if (!missing.empty()) {
      support.unavailable.push_back({"metric", std::string(metric.name), std::move(missing)});
    }
  }
  const auto components = metrics::UnavailableCxComponents(dataset);
  for (const auto& component : metrics::CxComponents()) {
    const auto found = std::find_if(
        components.begin(), components.end(),
        [&](const metrics::UnavailableCxComponent& c) { return c.name == component.name; });
    if (found == components.end()) {
      support.cx_components.emplace_back(component.name);
    } else {
      support.unavailable.push_back({"cx_component", found->name, found->needs});
    }
  }
  for (const auto& hypothesis : hypotheses.All()) {
    std::vector<std::string> needs = rca::UntestableNeeds(hypothesis, dataset);
    if (!needs.empty()) support.unavailable.push_back({"cause", hypothesis.id, std::move(needs)});
  }
  for (auto& action : recommend::UnavailableActions(actions, dataset)) {
    support.unavailable.push_back({"action", std::move(action.name), std::move(action.needs)});
  }
  return support;
}

}  // namespace cxagent::pipeline
