#pragma once

#include <string>
#include <vector>

#include "common/config.hpp"
#include "rca/cx_model.hpp"

namespace cxagent::rca {

class HypothesisRegistry;

//! Settings of root-cause analysis (the `rca` section); docs/rca.md explains each default.
struct RcaConfig {
  //! Run the stage at all.
  bool enabled = true;
  //! Hypotheses to test (cause ids); empty = every registered one.
  std::vector<std::string> hypotheses;
  //! Orders sampled per window (baseline, incident) for the CX model, stratified by day.
  int sample_per_window = 10000;
  //! Orders per window kept in `incident_facts` for the samples and later stages (a superset of
  //! the sample: at least sample_per_window; by default the sample's own orders, since the
  //! recommendation stage reads the sample and the tables themselves).
  int facts_per_window = 10000;
  //! Orders per window whose TreeSHAP contributions are averaged.
  int shap_per_window = 2000;
  //! Fewest orders per window for the CX model (fewer: no SHAP attribution).
  int min_orders_per_window = 150;
  //! The CX model's training settings.
  CxModelParams model;
  //! A change_log row within this many days of the start can explain the incident.
  int change_window_days = 3;
  //! Sibling slices with fewer orders per day are not used as controls.
  double control_min_daily_orders = 10;
  //! A sibling whose driver moved by more than this share of the treated slice's move (same
  //! direction) is not a control for that hypothesis.
  double control_max_driver_share = 0.33;
  //! Causes below this confidence are not reported (the best one always is).
  double min_confidence = 0.2;
  //! Causes whose impact is smaller than this many CX points are not reported (the best always is).
  double min_impact = 0.1;
  //! A signature driver's shift is scaled by the baseline's day-to-day variance (the variance
  //! with no change; a share's at least its binomial variance) rather than by Welch's, which
  //! counts the incident window's own spread: a step a day or two inside a misdated window, or
  //! a rare event rising in a small slice, swings those days without making the shift less sure.
  bool baseline_variance_z = true;
  //! A signature driver that moved as much in the siblings a concurrent wider incident holds
  //! (IncidentWindows::wider) is not specific to this incident: the wider one's cause.
  bool wider_incidents = true;
  //! The slice's orders in concurrent incidents strictly inside it (IncidentWindows::narrower)
  //! are left out of its driver tests: another regression's, not this one's.
  bool narrower_incidents = true;
  //! Report every hypothesis, supported or not (for calibration and debugging).
  bool report_all = false;
  //! Threads for the CX model and the hypotheses.
  int threads = 2;
  //! The RCA and the recommendations read at most an incident's first this many days (as many as
  //! the detection's baseline by default): the mechanism is read where the regression began,
  //! against the days just before, and an incident that goes on keeps its RCA from then on.
  int max_window_days = 28;

  //! Reads the `rca` section (absent keys keep their defaults; unknown keys and unknown
  //! hypotheses are rejected with the file, key and allowed values).
  static RcaConfig Read(ConfigReader& reader, const HypothesisRegistry& registry);
};

}  // namespace cxagent::rca
