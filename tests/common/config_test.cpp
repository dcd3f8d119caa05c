#include "common/config.hpp"

#include <gtest/gtest.h>

#include "metrics/cx_config.hpp"
#include "metrics/slice_cube.hpp"
#include "support/test_support.hpp"

namespace cxagent {
namespace {

using testing::ErrorMessage;

TEST(DuplicateKeysTest, RejectsARepeatedKeyAtAnyDepthWithBothLines) {
  EXPECT_NO_THROW(RejectDuplicateKeys(YAML::Load("a: 1\nb: {a: 2}\nc: [{a: 1}, {a: 2}]\n"), "f"));
  EXPECT_EQ(ErrorMessage([] { RejectDuplicateKeys(YAML::Load("a: 1\nb: 2\na: 3\n"), "cx.yaml"); }),
            "cx.yaml: line 3: key 'a' appears twice (first on line 1)");
  EXPECT_EQ(ErrorMessage([] {
              RejectDuplicateKeys(YAML::Load("incidents:\n  min_z: 3\n  min_z: 4\n"), "cx.yaml");
            }),
            "cx.yaml: line 3: key 'min_z' appears twice (first on line 2)");
  EXPECT_EQ(ErrorMessage([] { RejectDuplicateKeys(YAML::Load("- {x: 1, x: 2}\n"), "s.yaml"); }),
            "s.yaml: line 1: key 'x' appears twice (first on line 1)");
}

TEST(ConfigReaderTest, AbsentSectionKeepsDefaults) {
  ConfigReader reader(YAML::Node(), "cx.yaml", "cx_score");
  const auto config = metrics::ReadCxScoreConfig(reader);
  EXPECT_EQ(config.late_penalty, 15);
  EXPECT_EQ(config.missing_cap, 30);
}

TEST(ConfigReaderTest, ReadsGivenValues) {
  ConfigReader reader(YAML::Load("late_penalty: 12\nmissing_cap: 40"), "cx.yaml", "cx_score");
  const auto config = metrics::ReadCxScoreConfig(reader);
  EXPECT_EQ(config.late_penalty, 12);
  EXPECT_EQ(config.missing_cap, 40);
}

TEST(ConfigReaderTest, RejectsUnknownKeysNamingTheKnownOnes) {
  ConfigReader reader(YAML::Load("late_penalty: 12\nlate_penatly: 3"), "cx.yaml", "cx_score");
  const std::string message = ErrorMessage([&] { metrics::ReadCxScoreConfig(reader); });
  EXPECT_EQ(message.rfind("cx.yaml: cx_score.late_penatly: unknown key; known keys: ", 0), 0u)
      << message;
  EXPECT_NE(message.find("late_penalty"), std::string::npos);
}

TEST(ConfigReaderTest, RejectsAKeyThatIsAListOrMap) {
  // A YAML complex key ("? [a, b]") escaped as YAML::TypedBadConversion (found by fuzz_config).
  const std::string message = ErrorMessage([] {
    ConfigReader reader(YAML::Load("late_penalty: 12\n? [a, b]\n: 1\n"), "cx.yaml", "cx_score");
    metrics::ReadCxScoreConfig(reader);
  });
  EXPECT_EQ(
      message.rfind("cx.yaml: line 2: a key must be plain text, not a list or map; known keys:", 0),
      0u)
      << message;
}

TEST(ConfigReaderTest, RejectsOutOfRangeNumbers) {
  ConfigReader reader(YAML::Load("late_penalty: 150"), "cx.yaml", "cx_score");
  EXPECT_EQ(ErrorMessage([&] { metrics::ReadCxScoreConfig(reader); }),
            "cx.yaml: cx_score.late_penalty: 150 is out of range (points off for a late order); "
            "allowed: 0 to 100");
}

TEST(ConfigReaderTest, RejectsNonNumbers) {
  ConfigReader reader(YAML::Load("late_penalty: lots"), "cx.yaml", "cx_score");
  EXPECT_EQ(ErrorMessage([&] { metrics::ReadCxScoreConfig(reader); }),
            "cx.yaml: cx_score.late_penalty: 'lots' is not a number (points off for a late "
            "order); allowed: 0 to 100");
}

TEST(ConfigReaderTest, RejectsAThresholdOrderThatMakesNoSense) {
  ConfigReader reader(YAML::Load("late_minutes: 30\nvery_late_minutes: 10"), "cx.yaml", "cx_score");
  EXPECT_EQ(ErrorMessage([&] { metrics::ReadCxScoreConfig(reader); }),
            "cx.yaml: cx_score.very_late_minutes: must be at least late_minutes (30)");
}

TEST(ConfigReaderTest, RejectsASectionThatIsNotAMap) {
  EXPECT_EQ(ErrorMessage([] { ConfigReader(YAML::Load("[1, 2]"), "cx.yaml", "cube"); }),
            "cx.yaml: cube must be a map of settings");
}

TEST(ConfigReaderTest, CubeRejectsDimensionsThatCannotBeColumnNames) {
  // A dataset file's own dimensions are allowed here and checked against the data when it
  // opens; a name that cannot be a column is not.
  ConfigReader own(YAML::Load("dimensions: [region, channel]"), "cx.yaml", "cube");
  EXPECT_EQ(metrics::ReadCubeConfig(own).dimensions,
            (std::vector<std::string>{"region", "channel"}));
  ConfigReader reader(YAML::Load("dimensions: [region, Colour!]"), "cx.yaml", "cube");
  EXPECT_EQ(ErrorMessage([&] { metrics::ReadCubeConfig(reader); }),
            "cx.yaml: cube.dimensions: 'Colour!' is not a dimension name (lower-case letters, "
            "digits and _, such as customer_segment, daypart, fulfillment_mode, merchant, "
            "platform, region, store_type)");
}

TEST(ConfigReaderTest, CubeRejectsADepthOutOfRange) {
  ConfigReader reader(YAML::Load("max_depth: 9"), "cx.yaml", "cube");
  EXPECT_EQ(ErrorMessage([&] { metrics::ReadCubeConfig(reader); }),
            "cx.yaml: cube.max_depth: 9 is out of range (slices combine at most this many "
            "dimensions); allowed: 1 to 7");
}

TEST(ConfigReaderTest, TextReadsOneLineAndRejectsListsAndMaps) {
  ConfigReader reader(YAML::Load("url: https://example.test/x\nlist: [a]\nlines: \"a\\nb\""),
                      "cx.yaml", "notify");
  EXPECT_EQ(reader.Text("url", "", "where"), "https://example.test/x");
  EXPECT_EQ(reader.Text("absent", "fallback", "where"), "fallback");
  EXPECT_EQ(ErrorMessage([&] { reader.Text("list", "", "a link"); }),
            "cx.yaml: notify.list: must be text (a link), not a list or map");
  EXPECT_EQ(ErrorMessage([&] { reader.Text("lines", "", "a link"); }),
            "cx.yaml: notify.lines: must be one line (a link)");
}

TEST(ConfigReaderTest, NestedReaderNamesTheFullPath) {
  ConfigReader reader(YAML::Load("channels: [{name: a, bogus: 1}]"), "cx.yaml", "notify");
  const YAML::Node channels = reader.Section("channels");
  ConfigReader channel = reader.Nested(channels[0], "channels[0]");
  EXPECT_EQ(channel.Text("name", "", "name"), "a");
  EXPECT_EQ(ErrorMessage([&] { channel.Finish(); }),
            "cx.yaml: notify.channels[0].bogus: unknown key; known keys: name");
}

}  // namespace
}  // namespace cxagent
