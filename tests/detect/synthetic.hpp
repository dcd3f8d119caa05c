#pragma once

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace cxagent::detect::testing {

//! Gaussian noise of scale `sigma` around `level`, `size` points, reproducible from `seed`.
inline std::vector<double> Noise(size_t size, double level, double sigma, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<double> normal(0.0, sigma);
  std::vector<double> values(size);
  for (auto& value : values) value = level + normal(generator);
  return values;
}

//! Concatenates `tail` after `head`.
inline std::vector<double> Concat(std::vector<double> head, const std::vector<double>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

//! True when some element of `points` lies within `margin` of `target`.
inline bool Near(const std::vector<size_t>& points, size_t target, size_t margin) {
  for (size_t point : points) {
    const size_t gap = point > target ? point - target : target - point;
    if (gap <= margin) return true;
  }
  return false;
}

}  // namespace cxagent::detect::testing
