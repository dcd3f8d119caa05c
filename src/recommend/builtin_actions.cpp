#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "rca/cx_model.hpp"
#include "recommend/action.hpp"

namespace cxagent::recommend {

namespace {

bool Known(double x) {
  return !std::isnan(x);
}

std::string In(const std::string& slice) {
  return slice == "all" ? "marketplace-wide" : "in " + slice;
}

// Share of the way from the incident level back to the baseline level a target represents
// (1 = fully restored, 0 = unchanged), for drivers whose incident level is above the baseline.
double Restored(double incident, double baseline, double target) {
  if (!Known(incident) || !Known(baseline) || incident <= baseline) return 0.0;
  return std::clamp((incident - target) / (incident - baseline), 0.0, 1.0);
}

double Ratio(double numerator, double denominator, double fallback) {
  return Known(numerator) && Known(denominator) && denominator > 0 ? numerator / denominator
                                                                   : fallback;
}

// Sets is_batched 0 and batch_size 1 on a delivered batched row with probability `p`.
void Unbatch(Counterfactual& cf, double p) {
  const size_t batched = cf.rows.Index("is_batched");
  const size_t size = cf.rows.Index("batch_size");
  for (size_t row = 0; row < cf.rows.rows; ++row) {
    if (cf.Cancelled(row) || cf.rows.At(row, batched) < 0.5F) continue;
    if (Uniform(cf.rng) < p) {
      cf.rows.At(row, batched) = 0;
      cf.rows.At(row, size) = 1;
    }
  }
}

double DeliveredMean(Counterfactual& cf, std::string_view feature) {
  const size_t column = cf.rows.Index(feature);
  double sum = 0;
  size_t n = 0;
  for (size_t row = 0; row < cf.rows.rows; ++row) {
    const double value = cf.rows.At(row, column);
    if (cf.Cancelled(row) || !Known(value)) continue;
    sum += value;
    ++n;
  }
  return n == 0 ? std::nan("") : sum / static_cast<double>(n);
}

ActionTemplate BatchingRollback() {
  ActionTemplate a;
  a.name = "batching_rollback";
  a.label = "Roll back the batching policy";
  a.params = {{"batched_rate", "share of delivered orders batched", 0, 1}};
  a.causes = {{"batching_expansion", ActionKind::REVERT}};
  a.marketplace_wide = true;
  a.guardrail = "dasher hours per delivery";
  a.needs = rca::FeatureNeeds({"is_batched", "batch_size"});
  a.defaults = [](const IncidentSample& s) {
    return ParamValues{{"batched_rate", s.Mean("is_batched", false, true)}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format("Roll back the batching policy {}: batch at most {:.0f}% of orders",
                       In(slice), 100 * p.at("batched_rate"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const double current = DeliveredMean(cf, "is_batched");
    const double target = p.at("batched_rate");
    if (current > target) Unbatch(cf, 1 - target / current);
  };
  return a;
}

ActionTemplate BatchingCap() {
  ActionTemplate a;
  a.name = "batching_cap";
  a.label = "Cap batching";
  a.params = {{"max_batch", "largest batch a dasher carries (1 = no batching)", 1, 4, true}};
  a.causes = {{"batching_expansion", ActionKind::IMPROVE}};
  a.marketplace_wide = true;
  a.guardrail = "dasher hours per delivery";
  a.needs = rca::FeatureNeeds({"is_batched", "batch_size"});
  a.defaults = [](const IncidentSample&) { return ParamValues{{"max_batch", 1}}; };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    const int cap = static_cast<int>(p.at("max_batch"));
    if (cap == 1) return fmt::format("Turn batching off {}", In(slice));
    return fmt::format("Cap batching at {} orders {}", cap, In(slice));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const float cap = static_cast<float>(p.at("max_batch"));
    const size_t batched = cf.rows.Index("is_batched");
    const size_t size = cf.rows.Index("batch_size");
    for (size_t row = 0; row < cf.rows.rows; ++row) {
      if (cf.Cancelled(row) || cf.rows.At(row, size) <= cap) continue;
      cf.rows.At(row, size) = cap;
      if (cap <= 1) cf.rows.At(row, batched) = 0;
    }
  };
  a.sweep = Sweep{"max_batch", {1, 2, 3, 4}};
  return a;
}

ActionTemplate DasherIncentive() {
  ActionTemplate a;
  a.name = "dasher_incentive";
  a.label = "Raise dasher incentives";
  a.params = {{"supply_increase", "extra active dashers, as a share of today's", 0.01, 2},
              {"bonus_per_hour", "bonus per active dasher-hour, dollars", 0, 100}};
  a.causes = {{"dasher_supply_shortage", ActionKind::REVERT},
              {"demand_surge", ActionKind::MITIGATE},
              {"severe_weather", ActionKind::MITIGATE}};
  a.marketplace_wide = true;
  a.guardrail = "cost per order";
  a.needs = rca::FeatureNeeds({"busy_ratio", "assign_delay_min"});
  a.defaults = [](const IncidentSample& s) {
    // Demand is unchanged by a supply shortage, so restoring the busy ratio restores supply.
    const double ratio =
        Ratio(s.Mean("busy_ratio", true, false), s.Mean("busy_ratio", false, false), 1);
    // The bonus that moves supply by that share: an elasticity of about 1 on a $20 hour.
    return ParamValues{{"supply_increase", std::max(0.01, ratio - 1)},
                       {"bonus_per_hour", std::clamp(20.0 * (ratio - 1), 1.0, 100.0)}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format("Raise dasher incentives {} by ${:.2f}/hour for {:.0f}% more active dashers",
                       In(slice), p.at("bonus_per_hour"), 100 * p.at("supply_increase"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    cf.SetLoad(cf.sample->Mean("busy_ratio", true, false) / (1 + p.at("supply_increase")));
  };
  a.costs = [](const ParamValues& p) {
    return ActionCosts{.incentive_per_dasher_hour = p.at("bonus_per_hour"),
                       .supply_increase = p.at("supply_increase")};
  };
  a.sweep = Sweep{"supply_increase", {0.05, 0.1, 0.2, 0.3, 0.5}};
  return a;
}

ActionTemplate DemandThrottle() {
  ActionTemplate a;
  a.name = "demand_throttle";
  a.label = "Throttle demand";
  a.params = {{"demand_reduction", "share of orders turned away or deferred", 0.01, 0.9}};
  a.causes = {{"demand_surge", ActionKind::REVERT}};
  a.marketplace_wide = true;
  a.guardrail = "orders served";
  a.needs = rca::FeatureNeeds({"busy_ratio"});
  a.defaults = [](const IncidentSample& s) {
    const double ratio =
        Ratio(s.Mean("busy_ratio", false, false), s.Mean("busy_ratio", true, false), 1);
    return ParamValues{{"demand_reduction", std::max(0.01, 1 - ratio)}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format(
        "Throttle demand {} (surge fee or longer scheduled slots) by {:.0f}% of orders", In(slice),
        100 * p.at("demand_reduction"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const double r = p.at("demand_reduction");
    cf.SetLoad(cf.sample->Mean("busy_ratio", true, false) * (1 - r));
    cf.orders_kept = 1 - r;
  };
  a.sweep = Sweep{"demand_reduction", {0.05, 0.1, 0.2, 0.3}};
  return a;
}

ActionTemplate MerchantPrepOps() {
  ActionTemplate a;
  a.name = "merchant_prep_ops";
  a.label = "Merchant prep operations";
  a.params = {{"prep_wait_min", "target mean dasher wait at the merchant, minutes", 0, 120}};
  a.causes = {{"merchant_prep_delay", ActionKind::REVERT}};
  a.guardrail = "merchant cancellations";
  a.needs = rca::FeatureNeeds({"prep_wait_min"});
  a.defaults = [](const IncidentSample& s) {
    return ParamValues{{"prep_wait_min", s.Mean("prep_wait_min", false, true)}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format(
        "Work with merchants {} on prep times (staffing, order throttling, prep-time signals) "
        "to bring the dasher wait to {:.1f} min",
        In(slice), p.at("prep_wait_min"));
  };
  // Kitchens faster by one factor, dashers assigned as before: the wait each order keeps follows
  // from its own timing (mapping the waits to the baseline's ran 10% low, docs/recommend.md).
  a.apply = [](const ParamValues& p, Counterfactual& cf) { cf.SpeedUpPrep(p.at("prep_wait_min")); };
  return a;
}

ActionTemplate FeedRefresh() {
  ActionTemplate a;
  a.name = "inventory_feed_refresh";
  a.label = "Force an inventory feed refresh";
  a.params = {{"feed_lag_hours", "target age of the inventory feed, hours", 0, 24 * 30}};
  a.causes = {{"inventory_feed_outage", ActionKind::REVERT}};
  a.guardrail = "item availability shown";
  a.needs = rca::FeatureNeeds({"feed_lag_hours", "missing_lines", "substituted_lines"});
  a.defaults = [](const IncidentSample& s) {
    return ParamValues{{"feed_lag_hours", s.Mean("feed_lag_hours", false, false)}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format("Force an inventory feed refresh {} (feed no older than {:.0f} h)",
                       In(slice), p.at("feed_lag_hours"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const IncidentSample& s = *cf.sample;
    const double restored =
        Restored(s.Mean("feed_lag_hours", true, false), s.Mean("feed_lag_hours", false, false),
                 p.at("feed_lag_hours"));
    cf.MapToBaseline("feed_lag_hours", p.at("feed_lag_hours"));
    // A fresh feed stops selling what is not on the shelf: the excess missing and substituted
    // lines (per line, above the baseline rate) disappear in proportion.
    const auto excess = [&](std::string_view count) {
      const double now = s.LineRate(count, true);
      const double before = s.LineRate(count, false);
      return now > before ? restored * (now - before) / now : 0.0;
    };
    cf.ThinLines("missing_lines", excess("missing_lines"));
    cf.ThinLines("substituted_lines", excess("substituted_lines"));
    const size_t subs = cf.rows.Index("substituted_lines");
    const size_t share = cf.rows.Index("sub_reject_share");
    for (size_t row = 0; row < cf.rows.rows; ++row) {
      if (!(cf.rows.At(row, subs) > 0)) cf.rows.At(row, share) = std::nanf("");
    }
  };
  return a;
}

ActionTemplate SubstitutionRollback() {
  ActionTemplate a;
  a.name = "substitution_model_rollback";
  a.label = "Roll back the substitution model";
  a.params = {{"accept_rate", "share of substitutions customers accept", 0, 1}};
  a.causes = {{"substitution_model_regression", ActionKind::REVERT}};
  a.guardrail = "missing item rate";
  a.needs = rca::FeatureNeeds({"substituted_lines", "sub_reject_share"});
  a.defaults = [](const IncidentSample& s) {
    return ParamValues{{"accept_rate", s.AcceptRate(false)}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format("Roll back the substitution model {} (acceptance back to {:.0f}%)",
                       In(slice), 100 * p.at("accept_rate"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const double now = cf.sample->AcceptRate(true);
    const double target = p.at("accept_rate");
    if (target <= now || now >= 1) return;
    // Each rejected substitution is one the rolled-back model would have had accepted with this
    // probability.
    const double flip = (target - now) / (1 - now);
    const size_t subs = cf.rows.Index("substituted_lines");
    const size_t share = cf.rows.Index("sub_reject_share");
    for (size_t row = 0; row < cf.rows.rows; ++row) {
      const double n = cf.rows.At(row, subs);
      const double rejected_share = cf.rows.At(row, share);
      if (!(n > 0) || !Known(rejected_share)) continue;
      const int rejected = static_cast<int>(std::lround(rejected_share * n));
      int kept = 0;
      for (int line = 0; line < rejected; ++line) kept += Uniform(cf.rng) < flip ? 0 : 1;
      cf.rows.At(row, share) = static_cast<float>(kept / n);
    }
  };
  return a;
}

ActionTemplate EtaRollback() {
  ActionTemplate a;
  a.name = "eta_model_rollback";
  a.label = "Roll back the ETA model";
  a.params = {{"quote_scale", "factor on today's quoted ETAs", 0.5, 2}};
  a.causes = {{"eta_underestimation", ActionKind::REVERT}};
  a.guardrail = "conversion (longer quotes)";
  a.needs = rca::FeatureNeeds({"quoted_eta_min"});
  a.defaults = [](const IncidentSample& s) {
    // The quotes' ratio between windows, corrected for a change of distance mix through the ETA
    // model's own slope in distance.
    const ResponseCurve& curve = s.DistanceToQuote();
    double mix = 1;
    if (curve.Valid()) {
      double expected[2] = {0, 0};
      size_t count[2] = {0, 0};
      for (int window = 0; window < 2; ++window) {
        for (size_t row : window == 0 ? s.BaselineRows() : s.IncidentRows()) {
          const double d = s.At(row, "distance_km");
          if (!Known(d)) continue;
          expected[window] += curve.At(d);
          ++count[window];
        }
      }
      if (count[0] > 0 && count[1] > 0 && expected[0] > 0) {
        mix = (expected[1] / static_cast<double>(count[1])) /
              (expected[0] / static_cast<double>(count[0]));
      }
    }
    return ParamValues{{"quote_scale", Ratio(s.Mean("quoted_eta_min", false, false),
                                             s.Mean("quoted_eta_min", true, false), 1) *
                                           mix}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format("Roll back the ETA model {} (quotes x{:.2f})", In(slice),
                       p.at("quote_scale"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const float scale = static_cast<float>(p.at("quote_scale"));
    const size_t quoted = cf.rows.Index("quoted_eta_min");
    for (size_t row = 0; row < cf.rows.rows; ++row) cf.rows.At(row, quoted) *= scale;
  };
  return a;
}

ActionTemplate EtaPadding() {
  ActionTemplate a;
  a.name = "eta_padding";
  a.label = "Pad quoted ETAs";
  a.params = {{"pad_minutes", "minutes added to every quote", 0, 30}};
  a.causes = {{"eta_underestimation", ActionKind::IMPROVE},
              {"severe_weather", ActionKind::MITIGATE},
              {"delivery_radius_expansion", ActionKind::MITIGATE}};
  a.guardrail = "conversion (longer quotes)";
  a.needs = rca::FeatureNeeds({"quoted_eta_min"});
  a.defaults = [](const IncidentSample&) { return ParamValues{{"pad_minutes", 5}}; };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format("Pad quoted ETAs {} by {:.0f} min and tell customers proactively", In(slice),
                       p.at("pad_minutes"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const float pad = static_cast<float>(p.at("pad_minutes"));
    const size_t quoted = cf.rows.Index("quoted_eta_min");
    for (size_t row = 0; row < cf.rows.rows; ++row) cf.rows.At(row, quoted) += pad;
  };
  a.sweep = Sweep{"pad_minutes", {0, 3, 6, 9, 12}};
  return a;
}

ActionTemplate AppRollback() {
  ActionTemplate a;
  a.name = "app_release_rollback";
  a.label = "Roll back the app release";
  a.params = {{"app_error_rate", "share of orders cancelled by app errors", 0, 1}};
  a.causes = {{"app_release_regression", ActionKind::REVERT}};
  a.guardrail = "crash-free sessions";
  a.needs = rca::FeatureNeeds({"cancel_app_error"});
  a.defaults = [](const IncidentSample& s) {
    return ParamValues{{"app_error_rate", s.Rate("cancel_app_error", false)}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format("Roll back the app release {} (app-error cancellations back to {:.2f}%)",
                       In(slice), 100 * p.at("app_error_rate"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const double now = cf.sample->Rate("cancel_app_error", true);
    const double target = p.at("app_error_rate");
    if (now <= target) return;
    // Orders the release cancelled go through (the simulation gives them a delivery,
    // Counterfactual::DeliverLetThrough).
    cf.ClearFlag("cancel_app_error", [&](size_t) { return 1 - target / now; });
  };
  return a;
}

ActionTemplate RadiusRestore() {
  ActionTemplate a;
  a.name = "delivery_radius_restore";
  a.label = "Restore the delivery radius";
  a.params = {{"distance_km", "target mean delivery distance, km", 0.3, 30}};
  a.causes = {{"delivery_radius_expansion", ActionKind::REVERT}};
  a.guardrail = "orders served (fewer reachable stores)";
  a.needs = rca::FeatureNeeds({"distance_km"});
  a.defaults = [](const IncidentSample& s) {
    return ParamValues{{"distance_km", s.Mean("distance_km", false, true)}};
  };
  a.describe = [](const ParamValues& p, const std::string& slice) {
    return fmt::format("Restore the delivery radius {} (mean distance {:.1f} km)", In(slice),
                       p.at("distance_km"));
  };
  a.apply = [](const ParamValues& p, Counterfactual& cf) {
    const IncidentSample& s = *cf.sample;
    const double restored = Restored(s.Mean("distance_km", true, true),
                                     s.Mean("distance_km", false, true), p.at("distance_km"));
    const size_t distance = cf.rows.Index("distance_km");
    const size_t quoted = cf.rows.Index("quoted_eta_min");
    std::vector<float> before(cf.rows.rows);
    for (size_t row = 0; row < cf.rows.rows; ++row) before[row] = cf.rows.At(row, distance);
    cf.MapToBaseline("distance_km", p.at("distance_km"));
    // Shorter trips get shorter quotes (the ETA model's slope in distance) ...
    const ResponseCurve& curve = s.DistanceToQuote();
    if (curve.Valid()) {
      for (size_t row = 0; row < cf.rows.rows; ++row) {
        const float after = cf.rows.At(row, distance);
        if (Known(after) && Known(before[row]) && after != before[row]) {
          cf.rows.At(row, quoted) += static_cast<float>(curve.At(after) - curve.At(before[row]));
        }
      }
    }
    // ... and free dashers sooner: long trips tie dashers up, which raises the assignment delay,
    // batching and no-dasher and customer cancellations while the busy ratio (demand over
    // supply) does not move. The shorter assignment is not carried into the store wait here, as
    // a load revert carries it: on the tuning seeds that took the radius reverts from a median
    // of -4% to -18% of their true effect (docs/recommend.md), a bias this restore has elsewhere.
    cf.RestoreDispatch(restored);
  };
  return a;
}

}  // namespace

void RegisterBuiltinActionTemplates(ActionRegistry& registry) {
  registry.Register(BatchingRollback());
  registry.Register(BatchingCap());
  registry.Register(DasherIncentive());
  registry.Register(DemandThrottle());
  registry.Register(MerchantPrepOps());
  registry.Register(FeedRefresh());
  registry.Register(SubstitutionRollback());
  registry.Register(EtaRollback());
  registry.Register(EtaPadding());
  registry.Register(AppRollback());
  registry.Register(RadiusRestore());
}

}  // namespace cxagent::recommend
