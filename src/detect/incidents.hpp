#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/date.hpp"
#include "common/slice.hpp"
#include "metrics/metric_catalog.hpp"

namespace cxagent::storage {
class Connection;
struct Table;
}  // namespace cxagent::storage

namespace cxagent::detect {

class DetectorRegistry;

//! Settings of incident building; every default is explained in docs/incidents.md.
struct IncidentConfig {
  //! Registered detector that finds the change points of each screened series.
  std::string detector = "pelt";
  //! Its YAML settings (null = DetectorSettings' choice).
  YAML::Node detector_config;
  //! A series is segmented only when some 7-day window deviates from its median by this many
  //! standard errors in the bad direction (a cheap screen; the real test is min_z).
  double screen_z = 4.0;
  //! After-vs-before z (in robust noise units) a regression must reach.
  double min_z = 6.0;
  //! Extra z required per dimension of the slice: deeper levels hold many more slices, so their
  //! largest null z is larger (multiple testing).
  double depth_z = 0.75;
  //! Smallest CX Score drop (points) that makes a cx_score alert.
  double min_cx_delta = 0.5;
  //! Smallest relative change (of the baseline) that makes a component-metric alert.
  double min_relative_delta = 0.05;
  //! Days before the start used as the baseline (at most; the preceding segment bounds it).
  int baseline_days = 28;
  //! Fewest observed baseline days for a test.
  int min_baseline_days = 7;
  //! Fewest observed days after the start for a test.
  int min_days_after = 3;
  //! Alerts whose start dates lie at most this many days apart can share a cause.
  int merge_days = 3;
  //! Remove the weekday pattern (median per weekday) before segmenting and testing.
  bool weekly_seasonality = true;
  //! Marketplace-wide CX points lost per day at or above which an incident is `high`.
  double high_impact = 0.3;
  //! ... and at or above which it is `medium` (below: `low`).
  double medium_impact = 0.05;
  //! Report component-metric alerts that attach to no CX incident as incidents of their own.
  bool component_incidents = false;
  //! Most root slices localization reports per incident.
  int localize_max_roots = 3;
  //! Also find regressions through their mechanisms (MechanismMetrics()): a mechanism metric of
  //! a slice that moved far beyond its per-order sampling noise over a window, confirmed by the
  //! slice's CX Score over the same window (docs/incidents.md, "Mechanism-led detection"). On by
  //! default: on held-out seed 4242 it found 45 of 49 incidents against 37 without it, for 3 more
  //! false incidents in 1,260 days (docs/accuracy.md); its window scan adds about 0.25 s to the
  //! 1M-order analysis (docs/performance.md).
  bool mechanism_detection = true;
  //! z (in per-order sampling noise units) a mechanism metric's window must reach: a maximum over
  //! every slice, mechanism metric and window, hence high.
  double mechanism_z = 9.0;
  //! z the slice's CX Score drop over that same window must reach to confirm it.
  double confirm_z = 2.0;
  //! Also test, at `change_z`, the mechanisms a logged change acts on (ChangeMechanisms) in the
  //! change's scope over windows starting within `change_start_days` of it (docs/incidents.md
  //! step 6c): a handful of tests instead of a search over every slice and window, so a small
  //! slice's release or policy change is found where mechanism_z's search cannot see it.
  bool change_detection = true;
  //! z a mechanism of a logged change's kind must reach in the change's scope.
  double change_z = 4.0;
  //! Latest start of a change-led window, in days after the change's date.
  int change_start_days = 2;
  //! A mechanism window found at `mechanism_z` that a logged change of a kind acting on that
  //! mechanism, in exactly that slice, explains too (its change window reaches `change_z` and
  //! overlaps it) is change-led: dated by the change and leading its own incident (step 6c).
  bool change_claims_mechanism = true;
  //! With change_claims_mechanism, a logged change made inside the strongest window (not within
  //! `merge_days` of its start) claims it too when the days from the window's start to the
  //! change moved the mechanism less than half as far as the days after it: the step is at the
  //! change (DetectMechanisms).
  bool change_claims_inside = true;
  //! Where and when supply_hourly shows one daypart of a region busier (orders created per
  //! active dasher-hour up by `busy_min_rise` at z `busy_z`, the rest of the region up at most
  //! `nested_shared` as much), change-led detection tests that slice's assignment delays from
  //! that day, as it tests a logged change's scope (detect::BusierWindows; docs/incidents.md
  //! step 6d).
  bool busy_detection = true;
  double busy_z = 5.0;
  double busy_min_rise = 0.1;
  //! A change-led window whose mechanism reached `mechanism_z` (not only `change_z`) in exactly
  //! its change's scope is confirmed by a CX Score fall of `min_cx_delta` at any z > 0 (instead
  //! of `confirm_z`): the change and the mechanism say where, when and why.
  bool change_confirms = true;
  //! An incident inside a wider one that began later reads, for its causes, only the days
  //! before the wider one (Incident::own_end), when at least `min_days_after` of them.
  bool own_days = true;
  //! A change-led incident is joined by an ancestor's alert only when their starts are within
  //! `merge_days`: an ancestor that fell days after the change fell for another reason.
  bool change_ancestors_close = true;
  //! An incident led by a mechanism-led alert is led instead by the alert of the same
  //! mechanism among its own whose mechanism moved most strongly (MergeAlerts).
  bool lead_by_mechanism = true;
  //! With `lead_by_mechanism`, a CX alert of the incident counts by its slice's window of that
  //! mechanism over its time (Alert::mechanisms), whose alert it stands for.
  bool lead_by_cx_mechanism = true;
  //! An incident led by a CX alert is led (and dated) instead by its strongest mechanism-led
  //! alert at `mechanism_z` in a slice holding the lead's that began more than `merge_days`
  //! later, when the lead's CX drop before that day stays under its own detection threshold
  //! (`min_z` + `depth_z` x depth) and no alert of that mechanism in the incident began more than
  //! `merge_days` before it (MergeAlerts).
  bool date_by_mechanism = true;
  //! With `date_by_mechanism`, the mechanism-led alerts the lead stands for (Alert::mechanisms)
  //! may date it too.
  bool date_by_own_mechanism = true;
  //! An alert that joined a kept incident only for sharing orders with its lead (their slices
  //! cross: neither holds the other) makes an incident of its own, with the crossing alerts
  //! inside it, when its regression is left without the lead's orders (at its own detection
  //! threshold) and the lead's without its orders (MergeAlerts).
  bool crossing_split = true;
  //! A logged change's alert leading an incident is led instead by a CX alert of the incident
  //! crossing the change's scope (neither slice holds the other, starts within `merge_days`)
  //! when without that alert's orders nothing of the change's regression is left (its CX Score
  //! under `confirm_z`, or its mechanism under `confirm_z`) and without the scope's orders the
  //! alert's CX Score still fell at `confirm_z`, by `extent_share` of its whole fall at least: a
  //! wider regression seen through the change's scope, strongest first (MergeAlerts).
  bool change_crossing_lead = true;
  //! An incident crossing a logged change's scope that began before the change's incident is
  //! folded into it when without the scope's orders it falls under its own detection threshold,
  //! unless (with this) its CX Score still fell at `confirm_z` by `extent_share` of its fall:
  //! the orders it lost took power, not the regression (MergeAlerts).
  bool own_fall_stays = true;
  //! The order of dimensions by which the same orders under two names are named (NamedBefore):
  //! the dataset's (storage::Dataset::NamingOrder), set by the pipeline, not read from the
  //! configuration file. Empty: the contract's NAMING_ORDER.
  std::vector<std::string> naming_order;
  //! Of a cluster the stronger incidents explained, an alert neither holding nor inside any of
  //! their slices makes an incident of its own, with the alerts inside it, when its regression is
  //! left without their orders (at its own detection threshold); the others join the incident
  //! that explained the cluster, as they all did before (MergeAlerts).
  bool explained_split = true;
  //! An alert holding a kept incident's lead that began more than `merge_days` before it makes
  //! an incident of its own, with the alerts that began with it outside the lead's slice, when its
  //! regression is left without the lead's orders (at its own detection threshold; MergeAlerts).
  bool ancestor_split = true;
  //! An alert inside a kept incident's lead that began more than `merge_days` before it makes an
  //! incident of its own, with the alerts inside it that began with it, when over its days before
  //! the lead began its regression is there at its own bar; and a wider incident that began more
  //! than `merge_days` after an incident that had so fallen does not explain it (MergeAlerts).
  bool descendant_split = true;
  //! A mechanism-led alert whose mechanism, without the stronger incidents' orders, stays under
  //! `mechanism_z` is still not explained by them when what is left moved as the whole slice did
  //! (by `extent_share` of its move, the part beyond that at `extent_widen_z`) and their own
  //! slices moved it less than `extent_share` as much: another regression's mechanism
  //! (ExplainedByRemainder).
  bool remainder_alike = true;
  //! A mechanism-led incident whose localized roots account for less than this share of its
  //! slice's CX loss (their rate effects, in points of the total) is reported in its own slice
  //! (0: off; LocalizeIncidents).
  double mechanism_root_cover = 0.5;
  //! A change-led incident keeps only the localized roots inside its change's scope (its own
  //! slice when none is; LocalizeIncidents).
  bool change_roots_nested = true;
  //! Shortest window a mechanism metric is tested over (days): a week, so that every window holds
  //! each weekday and a day-level blip (one stormy evening) cannot carry it alone.
  int mechanism_min_days = 7;
  //! Longest window a mechanism metric is tested over (days); a regression filling it is followed
  //! for as long as it lasts.
  int mechanism_max_days = 28;
  //! An incident that is not of high severity and none of whose causes reaches
  //! rca.min_confidence (no mechanism the RCA tests explains it) is listed under the analysis's
  //! `unconfirmed` instead of `incidents`: shown, not alerted on, no recommendations
  //! (docs/incidents.md step 10). Without an RCA (rca.enabled false, or an incident it could not
  //! analyse) every incident stays.
  bool require_cause = true;
  //! Report an incident in the slice its mechanism moved in (docs/incidents.md step 9): the
  //! incident's first slice is widened to a parent whose other orders moved the mechanism at
  //! `extent_z` by at least `extent_share` of the slice's move, or narrowed to a child moving it
  //! at `extent_z` while the slice's other orders moved it at most `nested_shared` as much. The
  //! mechanism is the one that led the incident, else the driver that moved most in the slice.
  bool mechanism_extent = true;
  //! With mechanism_extent, an incident found through a busier window (step 6d) is narrowed to a
  //! child whose orders per day rose at `extent_z` while the rest's rose under it and at most
  //! `nested_shared` as much: where it got busier (a demand surge).
  bool extent_busier = true;
  //! z (per-order noise units) the other orders of a parent, or a child, must reach.
  double extent_z = 5.0;
  //! The parent's other orders' move, at least this share of the slice's.
  double extent_share = 0.5;
  //! Other orders too few to reach extent_z widen the slice too when their move beyond
  //! extent_share of the slice's is itself at this z (its standard error that of their move):
  //! they clearly moved about as much.
  double extent_widen_z = 2.0;
  //! When the mechanism extent narrowed an incident's first slice and the rest of that slice's
  //! orders (other incidents' left out) fell too, by min_cx_delta at this z (per-order noise
  //! units), the first slice is an incident of its own: another regression's (1000: off).
  double extent_rest_fell_z = 3.0;
  //! Split off a child of an incident's slice that regressed on its own (docs/incidents.md step
  //! 9b): over the incident's window one of its drivers moved at `nested_z` while the rest of the
  //! slice's moved at most `nested_shared` as much, and its CX Score fell beyond the rest's.
  bool nested_split = true;
  //! z (per-order noise units) the child's driver must reach over the incident's window: one
  //! window, the children of one slice, so lower than mechanism_z's search over every slice and
  //! window.
  double nested_z = 6.0;
  //! The child's driver is tested from the incident's start to the end where it moved most (at
  //! least min_days_after days), not only over all the incident's days.
  bool nested_window_end = true;
  //! A child split off whose driver's own step over the lead's windows lies more than merge_days
  //! from the incident's lead, at nested_z, is dated by that step, not by the lead
  //! (docs/incidents.md step 9b).
  bool nested_own_start = true;
  //! A child split off is then moved to where its driver moved (the mechanism extent's walk of
  //! step 9, from the child's slice with its driver): a regression that crosses the parent's
  //! slice is named by its own (docs/incidents.md step 9b).
  bool nested_extent = true;
  //! The rest of the slice's move of that driver, at most this share of the child's.
  double nested_shared = 0.25;
  //! z the child's CX Score drop beyond the rest of the slice's must reach.
  double nested_cx_z = 4.0;
  //! A child whose driver moved at `mechanism_z` (the bar of the search over every slice and
  //! window, not `nested_z`) needs its CX Score drop beyond the rest's at `confirm_z` only: its
  //! driver alone says it regressed on its own (docs/incidents.md step 9b).
  bool nested_driver_confirms = true;
  //! A child that did not regress on its own over the incident's window is tested again over
  //! the windows starting more than `merge_days` into it (the days before its driver's step are
  //! the wider regression's and dilute the child's move): its driver at `mechanism_z` against the
  //! days before the window, its CX Score beyond the rest's against the days from the incident's
  //! start to the window's (docs/incidents.md step 9b).
  bool nested_late_step = true;
  //! When no child regressed on its own, the children's test also reads the slice's
  //! grandchildren (two more pairs), each held to `mechanism_z` for its driver and tested from
  //! any later step (docs/incidents.md step 9b).
  bool nested_pairs = true;
  //! A child the incident was narrowed to (the rest of the slice did not fall) is read in turn,
  //! its children tested as the slice's were, up to the test's rounds (docs/incidents.md step 9b).
  bool nested_renarrow = true;
  //! Fewest scored orders (with a CX Score) a day a grandchild of the children's test averages,
  //! as a slice of the cube: cube.min_daily_orders, set by the pipeline, not read from the
  //! configuration file.
  double min_daily_orders = 20;
  //! Split off a logged change's alert that joined an incident led by a slice holding its scope
  //! (docs/incidents.md step 9b): over the change's window its mechanism moved in the scope while
  //! the rest of the incident's slice moved it at most `nested_shared` as much, and the rest's CX
  //! Score fell over the incident's window without the scope's orders. The split incident is
  //! dated by its change.
  bool change_split = true;
  //! Split off a logged change's alert that joined an incident in another of its roots, apart
  //! from the first, with its mechanism at `mechanism_z`: the root is an incident of its own,
  //! dated by the change (docs/incidents.md step 9b).
  bool change_roots_split = true;

  //! Reads the `incidents` section (absent keys keep their defaults; unknown keys rejected).
  static IncidentConfig Read(ConfigReader& reader);
};

//! One significant regression of one metric in one slice.
struct Alert {
  Slice slice;
  std::string metric;
  Date start;
  //! Last bad day; nullopt while the regression lasts to the end of the data.
  std::optional<Date> end;
  Date baseline_start;  //!< first day of the baseline window
  Date baseline_end;    //!< last day of the baseline window
  double baseline = 0;  //!< metric over the baseline window
  double current = 0;   //!< metric over the incident window
  double delta = 0;     //!< current - baseline
  double z = 0;         //!< regression strength in robust noise units (positive = worse)
  double orders = 0;    //!< orders of the slice in the incident window
  double days = 0;      //!< observed days in the incident window
  //! CX points x orders lost in the window (cx_score only): -delta x orders.
  double cx_loss = 0;
  //! The test that found it: "cx" (the metric's own series) or, for a cx_score alert found
  //! through a mechanism, that mechanism metric's name.
  std::string detected_by = "cx";
  //! For an alert found through a logged change (step 6c): the change's id. Such an alert leads
  //! its own incident, and its mechanism is held to confirm_z rather than mechanism_z when it is
  //! tested again without stronger incidents' orders.
  std::string change_id;
  //! For an alert found through a mechanism (steps 6b, 6c): the z of that mechanism's window.
  double mechanism_z = 0;
  //! For an alert of the CX Score's own test: the mechanism-led alerts of its slice over its time,
  //! which it stands for (DetectAlertsIn keeps one alert per regression and slice).
  std::vector<Alert> mechanisms;
};

//! One localized root slice of an incident (interfaces.md §2 `slices`).
struct IncidentSlice {
  Slice slice;
  double baseline = 0;
  double current = 0;
  double delta = 0;
  double contribution = 0;
  //! The slice's move of the total CX Score split into its own rate change and its change of
  //! share (domain points of the total); absent when the slice was not localized from leaves.
  std::optional<double> rate_effect;
  std::optional<double> mix_effect;
  //! Slices selecting the same orders in the incident's windows (localize::RootCause::aliases).
  std::vector<Slice> same_orders_as;
};

//! A merged incident: its leading alert, the alerts it absorbed and its ranking figures.
struct Incident {
  std::string id;  //!< INC-0001... in rank order
  Alert lead;      //!< the strongest alert: metric, slice, dates and figures of the incident
  std::vector<Alert> related;     //!< other cx_score alerts explained by this incident
  std::vector<Alert> components;  //!< component-metric alerts attached to it
  std::string severity;           //!< high, medium or low
  double impact = 0;              //!< marketplace-wide CX points lost per day while it lasts
  double score = 0;               //!< in [0, 1], for ranking within a severity
  std::vector<IncidentSlice> slices;
  //! The last day its regression is seen alone, when a wider incident holding its slice began
  //! later, within its window (OwnDays): the root-cause analysis reads the days up to it.
  std::optional<Date> own_end;
  //! The root slices of the other incidents that hold this one's slice (strictly wider) and run
  //! over its days (LocalizeIncidents): a cause whose driver moved as much in the rest of such a
  //! slice is that incident's, not this one's (docs/rca.md, Specificity).
  std::vector<Slice> wider;
  //! The root slices (or names of the same orders) of the other incidents strictly inside this
  //! one's slice whose windows meet its own (LocalizeIncidents): their orders are another
  //! regression's, and the root-cause analysis tests its drivers without them (docs/rca.md,
  //! Narrower incidents).
  std::vector<Slice> narrower;
};

//! The detector settings incidents use: `detector_config` when given, otherwise for pelt and
//! binseg `{autocorrelation_passes: 0}` (see docs/incidents.md), otherwise the detector's own.
YAML::Node DetectorSettings(const IncidentConfig& config);

//! A change the company logged (domain.md `change_log`): what kind, where (its scope, a slice
//! or `all`) and the day it was made. Evidence, never proof: change-led detection tests whether
//! the mechanisms of its kind moved in its scope from that day on.
struct LoggedChange {
  std::string id;
  std::string kind;
  Slice scope;
  Date date;
};

//! The mechanism metrics a logged change of `kind` acts on (the signature drivers of the causes
//! that kind can bring, docs/rca.md): empty for a kind without one (`pricing`, `other`, unknown).
std::span<const std::string_view> ChangeMechanisms(std::string_view kind);

struct RemainderDays;
struct MechanismSearch;

//! Per slice and metric, daily series from `slice_cube` (metrics::BuildSliceCube: `slice`,
//! `date` and the sums), regressions detected and tested, merged into incidents across the slice
//! hierarchy, ranked and numbered. With the connection's `order_leaves`, an incident explained by
//! stronger ones is folded into them (its sums from the cube when it holds them: RemainderInCube).
//! Slices are not filled (see LocalizeIncidents). Metrics in
//! `unavailable` (the data cannot support them, metrics::UnavailableMetrics) are not detected on.
//! With `remainders`, the sums the explained-away tests read from `order_leaves` are taken from
//! and recorded in it (RemainderDays); with `mechanisms`, the mechanism search's windows
//! (MechanismSearch). `detected`, when given, is called once every series is tested, before the
//! alerts are merged: the part of detection that keeps every core busy is over.
std::vector<Incident> BuildIncidents(storage::Connection& connection,
                                     const storage::Table& slice_cube,
                                     const DetectorRegistry& registry, const IncidentConfig& config,
                                     const std::vector<std::string>& unavailable = {},
                                     const std::vector<LoggedChange>& changes = {},
                                     RemainderDays* remainders = nullptr,
                                     MechanismSearch* mechanisms = nullptr,
                                     const std::function<void()>& detected = {});

//! Every significant regression of every slice and metric of `slice_cube` but the `unavailable`
//! ones, before merging.
std::vector<Alert> DetectAlerts(const storage::Table& slice_cube, const DetectorRegistry& registry,
                                const IncidentConfig& config,
                                const std::vector<std::string>& unavailable = {},
                                const std::vector<LoggedChange>& changes = {});

//! The metrics incidents are detected on: the CX Score and its components (domain.md §4).
std::span<const std::string_view> IncidentMetrics();

//! The per-order mechanism metrics mechanism-led detection tests (IncidentConfig::mechanism_z).
std::span<const std::string_view> MechanismMetrics();

//! The definition of mechanism metric `name`: the metric catalog's, or `app_error_rate` (orders
//! cancelled for an app error among orders), which only detection uses.
const metrics::MetricDefinition& MechanismMetric(std::string_view name);

//! A window of mechanism-led detection: days [start, end) from the first day of the sums.
struct MechanismWindow {
  double z = -std::numeric_limits<double>::infinity();
  size_t start = 0;
  size_t end = 0;
};

//! The window of `config.mechanism_min_days` to `config.mechanism_max_days` days where a mechanism
//! metric (daily `numerator` and `denominator` sums) is worst against the preceding
//! `config.baseline_days` (MechanismZ; the earliest start, then the earliest end, among equal z).
//! Exact, z included, when its z reaches `config.mechanism_z`; when no window does, its z is only
//! known to be below it (windows that cannot reach it are not tested).
MechanismWindow StrongestMechanismWindow(std::string_view metric,
                                         const std::vector<double>& numerator,
                                         const std::vector<double>& denominator,
                                         const IncidentConfig& config);

//! StrongestMechanismWindow of the sums over all their days, from `known`: the strongest window
//! of those ending on or before day `known_days` (as StrongestMechanismWindow of the first
//! `known_days` days found it; when its z is under `config.mechanism_z`, none of them reaches
//! it). A window ending by then has the same sums and baseline whatever follows, so only the
//! windows ending after it are searched, and the answer is StrongestMechanismWindow's, z, start
//! and end, whenever that reaches mechanism_z. What a refresh that appended days does
//! (MechanismSearch).
MechanismWindow StrongestMechanismWindow(std::string_view metric,
                                         const std::vector<double>& numerator,
                                         const std::vector<double>& denominator,
                                         const IncidentConfig& config, size_t known_days,
                                         const MechanismWindow& known);

//! z of one window [start, end) of a mechanism metric against the `config.baseline_days` before
//! it, positive = worse, as DetectMechanisms computes it; NaN when the window is shorter than
//! mechanism-led detection's shortest, or the baseline has under `config.min_baseline_days`
//! observed days or gives no variance. A window at a time, for checking the scan.
double MechanismZ(std::string_view metric, const std::vector<double>& numerator,
                  const std::vector<double>& denominator, size_t start, size_t end,
                  const IncidentConfig& config);

//! What an earlier analysis found of one slice's mechanism windows: per mechanism metric, the
//! strongest window (StrongestMechanismWindow) of those ending on or before day `days` of the
//! same sums, when it reached mechanism_z; a metric not in `reached` had none that did.
struct KnownWindows {
  size_t days = 0;
  std::vector<std::pair<std::string, MechanismWindow>> reached;
};

//! Mechanism-led cx_score alerts of one slice from its daily sums (index = day from `first`):
//! per mechanism metric, the window of `config.mechanism_min_days` to `config.mechanism_max_days`
//! days where it is worst against the preceding `config.baseline_days` (z with the per-order
//! variance: binomial for shares, and never below the one the baseline's daily values show),
//! kept when z >= mechanism_z and the slice's CX Score over that window dropped by min_cx_delta
//! at z >= confirm_z. At most one alert per stretch of time (the strongest mechanism).
//! `sums` maps a cube column name to its daily values; metrics whose columns are absent are
//! skipped. `changes` are the logged changes scoped to this slice: a mechanism of a change's
//! kind whose strongest window stays under mechanism_z is tested over the windows starting
//! within `config.change_start_days` of the change, at `config.change_z`. With `known` (the
//! same sums but for days appended after `known->days`), only the windows ending on the new days
//! are searched (StrongestMechanismWindow with a known window). `strongest`, when given,
//! receives each metric's strongest window when it reaches mechanism_z (what a later refresh
//! takes as known).
//! A slice's daily sums of a column by its name, nullopt when there are none.
using DailySumsOf = std::function<std::optional<std::span<const double>>(std::string_view column)>;

std::vector<Alert> DetectMechanisms(
    const Slice& slice, Date first, const DailySumsOf& sums, const IncidentConfig& config,
    const std::vector<std::string>& unavailable = {}, std::span<const LoggedChange> changes = {},
    const KnownWindows* known = nullptr,
    std::vector<std::pair<std::string_view, MechanismWindow>>* strongest = nullptr);

//! The strongest mechanism windows of every slice of one analysis's cube that reached
//! mechanism_z (DetectMechanisms' `strongest`), kept with the results so that a refresh whose
//! cube is that cube with days appended searches only the windows ending on the new days
//! (docs/incremental.md).
struct MechanismWindows {
  Date first;       //!< the cube's first day, from which starts and ends count
  size_t days = 0;  //!< the cube's days: every window ending on or before the last was searched
  std::vector<std::string> metrics;  //!< the mechanism metrics searched, MechanismMetrics() order
  struct Found {
    std::string slice;  //!< slice text
    std::string metric;
    MechanismWindow window;
  };
  //! Every slice's and metric's strongest window that reached mechanism_z (a slice of the cube
  //! and metric not listed had none).
  std::vector<Found> reached;
};

//! Mechanism-led detection's windows across runs (BuildIncidents).
struct MechanismSearch {
  //! In: the stored analysis's windows, when this run's cube is the stored one with days
  //! appended after it (every stored slice's series as it was on the stored days).
  std::optional<MechanismWindows> stored;
  //! In: slices of this run's cube that the stored one did not hold (searched over every
  //! window), in ascending order.
  std::vector<std::string> fresh;
  //! Out: this run's windows, when the mechanism search ran over the cube.
  std::optional<MechanismWindows> found;
  //! Out: slices whose search took `stored` (only the windows ending on the new days searched).
  size_t reused = 0;
  //! Out: why `stored` was not taken (empty when it was, or when there was none).
  std::string why;
};

//! Says whether an alert's regression disappears once the orders of `others` (slices of stronger
//! incidents overlapping it in time) are taken out of its slice. `required_z`: the z its CX drop
//! must keep to stand, its mechanism not re-tested (NaN: as ExplainedByRemainder decides).
using ExplainedTest =
    std::function<bool(const Alert& alert, const std::vector<Slice>& others, double required_z)>;

//! Says whether two slices share orders. Two slices whose pairs do not conflict may still share
//! none (dasher-shopped orders and restaurants): the slice cube knows.
using SharesOrders = std::function<bool(const Slice& a, const Slice& b)>;

//! Says whether every order of `inner` is one of `outer`'s: a merchant's orders are all of its
//! store type's, though neither slice's pairs hold the other's.
using HoldsOrders = std::function<bool(const Slice& outer, const Slice& inner)>;

//! The CX Score's change over an alert's window in its slice without the orders of `others`
//! (RemainderCxDelta); NaN when none is left.
using LeftDelta = std::function<double(const Alert& alert, const std::vector<Slice>& others)>;

//! Merges alerts into ranked, numbered incidents. `daily_orders` is the marketplace's mean
//! orders per day (for the impact behind severity). When `explained` is given, an incident that
//! overlaps stronger ones in time and slice and is explained by them is folded into the first.
//! `shares` tells whether an alert starting with an incident shares orders with it (absent: their
//! pairs do not conflict); `holds` whether a slice holds every order of another (absent: its
//! pairs are among the other's); `left_delta` an alert's CX change without others' orders
//! (absent: change_crossing_lead is not applied).
std::vector<Incident> MergeAlerts(std::vector<Alert> alerts, double daily_orders,
                                  const IncidentConfig& config,
                                  const ExplainedTest& explained = nullptr,
                                  const SharesOrders& shares = nullptr,
                                  const HoldsOrders& holds = nullptr,
                                  const LeftDelta& left_delta = nullptr);

//! Folds each incident whose localized slice (`slices[0]`, or one it selects the same orders as)
//! is that of a higher-ranked incident over overlapping windows into that incident (its alerts
//! become the other's `related` and `components`), then numbers the rest INC-0001... again. Pieces
//! of one regression that the merge kept apart (disjoint slices led by their own alerts: a
//! region's restaurants, its dasher-shopped orders, its convenience stores) are widened by the
//! localizer to the same slice, and would be reported as several incidents with one slice and one
//! RCA.
void FoldSameSlice(std::vector<Incident>& incidents);

//! Severity, score and rank (docs/incidents.md step 8) of `incidents`, numbered INC-0001... in
//! rank order; `daily_orders` is the marketplace's mean orders per day.
void RankIncidents(std::vector<Incident>& incidents, const IncidentConfig& config,
                   double daily_orders);

//! The daily sums of a slice without the orders of other slices, what ExplainedByOthers tests:
//! index = day from `first` over the data's days; all empty when no order is left.
struct SliceRemainder {
  Date first;
  std::vector<double> cx_sum;
  std::vector<double> orders;
  //! The mechanism metric's numerator and denominator, when one was asked for.
  std::vector<double> mechanism_num;
  std::vector<double> mechanism_den;
};

//! The SliceRemainder of `slice` without `others` from `order_leaves` (one query), with the sums
//! of mechanism metric `mechanism` when not empty.
SliceRemainder RemainderInLeaves(storage::Connection& connection, const Slice& slice,
                                 const std::vector<Slice>& others, std::string_view mechanism = {});

//! One day's sums of a SliceRemainder (a day without orders of the slice left has none).
struct RemainderDay {
  int32_t day = 0;  //!< days since 1970-01-01
  double cx_sum = 0;
  double orders = 0;
  double mechanism_num = 0;  //!< 0 when no mechanism was asked for
  double mechanism_den = 0;
};

//! The per-day sums of the remainders that the explained-away tests read from `order_leaves`,
//! kept across runs (docs/incremental.md): a day's sums are those of that day's leaves alone, so
//! a refresh takes the stored sums of the days whose leaves are unchanged and sums the leaves of
//! the changed days only (one query of a few thousand rows instead of one of every day's).
struct RemainderDays {
  //! By key (the remainder's SQL condition and mechanism, RemainderKey): the stored sums of the
  //! days whose leaves are unchanged.
  std::map<std::string, std::vector<RemainderDay>> stored;
  //! The relation holding the leaves of exactly the changed days (every day not in `stored`);
  //! empty when nothing stored is reused.
  std::string changed_leaves;
  //! Its rows, read once by the first remainder that takes stored sums (a few thousand for a
  //! day at 1M orders): every later one sums its changed days from them, rather than by a query
  //! each (about a millisecond apiece, 25 of them in the 1M refresh).
  std::shared_ptr<const storage::Table> changed_rows;
  //! Filled by BuildIncidents: every remainder it read from the leaves, by key, all its days in
  //! date order (what a later refresh reuses).
  std::map<std::string, std::vector<RemainderDay>> read;
  //! How many of those were taken from `stored` (and the changed days' leaves).
  size_t reused = 0;
};

//! The key of the remainder of `slice` without `others` (with mechanism `mechanism`'s sums) in
//! RemainderDays.
std::string RemainderKey(const Slice& slice, const std::vector<Slice>& others,
                         std::string_view mechanism);

//! The SliceRemainder of `slice` without `others` as RemainderInLeaves reads it, over the data's
//! `days` days from `first` (those of `order_leaves`): from `kept`'s stored sums and its changed
//! days' leaves when it holds the remainder, else from every day's leaves; recorded in
//! `kept.read` either way.
SliceRemainder RemainderOfDays(storage::Connection& connection, const Slice& slice,
                               const std::vector<Slice>& others, std::string_view mechanism,
                               Date first, size_t days, RemainderDays& kept);

//! The same sums from the slice cube alone (its slices' series added and taken away), or nullopt
//! when the cube does not hold a slice they need. BuildIncidents asks the cube first.
std::optional<SliceRemainder> RemainderInCube(const storage::Table& slice_cube, const Slice& slice,
                                              const std::vector<Slice>& others,
                                              std::string_view mechanism = {});

//! Whether the alert's regression is gone from `remainder` (its slice without the others'
//! orders): its daily CX Score tested over the alert's windows like a detected regression, and a
//! mechanism-led alert's mechanism too (the remainder must carry its sums). `alike`: the sums
//! `remainder_alike` compares it with (without them, that test is not made).
struct AlikeSums {
  SliceRemainder whole;                //!< the alert's slice, every order
  std::vector<SliceRemainder> others;  //!< each other slice's own, every order
};
bool ExplainedByRemainder(const SliceRemainder& remainder, const Alert& alert,
                          const IncidentConfig& config,
                          double required_z = std::numeric_limits<double>::quiet_NaN(),
                          const AlikeSums* alike = nullptr);

//! The CX Score's change over `alert`'s window against its baseline in `remainder` (the slice's
//! orders left without others'); NaN when either window has no orders left.
double RemainderCxDelta(const SliceRemainder& remainder, const Alert& alert);

//! The ExplainedTest on `order_leaves`: ExplainedByRemainder of RemainderInLeaves.
bool ExplainedByOthers(storage::Connection& connection, const Alert& alert,
                       const std::vector<Slice>& others, const IncidentConfig& config);

//! The localizer's answer for one incident window against its baseline window, before
//! LocalizeIncidents keeps the roots that are the incident's: what a refresh reuses when no day
//! from `first` to `last` changed (docs/incremental.md).
struct WindowLocalization {
  Date first;                        //!< the baseline window's first day
  Date last;                         //!< the incident window's last day
  double delta = 0;                  //!< the total's change (localize::LocalizeResult::delta)
  double window_orders = 0;          //!< orders of every leaf in the incident window
  std::vector<IncidentSlice> roots;  //!< localize::LocalizeResult::root_causes, in order
  //! What the nested split (SplitNestedRegressions) read of this window: its candidates, by the
  //! slice and the other incidents' orders left out (their SQL condition) and the dimensions read.
  std::map<std::string, nlohmann::json> nested;
  //! What the mechanism extent (ExtendToMechanisms) found for this window: by the slice it
  //! started from (its SQL condition, other incidents' orders left out) and the incident's
  //! mechanism, the slice reached and its figures (null: the localizer's slice stands).
  std::map<std::string, nlohmann::json> extents;
};

//! Window localizations by their windows (baseline first and last day, incident first and last
//! day, as text).
using Localizations = std::map<std::string, WindowLocalization>;

//! The Localizations key of the windows of `lead` with its incident window ending on `end`.
std::string WindowKey(const Alert& lead, Date end);

//! WindowLocalization as stored (every number to the bit) and read back; throws InvalidInput
//! on a document that is not one.
nlohmann::json WindowLocalizationJson(const WindowLocalization& localization);
WindowLocalization WindowLocalizationFromJson(const nlohmann::json& document);

//! Adds an incident for each child of an incident's localized slice that regressed on its own
//! inside it (IncidentConfig::nested_split; docs/incidents.md step 9b), read from
//! `order_leaves` over the incident's windows (`last_day`: the data's last, for an open one),
//! then ranks and numbers all again. A read found in `reuse` under its window (its days
//! unchanged) is not read again; every read is added to `localized` when given.
void SplitNestedRegressions(storage::Connection& connection, std::vector<Incident>& incidents,
                            const IncidentConfig& config,
                            const std::vector<std::string>& dimensions, Date last_day,
                            const Localizations* reuse = nullptr,
                            Localizations* localized = nullptr);

//! Moves each incident's first slice to where its mechanism moved (IncidentConfig::
//! mechanism_extent; docs/incidents.md step 9): to a parent whose other orders moved it too, or
//! to a child when the slice's other orders did not, read from `order_leaves` over the
//! incident's windows (`last_day`: the data's last, for an open one). A result found in `reuse`
//! under its window (its days unchanged) is not read again; every result is added to `localized`
//! when given.
void ExtendToMechanisms(storage::Connection& connection, std::vector<Incident>& incidents,
                        const IncidentConfig& config, const std::vector<std::string>& dimensions,
                        Date last_day, const Localizations* reuse = nullptr,
                        Localizations* localized = nullptr);

//! Fills each incident's `slices` with the localizer run on `order_leaves` (over its leaf
//! `dimensions`, empty: the contract's seven): the incident window against its baseline window,
//! cx_sum / orders. Of slices selecting the same orders, the one first in `naming_order` is
//! named (empty: the contract's NAMING_ORDER). A window found in `reuse` is not localized again
//! (its entry stands for what the leaves would give); every window's localization, reused or
//! not, is added to `localized` when given. Returns the ids of the incidents whose window's
//! localization was taken from `reuse`. Incidents that then name the same slice over
//! overlapping windows are one regression (FoldSameSlice), and a child of a slice that regressed
//! on its own is split off (SplitNestedRegressions).
std::vector<std::string> LocalizeIncidents(
    storage::Connection& connection, std::vector<Incident>& incidents, const IncidentConfig& config,
    std::vector<std::string> dimensions = {}, std::vector<std::string> naming_order = {},
    const Localizations* reuse = nullptr, Localizations* localized = nullptr);

//! The incident as the analysis file's JSON object (interfaces.md §2, without rca and
//! recommendations).
nlohmann::json IncidentJson(const Incident& incident);

}  // namespace cxagent::detect
