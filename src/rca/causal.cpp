#include "rca/causal.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>

#include "common/error.hpp"
#include "rca/hypothesis.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::rca {

namespace {

struct Moments {
  double mean = 0;
  double variance = 0;  // sample variance
  size_t n = 0;
};

Moments Describe(std::span<const double> values) {
  Moments m;
  double sum = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++m.n;
  }
  if (m.n == 0) return m;
  m.mean = sum / static_cast<double>(m.n);
  double squares = 0;
  for (double v : values) {
    if (!std::isnan(v)) squares += (v - m.mean) * (v - m.mean);
  }
  m.variance = m.n > 1 ? squares / static_cast<double>(m.n - 1) : 0;
  return m;
}

}  // namespace

double TwoSidedP(double t, double df) {
  if (!std::isfinite(t)) return 0;
  if (!(df > 0)) return 1;
  boost::math::students_t distribution(df);
  return 2 * boost::math::cdf(boost::math::complement(distribution, std::fabs(t)));
}

double TQuantile(double level, double df) {
  if (!(df > 0)) return 1.6448536269514722;
  boost::math::students_t distribution(df);
  return boost::math::quantile(distribution, 0.5 + level / 2);
}

ShiftResult ShiftTest(std::span<const double> before, std::span<const double> after) {
  ShiftResult result;
  const Moments b = Describe(before);
  const Moments a = Describe(after);
  result.n_before = b.n;
  result.n_after = a.n;
  result.before = b.mean;
  result.after = a.mean;
  result.delta = a.mean - b.mean;
  if (b.n < 2 || a.n < 2) {
    result.low = result.high = result.delta;
    return result;
  }
  result.valid = true;
  const double vb = b.variance / static_cast<double>(b.n);
  const double va = a.variance / static_cast<double>(a.n);
  result.se = std::sqrt(vb + va);
  // Welch-Satterthwaite degrees of freedom.
  const double denominator =
      vb * vb / static_cast<double>(b.n - 1) + va * va / static_cast<double>(a.n - 1);
  const double df = denominator > 0 ? (vb + va) * (vb + va) / denominator : 1e9;
  const double q = TQuantile(0.90, df);
  result.low = result.delta - q * result.se;
  result.high = result.delta + q * result.se;
  if (result.se > 0) {
    result.z = result.delta / result.se;
  } else {
    result.z = result.delta == 0 ? 0 : std::copysign(1e6, result.delta);
  }
  return result;
}

double BaselineVarianceZ(std::span<const double> before, const ShiftResult& shift,
                         double daily_units) {
  if (!shift.valid) return shift.z;
  const Moments b = Describe(before);
  if (b.n < 2) return shift.z;
  double variance = b.variance;
  if (daily_units > 0) {
    const double nb = static_cast<double>(shift.n_before);
    const double na = static_cast<double>(shift.n_after);
    const double p = std::clamp((shift.before * nb + shift.after * na) / (nb + na), 0.0, 1.0);
    variance = std::max(variance, p * (1 - p) / daily_units);
  }
  if (!(variance > 0)) return shift.z;
  return shift.delta / std::sqrt(variance * (1.0 / static_cast<double>(shift.n_before) +
                                             1.0 / static_cast<double>(shift.n_after)));
}

OlsResult ClusteredOls(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                       const std::vector<int64_t>& cluster) {
  const auto n = x.rows();
  const auto k = x.cols();
  if (y.size() != n || static_cast<Eigen::Index>(cluster.size()) != n) {
    throw InvalidInput("clustered OLS: {} rows, {} outcomes, {} cluster ids", n, y.size(),
                       cluster.size());
  }
  const Eigen::MatrixXd xtx = x.transpose() * x;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(xtx);
  if (n <= k || lu.rank() < k) {
    throw InvalidInput("clustered OLS: the design matrix ({} rows, {} columns) is rank deficient",
                       n, k);
  }
  const Eigen::MatrixXd bread = lu.inverse();
  OlsResult result;
  result.beta = bread * (x.transpose() * y);
  result.rows = static_cast<size_t>(n);
  const Eigen::VectorXd residual = y - x * result.beta;
  std::map<int64_t, Eigen::VectorXd> scores;
  for (Eigen::Index i = 0; i < n; ++i) {
    auto [it, inserted] =
        scores.try_emplace(cluster[static_cast<size_t>(i)], Eigen::VectorXd::Zero(k));
    it->second += x.row(i).transpose() * residual(i);
  }
  result.clusters = scores.size();
  if (result.clusters < 2) throw InvalidInput("clustered OLS needs at least two clusters");
  Eigen::MatrixXd meat = Eigen::MatrixXd::Zero(k, k);
  for (const auto& [id, score] : scores) meat += score * score.transpose();
  const double g = static_cast<double>(result.clusters);
  const double factor = g / (g - 1) * static_cast<double>(n - 1) / static_cast<double>(n - k);
  result.covariance = factor * bread * meat * bread;
  return result;
}

DidResult DiffInDiff(std::span<const double> treated, std::span<const double> control,
                     const std::vector<bool>& post, const std::vector<bool>& use) {
  DidResult result;
  std::vector<size_t> days;
  for (size_t i = 0; i < treated.size() && i < control.size() && i < post.size(); ++i) {
    if ((i < use.size() && !use[i]) || std::isnan(treated[i]) || std::isnan(control[i])) continue;
    days.push_back(i);
    (post[i] ? result.post_days : result.pre_days) += 1;
  }
  if (result.pre_days < 3 || result.post_days < 3) return result;
  const auto rows = static_cast<Eigen::Index>(2 * days.size());
  Eigen::MatrixXd x(rows, 4);
  Eigen::VectorXd y(rows);
  std::vector<int64_t> cluster(static_cast<size_t>(rows));
  Eigen::Index r = 0;
  for (size_t day : days) {
    for (int is_treated = 0; is_treated < 2; ++is_treated) {
      const double p = post[day] ? 1.0 : 0.0;
      x(r, 0) = 1;
      x(r, 1) = is_treated;
      x(r, 2) = p;
      x(r, 3) = is_treated * p;
      y(r) = is_treated ? treated[day] : control[day];
      cluster[static_cast<size_t>(r)] = static_cast<int64_t>(day);
      ++r;
    }
  }
  const OlsResult ols = ClusteredOls(x, y, cluster);
  result.estimate = ols.beta(3);
  result.se = std::sqrt(std::max(0.0, ols.covariance(3, 3)));
  const double df = static_cast<double>(ols.clusters - 1);
  const double q = TQuantile(0.90, df);
  result.low = result.estimate - q * result.se;
  result.high = result.estimate + q * result.se;
  result.t = result.se > 0 ? result.estimate / result.se : 0;
  result.p_value = result.se > 0 ? TwoSidedP(result.t, df) : (result.estimate == 0 ? 1 : 0);
  result.valid = true;
  return result;
}

std::vector<Change> LoadChangeLog(storage::Connection& connection,
                                  const storage::Dataset& dataset) {
  std::vector<Change> changes;
  if (!dataset.HasTable("change_log")) return changes;
  try {
    const storage::Table table = connection.Query(fmt::format(
        "SELECT change_id::VARCHAR AS change_id, strftime(changed_at::TIMESTAMP, "
        "'%Y-%m-%d %H:%M:%S') AS changed_at, changed_at::DATE AS d, kind::VARCHAR AS kind, "
        "scope::VARCHAR AS scope, description::VARCHAR AS description FROM change_log "
        "WHERE changed_at IS NOT NULL ORDER BY changed_at, change_id"));
    const auto text = [&](const char* name, size_t row) {
      const auto& column = table.Get(name);
      return column.IsNull(row) ? std::string() : std::string(column.StringAt(row));
    };
    for (size_t row = 0; row < table.RowCount(); ++row) {
      Change change;
      change.id = text("change_id", row);
      change.changed_at = text("changed_at", row);
      change.date = Date{static_cast<int32_t>(table.Get("d").ints[row])};
      change.kind = text("kind", row);
      change.scope = text("scope", row);
      change.description = text("description", row);
      try {
        change.scope_slice = Slice::Parse(change.scope.empty() ? "all" : change.scope);
      } catch (const Error&) {
        change.scope_slice.reset();
      }
      changes.push_back(std::move(change));
    }
  } catch (const Error& error) {
    spdlog::warn("rca: change_log not used: {}", error.what());
    changes.clear();
  }
  return changes;
}

bool SlicesOverlap(const Slice& a, const Slice& b) {
  for (const auto& [dimension, value] : a.Pairs()) {
    const auto found = b.Pairs().find(dimension);
    if (found != b.Pairs().end() && found->second != value) return false;
  }
  return true;
}

ChangeCheck CheckChange(const Change& change, const Hypothesis& hypothesis, const Slice& slice,
                        Date start, int window_days) {
  ChangeCheck check;
  check.kind = std::find(hypothesis.change_kinds.begin(), hypothesis.change_kinds.end(),
                         change.kind) != hypothesis.change_kinds.end();
  check.days_from_start = change.date.days - start.days;
  check.timing = std::abs(check.days_from_start) <= window_days;
  check.scope = change.scope_slice && SlicesOverlap(*change.scope_slice, slice);
  check.consistent = check.kind && check.timing && check.scope;
  std::vector<std::string> problems;
  if (!check.kind) {
    problems.push_back(
        fmt::format("a {} change does not act through {}", change.kind, hypothesis.label));
  }
  if (!check.timing) {
    problems.push_back(fmt::format("logged {} days {} the start", std::abs(check.days_from_start),
                                   check.days_from_start < 0 ? "before" : "after"));
  }
  if (!check.scope) {
    problems.push_back(
        change.scope_slice
            ? fmt::format("its scope {} does not include {}", change.scope, slice.ToText())
            : fmt::format("its scope '{}' is not a slice", change.scope));
  }
  if (check.consistent) {
    check.reason = check.days_from_start == 0
                       ? fmt::format("{} change on the start day, scope {} covers {}", change.kind,
                                     change.scope, slice.ToText())
                       : fmt::format("{} change {} day(s) {} the start, scope {} covers {}",
                                     change.kind, std::abs(check.days_from_start),
                                     check.days_from_start < 0 ? "before" : "after", change.scope,
                                     slice.ToText());
  } else {
    check.reason = fmt::format("{}", fmt::join(problems, "; "));
  }
  return check;
}

}  // namespace cxagent::rca
