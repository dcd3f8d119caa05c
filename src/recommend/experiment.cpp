#include "recommend/experiment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "common/error.hpp"
#include "common/slice.hpp"
#include "recommend/action.hpp"
#include "recommend/efficiency.hpp"

namespace cxagent::recommend {

namespace {

constexpr double ALPHA = 0.05;
constexpr double POWER = 0.8;
// Switchback windows and the start of each window dropped while the previous arm's batches,
// queues and dasher positions wash out.
constexpr double SWITCH_WINDOW_MIN = 60;
constexpr double BURN_IN_MIN = 15;

void CheckProbability(double p, const char* what) {
  if (!(p > 0 && p < 1)) throw InvalidInput("{} must be between 0 and 1, got {}", what, p);
}

const nlohmann::json& Field(const nlohmann::json& object, const char* key, const char* what) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) {
    throw InvalidInput("experiment plan: the {} has no '{}'", what, key);
  }
  return *found;
}

}  // namespace

double NormalQuantile(double p) {
  CheckProbability(p, "normal quantile probability");
  return boost::math::quantile(boost::math::normal(), p);
}

double DesignEffect(double cluster_size, double icc) {
  return 1 + std::max(0.0, cluster_size - 1) * std::clamp(icc, 0.0, 1.0);
}

double RequiredPerArm(double effect, double sd, double alpha, double power, double design_effect) {
  if (!(effect > 0)) throw InvalidInput("power analysis: effect must be positive, got {}", effect);
  if (!(sd > 0))
    throw InvalidInput("power analysis: standard deviation must be positive, got {}", sd);
  CheckProbability(alpha, "power analysis: alpha");
  CheckProbability(power, "power analysis: power");
  const double z = NormalQuantile(1 - alpha / 2) + NormalQuantile(power);
  return std::ceil(2 * z * z * sd * sd / (effect * effect) * std::max(1.0, design_effect) - 1e-9);
}

double MinimumDetectableEffect(double per_arm, double sd, double alpha, double power,
                               double design_effect) {
  if (!(per_arm > 0)) throw InvalidInput("power analysis: orders per arm must be positive");
  CheckProbability(alpha, "power analysis: alpha");
  CheckProbability(power, "power analysis: power");
  const double z = NormalQuantile(1 - alpha / 2) + NormalQuantile(power);
  return z * sd * std::sqrt(2 * std::max(1.0, design_effect) / per_arm);
}

std::string ExperimentPlan(const ActionRegistry& registry, const nlohmann::json& incident,
                           const nlohmann::json& recommendation) {
  const std::string incident_id = Field(incident, "id", "incident").get<std::string>();
  const EfficiencyModel e =
      EfficiencyModel::FromJson(Field(incident, "recommend_inputs", "incident").at("efficiency"));
  const std::string template_name =
      Field(recommendation, "template", "recommendation").get<std::string>();
  const ActionTemplate& action = registry.Find(template_name);
  const std::string rec_id = Field(recommendation, "id", "recommendation").get<std::string>();
  const std::string cause = Field(recommendation, "cause", "recommendation").get<std::string>();
  const std::string kind = Field(recommendation, "kind", "recommendation").get<std::string>();
  const std::string text = Field(recommendation, "action", "recommendation").get<std::string>();
  const auto& cx = Field(recommendation, "expected_cx_delta", "recommendation");
  const double mean = cx.at("mean").get<double>();
  const double lo = cx.at("ci90").at(0).get<double>();
  const double hi = cx.at("ci90").at(1).get<double>();
  Slice slice;
  if (incident.contains("slices") && !incident["slices"].empty()) {
    slice = Slice::FromJson(incident["slices"][0].at("slice"));
  } else if (incident.contains("slice")) {
    slice = Slice::FromJson(incident["slice"]);
  }
  const std::string slice_text = slice.ToText();

  // Randomisation unit: marketplace-wide levers interfere across orders (shared dashers), so
  // they switch back by region and hour; merchant-side levers randomise stores; the rest users.
  std::string unit;
  std::string design;
  double cluster = 1;
  double icc = 0;
  double usable = 1;  // share of orders analysed (burn-in excluded)
  const bool store_level =
      template_name == "merchant_prep_ops" || template_name == "inventory_feed_refresh";
  if (action.marketplace_wide) {
    unit = fmt::format("region x {:.0f}-minute window", SWITCH_WINDOW_MIN);
    usable = (SWITCH_WINDOW_MIN - BURN_IN_MIN) / SWITCH_WINDOW_MIN;
    cluster = std::max(1.0, e.orders_per_region_hour * SWITCH_WINDOW_MIN / 60 * usable);
    icc = e.icc_region_hour;
    design = fmt::format(
        "Switchback: every {:.0f}-minute window of each region in the slice is assigned to "
        "treatment or control at random (balanced within each day and region). Dispatch and "
        "supply are shared by all orders of a region, so an order-level split would let the arms "
        "interfere. The first {:.0f} minutes of each window are a burn-in for carryover "
        "(batches formed, queues and dasher positions from the previous arm) and are excluded "
        "from the analysis.",
        SWITCH_WINDOW_MIN, BURN_IN_MIN);
  } else if (store_level) {
    unit = "store";
    icc = e.icc_store_day;
    cluster = std::max(1.0, e.orders_per_store_day);
    design =
        "A/B by store: stores in the slice are randomised 50/50; the change applies to "
        "every order of a treated store. Stores do not share the lever, so there is no "
        "interference; no burn-in is needed beyond the first day of the change.";
  } else {
    unit = "customer";
    design =
        "A/B by customer: customers in the slice are randomised 50/50 (hash of the customer "
        "id) and keep their arm for the whole test. The lever acts on one customer's orders "
        "only, so there is no interference between arms.";
  }

  // Power: detect the pessimistic end of the simulated gain (or half the gain when the interval
  // reaches zero), with clustering by the randomisation unit.
  const double target = lo > 0 ? lo : std::abs(mean) / 2;
  const double sd = e.cx_sd > 0 ? e.cx_sd : 25.0;
  const double orders_per_day = std::max(1.0, e.orders_per_day * usable);
  std::string power;
  int days = 14;
  double deff = 1;
  if (target > 0) {
    // Store clusters grow with the duration; iterate to a fixed point on whole weeks.
    for (int weeks = 1; weeks <= 12; ++weeks) {
      days = 7 * weeks;
      const double m = store_level ? cluster * days : cluster;
      deff = DesignEffect(m, icc);
      const double per_arm = RequiredPerArm(target, sd, ALPHA, POWER, deff);
      if (2 * per_arm <= orders_per_day * days) break;
    }
    const double per_arm = RequiredPerArm(target, sd, ALPHA, POWER, deff);
    const double mde = MinimumDetectableEffect(orders_per_day * days / 2, sd, ALPHA, POWER, deff);
    power = fmt::format(
        "- Effect to detect: {:.2f} CX points (the low end of the simulated 90% interval, or half "
        "the expected gain when the interval reaches zero)\n"
        "- Per-order CX standard deviation: {:.1f} (baseline window)\n"
        "- Clustering: {:.0f} orders per {} on average, intra-cluster correlation {:.3f}, design "
        "effect {:.2f}\n"
        "- Orders needed: {:.0f} per arm (two-sided alpha {:.2f}, power {:.0f}%)\n"
        "- Orders available: {:.0f} per day in the slice{}\n"
        "- Duration: {} days (whole weeks, for the weekly cycle); minimum detectable effect at "
        "that duration: {:.2f} CX points\n",
        target, sd, store_level ? cluster * days : cluster, unit, icc, deff, per_arm, ALPHA,
        100 * POWER, orders_per_day, usable < 1 ? " after burn-in" : "", days, mde);
  } else {
    power =
        "- The simulation expects no CX gain, so there is nothing to power; run the test only "
        "for its guardrails (14 days).\n";
  }

  std::string params;
  const nlohmann::json given = recommendation.value("params", nlohmann::json::object());
  for (const auto& [name, value] : given.items()) {
    params += fmt::format("- `{}` = {}\n", name, value.dump());
  }
  std::string efficiency;
  if (const auto found = recommendation.find("efficiency_delta"); found != recommendation.end()) {
    for (const auto& [name, value] : found->items()) {
      efficiency +=
          fmt::format("  - {}: {:+.3f} (90% interval {:+.3f} to {:+.3f})\n", name,
                      value.at("mean").get<double>(), value.at("ci90").at(0).get<double>(),
                      value.at("ci90").at(1).get<double>());
    }
  }

  std::string plan;
  plan += fmt::format("# Experiment plan: {} for {}\n\n", rec_id, incident_id);
  plan += fmt::format(
      "## Hypothesis\n\n{} in `{}` raises the CX Score of the slice by {:.2f} points (simulated "
      "90% interval {:.2f} to {:.2f}) by acting on the cause `{}` ({}).\n\n",
      text, slice_text, mean, lo, hi, cause, kind);
  plan += fmt::format(
      "## Action and parameters\n\n- Template: `{}` ({})\n{}- Expected efficiency "
      "change:\n{}\n",
      template_name, action.label, params, efficiency);
  plan += fmt::format(
      "## Design\n\n{}\n\n- Randomisation unit: {}\n- Window length: {}\n"
      "- Burn-in: {}\n\n",
      design, unit,
      action.marketplace_wide ? fmt::format("{:.0f} minutes", SWITCH_WINDOW_MIN)
                              : std::string("the whole test"),
      action.marketplace_wide ? fmt::format("{:.0f} minutes per window", BURN_IN_MIN)
                              : std::string("first day excluded"));
  plan += fmt::format(
      "## Metrics\n\n- Primary: CX Score per order in `{}` (domain.md §4), treatment minus "
      "control.\n- Guardrails: {}; dasher hours per delivery and deliveries per dasher hour "
      "(efficiency); cancellation rate; cost per order (pay, refunds, incentives).\n\n",
      slice_text, action.guardrail);
  plan += "## Power and duration\n\n" + power + "\n";
  plan += fmt::format(
      "## Analysis\n\nDifference in mean CX per order between arms, with cluster-robust (CR1) "
      "standard errors clustered by {}{}. Report the estimate with its 95% interval; guardrails "
      "the same way. One pre-registered look at the end; a daily guardrail check only for "
      "harm.\n\n",
      unit,
      action.marketplace_wide
          ? "; region and hour-of-week fixed effects absorb the switchback's time pattern, and "
            "burn-in minutes are dropped"
          : "");
  plan += fmt::format(
      "## Rollout and rollback\n\n- Roll out when the CX gain is significant (p < {:.2f}) and no "
      "guardrail is worse by more than its limit: ramp to 25%, 50%, then 100% of the slice over "
      "a week, watching the CX Score against the what-if interval.\n- Roll back at once if the "
      "treatment's CX is below control by more than {:.2f} points at the daily check, the "
      "cancellation rate rises by more than 0.5 points, or cost per order rises by more than "
      "$0.25 beyond the simulated interval.\n",
      ALPHA, target > 0 ? target : 1.0);
  return plan;
}

}  // namespace cxagent::recommend
