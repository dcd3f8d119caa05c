#include "common/zeroed_array.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

namespace cxagent {
namespace {

TEST(ZeroedArrayTest, HoldsZerosToWriteOverAtEverySize) {
  // Under one huge page, exactly one, and several with a partial one (the aligned start inside
  // a larger mapping).
  for (const size_t count : {size_t{1}, size_t{1000}, size_t{262144}, size_t{3'000'001}}) {
    ZeroedArray array(count);
    ASSERT_EQ(array.Size(), count);
    EXPECT_TRUE(std::all_of(array.Data(), array.Data() + count, [](double v) { return v == 0; }));
    for (size_t i = 0; i < count; ++i) array.Data()[i] = static_cast<double>(i);
    EXPECT_EQ(array.Data()[count - 1], static_cast<double>(count - 1));
    const auto part = array.Part(count / 2, count - count / 2);
    EXPECT_EQ(part.front(), static_cast<double>(count / 2));
  }
  ZeroedArray none(0);
  EXPECT_EQ(none.Size(), 0u);
  EXPECT_EQ(none.Data(), nullptr);
}

TEST(ZeroedArrayTest, MovingHandsOverTheSameValues) {
  ZeroedArray array(500'000);
  array.Data()[499'999] = 7.5;
  const double* data = array.Data();
  ZeroedArray moved(std::move(array));
  EXPECT_EQ(moved.Data(), data);
  EXPECT_EQ(moved.Data()[499'999], 7.5);
  EXPECT_EQ(array.Size(), 0u);  // NOLINT(bugprone-use-after-move): left empty on purpose
  ZeroedArray assigned(10);
  assigned = std::move(moved);
  EXPECT_EQ(assigned.Size(), 500'000u);
  EXPECT_EQ(assigned.Data()[499'999], 7.5);
}

}  // namespace
}  // namespace cxagent
