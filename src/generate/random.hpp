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
  //! Standard normal (Box-Muller, one value per call so draw counts stay fixed).
  double Normal() {
    double u1 = OpenUniform();
    double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
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
