#include "server/request_params.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/json_response.hpp"

namespace cxagent::server {
namespace {

// The ApiError `body` throws: its message and its details' parameter.
template <typename Body>
std::pair<std::string, std::string> Rejection(Body&& body) {
  try {
    body();
  } catch (const ApiError& error) {
    EXPECT_EQ(HttpStatus(error.Type()), 400) << error.what();
    // The message and details must be sendable: dump() throws on bytes that are not UTF-8.
    EXPECT_NO_THROW(nlohmann::json({{"m", error.what()}, {"d", error.Details()}}).dump());
    return {error.what(), error.Details().value("parameter", std::string())};
  }
  ADD_FAILURE() << "expected an ApiError";
  return {};
}

std::string DeeplyNested(size_t depth) {
  return R"({"template":"batching_cap","params":)" + std::string(depth, '[') +
         std::string(depth, ']') + "}";
}

TEST(RequestParamsTest, DeepNestingIsRejectedWhileParsing) {
  const auto [message, parameter] = Rejection([] { ParseWhatIfBody(DeeplyNested(100'000)); });
  EXPECT_EQ(message, "body: JSON nested deeper than 32 levels");
  EXPECT_EQ(parameter, "body");
  Rejection([] { ParseIncidentPatch(R"({"note":)" + std::string(40, '[') + "}"); });
  Rejection([] { ParseJson(std::string(MAX_JSON_DEPTH + 1, '[') + std::string(33, ']')); });
  EXPECT_NO_THROW(ParseJson(std::string(MAX_JSON_DEPTH, '[') + std::string(MAX_JSON_DEPTH, ']')));
}

TEST(RequestParamsTest, NumbersBeyondDoubleRangeNameTheirField) {
  const auto [message, parameter] = Rejection(
      [] { ParseWhatIfBody(R"({"template":"batching_cap","params":{"max_batch":1e99999}})"); });
  EXPECT_EQ(parameter, "params.max_batch");
  EXPECT_NE(message.find("body: params.max_batch: a number is out of range"), std::string::npos)
      << message;
  EXPECT_EQ(Rejection([] { ParseIncidentPatch(R"({"status":-1e99999})"); }).second, "status");
  EXPECT_EQ(Rejection([] { ParseJson("1e99999"); }).second, "body");
}

TEST(RequestParamsTest, BytesThatAreNotUtf8AreNamedNotRepeated) {
  const auto [message, parameter] = Rejection([] { ParseIncidentPatch("{\"note\":\"a\xFF\"}"); });
  EXPECT_EQ(parameter, "body");
  EXPECT_NE(message.find("body: not valid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("\\xFF"), std::string::npos) << message;

  const auto value = Rejection([] { ParseIncidentListQuery("/api/incidents?limit=%ff"); });
  EXPECT_EQ(value.second, "limit");
  EXPECT_EQ(value.first, "limit: '\\xFF' is not valid UTF-8");
  const auto name = Rejection([] { ParseIncidentListQuery("/api/incidents?%ff%fe=1"); });
  EXPECT_EQ(name.second, "\\xFF\\xFE");
  EXPECT_EQ(name.first, "query parameter name '\\xFF\\xFE' is not valid UTF-8");
  // Overlong forms and surrogates are not UTF-8 either; real multi-byte text is.
  Rejection([] { ParseCxScoreQuery("cohort=%c0%af"); });
  Rejection([] { ParseCxScoreQuery("cohort=%ed%a0%80"); });
  EXPECT_EQ(Printable("caf\xC3\xA9\x01"), "caf\xC3\xA9\\x01");
}

TEST(RequestParamsTest, QueriesParseWithoutAServer) {
  const auto list = ParseIncidentListQuery(
      "/api/incidents?severity=high,low&limit=7&offset=2&start_date=2026-06-01");
  EXPECT_EQ(list.severity, (std::vector<std::string>{"high", "low"}));
  EXPECT_EQ(list.limit, 7);
  EXPECT_EQ(list.offset, 2);
  ASSERT_TRUE(list.start_date);
  EXPECT_FALSE(list.end_date);
  EXPECT_EQ(ParseIncidentListQuery("limit=").limit, 50);
  EXPECT_EQ(Rejection([] { ParseIncidentListQuery("?limit=501"); }).second, "limit");
  EXPECT_EQ(Rejection([] { ParseNoQuery("/api/health?x=1"); }).second, "x");
  EXPECT_EQ(ParseCxScoreQuery("/x?cohort=region%3Dseattle").cohort.ToText(), "region=seattle");
  EXPECT_EQ(Rejection([] { ParseCxScoreQuery("?cohort=nonsense"); }).second, "cohort");
}

TEST(RequestParamsTest, AResolveQueryCarriesTheCanonicalSliceText) {
  const auto parsed = ParseIncidentResolveQuery(
      "/api/incidents/resolve?metric=cx_score&slice=region%3Dseattle%26platform%3Dios"
      "&start=2026-07-31");
  EXPECT_EQ(parsed.metric, "cx_score");
  EXPECT_EQ(parsed.slice_text, "platform=ios&region=seattle");
  EXPECT_EQ(parsed.start_date, "2026-07-31");
  EXPECT_EQ(ParseIncidentResolveQuery("metric=on_time_rate&slice=all&start=2026-01-02").slice_text,
            "all");
}

TEST(RequestParamsTest, BodiesParseWithoutAServer) {
  const auto patch = ParseIncidentPatch(R"({"status":"resolved"})");
  EXPECT_EQ(patch.status, "resolved");
  EXPECT_FALSE(patch.note);
  const auto whatif = ParseWhatIfBody(R"({"template":"batching_cap","params":{"max_batch":2}})");
  EXPECT_EQ(whatif.action_template, "batching_cap");
  EXPECT_EQ(whatif.params["max_batch"], 2);
  EXPECT_EQ(ParseWhatIfBody(R"({"template":"t"})").params, nlohmann::json::object());
  EXPECT_EQ(ParseExperimentPlanBody(R"({"recommendation_id":"REC-1"})"), "REC-1");
  EXPECT_NO_THROW(ParseAnalyzeBody(""));
  const auto analyze = Rejection([] { ParseAnalyzeBody("{}"); });
  EXPECT_EQ(analyze.first, "body: POST /api/analyze takes no body (got 2 bytes)");
}

}  // namespace
}  // namespace cxagent::server
