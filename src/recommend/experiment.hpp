#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace cxagent::recommend {

class ActionRegistry;

//! The standard normal quantile (inverse CDF) at p in (0, 1).
double NormalQuantile(double p);

//! Kish's design effect of cluster randomisation: 1 + (m - 1) x icc for clusters of m orders.
double DesignEffect(double cluster_size, double icc);

//! Orders per arm a two-arm difference in means needs to detect `effect` with a two-sided test
//! at `alpha` with `power`, for orders of standard deviation `sd`, inflated by `design_effect`
//! (rounded up). Throws InvalidInput for a non-positive effect or sd, or alpha/power outside (0,
//! 1).
double RequiredPerArm(double effect, double sd, double alpha, double power,
                      double design_effect = 1.0);

//! The smallest effect a two-arm test with `per_arm` orders per arm detects (same conventions).
double MinimumDetectableEffect(double per_arm, double sd, double alpha, double power,
                               double design_effect = 1.0);

//! The experiment plan (Markdown) for one recommendation of an incident, both as in the analysis
//! file (the incident carries `recommend_inputs` with the efficiency and clustering figures).
//! Sections: hypothesis, action and parameters, design, randomisation unit and burn-in, metrics
//! and guardrails, power and duration, analysis, rollout and rollback. Throws InvalidInput naming
//! a missing field.
std::string ExperimentPlan(const ActionRegistry& registry, const nlohmann::json& incident,
                           const nlohmann::json& recommendation);

}  // namespace cxagent::recommend
