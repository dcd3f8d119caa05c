#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rca/cx_model.hpp"
#include "recommend/action.hpp"
#include "recommend/efficiency.hpp"
#include "recommend/interval.hpp"
#include "recommend/sample.hpp"

namespace cxagent::rca {
struct IncidentModel;
}

namespace cxagent::recommend {

//! An estimate with its 90% interval.
struct Interval {
  double mean = 0;
  double lo = 0;
  double hi = 0;
};

//! `{"mean": m, "ci90": [lo, hi]}` rounded to `digits`.
nlohmann::json IntervalJson(const Interval& interval, int digits = 3);

//! An action's effect on the efficiency figures (docs/api.md's `efficiency_delta`).
struct EfficiencyDelta {
  Interval cost_per_order;
  Interval deliveries_per_dasher_hour;
  Interval dasher_hours_per_delivery;
  Interval incentive_spend;
};

//! The simulated effect of one action with its parameters.
struct WhatIfResult {
  std::string template_name;
  ParamValues params;
  std::string action;
  Interval cx;  //!< CX Score change inside the slice and window
  //! How the CX interval was made: the bootstrap's 90% half-width (sampling, and the refits'
  //! spread) and the model-error share of the estimate added to it (CalibratedHalfWidth).
  double cx_sampling_half_width = 0;
  double cx_model_error_share = 0;
  EfficiencyDelta efficiency;
  size_t orders = 0;  //!< incident orders simulated
};

//! The WhatIfResult JSON of docs/api.md (`template`, `params`, `action`, `expected_cx_delta`,
//! `cx_interval`, `efficiency_delta`).
nlohmann::json WhatIfJson(const WhatIfResult& result);

//! How the simulation estimates its uncertainty.
struct SimulationOptions {
  //! CX models refitted on halves of the sample (complementary pairs), besides the stored one.
  int refits = 2;
  //! Bootstrap replicates of the incident orders behind each interval.
  int bootstrap = 400;
  //! The CX model's error as a share of the simulated CX change, added in quadrature to the
  //! bootstrap's half-width (CalibratedHalfWidth); chosen by a conformal step on scenarios
  //! generated without their incidents (docs/recommend.md).
  double model_error_share = DefaultModelErrorShare();
  //! Seed of every random stream (results are deterministic).
  uint64_t seed = 20260601;
  //! Threads for the refits.
  int threads = 2;
  //! Training settings of the refits.
  rca::CxModelParams model;
};

//! What-if simulation on one incident: each action changes the drivers it controls on the
//! incident's orders, every order is re-predicted by the incident's CX model, and the mean change
//! is the expected CX change; the 90% interval comes from a bootstrap over orders, each replicate
//! scored by one of several models (the stored one and refits on resamples) with its own draw of
//! the action's random edits. Thread-safe: Simulate may run concurrently.
class Simulator {
 public:
  //! Prepares the sample and the refits. `model` must outlive the simulator.
  Simulator(const rca::IncidentModel& model, EfficiencyModel efficiency,
            SimulationOptions options = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  //! The incident's sample (for parameter defaults).
  const IncidentSample& Sample() const { return sample_; }
  //! The efficiency model.
  const EfficiencyModel& Efficiency() const { return efficiency_; }

  //! Per refit, the out-of-bag share of the incident's observed CX change the model explains.
  std::vector<double> RecoveredShares() const;

  //! True when the sample knows each order's lateness (rca::IncidentModel::late_min), so that a
  //! counterfactual that changes only the quotes is scored by the lateness model (Simulate).
  bool KnowsLateness() const;

  //! Simulates `action` with complete, valid parameters (ActionTemplate::Resolve) in `slice`
  //! (canonical text, for the action's wording). A counterfactual that changes nothing but the
  //! quoted ETAs (an ETA rollback, padding) is scored by the lateness model when the sample knows
  //! late_min: the CX model's features plus late_min, each order's late_min moved by its quote's
  //! change (the delivery itself is unchanged). The CX model sees lateness only through its parts,
  //! and its trees attenuated what a quote alone does to the late penalties and the contacts and
  //! ratings behind them (docs/recommend.md). Every other counterfactual is scored by the CX model.
  WhatIfResult Simulate(const ActionTemplate& action, const ParamValues& params,
                        const std::string& slice) const;

 private:
  struct Scorer;
  using Scorers = std::vector<std::unique_ptr<Scorer>>;
  //! The stored model (or, when `stored` is null, one fitted on the whole of `matrix`) and the
  //! half-sample refits on `matrix`, with their recovery shares and factual predictions.
  Scorers MakeScorers(const rca::FeatureMatrix& matrix, const rca::CxModel* stored) const;
  //! The lateness model's scorers, fitted on first use.
  const Scorers& LatenessScorers() const;

  const rca::IncidentModel& model_;
  IncidentSample sample_;
  EfficiencyModel efficiency_;
  SimulationOptions options_;
  Scorers scorers_;
  mutable std::once_flag lateness_once_;
  mutable Scorers lateness_scorers_;
};

}  // namespace cxagent::recommend
