#include "evaluate/evaluate.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "common/date.hpp"
#include "common/error.hpp"
#include "common/file.hpp"
#include "common/slice.hpp"
#include "generate/run.hpp"
#include "metrics/order_facts.hpp"
#include "rca/panel.hpp"
#include "recommend/interval.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "storage/table.hpp"

namespace cxagent::evaluate {

namespace {

// A detected start within this many days of the truth counts as found (quality.md).
constexpr int START_TOLERANCE_DAYS = 2;
// Confusion matrix columns for incidents without a top cause.
constexpr const char* MISSED = "missed";
constexpr const char* NO_CAUSE = "none";
// The quality bar counts incidents that moved their slice's CX Score by at least a point.
constexpr double MIN_MOVE = 1.0;

// Whether `truth` is one of the slices selecting the same orders as the incident's slices[0].
bool AliasOfLocalized(const nlohmann::json& incident, const Slice& truth) {
  const auto& slices = incident.value("slices", nlohmann::json::array());
  if (slices.empty()) return false;
  for (const auto& alias : slices[0].value("same_orders_as", nlohmann::json::array())) {
    if (Slice::FromJson(alias) == truth) return true;
  }
  return false;
}

Slice LocalizedSlice(const nlohmann::json& incident) {
  const auto& slices = incident.value("slices", nlohmann::json::array());
  if (!slices.empty()) return Slice::FromJson(slices[0].at("slice"));
  return Slice::FromJson(incident.at("slice"));
}

bool Related(const Slice& a, const Slice& b) {
  return a.Contains(b) || b.Contains(a);
}

// Change ids that truth.json attributes to an injected incident; every other change_log row is a
// decoy (or the log of nothing).
std::set<std::string> TrueChangeIds(const nlohmann::json& truth) {
  std::set<std::string> ids;
  for (const auto& incident : truth.at("incidents")) {
    if (incident.contains("change_id") && incident["change_id"].is_string()) {
      ids.insert(incident["change_id"].get<std::string>());
    }
  }
  return ids;
}

// A wrong top cause "won on a decoy" when its evidence cites a change the truth did not make.
bool SupportedByDecoy(const nlohmann::json& cause, const std::set<std::string>& true_changes) {
  for (const auto& record : cause.value("evidence", nlohmann::json::array())) {
    if (record.value("kind", "") != "change_log") continue;
    if (!record.value("consistent", false)) continue;
    if (!true_changes.contains(record.value("change_id", ""))) return true;
  }
  return false;
}

double Rate(int hits, int total) {
  return total == 0 ? 0.0 : static_cast<double>(hits) / total;
}

struct Summary {
  int total = 0;
  int detected = 0;
  int slice_exact = 0;
  int slice_alias = 0;  // not exact, the truth selecting the same orders (same_orders_as)
  int explained = 0;    // incidents whose match has an RCA
  int cause_hits = 0;
  int decoy_first = 0;
  int whatif_scored = 0;       // incidents with a true effect and a revert estimate
  int whatif_covered = 0;      // ... whose 90% interval covers the truth
  double abs_error = 0;        // sum of |estimate - truth|
  double abs_truth = 0;        // sum of |truth|
  int measured = 0;            // incidents whose slice move was measured (--whatif)
  int moved = 0;               // ... that moved their slice by at least MIN_MOVE points
  int moved_detected = 0;      // ... and were detected
  int missed_unconfirmed = 0;  // missed, but an unconfirmed incident would have matched
};

Summary Summarize(const EvaluateReport& report) {
  Summary summary;
  for (const auto& row : report.incidents) {
    ++summary.total;
    summary.detected += row.detected;
    summary.slice_exact += row.slice_exact;
    summary.slice_alias += row.slice_alias;
    if (!row.top_cause.empty()) ++summary.explained;
    summary.cause_hits += row.cause_hit;
    summary.decoy_first += row.decoy_first;
    summary.missed_unconfirmed += !row.unconfirmed.empty();
    if (row.slice_move) {
      ++summary.measured;
      if (*row.slice_move >= MIN_MOVE) {
        ++summary.moved;
        summary.moved_detected += row.detected;
      }
    }
    if (row.true_effect && row.expected) {
      ++summary.whatif_scored;
      summary.abs_error += std::abs(*row.expected - *row.true_effect);
      summary.abs_truth += std::abs(*row.true_effect);
      summary.whatif_covered +=
          *row.expected_lo <= *row.true_effect && *row.true_effect <= *row.expected_hi;
    }
  }
  return summary;
}

// Mean CX Score of a world's orders in a slice between two dates (inclusive).
double SliceCx(const std::string& folder, const pipeline::AnalysisConfig& config,
               const Slice& slice, const std::string& start, const std::string& end) {
  storage::Database database;
  storage::Connection connection(database);
  const storage::Dataset dataset = storage::Dataset::Open(connection, {.folder = folder});
  metrics::BuildOrderFacts(connection, dataset, config.cx_score);
  const storage::Table t = connection.Query(fmt::format(
      "SELECT avg(cx_score) AS cx FROM order_facts WHERE {} AND order_date BETWEEN DATE '{}' AND "
      "DATE '{}'",
      rca::SliceCondition(slice), start, end));
  const auto& cx = t.Get("cx");
  if (t.RowCount() == 0 || cx.IsNull(0)) {
    throw InvalidInput("no orders in {} between {} and {} of {}", slice.ToText(), start, end,
                       folder);
  }
  return cx.doubles[0];
}

// The true effect of undoing a matched incident inside its matched slice and window, against the
// revert recommendation's estimate.
void ScoreRevert(IncidentScore& row, const std::filesystem::path& world,
                 const std::filesystem::path& without, const nlohmann::json& analysis,
                 const std::string& data_end, const EvaluateRequest& request) {
  if (row.matched.empty()) return;
  const nlohmann::json* incident = nullptr;
  for (const auto& candidate : analysis.at("incidents")) {
    if (candidate.at("id") == row.matched) incident = &candidate;
  }
  if (incident == nullptr) return;
  if (const auto estimate = RevertEstimate(*incident, row.cause)) {
    row.expected = (*estimate)[0];
    row.expected_lo = (*estimate)[1];
    row.expected_hi = (*estimate)[2];
    row.expected_sampling = RevertSamplingHalfWidth(*incident, row.cause);
  }
  const Slice slice = LocalizedSlice(*incident);
  const std::string start = incident->at("start_date").get<std::string>();
  const auto& end_field = incident->at("end_date");
  const std::string end = end_field.is_string() ? end_field.get<std::string>() : data_end;
  row.true_effect = SliceCx(without.string(), request.config, slice, start, end) -
                    SliceCx(world.string(), request.config, slice, start, end);
}

// A short column header for a cause: the initials of its words ("dasher_supply_shortage" ->
// "dss"); the two outcome columns keep their names.
std::string Initials(const std::string& cause) {
  if (cause == MISSED || cause == NO_CAUSE) return cause;
  std::string initials;
  bool start = true;
  for (char c : cause) {
    if (start && c != '_') initials += c;
    start = c == '_';
  }
  return initials;
}

// Each incident's world generated without it: how far the incident moved its own slice, and the
// true effect of undoing it where the analysis matched it.
void ScoreWhatIf(EvaluateReport& report, const std::string& scenario_path,
                 const std::filesystem::path& world, const nlohmann::json& analysis,
                 const EvaluateRequest& request) {
  const std::string data_end = analysis.at("data").at("end_date").get<std::string>();
  for (auto& row : report.incidents) {
    const std::filesystem::path without = world.string() + "-without-" + row.truth_id;
    std::filesystem::remove_all(without);
    generate::GenerateRequest generate;
    generate.scenario_path = scenario_path;
    generate.out_dir = without.string();
    generate.days = request.days;
    generate.orders_per_day = request.orders_per_day;
    generate.without = row.truth_id;
    generate.progress = false;
    generate::RunGenerate(generate);
    // How much the incident moved its own slice over its own window, found or not: the size the
    // quality bar is stated in ("incidents moving their slice by >= 1 point").
    const Slice truth_slice = Slice::Parse(row.slice);
    const std::string truth_end =
        row.end_date.empty() ? data_end
                             : FormatDate(AddDays(ParseDate(row.end_date, "truth end_date"), -1));
    row.slice_move =
        SliceCx(without.string(), request.config, truth_slice, row.start_date, truth_end) -
        SliceCx(world.string(), request.config, truth_slice, row.start_date, truth_end);
    ScoreRevert(row, world, without, analysis, data_end, request);
    if (!request.keep) std::filesystem::remove_all(without);
  }
}

}  // namespace

std::optional<std::array<double, 3>> RevertEstimate(const nlohmann::json& incident,
                                                    const std::string& cause) {
  for (const auto& rec : incident.value("recommendations", nlohmann::json::array())) {
    if (rec.value("kind", "") != "revert" || rec.value("cause", "") != cause) continue;
    const auto& delta = rec.at("expected_cx_delta");
    return std::array<double, 3>{delta.at("mean").get<double>(),
                                 delta.at("ci90").at(0).get<double>(),
                                 delta.at("ci90").at(1).get<double>()};
  }
  return std::nullopt;
}

std::optional<double> RevertSamplingHalfWidth(const nlohmann::json& incident,
                                              const std::string& cause) {
  for (const auto& rec : incident.value("recommendations", nlohmann::json::array())) {
    if (rec.value("kind", "") != "revert" || rec.value("cause", "") != cause) continue;
    const auto sources = rec.find("cx_interval");
    if (sources == rec.end() || !sources->contains("sampling_half_width")) return std::nullopt;
    return sources->at("sampling_half_width").get<double>();
  }
  return std::nullopt;
}

std::optional<double> WhatIfConformalShare(const EvaluateReport& report) {
  std::vector<recommend::EffectResidual> residuals;
  for (const auto& row : report.incidents) {
    if (!row.true_effect || !row.expected || !row.expected_sampling) continue;
    residuals.push_back({*row.expected, *row.expected_sampling, *row.true_effect});
  }
  return recommend::ConformalModelErrorShare(residuals, 0.9);
}

ConfusionMatrix CauseConfusion(const EvaluateReport& report) {
  ConfusionMatrix matrix;
  for (const auto& row : report.incidents) {
    const std::string top = !row.detected           ? std::string(MISSED)
                            : row.top_cause.empty() ? std::string(NO_CAUSE)
                                                    : row.top_cause;
    ++matrix[row.cause][top];
  }
  return matrix;
}

Calibration ConfidenceCalibration(const EvaluateReport& report, int bins) {
  if (bins < 1) throw InternalError("calibration needs at least one bin, not {}", bins);
  std::vector<CalibrationBin> all(static_cast<size_t>(bins));
  for (int b = 0; b < bins; ++b) {
    all[static_cast<size_t>(b)].lo = static_cast<double>(b) / bins;
    all[static_cast<size_t>(b)].hi = static_cast<double>(b + 1) / bins;
  }
  Calibration calibration;
  for (const auto& row : report.incidents) {
    if (!row.detected || !row.confidence) continue;
    const double confidence = std::clamp(*row.confidence, 0.0, 1.0);
    const int b = std::min(bins - 1, static_cast<int>(confidence * bins));
    CalibrationBin& bin = all[static_cast<size_t>(b)];
    ++bin.count;
    bin.mean_confidence += confidence;
    bin.accuracy += row.cause_hit ? 1.0 : 0.0;
    ++calibration.count;
    const double miss = confidence - (row.cause_hit ? 1.0 : 0.0);
    calibration.brier += miss * miss;
  }
  for (auto& bin : all) {
    if (bin.count == 0) continue;
    bin.mean_confidence /= bin.count;
    bin.accuracy /= bin.count;
    calibration.ece += static_cast<double>(bin.count) / calibration.count *
                       std::abs(bin.mean_confidence - bin.accuracy);
    calibration.bins.push_back(bin);
  }
  if (calibration.count > 0) calibration.brier /= calibration.count;
  return calibration;
}

namespace {

// Whether `incident` matches an injected one in `truth_slice` from `truth_start` (a start within
// START_TOLERANCE_DAYS, slices[0] or the lead slice related to the truth slice, or the truth
// slice one of slices[0]'s other names of the same orders), and its rank among the matches: an
// exact slices[0] first, then the nearest start.
std::optional<std::tuple<bool, int>> MatchKey(const nlohmann::json& incident,
                                              const Slice& truth_slice, Date truth_start) {
  const Date start = ParseDate(incident.at("start_date").get<std::string>(), "start_date");
  const int error = start.days - truth_start.days;
  if (std::abs(error) > START_TOLERANCE_DAYS) return std::nullopt;
  const Slice found = LocalizedSlice(incident);
  if (!Related(found, truth_slice) &&
      !Related(Slice::FromJson(incident.at("slice")), truth_slice) &&
      !AliasOfLocalized(incident, truth_slice)) {
    return std::nullopt;
  }
  return std::tuple<bool, int>{found == truth_slice, -std::abs(error)};
}

// The incident of `incidents` that best matches an injected one (MatchKey), then rank order.
std::optional<size_t> BestMatch(const nlohmann::json& incidents, const Slice& truth_slice,
                                Date truth_start) {
  std::optional<size_t> best;
  std::tuple<bool, int> best_key{false, 0};
  for (size_t i = 0; i < incidents.size(); ++i) {
    const auto key = MatchKey(incidents[i], truth_slice, truth_start);
    if (key && (!best || *key > best_key)) {
      best = i;
      best_key = *key;
    }
  }
  return best;
}

// Each injected incident of `injected` matched to at most one incident of `incidents` and each
// incident to at most one injected one: of all the pairs that match (MatchKey), the best first
// (an exact slices[0], the nearest start, then the injected and the incident's order). An
// incident that took in two injected ones (a region's storm and its restaurants' prep delay,
// reported as the storm) detects one of them; the other is missed, and an incident of its own
// that named it less well still detects it.
std::vector<std::optional<size_t>> MatchOneToOne(const nlohmann::json& incidents,
                                                 const nlohmann::json& injected) {
  struct Pair {
    std::tuple<bool, int> key;
    size_t truth;
    size_t incident;
  };
  std::vector<Pair> pairs;
  for (size_t t = 0; t < injected.size(); ++t) {
    const Slice truth_slice = Slice::FromJson(injected[t].at("slice"));
    const Date truth_start =
        ParseDate(injected[t].at("start_date").get<std::string>(), "truth start_date");
    for (size_t i = 0; i < incidents.size(); ++i) {
      if (const auto key = MatchKey(incidents[i], truth_slice, truth_start)) {
        pairs.push_back({*key, t, i});
      }
    }
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Pair& a, const Pair& b) { return a.key > b.key; });
  std::vector<std::optional<size_t>> matches(injected.size());
  std::vector<bool> taken(incidents.size(), false);
  for (const Pair& pair : pairs) {
    if (matches[pair.truth] || taken[pair.incident]) continue;
    matches[pair.truth] = pair.incident;
    taken[pair.incident] = true;
  }
  return matches;
}

}  // namespace

EvaluateReport ScoreAnalysis(const std::string& scenario, const nlohmann::json& truth,
                             const nlohmann::json& analysis, int days) {
  EvaluateReport report;
  report.scenarios = 1;
  report.days = days;
  const auto& detected = analysis.at("incidents");
  const nlohmann::json unconfirmed = analysis.value("unconfirmed", nlohmann::json::array());
  report.unconfirmed = static_cast<int>(unconfirmed.size());
  std::vector<bool> used(detected.size(), false);
  const std::set<std::string> true_changes = TrueChangeIds(truth);
  const auto& injected_all = truth.at("incidents");
  const std::vector<std::optional<size_t>> matches = MatchOneToOne(detected, injected_all);
  for (size_t i = 0; i < injected_all.size(); ++i) {
    const auto& injected = injected_all[i];
    IncidentScore row;
    row.scenario = scenario;
    row.truth_id = injected.at("id").get<std::string>();
    row.cause = injected.at("cause").get<std::string>();
    const Slice truth_slice = Slice::FromJson(injected.at("slice"));
    row.slice = truth_slice.ToText();
    row.start_date = injected.at("start_date").get<std::string>();
    if (injected.contains("end_date") && injected["end_date"].is_string()) {
      row.end_date = injected["end_date"].get<std::string>();
    }
    row.magnitude = injected.value("magnitude", 0.0);
    const Date truth_start = ParseDate(row.start_date, "truth start_date");
    const std::optional<size_t> best = matches[i];
    if (!best) {
      const std::optional<size_t> parked = BestMatch(unconfirmed, truth_slice, truth_start);
      if (parked) row.unconfirmed = unconfirmed[*parked].at("id").get<std::string>();
    }
    if (best) {
      const auto& incident = detected[*best];
      used[*best] = true;
      row.matched = incident.at("id").get<std::string>();
      row.detected = true;
      row.start_error = ParseDate(incident.at("start_date").get<std::string>(), "start_date").days -
                        truth_start.days;
      const Slice found = LocalizedSlice(incident);
      row.found_slice = found.ToText();
      row.slice_exact = found == truth_slice;
      row.slice_alias = !row.slice_exact && AliasOfLocalized(incident, truth_slice);
      const auto rca = incident.find("rca");
      if (rca != incident.end() && !rca->at("causes").empty()) {
        const auto& top = rca->at("causes")[0];
        row.top_cause = top.at("cause").get<std::string>();
        row.cause_hit = row.top_cause == row.cause;
        if (top.contains("confidence") && top["confidence"].is_number()) {
          row.confidence = top["confidence"].get<double>();
        }
        row.decoy_first = !row.cause_hit && SupportedByDecoy(top, true_changes);
      }
    }
    report.incidents.push_back(std::move(row));
  }
  for (bool matched : used) report.false_incidents += matched ? 0 : 1;
  return report;
}

EvaluateReport RunEvaluation(const EvaluateRequest& request) {
  namespace fs = std::filesystem;
  // Drawn first: a request that cannot be drawn fails before anything is written.
  std::vector<generate::Scenario> drawn;
  if (request.random) {
    if (!request.scenarios.empty()) {
      throw InvalidInput(
          "evaluate: --suite and --random are exclusive; score the suites (in-sample) and random "
          "worlds (out-of-sample) in separate runs");
    }
    drawn = DrawScenarios(*request.random);
  } else if (request.scenarios.empty()) {
    throw InvalidInput("evaluate: no scenario files given");
  }
  std::set<std::string> names;
  for (const auto& path : request.scenarios) {
    if (!fs::is_regular_file(path)) throw NotFound("scenario file not found: {}", path);
    // Worlds are named after their files, so two files of one name would overwrite each other.
    if (!names.insert(fs::path(path).stem().string()).second) {
      throw InvalidInput("evaluate: two scenario files are named '{}'; world folders would clash",
                         fs::path(path).stem().string());
    }
  }
  const bool temporary = request.work_dir.empty();
  const fs::path work =
      temporary ? fs::temp_directory_path() / fmt::format("cxagent-evaluate-{}", ::getpid())
                : fs::path(request.work_dir);
  fs::create_directories(work);
  // Generated worlds are scratch: a failure midway must not leave them behind.
  struct Cleanup {
    fs::path path;
    bool active;
    ~Cleanup() {
      std::error_code ignored;
      if (active) fs::remove_all(path, ignored);
    }
  } cleanup{work, temporary && !request.keep};
  // Random worlds become scenario files like the suites' and go through the same loop below.
  std::vector<std::string> paths = request.scenarios;
  for (const auto& scenario : drawn) {
    const fs::path file = work / (scenario.name + ".yaml");
    WriteFileAtomic(file.string(), ScenarioYaml(scenario));
    paths.push_back(file.string());
  }
  EvaluateReport total;
  total.random = request.random;
  for (const auto& path : paths) {
    const std::string name = fs::path(path).stem().string();
    const fs::path out = work / name;
    fs::remove_all(out);
    const auto started = std::chrono::steady_clock::now();
    generate::GenerateRequest generate;
    generate.scenario_path = path;
    generate.out_dir = out.string();
    generate.days = request.days;
    generate.orders_per_day = request.orders_per_day;
    generate.progress = false;
    generate::RunGenerate(generate);
    const nlohmann::json truth = nlohmann::json::parse(ReadFile((out / "truth.json").string()));
    const nlohmann::json analysis = pipeline::RunAnalysis(out.string(), request.config);
    EvaluateReport one = ScoreAnalysis(name, truth, analysis, truth.at("days").get<int>());
    if (request.whatif) ScoreWhatIf(one, path, out, analysis, request);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("evaluate: {}: {} injected, {} detected, {} false, {:.1f} s", name,
                 one.incidents.size(), Summarize(one).detected, one.false_incidents, seconds);
    for (auto& row : one.incidents) total.incidents.push_back(std::move(row));
    total.false_incidents += one.false_incidents;
    total.unconfirmed += one.unconfirmed;
    total.days += one.days;
    ++total.scenarios;
    if (!request.keep) {
      fs::remove_all(out);
      if (request.random) fs::remove(path);
    }
  }
  return total;
}

nlohmann::json ReportJson(const EvaluateReport& report) {
  const Summary s = Summarize(report);
  const auto conformal = WhatIfConformalShare(report);
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : report.incidents) {
    rows.push_back(
        {{"scenario", row.scenario},
         {"id", row.truth_id},
         {"cause", row.cause},
         {"slice", row.slice},
         {"start_date", row.start_date},
         {"end_date", row.end_date.empty() ? nlohmann::json() : nlohmann::json(row.end_date)},
         {"magnitude", row.magnitude},
         {"matched", row.matched.empty() ? nlohmann::json() : nlohmann::json(row.matched)},
         {"start_error", row.start_error ? nlohmann::json(*row.start_error) : nlohmann::json()},
         {"found_slice", row.found_slice},
         {"detected", row.detected},
         {"slice_exact", row.slice_exact},
         {"slice_alias", row.slice_alias},
         {"top_cause", row.top_cause.empty() ? nlohmann::json() : nlohmann::json(row.top_cause)},
         {"cause_hit", row.cause_hit},
         {"confidence", row.confidence ? nlohmann::json(*row.confidence) : nlohmann::json()},
         {"decoy_first", row.decoy_first},
         {"unconfirmed",
          row.unconfirmed.empty() ? nlohmann::json() : nlohmann::json(row.unconfirmed)},
         {"slice_move", row.slice_move ? nlohmann::json(*row.slice_move) : nlohmann::json()},
         {"true_effect", row.true_effect ? nlohmann::json(*row.true_effect) : nlohmann::json()},
         {"expected_cx_delta",
          row.expected ? nlohmann::json({{"mean", *row.expected},
                                         {"ci90", {*row.expected_lo, *row.expected_hi}}})
                       : nlohmann::json()},
         {"sampling_half_width",
          row.expected_sampling ? nlohmann::json(*row.expected_sampling) : nlohmann::json()}});
  }
  nlohmann::json confusion = nlohmann::json::object();
  for (const auto& [truth, row] : CauseConfusion(report)) {
    for (const auto& [top, count] : row) confusion[truth][top] = count;
  }
  const Calibration calibration = ConfidenceCalibration(report);
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& bin : calibration.bins) {
    bins.push_back({{"lo", bin.lo},
                    {"hi", bin.hi},
                    {"count", bin.count},
                    {"mean_confidence", bin.mean_confidence},
                    {"accuracy", bin.accuracy}});
  }
  const bool calibrated = calibration.count > 0;
  nlohmann::json random;
  if (report.random) {
    random = {{"count", report.random->count},
              {"seed", report.random->seed},
              {"days", report.random->days},
              {"orders_per_day", report.random->orders_per_day}};
  }
  return {{"incidents", rows},
          {"random", random},
          {"confusion", confusion},
          {"calibration",
           {{"count", calibration.count},
            {"bins", bins},
            {"ece", calibrated ? nlohmann::json(calibration.ece) : nlohmann::json()},
            {"brier", calibrated ? nlohmann::json(calibration.brier) : nlohmann::json()}}},
          {"summary",
           {{"scenarios", report.scenarios},
            {"injected", s.total},
            {"detected", s.detected},
            {"detection_rate", Rate(s.detected, s.total)},
            {"slice_exact", s.slice_exact},
            {"slice_rate", Rate(s.slice_exact, s.total)},
            {"slice_alias", s.slice_alias},
            {"explained", s.explained},
            {"cause_hits", s.cause_hits},
            {"cause_rate", Rate(s.cause_hits, s.total)},
            {"decoy_first", s.decoy_first},
            {"false_incidents", report.false_incidents},
            {"unconfirmed", report.unconfirmed},
            {"missed_but_unconfirmed", s.missed_unconfirmed},
            {"days", report.days},
            {"whatif_scored", s.whatif_scored},
            {"whatif_covered", s.whatif_covered},
            {"slice_move_measured", s.measured},
            {"moved_1pt", s.moved},
            {"moved_1pt_detected", s.moved_detected},
            {"moved_1pt_detection_rate", Rate(s.moved_detected, s.moved)},
            {"whatif_mae_share",
             s.abs_truth > 0 ? nlohmann::json(s.abs_error / s.abs_truth) : nlohmann::json()},
            {"whatif_coverage", Rate(s.whatif_covered, s.whatif_scored)},
            {"whatif_conformal_share", conformal ? nlohmann::json(*conformal) : nlohmann::json()},
            {"false_per_90_days",
             report.days == 0 ? 0.0 : 90.0 * report.false_incidents / report.days}}}};
}

namespace {

std::string ConfusionText(const EvaluateReport& report) {
  const ConfusionMatrix matrix = CauseConfusion(report);
  if (matrix.empty()) return "";
  // Columns: every top cause that occurs, then the two outcomes without one.
  std::set<std::string> causes;
  for (const auto& [truth, row] : matrix) {
    for (const auto& [top, count] : row) {
      if (top != MISSED && top != NO_CAUSE) causes.insert(top);
    }
  }
  std::vector<std::string> columns(causes.begin(), causes.end());
  columns.emplace_back(MISSED);
  columns.emplace_back(NO_CAUSE);
  size_t label = 0;
  for (const auto& [truth, row] : matrix) label = std::max(label, truth.size());
  std::string text = "\ncause confusion (rows: true cause; columns: top cause of the match):\n";
  text += fmt::format("  {:<{}}", "", label);
  for (const auto& column : columns) text += fmt::format(" {:>6}", Initials(column));
  text += "\n";
  for (const auto& [truth, row] : matrix) {
    text += fmt::format("  {:<{}}", truth, label);
    for (const auto& column : columns) {
      const auto it = row.find(column);
      text +=
          fmt::format(" {:>6}", it == row.end() ? std::string(".") : std::to_string(it->second));
    }
    text += "\n";
  }
  std::string legend;
  for (const auto& cause : causes) {
    legend += fmt::format("{}{} = {}", legend.empty() ? "" : ", ", Initials(cause), cause);
  }
  if (!legend.empty()) text += "  (" + legend + ")\n";
  return text;
}

std::string CalibrationText(const EvaluateReport& report) {
  const Calibration calibration = ConfidenceCalibration(report);
  if (calibration.count == 0) return "\nconfidence calibration: no matched incident has a cause\n";
  std::string text = fmt::format(
      "\nconfidence calibration (rca.causes[0].confidence of {} matched incidents):\n"
      "  {:<12} {:>9} {:>16} {:>11}\n",
      calibration.count, "confidence", "incidents", "mean confidence", "share true");
  for (const auto& bin : calibration.bins) {
    text += fmt::format("  [{:.1f}, {:.1f}{} {:>9} {:>16.3f} {:>11.3f}\n", bin.lo, bin.hi,
                        bin.hi >= 1.0 ? "]" : ")", bin.count, bin.mean_confidence, bin.accuracy);
  }
  text += fmt::format("expected calibration error {:.3f}; Brier score {:.4f}\n", calibration.ece,
                      calibration.brier);
  return text;
}

}  // namespace

std::string ReportText(const EvaluateReport& report) {
  std::vector<std::array<std::string, 6>> table{
      {"scenario", "injected", "truth slice", "start", "found slice", "top cause"}};
  for (const auto& row : report.incidents) {
    table.push_back(
        {row.scenario, row.truth_id, row.slice,
         row.start_error ? fmt::format("{:+d}", *row.start_error)
                         : std::string(row.unconfirmed.empty() ? "miss" : "miss (unconfirmed)"),
         row.detected ? row.found_slice + (row.slice_exact   ? ""
                                           : row.slice_alias ? " (=)"
                                                             : " (x)")
                      : std::string("-"),
         row.top_cause.empty() ? std::string("-") : row.top_cause + (row.cause_hit ? "" : " (x)")});
  }
  std::array<size_t, 6> widths{};
  for (const auto& cells : table) {
    for (size_t i = 0; i < cells.size(); ++i) widths[i] = std::max(widths[i], cells[i].size());
  }
  std::string text;
  for (const auto& cells : table) {
    for (size_t i = 0; i < cells.size(); ++i) {
      text += fmt::format("{:<{}}", cells[i], i + 1 < cells.size() ? widths[i] + 2 : 0);
    }
    text += "\n";
  }
  const Summary s = Summarize(report);
  if (report.random) {
    text += fmt::format(
        "\nrandom worlds: {} drawn from seed {} ({} days x {} orders a day; out-of-sample)\n",
        report.random->count, report.random->seed, report.random->days,
        report.random->orders_per_day);
  }
  text += fmt::format(
      "\ndetected within {} days: {}/{} ({:.0f}%)\nslices[0] exact: {}/{} ({:.0f}%; {} more "
      "name the truth's orders under another name)\n"
      "true cause first: {}/{} ({:.0f}%; {} incidents had an RCA)\ndecoy change first: {}\n"
      "false incidents: {} over {} days ({:.2f} per 90 days)\n",
      START_TOLERANCE_DAYS, s.detected, s.total, 100 * Rate(s.detected, s.total), s.slice_exact,
      s.total, 100 * Rate(s.slice_exact, s.total), s.slice_alias, s.cause_hits, s.total,
      100 * Rate(s.cause_hits, s.total), s.explained, s.decoy_first, report.false_incidents,
      report.days, report.days == 0 ? 0.0 : 90.0 * report.false_incidents / report.days);
  text += fmt::format(
      "unconfirmed (no cause found, not alerted): {}; missed incidents one of them would have "
      "matched: {}\n",
      report.unconfirmed, s.missed_unconfirmed);
  text += ConfusionText(report) + CalibrationText(report);
  if (s.measured > 0) {
    text += fmt::format(
        "\nincidents moving their slice by >= {:.0f} point (measured against the world generated "
        "--without them): {}/{}; detected within {} days: {}/{} ({:.0f}%)\n",
        MIN_MOVE, s.moved, s.measured, START_TOLERANCE_DAYS, s.moved_detected, s.moved,
        100 * Rate(s.moved_detected, s.moved));
    for (const auto& row : report.incidents) {
      if (!row.slice_move) continue;
      text += fmt::format("  {:<28} {:<32} slice moved {:+6.2f}{}\n", row.scenario, row.truth_id,
                          -*row.slice_move, row.detected ? "" : "  (missed)");
    }
  }
  bool whatif = false;
  for (const auto& row : report.incidents) whatif = whatif || row.true_effect.has_value();
  if (whatif) {
    text += "\nwhat-if (revert recommendation vs the world generated --without the incident):\n";
    for (const auto& row : report.incidents) {
      if (!row.true_effect) continue;
      text += fmt::format("  {:<28} {:<32} true {:+6.2f}  ", row.scenario, row.truth_id,
                          *row.true_effect);
      if (row.expected) {
        const bool covered =
            *row.expected_lo <= *row.true_effect && *row.true_effect <= *row.expected_hi;
        text += fmt::format("expected {:+6.2f} [{:+.2f}, {:+.2f}]{}\n", *row.expected,
                            *row.expected_lo, *row.expected_hi, covered ? "" : " (x)");
      } else {
        text += "no revert recommendation for the cause\n";
      }
    }
    text += fmt::format(
        "what-if scored: {} incidents; MAE {:.1f}% of the mean true effect ({:.2f} of {:.2f} "
        "points); 90% interval covers the truth: {}/{} ({:.0f}%)\n",
        s.whatif_scored, s.abs_truth > 0 ? 100 * s.abs_error / s.abs_truth : 0.0,
        s.whatif_scored ? s.abs_error / s.whatif_scored : 0.0,
        s.whatif_scored ? s.abs_truth / s.whatif_scored : 0.0, s.whatif_covered, s.whatif_scored,
        100 * Rate(s.whatif_covered, s.whatif_scored));
    // The conformal step behind the interval's model-error share (docs/recommend.md): what these
    // incidents alone would choose. Only tuning runs may feed the default.
    if (const auto share = WhatIfConformalShare(report)) {
      text += fmt::format(
          "model-error share at which 90% of these intervals would cover (conformal): {:.3f}\n",
          *share);
    }
  }
  return text;
}

}  // namespace cxagent::evaluate
