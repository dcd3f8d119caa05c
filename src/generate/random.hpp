#pragma once

#include <cmath>
#include <cstdint>

namespace cxagent::generate {

//! SplitMix64's finalizer: a bijective 64-bit mix, the building block of every keyed draw.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

//! Hashes (seed, kind, id, sub) into one 64-bit key; the identity of a stream of draws.
constexpr uint64_t KeyOf(uint64_t seed, uint64_t kind, uint64_t id, uint64_t sub = 0) {
  return Mix64(Mix64(Mix64(seed ^ (kind * 0x632be59bd9b4e019ULL)) ^ id) ^
               (sub * 0xd1b54a32d192ed03ULL));
}

//! A counter-based stream of random numbers keyed by an entity, never by generation order: the
//! n-th draw of (seed, kind, id, sub) is the same whatever else was generated before it, which is
//! what makes worlds reproducible across thread counts and counterfactual worlds comparable.
class KeyedRng {
 public:
  //! The stream of the entity (kind, id) under `seed`, optionally a sub-stream `sub` of it.
  KeyedRng(uint64_t seed, uint64_t kind, uint64_t id, uint64_t sub = 0)
      : key_(KeyOf(seed, kind, id, sub)) {}

  //! The next raw 64-bit draw.
  uint64_t Next() { return Mix64(key_ + 0x9e3779b97f4a7c15ULL * ++counter_); }
  //! Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  //! Uniform in (0, 1), safe for logarithms.
  double OpenUniform() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }
  //! True with probability `p`.
  bool Bernoulli(double p) { return Uniform() < p; }
  //! Uniform integer in [0, n).
  uint64_t Below(uint64_t n) {
    return n == 0 ? 0 : static_cast<uint64_t>(Uniform() * static_cast<double>(n));
  }
  //! Uniform integer in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  //! Standard normal by inverse CDF (Acklam's rational approximation, relative error < 1.2e-9):
  //! one uniform per value and no transcendental call in the central 95%, which matters at
  //! millions of draws per second.
  double Normal() { return InverseNormalCdf(OpenUniform()); }
  //! The standard normal quantile of `p` in (0, 1).
  static double InverseNormalCdf(double p) {
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                   -2.759285104469687e+02, 1.383577518672690e+02,
                                   -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                   -1.556989798598866e+02, 6.680131188771972e+01,
                                   -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                   -2.400758277161838e+00, -2.549732539343734e+00,
                                   4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};
    if (p < 0.02425) {
      double q = std::sqrt(-2 * std::log(p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
             ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) {
      double q = std::sqrt(-2 * std::log(1 - p));
      return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
             ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5;
    double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  //! Exponential with the given mean.
  double Exponential(double mean) { return -mean * std::log(OpenUniform()); }
  //! Log-normal with the given median and log-scale sigma.
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

//! Kinds of keyed entities; each mechanism of an order draws from its own stream so an incident
//! that changes one mechanism cannot shift the draws of another.
enum class Stream : uint64_t {
  DAY = 1,
  ORDER_CONTEXT,
  ORDER_DISPATCH,
  ORDER_PREP,
  ORDER_TRAVEL,
  ORDER_ETA,
  ORDER_CANCEL,
  ORDER_ITEMS,
  ORDER_SUPPORT,
  ORDER_RATING,
  STORE,
  CUSTOMER,
  DASHER,
  SUPPLY,
  WEATHER,
  INVENTORY,
  CHANGE,
  SURGE,
};

//! The stream of `stream` for entity `id` under `seed`.
inline KeyedRng RngFor(uint64_t seed, Stream stream, uint64_t id, uint64_t sub = 0) {
  return KeyedRng(seed, static_cast<uint64_t>(stream), id, sub);
}

}  // namespace cxagent::generate
