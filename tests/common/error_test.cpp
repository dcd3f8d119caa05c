#include "common/error.hpp"

#include <gtest/gtest.h>

namespace cxagent {
namespace {

TEST(ErrorTest, FormatsItsMessage) {
  const Error error = InvalidInput("key '{}' must be at least {}", "days", 28);
  EXPECT_STREQ(error.what(), "key 'days' must be at least 28");
  EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT);
}

TEST(ErrorTest, MapsUserErrorsToExitCodeTwo) {
  EXPECT_EQ(ExitCode(ErrorType::INVALID_INPUT), 2);
  EXPECT_EQ(ExitCode(ErrorType::NOT_FOUND), 2);
  EXPECT_EQ(ExitCode(ErrorType::IO), 1);
  EXPECT_EQ(ExitCode(ErrorType::INTERNAL), 1);
  EXPECT_EQ(ExitCode(ErrorType::NOT_IMPLEMENTED), 1);
}

TEST(ErrorTest, MapsErrorTypesToHttpStatuses) {
  EXPECT_EQ(HttpStatus(ErrorType::INVALID_INPUT), 400);
  EXPECT_EQ(HttpStatus(ErrorType::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatus(ErrorType::METHOD_NOT_ALLOWED), 405);
  EXPECT_EQ(HttpStatus(ErrorType::CONFLICT), 409);
  EXPECT_EQ(HttpStatus(ErrorType::PAYLOAD_TOO_LARGE), 413);
  EXPECT_EQ(HttpStatus(ErrorType::NOT_IMPLEMENTED), 501);
  EXPECT_EQ(HttpStatus(ErrorType::INTERNAL), 500);
  EXPECT_EQ(ErrorCode(ErrorType::NOT_FOUND), "not_found");
}

}  // namespace
}  // namespace cxagent
