#pragma once

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "evaluate/random_worlds.hpp"
#include "pipeline/analysis.hpp"

namespace cxagent::evaluate {

//! What `cxagent evaluate` runs: scenario files, the world size and where worlds are written.
struct EvaluateRequest {
  std::vector<std::string> scenarios;  //!< scenario files, in the order they are run
  //! Instead of files: worlds drawn at random (docs/evaluate.md), written as scenario files into
  //! the work folder and scored exactly as the files are.
  std::optional<RandomWorlds> random;
  std::optional<int> days;                //!< overrides each scenario's days
  std::optional<int64_t> orders_per_day;  //!< overrides each scenario's volume
  std::string work_dir;                   //!< worlds go to work_dir/<scenario name>; empty = temp
  bool keep = false;                      //!< keep the generated worlds after scoring
  pipeline::AnalysisConfig config;        //!< the analysis settings under evaluation
  //! Also score what-if accuracy: each incident's world is generated again without it and the
  //! true effect of undoing it compared with the matched incident's `revert` recommendation.
  bool whatif = false;
};

//! How one injected incident fared: found, localized and explained.
struct IncidentScore {
  std::string scenario;
  std::string truth_id;
  std::string cause;
  std::string slice;               //!< truth slice, canonical text
  std::string start_date;          //!< truth start
  std::string end_date;            //!< truth end (exclusive); empty when it lasts to the end
  double magnitude = 0;            //!< truth magnitude
  std::string matched;             //!< id of the detected incident matched to it; empty when missed
  std::optional<int> start_error;  //!< detected start minus truth start, days
  std::string found_slice;         //!< slices[0] of the match (canonical text)
  bool detected = false;           //!< matched with a start within two days
  bool slice_exact = false;        //!< slices[0] equals the truth slice
  bool slice_alias = false;        //!< not exact, but the truth is in slices[0].same_orders_as
  std::string top_cause;           //!< rca.causes[0].cause of the match; empty without RCA
  bool cause_hit = false;          //!< top cause equals the truth cause
  std::optional<double> confidence;  //!< rca.causes[0].confidence of the match
  bool decoy_first = false;  //!< a wrong top cause supported by a change that caused nothing
  //! When missed: the id of an incident the analysis listed as unconfirmed (no cause found,
  //! docs/incidents.md step 10) that would have matched it.
  std::string unconfirmed;
  //! With --whatif: CX Score of the truth slice over the truth window in the world generated
  //! without the incident minus the world with it (how far the incident moved its slice).
  std::optional<double> slice_move;
  //! What-if scoring (--whatif): the true CX effect of undoing the incident inside the matched
  //! incident's slice and window, and the revert recommendation's estimate and 90% interval.
  std::optional<double> true_effect;
  std::optional<double> expected;
  std::optional<double> expected_lo;
  std::optional<double> expected_hi;
  //! The estimate's bootstrap half-width (its `cx_interval`), when the analysis reports one.
  std::optional<double> expected_sampling;
};

//! Everything one evaluation found.
struct EvaluateReport {
  std::vector<IncidentScore> incidents;
  int false_incidents = 0;  //!< detected incidents matching no injected one
  int unconfirmed = 0;      //!< incidents the analyses listed as unconfirmed (not alerted)
  int days = 0;             //!< days of data over all scenarios (for false alarms per 90 days)
  int scenarios = 0;
  std::optional<RandomWorlds> random;  //!< how the worlds were drawn, for --random runs
};

//! Counts of (true cause, top cause) over the injected incidents. The top cause is "missed" when
//! the incident was not detected and "none" when its match has no RCA.
using ConfusionMatrix = std::map<std::string, std::map<std::string, int>>;

//! The confusion matrix of the report's incidents.
ConfusionMatrix CauseConfusion(const EvaluateReport& report);

//! One bin of the reliability table: incidents whose top-cause confidence lies in [lo, hi).
struct CalibrationBin {
  double lo = 0;
  double hi = 0;
  int count = 0;
  double mean_confidence = 0;
  double accuracy = 0;  //!< share of them whose top cause is the true one
};

//! Calibration of rca.causes[0].confidence over the matched incidents that have one.
struct Calibration {
  std::vector<CalibrationBin> bins;  //!< the non-empty bins, in order
  int count = 0;                     //!< incidents scored
  double ece =
      0;  //!< expected calibration error: sum over bins of count/N x |confidence - accuracy|
  double brier = 0;  //!< mean of (confidence - hit)^2
};

//! The reliability table in `bins` equal-width bins of [0, 1] (1.0 falls in the last) and the
//! expected calibration error.
Calibration ConfidenceCalibration(const EvaluateReport& report, int bins = 10);

//! Scores one analysis document against one truth.json document (domain.md §7). An injected
//! incident matches the detected incident whose start lies within two days and whose slice
//! contains or is contained in the truth slice (an exact slices[0] first, then the nearest start).
EvaluateReport ScoreAnalysis(const std::string& scenario, const nlohmann::json& truth,
                             const nlohmann::json& analysis, int days);

//! The revert recommendation for `cause` in an analysed incident: (mean, lo, hi) of its
//! expected_cx_delta, or nullopt when the incident has none.
std::optional<std::array<double, 3>> RevertEstimate(const nlohmann::json& incident,
                                                    const std::string& cause);

//! The revert recommendation's `cx_interval.sampling_half_width` for `cause`, or nullopt when
//! the incident has no such recommendation or it predates the field.
std::optional<double> RevertSamplingHalfWidth(const nlohmann::json& incident,
                                              const std::string& cause);

//! The model-error share (recommend::ConformalModelErrorShare) at which the scored revert
//! estimates' 90% intervals would cover 90% of their true effects; nullopt without enough
//! incidents that report their sampling half-width.
std::optional<double> WhatIfConformalShare(const EvaluateReport& report);

//! Generates every scenario, analyses it and scores it; progress on stderr.
EvaluateReport RunEvaluation(const EvaluateRequest& request);

//! The report as JSON: per incident rows and the summary rates.
nlohmann::json ReportJson(const EvaluateReport& report);

//! The report as a plain-text table with the summary lines at the end.
std::string ReportText(const EvaluateReport& report);

}  // namespace cxagent::evaluate
