#include "common/slice.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace cxagent {
namespace {

using testing::ErrorMessage;

TEST(SliceTest, ParsesAllAsTheEmptySlice) {
  const Slice slice = Slice::Parse("all");
  EXPECT_TRUE(slice.IsAll());
  EXPECT_EQ(slice.ToText(), "all");
  EXPECT_EQ(slice.ToJson(), nlohmann::json::object());
}

TEST(SliceTest, CanonicalTextSortsPairsByDimension) {
  const Slice slice = Slice::Parse("store_type=grocery&region=seattle");
  EXPECT_EQ(slice.ToText(), "region=seattle&store_type=grocery");
  EXPECT_EQ(slice.Depth(), 2u);
}

TEST(SliceTest, RoundTripsThroughJson) {
  const Slice slice = Slice::Parse("region=seattle&platform=ios");
  EXPECT_EQ(slice.ToJson(), nlohmann::json({{"platform", "ios"}, {"region", "seattle"}}));
  EXPECT_EQ(Slice::FromJson(slice.ToJson()), slice);
}

TEST(SliceTest, ContainsItsChildrenButNotSiblings) {
  const Slice parent = Slice::Parse("region=seattle");
  EXPECT_TRUE(parent.Contains(Slice::Parse("region=seattle&store_type=grocery")));
  EXPECT_FALSE(parent.Contains(Slice::Parse("region=boston&store_type=grocery")));
  EXPECT_TRUE(Slice().Contains(parent));
  EXPECT_FALSE(parent.Contains(Slice()));
}

TEST(SliceTest, RejectsEmptyText) {
  EXPECT_EQ(ErrorMessage([] { Slice::Parse(""); }),
            "slice is empty; expected 'all' or dim=value&dim=value");
}

TEST(SliceTest, RejectsPairWithoutEquals) {
  EXPECT_EQ(ErrorMessage([] { Slice::Parse("region=seattle&grocery"); }),
            "slice 'region=seattle&grocery': pair 'grocery' has no '='; expected dim=value");
}

TEST(SliceTest, RejectsEmptyValue) {
  EXPECT_EQ(ErrorMessage([] { Slice::Parse("region="); }),
            "slice 'region=': empty value for dimension 'region'");
}

TEST(SliceTest, RejectsEmptyDimension) {
  EXPECT_EQ(ErrorMessage([] { Slice::Parse("=seattle"); }),
            "slice '=seattle': empty dimension name");
}

TEST(SliceTest, RejectsEmptyPair) {
  EXPECT_EQ(ErrorMessage([] { Slice::Parse("region=seattle&&platform=ios"); }),
            "slice 'region=seattle&&platform=ios': empty pair at character 16");
  EXPECT_EQ(ErrorMessage([] { Slice::Parse("region=seattle&"); }),
            "slice 'region=seattle&': empty pair at character 16");
}

TEST(SliceTest, RejectsRepeatedDimension) {
  EXPECT_EQ(ErrorMessage([] { Slice::Parse("region=seattle&region=boston"); }),
            "slice 'region=seattle&region=boston': dimension 'region' appears twice");
}

TEST(SliceTest, RejectsValueWithEquals) {
  EXPECT_EQ(ErrorMessage([] { Slice::Parse("region=a=b"); }),
            "slice 'region=a=b': value 'a=b' of dimension 'region' may not contain '&', '=' or "
            "control characters");
}

TEST(SliceTest, RejectsOddCharactersInDimension) {
  EXPECT_EQ(ErrorMessage([] { Slice::Parse("reg ion=seattle"); }),
            "slice 'reg ion=seattle': dimension name 'reg ion' may hold only letters, digits and "
            "underscores");
}

TEST(SliceTest, RejectsNonStringJsonValues) {
  EXPECT_EQ(ErrorMessage([] {
              Slice::FromJson(nlohmann::json{{"region", 3}});
            }),
            "slice: value of dimension 'region' must be a string, got 3");
  EXPECT_EQ(ErrorMessage([] { Slice::FromJson(nlohmann::json::array()); }),
            "slice must be a JSON object of dimension: value, got []");
}

TEST(SliceTest, RequireDimensionsNamesTheAllowedOnes) {
  const Slice slice = Slice::Parse("color=red");
  EXPECT_EQ(ErrorMessage([&] { slice.RequireDimensions(DIMENSIONS); }),
            "slice 'color=red': unknown dimension 'color'; allowed: customer_segment, daypart, "
            "fulfillment_mode, merchant, platform, region, store_type");
  EXPECT_NO_THROW(Slice::Parse("region=seattle").RequireDimensions(DIMENSIONS));
}

TEST(SliceTest, NamedBeforeFollowsPairsThenNamingOrder) {
  const auto before = [](const char* a, const char* b) {
    return NamedBefore(Slice::Parse(a), Slice::Parse(b));
  };
  // Fewer pairs first, whatever their dimensions.
  EXPECT_TRUE(before("fulfillment_mode=dasher_shop", "region=austin&store_type=grocery"));
  EXPECT_FALSE(before("region=austin&store_type=grocery", "fulfillment_mode=dasher_shop"));
  // Then the dimensions NAMING_ORDER lists first: a region's grocery before its dasher-shopped
  // orders, though the canonical text orders them the other way.
  EXPECT_TRUE(
      before("region=austin&store_type=grocery", "fulfillment_mode=dasher_shop&region=austin"));
  EXPECT_FALSE(
      before("fulfillment_mode=dasher_shop&region=austin", "region=austin&store_type=grocery"));
  EXPECT_TRUE(before("merchant=freshmart", "platform=ios"));
  // A dimension outside NAMING_ORDER (a team's own) after every one in it, then by name.
  EXPECT_TRUE(before("fulfillment_mode=dasher_shop", "courier_tier=gold"));
  EXPECT_TRUE(before("courier_tier=gold", "zone=north"));
  // The same dimensions: the canonical order; a slice is not named before itself.
  EXPECT_TRUE(before("region=austin", "region=boston"));
  EXPECT_FALSE(before("region=austin", "region=austin"));
  EXPECT_FALSE(before("all", "all"));
  EXPECT_TRUE(before("all", "region=austin"));
}

TEST(SliceTest, NamedBeforeFollowsTheNamingOrderGiven) {
  // A team's dataset lists its own dimensions: their order names, unlisted ones after, by name.
  const std::vector<std::string> order{"zone", "courier_tier", "region"};
  const auto before = [&](const char* a, const char* b) {
    return NamedBefore(Slice::Parse(a), Slice::Parse(b), order);
  };
  EXPECT_TRUE(before("zone=north", "courier_tier=gold"));
  EXPECT_FALSE(before("courier_tier=gold", "zone=north"));
  EXPECT_TRUE(before("region=austin", "store_type=grocery"));
  EXPECT_TRUE(before("platform=ios", "store_type=grocery"));
  EXPECT_TRUE(before("courier_tier=gold&zone=north", "region=austin&zone=north"));
  EXPECT_EQ(NamingKeyOf("courier_tier", order), (NamingKey{1, {}}));
  EXPECT_EQ(NamingKeyOf("daypart", order), (NamingKey{3, "daypart"}));
  EXPECT_EQ(NamingKeyOf("daypart"), (NamingKey{5, {}}));
}

}  // namespace
}  // namespace cxagent
