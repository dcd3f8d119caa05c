#include "common/gate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace cxagent {
namespace {

TEST(GateTest, AnOpenGateLetsEveryWaitThrough) {
  Gate gate;
  gate.Wait();
  Gate opened(false);
  opened.Open();
  opened.Open();  // again: nothing changes
  opened.Wait();
}

TEST(GateTest, AClosedGateHoldsAThreadUntilOpened) {
  Gate gate(false);
  std::atomic<bool> through = false;
  std::thread waiter([&] {
    gate.Wait();
    through = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(through);
  gate.Open();
  waiter.join();
  EXPECT_TRUE(through);
}

}  // namespace
}  // namespace cxagent
