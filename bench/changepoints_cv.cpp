// Chooses change-point defaults by cross-validation on a folder of series in the shared scorer's
// format (`<name>.csv` with a column `value`, `annotations.json`), scored exactly as
// score_changepoints.py scores `cxagent changepoints` (F1 with a 5-point margin, segmentation
// cover; the port is checked against the script by bench/changepoints.sh). Every combination of
// the given settings runs on every series once; then for each fold the combination with the best
// mean F1 + mean cover on the other series is scored on the series left out.
// Usage: cxagent_changepoints_cv --cases DIR [--method NAME] [--folds K] [--series]
//                                [KEY=v1,v2,... ...] [--or KEY=v1,... ...]
//   KEY: any setting of the method (`cxagent changepoints --set`), checked by its config parser.
//   --or: starts another grid; the candidates are the union of the grids' combinations, so the
//         cross-validated figure includes the choice between the grids (e.g. penalty families).
//   --folds K: K contiguous folds over the series sorted by name (default: leave one out).
//   --series: first the script's per-series lines for the first combination, then per series
//             the cross-validated figures and what its fold chose.
// Ties are broken by order (first wins), so list the current default first.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "detect/registry.hpp"
#include "detect/series_table.hpp"
#include "storage/duckdb.hpp"

namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

double Count(size_t count) {
  return static_cast<double>(count);
}

// --- score_changepoints.py, line for line ---

std::set<int> TruePositives(const std::set<int>& truth, std::set<int> pred, int margin = 5) {
  std::set<int> hits;
  for (int tau : truth) {
    std::vector<std::pair<int, int>> close;
    for (int x : pred) {
      if (std::abs(tau - x) <= margin) close.emplace_back(std::abs(tau - x), x);
    }
    if (!close.empty()) {
      std::sort(close.begin(), close.end());
      hits.insert(tau);
      pred.erase(close[0].second);
    }
  }
  return hits;
}

double FMeasure(const std::vector<std::set<int>>& annotations, const std::vector<int>& pred) {
  std::vector<std::set<int>> tks;
  std::set<int> tstar;
  for (const auto& annotation : annotations) {
    tks.push_back(annotation);
    tks.back().insert(0);
    tstar.insert(tks.back().begin(), tks.back().end());
  }
  std::set<int> x(pred.begin(), pred.end());
  x.insert(0);
  const double p = Count(TruePositives(tstar, x).size()) / Count(x.size());
  double r = 0;
  for (const auto& tk : tks) r += Count(TruePositives(tk, x).size()) / Count(tk.size());
  r /= Count(tks.size());
  return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
}

std::vector<std::pair<int, int>> Partition(const std::set<int>& cps, int n) {
  std::vector<int> cuts;
  for (int c : cps) {
    if (c >= 0 && c < n) cuts.push_back(c);
  }
  if (std::find(cuts.begin(), cuts.end(), 0) == cuts.end()) cuts.insert(cuts.begin(), 0);
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(n);
  std::vector<std::pair<int, int>> segments;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    if (cuts[i + 1] > cuts[i]) segments.emplace_back(cuts[i], cuts[i + 1]);
  }
  return segments;
}

double Cover(const std::vector<std::set<int>>& annotations, const std::vector<int>& pred, int n) {
  const auto px = Partition(std::set<int>(pred.begin(), pred.end()), n);
  double sum = 0;
  for (const auto& annotation : annotations) {
    double total = 0;
    for (const auto& [a, b] : Partition(annotation, n)) {
      double best = 0;
      for (const auto& [c, d] : px) {
        const int inter = std::max(0, std::min(b, d) - std::max(a, c));
        const int uni = (b - a) + (d - c) - inter;
        best = std::max(best, static_cast<double>(inter) / uni);
      }
      total += (b - a) * best;
    }
    sum += total / n;
  }
  return sum / Count(annotations.size());
}

// The scorer's n: the file's lines minus the header.
int LinesMinusHeader(const std::filesystem::path& path) {
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines - 1;
}

struct Series {
  std::string name;
  int n = 0;
  std::vector<double> values;
  std::vector<std::set<int>> annotations;
};

struct Score {
  double f1 = 0, cover = 0;
};

std::string Describe(const Settings& settings) {
  std::string text;
  for (const auto& [key, value] : settings) text += (text.empty() ? "" : " ") + key + "=" + value;
  return text.empty() ? std::string("defaults") : text;
}

// Every combination of each grid, grid by grid, in the order given.
std::vector<Settings> Combinations(
    const std::vector<std::vector<std::pair<std::string, std::vector<std::string>>>>& grids) {
  std::vector<Settings> all;
  for (const auto& grid : grids) {
    std::vector<Settings> combos{{}};
    for (const auto& [key, values] : grid) {
      std::vector<Settings> next;
      for (const auto& combo : combos) {
        for (const auto& value : values) {
          next.push_back(combo);
          next.back().emplace_back(key, value);
        }
      }
      combos = std::move(next);
    }
    all.insert(all.end(), combos.begin(), combos.end());
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cases_dir, method(cxagent::detect::DEFAULT_CHANGEPOINT_DETECTOR);
  int folds = 0;
  bool per_series = false;
  std::vector<std::vector<std::pair<std::string, std::vector<std::string>>>> grids(1);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--cases" && i + 1 < argc) {
      cases_dir = argv[++i];
    } else if (arg == "--method" && i + 1 < argc) {
      method = argv[++i];
    } else if (arg == "--folds" && i + 1 < argc) {
      folds = std::stoi(argv[++i]);
    } else if (arg == "--series") {
      per_series = true;
    } else if (arg == "--or") {
      grids.emplace_back();
    } else if (const auto eq = arg.find('='); eq != std::string::npos && eq > 0) {
      std::vector<std::string> values;
      std::stringstream stream(arg.substr(eq + 1));
      for (std::string value; std::getline(stream, value, ',');) values.push_back(value);
      grids.back().emplace_back(arg.substr(0, eq), values);
    } else {
      std::fprintf(stderr,
                   "usage: %s --cases DIR [--method NAME] [--folds K] [--series] "
                   "[KEY=v1,v2 ...] [--or KEY=v1,v2 ...]\n",
                   argv[0]);
      return 2;
    }
  }
  if (cases_dir.empty()) {
    std::fprintf(stderr, "--cases DIR is required\n");
    return 2;
  }
  const std::filesystem::path dir(cases_dir);
  std::ifstream annotation_file(dir / "annotations.json");
  if (!annotation_file) {
    std::fprintf(stderr, "no annotations.json in %s\n", cases_dir.c_str());
    return 2;
  }
  cxagent::detect::DetectorRegistry registry;
  cxagent::detect::RegisterBuiltinDetectors(registry);
  const auto combos = Combinations(grids);
  std::vector<Series> series;
  // scores[c][k]: combination c on series k.
  std::vector<std::vector<Score>> scores(combos.size());
  try {
    // Sorted by name, as the script runs them; each annotator's list in the file's order.
    const auto annotations = nlohmann::ordered_json::parse(annotation_file);
    std::map<std::string, nlohmann::ordered_json> by_name;
    for (const auto& [name, marks] : annotations.items()) by_name[name] = marks;
    cxagent::storage::Database database;
    cxagent::storage::Connection connection(database);
    for (const auto& [name, marks] : by_name) {
      Series one;
      one.name = name;
      const auto path = dir / (name + ".csv");
      one.n = LinesMinusHeader(path);
      const auto table = cxagent::storage::ReadCsvAsText(connection, path.string());
      one.values = cxagent::detect::ReadSeriesColumn(table, path.string());
      for (const auto& [annotator, indices] : marks.items()) {
        one.annotations.emplace_back();
        for (const auto& index : indices) one.annotations.back().insert(index.get<int>());
      }
      series.push_back(std::move(one));
    }
    for (size_t c = 0; c < combos.size(); ++c) {
      YAML::Node config(YAML::NodeType::Map);
      for (const auto& [key, value] : combos[c]) config[key] = value;
      const auto detector = registry.Create(method, config);
      for (const auto& one : series) {
        const auto detection = detector->Detect(one.values);
        std::set<int> kept;
        for (size_t change : detection.change_points) {
          const int index = static_cast<int>(change);
          if (index >= 1 && index <= one.n - 2) kept.insert(index);
        }
        const std::vector<int> pred(kept.begin(), kept.end());
        scores[c].push_back({FMeasure(one.annotations, pred), Cover(one.annotations, pred, one.n)});
        if (per_series && c == 0) {
          std::string list;
          for (int index : pred) list += (list.empty() ? "" : ", ") + std::to_string(index);
          std::printf("%-22s n=%5d F1=%.3f cover=%.3f cps=[%s]\n", one.name.c_str(), one.n,
                      scores[c].back().f1, scores[c].back().cover, list.c_str());
        }
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }

  const size_t n = series.size();
  const double count = Count(n);
  std::vector<Score> totals(combos.size());
  for (size_t c = 0; c < combos.size(); ++c) {
    for (const Score& s : scores[c]) {
      totals[c].f1 += s.f1;
      totals[c].cover += s.cover;
    }
  }
  std::vector<size_t> order(combos.size());
  for (size_t c = 0; c < order.size(); ++c) order[c] = c;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return totals[a].f1 + totals[a].cover < totals[b].f1 + totals[b].cover;
  });
  const size_t shown = std::min<size_t>(order.size(), 20);
  for (size_t j = order.size() - shown; j < order.size(); ++j) {
    const Score& t = totals[order[j]];
    std::printf("in-sample F1=%.3f cover=%.3f  %s\n", t.f1 / count, t.cover / count,
                Describe(combos[order[j]]).c_str());
  }
  std::printf("in-sample, first combination (%s): F1=%.3f cover=%.3f\n",
              Describe(combos[0]).c_str(), totals[0].f1 / count, totals[0].cover / count);

  const size_t k_folds = folds > 1 ? std::min<size_t>(static_cast<size_t>(folds), n) : n;
  Score cv;
  std::map<size_t, int> picks;
  std::vector<size_t> chosen(n);
  for (size_t f = 0; f < k_folds; ++f) {
    const size_t begin = f * n / k_folds, end = (f + 1) * n / k_folds;
    size_t best = 0;
    double best_value = -1.0;
    for (size_t c = 0; c < combos.size(); ++c) {
      double value = totals[c].f1 + totals[c].cover;
      for (size_t k = begin; k < end; ++k) value -= scores[c][k].f1 + scores[c][k].cover;
      if (value > best_value + 1e-9) {
        best_value = value;
        best = c;
      }
    }
    picks[best]++;
    for (size_t k = begin; k < end; ++k) {
      cv.f1 += scores[best][k].f1;
      cv.cover += scores[best][k].cover;
      chosen[k] = best;
    }
  }
  for (const auto& [c, times] : picks) {
    std::printf("chosen in %d of %zu folds: %s\n", times, k_folds, Describe(combos[c]).c_str());
  }
  if (per_series) {
    for (size_t k = 0; k < n; ++k) {
      std::printf("cv %-22s F1=%.3f cover=%.3f  (%s)\n", series[k].name.c_str(),
                  scores[chosen[k]][k].f1, scores[chosen[k]][k].cover,
                  Describe(combos[chosen[k]]).c_str());
    }
  }
  std::printf("cross-validated (%zu folds, %zu candidates) F1=%.3f cover=%.3f\n", k_folds,
              combos.size(), cv.f1 / count, cv.cover / count);
  return 0;
}
