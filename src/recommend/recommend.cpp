#include "recommend/recommend.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include <algorithm>
#include <cmath>
#include <future>

#include "common/error.hpp"
#include "common/slice.hpp"
#include "rca/artifacts.hpp"
#include "rca/rca.hpp"
#include "recommend/experiment.hpp"

namespace cxagent::recommend {

RecommendConfig RecommendConfig::Read(ConfigReader& reader) {
  RecommendConfig c;
  c.enabled = reader.Boolean("enabled", c.enabled, "run the recommendation stage");
  c.max_causes =
      reader.Integer("max_causes", c.max_causes, 1, 10, "RCA causes (best first) that get actions");
  c.simulation.refits =
      reader.Integer("refits", c.simulation.refits, 0, 50,
                     "CX models refitted on halves of the sample for model uncertainty");
  c.simulation.bootstrap = reader.Integer("bootstrap", c.simulation.bootstrap, 50, 100000,
                                          "bootstrap replicates behind each 90% interval");
  c.simulation.model_error_share = reader.Number(
      "model_error_share", c.simulation.model_error_share, 0, 10,
      "the CX model's error as a share of the simulated CX change, added to the 90% interval");
  c.simulation.threads =
      reader.Integer("threads", c.simulation.threads, 1, 64, "threads for refits and simulations");
  c.costs.pay_per_engaged_hour = reader.Number("pay_per_engaged_hour", c.costs.pay_per_engaged_hour,
                                               0, 1000, "dasher pay per engaged hour, dollars");
  c.costs.pay_per_delivery = reader.Number("pay_per_delivery", c.costs.pay_per_delivery, 0, 1000,
                                           "dasher base pay per delivery, dollars");
  c.min_cost_per_order =
      reader.Number("min_cost_per_order", c.min_cost_per_order, 0.001, 100,
                    "floor of the cost change in the CX-per-cost ratio, dollars");
  reader.Finish();
  return c;
}

void IncidentRecommendations::AddTo(nlohmann::json& incident) const {
  incident["recommendations"] = recommendations;
  incident["tradeoffs"] = tradeoffs;
  incident["efficiency_baseline"] = efficiency_baseline;
  incident["recommend_inputs"] = inputs;
}

namespace {

std::string IncidentNumber(const std::string& incident_id) {
  const auto dash = incident_id.find('-');
  return dash == std::string::npos ? incident_id : incident_id.substr(dash + 1);
}

struct Job {
  const ActionTemplate* action;
  ParamValues params;
  std::string cause;  // empty for sweep points
  ActionKind kind = ActionKind::REVERT;
  size_t sweep = 0;  // index into sweeps for sweep points
  WhatIfResult result;
};

}  // namespace

IncidentRecommendations Recommend(const ActionRegistry& registry, const rca::IncidentModel& model,
                                  const EfficiencyModel& efficiency,
                                  const std::vector<std::string>& causes,
                                  const std::string& incident_id, const std::string& slice,
                                  const RecommendConfig& config,
                                  const std::vector<std::string>& unavailable) {
  IncidentRecommendations out;
  out.efficiency_baseline = efficiency.BaselineJson();
  out.inputs = {{"efficiency", efficiency.ToJson()}};
  const auto clock_start = std::chrono::steady_clock::now();
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
  };
  const Simulator simulator(model, efficiency, config.simulation);
  const double prepared = seconds();

  std::vector<Job> actions;
  std::vector<Job> points;
  std::vector<const ActionTemplate*> swept;
  for (size_t c = 0; c < causes.size() && static_cast<int>(c) < config.max_causes; ++c) {
    for (const ActionTemplate* action : registry.ForCause(causes[c])) {
      if (std::find(unavailable.begin(), unavailable.end(), action->name) != unavailable.end()) {
        continue;
      }
      const bool seen = std::any_of(actions.begin(), actions.end(),
                                    [&](const Job& job) { return job.action == action; });
      if (seen) continue;
      const ParamValues params = action->Resolve(nlohmann::json(), simulator.Sample());
      actions.push_back({action, params, causes[c], *action->KindFor(causes[c]), 0, {}});
      if (!action->sweep) continue;
      for (double value : action->sweep->values) {
        ParamValues point = params;
        point[action->sweep->param] = value;
        points.push_back({action, point, "", ActionKind::REVERT, swept.size(), {}});
      }
      swept.push_back(action);
    }
  }
  // Simulations in parallel, `threads` at a time (each is independent and deterministic).
  std::vector<Job*> jobs;
  for (auto& job : actions) jobs.push_back(&job);
  for (auto& job : points) jobs.push_back(&job);
  const size_t wave = static_cast<size_t>(std::max(1, config.simulation.threads));
  for (size_t begin = 0; begin < jobs.size(); begin += wave) {
    std::vector<std::future<void>> running;
    for (size_t i = begin; i < std::min(jobs.size(), begin + wave); ++i) {
      running.push_back(std::async(std::launch::async, [&, i] {
        jobs[i]->result = simulator.Simulate(*jobs[i]->action, jobs[i]->params, slice);
      }));
    }
    for (auto& task : running) task.get();
  }
  spdlog::debug("recommend: {} simulator ready in {:.3f} s, {} simulations in {:.3f} s",
                incident_id, prepared, jobs.size(), seconds() - prepared);

  // Rank by CX gain per dollar of cost per order (the floor keeps free actions finite); actions
  // that do not help go last, by their CX change.
  const auto ratio = [&](const Job& job) -> std::optional<double> {
    const double gain = job.result.cx.mean;
    if (!(gain > 0)) return std::nullopt;
    return gain / std::max(job.result.efficiency.cost_per_order.mean, config.min_cost_per_order);
  };
  std::stable_sort(actions.begin(), actions.end(), [&](const Job& a, const Job& b) {
    const auto ra = ratio(a);
    const auto rb = ratio(b);
    if (ra.has_value() != rb.has_value()) return ra.has_value();
    if (ra) return *ra > *rb;
    return a.result.cx.mean > b.result.cx.mean;
  });
  const std::string number = IncidentNumber(incident_id);
  for (size_t i = 0; i < actions.size(); ++i) {
    const Job& job = actions[i];
    nlohmann::json rec = WhatIfJson(job.result);
    rec["id"] = fmt::format("REC-{}-{}", number, i + 1);
    rec["cause"] = job.cause;
    rec["kind"] = std::string(ActionKindName(job.kind));
    const auto r = ratio(job);
    rec["cx_per_cost"] = r ? nlohmann::json(std::round(*r * 1000) / 1000) : nlohmann::json();
    out.recommendations.push_back(std::move(rec));
  }
  for (size_t s = 0; s < swept.size(); ++s) {
    nlohmann::json sweep = {{"template", swept[s]->name},
                            {"param", swept[s]->sweep->param},
                            {"points", nlohmann::json::array()}};
    for (const Job& job : points) {
      if (job.sweep != s) continue;
      sweep["points"].push_back(
          {{"value", job.params.at(swept[s]->sweep->param)},
           {"cx_delta", IntervalJson(job.result.cx)},
           {"cost_per_order_delta", IntervalJson(job.result.efficiency.cost_per_order)}});
    }
    out.tradeoffs.push_back(std::move(sweep));
  }
  return out;
}

nlohmann::json WhatIf(const std::string& data_dir, const nlohmann::json& incident,
                      const std::string& template_name, const nlohmann::json& params,
                      const RecommendConfig& config) {
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  const ActionTemplate& action = registry.Find(template_name);
  const auto inputs = incident.find("recommend_inputs");
  if (inputs == incident.end() || !inputs->contains("efficiency")) {
    throw NotFound("incident {} has no stored recommendation inputs; run analyze again",
                   incident.value("id", std::string("?")));
  }
  const EfficiencyModel efficiency = EfficiencyModel::FromJson(inputs->at("efficiency"));
  const std::string id = incident.at("id").get<std::string>();
  const rca::IncidentModel model = rca::LoadIncidentModel(data_dir, id);
  const Simulator simulator(model, efficiency, config.simulation);
  const ParamValues values = action.Resolve(params, simulator.Sample());
  Slice slice;
  if (incident.contains("slices") && !incident["slices"].empty()) {
    slice = Slice::FromJson(incident["slices"][0].at("slice"));
  } else if (incident.contains("slice")) {
    slice = Slice::FromJson(incident["slice"]);
  }
  return WhatIfJson(simulator.Simulate(action, values, slice.ToText()));
}

std::string PlanFor(const nlohmann::json& incident, const nlohmann::json& recommendation) {
  ActionRegistry registry;
  RegisterBuiltinActionTemplates(registry);
  return ExperimentPlan(registry, incident, recommendation);
}

}  // namespace cxagent::recommend
