// Chooses localizer defaults by cross-validation on a folder of cases in the shared scorer's
// format (`<case>.csv` + `truth.json`, exact-match micro F1, as score_localize.py): every
// combination of the given settings is run on every case once (the files are read once), then
// for each fold the combination with the best F1 on the other folds is scored on the fold left
// out. Prints the in-sample F1 of every combination (best last), the combination chosen by most
// folds, and the cross-validated F1, precision and recall.
// Usage: cxagent_localize_cv --cases DIR [--folds K] [--verbose] [field=v1,v2,... ...]
//   fields: max_depth max_roots min_gain depth_penalty parsimony min_share min_relative_gain
//           min_sibling_share min_explained healthy_ratio generalize (0/1) close_slices (0/1)
//           split_stopping (0/1) widen_ancestors (0/1)
//   --folds K: K contiguous folds over the cases sorted by name (default: leave one out).
//   --verbose: per case, the labels and the answer of the first combination.
// Ties between combinations are broken by grid order (first wins), so list the current default
// first when a plateau should keep it.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "localize/leaf_csv.hpp"
#include "localize/localizer.hpp"

namespace {

using cxagent::localize::LocalizeConfig;

using Setter = std::function<void(LocalizeConfig&, double)>;

const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> setters = {
      {"max_depth", [](LocalizeConfig& c, double v) { c.max_depth = static_cast<int>(v); }},
      {"max_roots", [](LocalizeConfig& c, double v) { c.max_roots = static_cast<int>(v); }},
      {"min_gain", [](LocalizeConfig& c, double v) { c.min_gain = v; }},
      {"depth_penalty", [](LocalizeConfig& c, double v) { c.depth_penalty = v; }},
      {"parsimony", [](LocalizeConfig& c, double v) { c.parsimony = v; }},
      {"min_share", [](LocalizeConfig& c, double v) { c.min_share = v; }},
      {"min_relative_gain", [](LocalizeConfig& c, double v) { c.min_relative_gain = v; }},
      {"min_sibling_share", [](LocalizeConfig& c, double v) { c.min_sibling_share = v; }},
      {"min_explained", [](LocalizeConfig& c, double v) { c.min_explained = v; }},
      {"healthy_ratio", [](LocalizeConfig& c, double v) { c.healthy_ratio = v; }},
      {"generalize", [](LocalizeConfig& c, double v) { c.generalize = v != 0.0; }},
      {"close_slices", [](LocalizeConfig& c, double v) { c.close_slices = v != 0.0; }},
      {"split_stopping", [](LocalizeConfig& c, double v) { c.split_stopping = v != 0.0; }},
      {"widen_ancestors", [](LocalizeConfig& c, double v) { c.widen_ancestors = v != 0.0; }},

  };
  return setters;
}

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  Counts& operator+=(const Counts& o) {
    tp += o.tp;
    fp += o.fp;
    fn += o.fn;
    return *this;
  }
  double F1() const { return tp + fp + fn ? 2.0 * tp / (2.0 * tp + fp + fn) : 1.0; }
  double Precision() const { return tp + fp ? double(tp) / (tp + fp) : 1.0; }
  double Recall() const { return tp + fn ? double(tp) / (tp + fn) : 1.0; }
};

std::string Canonical(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, '&');) parts.push_back(part);
  std::sort(parts.begin(), parts.end());
  std::string joined;
  for (const auto& part : parts) joined += (joined.empty() ? "" : "&") + part;
  return joined;
}

std::string SliceText(const cxagent::Slice& slice) {
  std::string joined;
  for (const auto& [dimension, value] : slice.Pairs()) {
    joined += (joined.empty() ? "" : "&") + dimension + "=" + value;
  }
  return joined;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cases_dir;
  int folds = 0;
  bool verbose = false;
  std::vector<std::pair<std::string, std::vector<double>>> grid;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--cases" && i + 1 < argc) {
      cases_dir = argv[++i];
    } else if (arg == "--folds" && i + 1 < argc) {
      folds = std::stoi(argv[++i]);
    } else if (arg == "--verbose") {
      verbose = true;
    } else if (const auto eq = arg.find('='); eq != std::string::npos) {
      const std::string name = arg.substr(0, eq);
      if (!Setters().count(name)) {
        std::fprintf(stderr, "unknown field %s\n", name.c_str());
        return 2;
      }
      std::vector<double> values;
      std::stringstream stream(arg.substr(eq + 1));
      for (std::string value; std::getline(stream, value, ',');) values.push_back(std::stod(value));
      grid.emplace_back(name, values);
    } else {
      std::fprintf(stderr, "usage: %s --cases DIR [--folds K] [--verbose] [field=v1,v2 ...]\n",
                   argv[0]);
      return 2;
    }
  }
  if (cases_dir.empty()) {
    std::fprintf(stderr, "--cases DIR is required\n");
    return 2;
  }
  std::ifstream truth_file(std::filesystem::path(cases_dir) / "truth.json");
  if (!truth_file) {
    std::fprintf(stderr, "no truth.json in %s\n", cases_dir.c_str());
    return 2;
  }
  const nlohmann::json truth = nlohmann::json::parse(truth_file);
  std::vector<std::string> names;
  std::vector<std::set<std::string>> labels;
  std::vector<cxagent::localize::LeafTable> tables;
  try {
    for (const auto& [name, slices] : truth.items()) {
      names.push_back(name);
      std::set<std::string> label;
      for (const auto& slice : slices) label.insert(Canonical(slice.get<std::string>()));
      labels.push_back(label);
      tables.push_back(cxagent::localize::ReadLeafCsv(
          (std::filesystem::path(cases_dir) / (name + ".csv")).string()));
    }
  } catch (const cxagent::Error& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }

  // Every combination of the grid, in grid order.
  std::vector<std::vector<double>> combos{{}};
  for (const auto& [name, values] : grid) {
    std::vector<std::vector<double>> next;
    for (const auto& combo : combos) {
      for (double value : values) {
        next.push_back(combo);
        next.back().push_back(value);
      }
    }
    combos = std::move(next);
  }
  const auto describe = [&](size_t c) {
    std::string text;
    for (size_t g = 0; g < grid.size(); ++g) {
      text += grid[g].first + "=" + std::to_string(combos[c][g]).substr(0, 6) + " ";
    }
    return text.empty() ? std::string("defaults") : text;
  };

  // counts[c][k]: combination c on case k.
  std::vector<std::vector<Counts>> counts(combos.size(), std::vector<Counts>(names.size()));
  for (size_t c = 0; c < combos.size(); ++c) {
    LocalizeConfig config;
    for (size_t g = 0; g < grid.size(); ++g) Setters().at(grid[g].first)(config, combos[c][g]);
    for (size_t k = 0; k < names.size(); ++k) {
      const auto result = cxagent::localize::Localize(tables[k], config);
      std::set<std::string> predicted;
      for (const auto& root : result.root_causes) predicted.insert(SliceText(root.slice));
      Counts& count = counts[c][k];
      for (const auto& slice : predicted) (labels[k].count(slice) ? count.tp : count.fp)++;
      for (const auto& slice : labels[k]) count.fn += predicted.count(slice) ? 0 : 1;
      if (verbose && c == 0) {
        std::string line = (predicted == labels[k] ? "ok " : "-- ") + names[k] + ": truth=";
        for (const auto& s : labels[k]) line += "[" + s + "]";
        line += " pred=";
        for (const auto& root : result.root_causes) {
          line += "[" + SliceText(root.slice) + " gain=" + std::to_string(root.gain).substr(0, 7) +
                  " share=" + std::to_string(root.score).substr(0, 5) +
                  " delta=" + std::to_string(root.delta).substr(0, 7) + "]";
        }
        std::printf("%s\n", line.c_str());
      }
    }
  }

  std::vector<Counts> totals(combos.size());
  for (size_t c = 0; c < combos.size(); ++c) {
    for (const Counts& count : counts[c]) totals[c] += count;
  }
  std::vector<size_t> order(combos.size());
  for (size_t c = 0; c < order.size(); ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return totals[a].F1() < totals[b].F1(); });
  const size_t shown = std::min<size_t>(order.size(), 25);
  for (size_t j = order.size() - shown; j < order.size(); ++j) {
    const Counts& t = totals[order[j]];
    std::printf("in-sample F1=%.3f P=%.3f R=%.3f TP=%d FP=%d FN=%d  %s\n", t.F1(), t.Precision(),
                t.Recall(), t.tp, t.fp, t.fn, describe(order[j]).c_str());
  }

  // Cross-validation: fold f holds the cases with index % ... contiguous blocks by sorted name.
  const size_t n = names.size();
  const size_t k_folds = folds > 1 ? std::min<size_t>(static_cast<size_t>(folds), n) : n;
  Counts cv;
  std::map<size_t, int> picks;
  for (size_t f = 0; f < k_folds; ++f) {
    const size_t begin = f * n / k_folds, end = (f + 1) * n / k_folds;
    size_t best = 0;
    double best_f1 = -1.0;
    for (size_t c = 0; c < combos.size(); ++c) {
      Counts train = totals[c];
      for (size_t k = begin; k < end; ++k) {
        train.tp -= counts[c][k].tp;
        train.fp -= counts[c][k].fp;
        train.fn -= counts[c][k].fn;
      }
      if (train.F1() > best_f1 + 1e-12) {
        best_f1 = train.F1();
        best = c;
      }
    }
    picks[best]++;
    for (size_t k = begin; k < end; ++k) cv += counts[best][k];
  }
  for (const auto& [c, times] : picks) {
    std::printf("chosen in %d of %zu folds: %s\n", times, k_folds, describe(c).c_str());
  }
  std::printf("cross-validated (%zu folds) F1=%.3f P=%.3f R=%.3f TP=%d FP=%d FN=%d\n", k_folds,
              cv.F1(), cv.Precision(), cv.Recall(), cv.tp, cv.fp, cv.fn);
  return 0;
}
