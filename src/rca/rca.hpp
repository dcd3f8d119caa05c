#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rca/causal.hpp"
#include "rca/config.hpp"
#include "rca/cx_model.hpp"
#include "rca/hypothesis.hpp"
#include "rca/panel.hpp"

namespace cxagent::storage {
class Connection;
class Dataset;
}  // namespace cxagent::storage
namespace cxagent::detect {
struct Incident;
}

namespace cxagent::rca {

//! Mean TreeSHAP contribution of one feature over baseline and incident orders (CX points).
struct FeatureAttribution {
  std::string feature;
  std::string label;
  double baseline = 0;
  double incident = 0;
  double delta = 0;
};

//! The CX model's account of the incident: per-feature change of mean contribution.
struct Attribution {
  bool valid = false;
  std::vector<FeatureAttribution> features;  //!< OrderFeatures() order
  double explained = 0;   //!< sum of the deltas: the model's mean prediction change
  double observed = 0;    //!< the sample's mean CX change
  double gross_loss = 0;  //!< minus the sum of the negative deltas (>= 0)
  //! The loss the causes' shares are taken of: the larger of the net explained drop and the sum
  //! of the causes' attributed losses (set when impacts are allocated).
  double loss = 0;
  size_t baseline_rows = 0;  //!< orders explained per window
  size_t incident_rows = 0;
};

//! The signals behind a hypothesis' confidence (also written to the cause's JSON as `signals`).
struct Signals {
  double driver_z = 0;         //!< signature driver's shift in its expected direction, in SEs
  double driver_relative = 0;  //!< ... as a share of its baseline level (signed)
  double driver_specific = 1;  //!< share of the treated move that the siblings did not share
  double driver_evidence = 0;  //!< in [0, 1], from the three above
  double shap_share = 0;       //!< share of the model's gross CX loss attributed to it
  double did_t = 0;            //!< -estimate / se of the CX difference in differences
  double placebo_p = 1;        //!< p-value of the pre-period placebo
  bool did_valid = false;
  bool change_consistent = false;
  std::string change_id;  //!< the consistent change, when there is one
  //! The hypothesis that explains most of the signature's move, when it explains more than half.
  std::string explained_by;
};

//! The shift test of one signature driver, turned into evidence.
struct SignatureEvidence {
  size_t driver = 0;      //!< index into the hypothesis' drivers
  double z = 0;           //!< shift in the expected direction, in SEs
  double relative = 0;    //!< ... as a share of the baseline level
  double specific = 1;    //!< share of the move the sibling slices did not share
  double evidence = 0;    //!< in [0, 1]: (z - 2)/4 x relative/0.1 (each clipped) x specific
  double discounted = 0;  //!< evidence x (1 - the strongest explainer's evidence)
  //! The evidence the wider incidents' cap on `specific` took away: their cause's, not this one's.
  double wider = 0;
  std::string explained_by;
};

//! Evidence the data cannot give: a driver or outcome metric (PanelMetrics()) and the columns it
//! lacks (`table.column`).
struct MissingEvidence {
  std::string metric;
  std::vector<std::string> needs;
};

//! A hypothesis the data cannot test (UntestableNeeds): not evaluated, never ranked, reported as
//! such with the columns it lacks.
struct NotTestable {
  const Hypothesis* hypothesis = nullptr;
  std::vector<std::string> needs;
};

//! What the data lets the RCA use, from storage::Dataset: the panel metrics, order features and
//! hypotheses it cannot support. The default (nothing missing) is a contract-shaped dataset.
struct DataLimits {
  std::vector<MissingEvidence> metrics;  //!< panel metrics the data cannot measure
  std::vector<std::string> features;     //!< OrderFeatures() blanked for want of their columns

  //! The limits of `dataset`.
  static DataLimits Of(const storage::Dataset& dataset);
  //! The missing columns of panel metric `metric`, or nullptr when the data has them.
  const MissingEvidence* Metric(std::string_view metric) const;
  //! Whether feature `feature` is blanked.
  bool FeatureMissing(std::string_view feature) const;
};

//! One tested hypothesis on one incident (points into the HypothesisRegistry, which must outlive
//! it).
struct CauseResult {
  const Hypothesis* hypothesis = nullptr;
  double confidence = 0;
  double impact = 0;  //!< CX points in the slice attributed to the cause (negative = loss)
  Signals signals;
  //! driver_shift records (one per driver), the did record, change_log records.
  std::vector<nlohmann::json> driver_records;
  std::optional<nlohmann::json> did_record;
  std::vector<nlohmann::json> change_records;
  std::vector<ShiftResult> driver_shifts;  //!< per driver, same order as the hypothesis'
  std::vector<ShiftResult> raw_shifts;     //!< ... before any adjustment (for the narrative)
  std::vector<SignatureEvidence> signatures;
  size_t best = 0;                    //!< the signature that decides the driver evidence
  std::vector<std::string> controls;  //!< slice texts of the DiD controls
  DidResult did;
  std::optional<Change> change;  //!< the consistent change, if any
  //! Drivers of the hypothesis the data cannot measure (left out of the tests).
  std::vector<MissingEvidence> missing_drivers;
};

//! What the what-if simulation needs to re-predict an incident's orders: the model and the
//! sampled orders with their features.
struct IncidentModel {
  CxModel model;
  FeatureMatrix sample;
  std::vector<int64_t> order_ids;
  std::vector<uint8_t> in_incident;  //!< 1 for incident-window orders, 0 for baseline
  std::vector<double> cx_score;
  //! Each sample row's `late_min` (actual - quoted ETA; NaN for an order without a delivery).
  //! Not a feature of `model`: lateness is a mediator (OrderFeatures), but the what-if's lateness
  //! model reads it (recommend::Simulator). Empty when unknown (results stored before it was kept).
  std::vector<float> late_min;
};

//! Root-cause analysis of one incident.
struct IncidentRca {
  std::string incident_id;
  IncidentWindows windows;
  double baseline = 0;  //!< the slice's CX Score, baseline and incident windows
  double current = 0;
  std::vector<CauseResult> causes;  //!< every testable hypothesis, ranked by confidence x |impact|
  std::vector<NotTestable> not_testable;  //!< hypotheses the data cannot test, in registry order
  size_t reported = 0;                    //!< the first `reported` causes are reported
  Attribution attribution;
  std::string narrative;
  std::optional<IncidentModel> model;
  double seconds = 0;
};

//! The slice (the first localized one, else the lead alert's) and windows an incident's RCA reads:
//! the lead alert's baseline, cut to end the day before the start, and its incident window, to
//! `data_end` (the last order date) while it lasts, and at most its first `max_days` days. Its
//! data is the orders of these days: an incident whose windows and days are unchanged has the
//! same RCA (pipeline/incremental.cpp). At most `config.max_window_days` days; the concurrent
//! incidents inside the slice are read without when `config.narrower_incidents`.
IncidentWindows WindowsOf(const detect::Incident& incident, Date data_end, const RcaConfig& config);

//! The orders of one window that `incident_facts` keeps: the window's days and the bucket of
//! DuckDB's `hash(order_id) % 1000000` below which an order is kept (1000000 keeps every order).
struct FactsDraw {
  Date first;
  Date last;
  int64_t below = 1'000'000;
};

//! The draws of the baseline and incident windows of `windows` as RcaEngine::AnalyzeAll makes
//! them (at most `config.facts_per_window` orders each), from the slice's orders per window in
//! the connection's `order_leaves`: what a caller that fetches the orders from elsewhere (a
//! ClickHouse dataset) must bring for the RCA to draw the same orders as from files.
std::vector<FactsDraw> IncidentFactsDraws(storage::Connection& connection,
                                          const IncidentWindows& windows, const RcaConfig& config);

//! The draws of the baseline and incident windows of `windows` at the facts shares it records
//! (set by RcaEngine::AnalyzeAll): what `incident_facts` holds of the incident.
std::vector<FactsDraw> RecordedFactsDraws(const IncidentWindows& windows);

//! Orders an earlier analysis drew into `incident_facts` that can stand for part of this one's
//! draws (a refresh, pipeline/incremental.cpp): `relation` holds those rows (incident_facts'
//! columns) and `draws` what was drawn into them, per slice text, each cut to end before the
//! first day whose data changed since. A window drawn again from the same first day, to that
//! draw's last day or later and below at most its bucket, takes its orders of the draw's days
//! from `relation` (those below the new bucket: the same orders a draw from the data keeps) and
//! draws only the later days from the data.
struct KeptFacts {
  std::string relation;
  std::vector<std::pair<std::string, FactsDraw>> draws;
  size_t taken = 0;  //!< set by RcaEngine::AnalyzeAll: how many windows took kept orders
};

//! Tests every hypothesis of the registry (or those the config names) on incidents.
class RcaEngine {
 public:
  RcaEngine(const HypothesisRegistry& registry, RcaConfig config);

  //! Analyses one incident on the connection's `order_facts` (TEMP) view (leaves `incident_facts`
  //! as AnalyzeAll does). `changes` is the change_log, `data_end` the last order date. Hypotheses
  //! the dataset cannot test (UntestableNeeds) are listed in `not_testable`, drivers it cannot
  //! measure are left out and order features it lacks are blanked (DataLimits).
  IncidentRca Analyze(storage::Connection& connection, const storage::Dataset& dataset,
                      const detect::Incident& incident, const std::vector<Change>& changes,
                      Date data_end) const;

  //! Analyses every incident (reads change_log, unless given, and the data's end once, the leaves,
  //! and the orders in one pass for all incidents). Leaves the TEMP table `incident_facts`:
  //! `order_facts` rows of every incident's slice over its baseline and incident windows, each
  //! window drawn at the share its IncidentWindows records (at most `facts_per_window` orders), for
  //! later stages. `data_end` is the last order date, read from the `orders` table when not given
  //! (a caller whose `orders` holds only the incidents' orders, as for a ClickHouse dataset, gives
  //! it). `kept`, when given, lends orders drawn by an earlier analysis (KeptFacts). `changes`,
  //! when given, is the change_log as LoadChangeLog read it already (detection reads it too).
  std::vector<IncidentRca> AnalyzeAll(storage::Connection& connection,
                                      const storage::Dataset& dataset,
                                      const std::vector<detect::Incident>& incidents,
                                      std::optional<Date> data_end = std::nullopt,
                                      KeptFacts* kept = nullptr,
                                      const std::vector<Change>* changes = nullptr) const;

  const RcaConfig& Config() const { return config_; }

 private:
  struct Prepared;
  std::vector<Prepared> PrepareAll(storage::Connection& connection, const storage::Dataset& dataset,
                                   const std::vector<const detect::Incident*>& incidents,
                                   const std::vector<Change>& changes, Date data_end,
                                   const DataLimits& limits, KeptFacts* kept = nullptr) const;
  IncidentRca Finish(Prepared prepared) const;

  std::vector<const Hypothesis*> hypotheses_;
  RcaConfig config_;
};

//! The incident's `rca` object of the analysis file: {"causes": [...], "narrative": "..."}, each
//! cause as docs/api.md (cause, label, actionable, confidence, impact, evidence, signals, and
//! `missing_evidence` [{metric, needs}] when drivers could not be measured), and `not_testable`
//! [{cause, label, needs}] when the data cannot test some hypotheses.
nlohmann::json RcaJson(const IncidentRca& rca);

//! The reported cause of an `rca` object (RcaJson's, as stored in the analysis file) with the
//! highest numeric confidence, the first on a tie; nullptr when `rca` is not an object or no
//! cause has a number for its confidence.
const nlohmann::json* MostConfidentCause(const nlohmann::json& rca);

//! Confidence in [0, 1] from the signals (the calibrated logistic of docs/rca.md).
double Confidence(const Signals& signals);

}  // namespace cxagent::rca
