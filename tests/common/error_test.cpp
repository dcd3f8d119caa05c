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

TEST(OneLineTest, JoinsLinesAndEscapesControlBytes) {
  EXPECT_EQ(OneLine("first\nsecond\r\nthird\n\n"), "first | second | third");
  EXPECT_EQ(OneLine(std::string("a\0b\x1b[31m", 8)), "a\\x00b\\x1B[31m");
  EXPECT_EQ(OneLine("tab\there"), "tab here");
}

TEST(OneLineTest, KeepsUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(OneLine("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(OneLine("bad \xFF\xC3 end"), "bad \\xFF\\xC3 end");
  // An overlong '/' and a UTF-16 surrogate are not UTF-8 either.
  EXPECT_EQ(OneLine("\xC0\xAF"), "\\xC0\\xAF");
  EXPECT_EQ(OneLine("\xED\xA0\x80"), "\\xED\\xA0\\x80");
}

TEST(OneLineTest, CapsTheLengthAtACharacterBoundary) {
  const std::string line = OneLine(std::string(10'000'000, 'x'), 100);
  EXPECT_EQ(line, std::string(100, 'x') + "... (9999900 more bytes)");
  // Never splits a multi-byte character.
  const std::string cut = OneLine("ab\xE2\x82\xAC", 4);
  EXPECT_EQ(cut, "ab... (3 more bytes)");
}

TEST(Utf8Test, TellsValidFromInvalidText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("demo \xF0\x9F\x9A\x9A"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x9A"));      // cut short
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace cxagent
