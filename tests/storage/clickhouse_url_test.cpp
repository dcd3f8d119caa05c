#include "storage/clickhouse_url.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"

namespace cxagent::storage {
namespace {

// The message of the InvalidInput `parse` throws, or "" when it throws nothing.
std::string ParseError(const std::string& url) {
  try {
    ParseClickHouseUrl(url);
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INVALID_INPUT) << url;
    return error.what();
  }
  return "";
}

TEST(ClickHouseUrlTest, HostPortAndDatabase) {
  const auto location = ParseClickHouseUrl("clickhouse://127.0.0.1:8124/cx");
  EXPECT_EQ(location.host, "127.0.0.1");
  EXPECT_EQ(location.port, 8124);
  EXPECT_EQ(location.database, "cx");
  EXPECT_EQ(location.user, "default");
  EXPECT_EQ(location.password, "");
  EXPECT_EQ(location.cluster, "");
}

TEST(ClickHouseUrlTest, DefaultsToTheHttpPort) {
  EXPECT_EQ(ParseClickHouseUrl("clickhouse://ch-1.example.com/cx").port, 8123);
  EXPECT_EQ(ParseClickHouseUrl("clickhouse://[::1]/cx").port, 8123);
}

TEST(ClickHouseUrlTest, UserPasswordAndClusterInTheUrlArePercentDecoded) {
  const auto location =
      ParseClickHouseUrl("clickhouse://ana:p%40ss%3Aw0rd@warehouse:8123/cx?cluster=cxagent");
  EXPECT_EQ(location.user, "ana");
  EXPECT_EQ(location.password, "p@ss:w0rd");
  EXPECT_EQ(location.cluster, "cxagent");

  const auto in_query =
      ParseClickHouseUrl("clickhouse://warehouse/cx?user=ana&password=a%26b&cluster=two-shards.v1");
  EXPECT_EQ(in_query.user, "ana");
  EXPECT_EQ(in_query.password, "a&b");
  EXPECT_EQ(in_query.cluster, "two-shards.v1");

  EXPECT_EQ(ParseClickHouseUrl("clickhouse://ana@warehouse/cx").password, "");
  EXPECT_EQ(ParseClickHouseUrl("clickhouse://ana:@warehouse/cx").password, "");
}

TEST(ClickHouseUrlTest, Ipv6HostInBrackets) {
  const auto location = ParseClickHouseUrl("clickhouse://[::1]:9123/cx");
  EXPECT_EQ(location.host, "::1");
  EXPECT_EQ(location.port, 9123);
  EXPECT_EQ(DescribeClickHouseLocation(location), "clickhouse://default@[::1]:9123/cx");
}

TEST(ClickHouseUrlTest, ShardsNameTheOtherShardsHttpAddresses) {
  const auto location = ParseClickHouseUrl(
      "clickhouse://127.0.0.1:8124/cx?cluster=two&shards=127.0.0.1:8126,ch-3.example.com:8123,"
      "[::1]:9000");
  ASSERT_EQ(location.shards.size(), 3U);
  EXPECT_EQ(location.shards[0].host, "127.0.0.1");
  EXPECT_EQ(location.shards[0].port, 8126);
  EXPECT_EQ(location.shards[1].host, "ch-3.example.com");
  EXPECT_EQ(location.shards[1].port, 8123);
  EXPECT_EQ(location.shards[2].host, "::1");
  EXPECT_EQ(location.shards[2].port, 9000);
  EXPECT_TRUE(ParseClickHouseUrl("clickhouse://h/cx?cluster=two").shards.empty());
}

TEST(ClickHouseUrlTest, BadShardAddressesAreRejectedNamingThem) {
  EXPECT_EQ(ParseError("clickhouse://h/cx?shards=h2"),
            "clickhouse://h/cx?shards=h2: no port in shards 'h2' (expected HOST:PORT, the "
            "server's HTTP port)");
  EXPECT_EQ(ParseError("clickhouse://h/cx?shards=h2:8123,h3:0"),
            "clickhouse://h/cx?shards=h2:8123,h3:0: the port '0' in shards 'h3:0' is not a number "
            "from 1 to 65535");
  EXPECT_EQ(ParseError("clickhouse://h/cx?shards="),
            "clickhouse://h/cx?shards=: no host in shards ''");
  EXPECT_EQ(ParseError("clickhouse://h/cx?shards=h2:8123,"),
            "clickhouse://h/cx?shards=h2:8123,: no host in shards ''");
  EXPECT_EQ(ParseError("clickhouse://h/cx?shards=h%202:1"),
            "clickhouse://h/cx?shards=h%202:1: the host 'h 2' in shards 'h 2:1' is not a host "
            "name or address");
  EXPECT_EQ(ParseError("clickhouse://h/cx?shards=[::1"),
            "clickhouse://h/cx?shards=[::1: an IPv6 host must end with ']' in shards '[::1'");
}

TEST(ClickHouseUrlTest, IsClickHouseUrlTellsUrlsFromFolders) {
  EXPECT_TRUE(IsClickHouseUrl("clickhouse://h/cx"));
  EXPECT_FALSE(IsClickHouseUrl("data/clickhouse://x"));
  EXPECT_FALSE(IsClickHouseUrl("/data/world"));
  EXPECT_FALSE(IsClickHouseUrl("ClickHouse://h/cx"));
}

TEST(ClickHouseUrlTest, BadUrlsAreRejectedWithWhatIsWrong) {
  EXPECT_EQ(ParseError("http://h:8123/cx"),
            "http://h:8123/cx: expected clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE");
  EXPECT_EQ(ParseError("clickhouse://h:8123"),
            "clickhouse://h:8123: no database (expected clickhouse://HOST[:PORT]/DATABASE)");
  EXPECT_EQ(ParseError("clickhouse://h:8123/"),
            "clickhouse://h:8123/: no database (expected clickhouse://HOST[:PORT]/DATABASE)");
  EXPECT_EQ(ParseError("clickhouse://h?cluster=c/cx"),
            "clickhouse://h?cluster=c/cx: no database (expected "
            "clickhouse://HOST[:PORT]/DATABASE)");
  EXPECT_EQ(ParseError("clickhouse://:8123/cx"), "clickhouse://:8123/cx: no host");
  EXPECT_EQ(ParseError("clickhouse://[]:8123/cx"), "clickhouse://[]:8123/cx: no host");
  EXPECT_EQ(ParseError("clickhouse://[::1:8123/cx"),
            "clickhouse://[::1:8123/cx: an IPv6 host must end with ']'");
  EXPECT_EQ(ParseError("clickhouse://h/x:8123/cx"),
            "clickhouse://h/x:8123/cx: the database 'x:8123/cx' must be letters, digits and _ "
            "only");
  EXPECT_EQ(ParseError("clickhouse://h o/cx"),
            "clickhouse://h o/cx: the host 'h o' is not a host name or address");
  for (const char* port : {"", "0", "65536", "80a", "123456", "-1"}) {
    EXPECT_EQ(ParseError(std::string("clickhouse://h:") + port + "/cx"),
              std::string("clickhouse://h:") + port + "/cx: the port '" + port +
                  "' is not a number from 1 to 65535");
  }
  EXPECT_EQ(
      ParseError("clickhouse://h/cx?db=x"),
      "clickhouse://h/cx?db=x: unknown parameter 'db' (allowed: user, password, cluster, shards)");
  EXPECT_EQ(ParseError("clickhouse://h/cx?cluster"),
            "clickhouse://h/cx?cluster: the parameter 'cluster' has no '=VALUE'");
  EXPECT_EQ(ParseError("clickhouse://h/cx?cluster=a&cluster=b"),
            "clickhouse://h/cx?cluster=a&cluster=b: cluster is given twice");
  EXPECT_EQ(ParseError("clickhouse://ana@h/cx?user=bo"),
            "clickhouse://ana@h/cx?user=bo: user is given twice");
  EXPECT_EQ(ParseError("clickhouse://h/cx?cluster=a%20b"),
            "clickhouse://h/cx?cluster=a%20b: the cluster 'a b' must be letters, digits, _, . and "
            "- only");
  EXPECT_EQ(ParseError("clickhouse://@h/cx"), "clickhouse://@h/cx: the user before '@' is empty");
  EXPECT_EQ(ParseError("clickhouse://h/cx?user="), "clickhouse://h/cx?user=: the user is empty");
}

TEST(ClickHouseUrlTest, MessagesNeverShowThePassword) {
  EXPECT_EQ(ParseError("clickhouse://ana:s3cret@h:0/cx"),
            "clickhouse://ana:***@h:0/cx: the port '0' is not a number from 1 to 65535");
  EXPECT_EQ(ParseError("clickhouse://h/cx?password=s3cret&db=1"),
            "clickhouse://h/cx?password=***&db=1: unknown parameter 'db' (allowed: user, "
            "password, cluster, shards)");
  EXPECT_EQ(ParseError("clickhouse://ana:s3%zzet@h/cx"),
            "clickhouse://ana:***@h/cx: the password has a '%' not followed by two hexadecimal "
            "digits");
  auto location = ParseClickHouseUrl("clickhouse://ana:s3cret@h:8124/cx?cluster=c");
  EXPECT_EQ(DescribeClickHouseLocation(location), "clickhouse://ana:***@h:8124/cx?cluster=c");
  location.password.clear();
  EXPECT_EQ(DescribeClickHouseLocation(location), "clickhouse://ana@h:8124/cx?cluster=c");
}

// Bodies as ClickHouse 18.16 sent them on the local cluster (docs/clickhouse.md), and as current
// servers write them per ClickHouse's documentation.
TEST(ClickHouseUrlTest, ErrorMessageOf1816) {
  EXPECT_EQ(ClickHouseErrorMessage("Code: 60, e.displayText() = DB::Exception: Table cx.nope "
                                   "doesn't exist., e.what() = DB::Exception\n"),
            "ClickHouse error 60: Table cx.nope doesn't exist.");
  EXPECT_EQ(ClickHouseErrorMessage(
                "Code: 60, e.displayText() = DB::Exception: Received from 127.0.0.1:52839. "
                "DB::Exception: Table default.deliveries_local doesn't exist.., e.what() = "
                "DB::Exception\n"),
            "ClickHouse error 60: Received from 127.0.0.1:52839. DB::Exception: Table "
            "default.deliveries_local doesn't exist..");
  EXPECT_EQ(ClickHouseErrorMessage(
                "Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected , before: "
                ".8,2026-06-01\\n: (at row 1)\n\nRow 1:\nColumn 0,   name: id, type: Int64, "
                "parsed text: \"2\"\nERROR: garbage after DateTime: \".8,2026-06\"\n\n, e.what() "
                "= DB::Exception\n"),
            "ClickHouse error 27: Cannot parse input: expected , before: .8,2026-06-01\\n: (at "
            "row 1) |  | Row 1: | Column 0,   name: id, type: Int64, parsed text: \"2\" | ERROR: "
            "garbage after DateTime: \".8,2026-06\"");
}

TEST(ClickHouseUrlTest, ErrorMessageOfLaterServers) {
  EXPECT_EQ(ClickHouseErrorMessage("Code: 60. DB::Exception: Table default.wtf doesn't exist. "
                                   "(UNKNOWN_TABLE) (version 23.8.2.7 (official build))\n"),
            "ClickHouse error 60: Table default.wtf doesn't exist. (UNKNOWN_TABLE)");
  EXPECT_EQ(ClickHouseErrorMessage("Code: 60, e.displayText() = DB::Exception: Table default.wtf "
                                   "doesn't exist (version 21.3.1.1)"),
            "ClickHouse error 60: Table default.wtf doesn't exist");
}

TEST(ClickHouseUrlTest, ErrorMessageOfOtherBodiesIsOneBoundedLine) {
  EXPECT_EQ(ClickHouseErrorMessage("<html>\n<body>Bad Gateway</body>\n</html>\n"),
            "<html> | <body>Bad Gateway</body> | </html>");
  EXPECT_EQ(ClickHouseErrorMessage("Code: x"), "Code: x");
  EXPECT_EQ(ClickHouseErrorMessage(""), "");
  const std::string message =
      ClickHouseErrorMessage("Code: 62, e.displayText() = " + std::string(5000, 'x'));
  EXPECT_LE(message.size(), 530u);
  EXPECT_TRUE(message.starts_with("ClickHouse error 62: xxx"));
}

}  // namespace
}  // namespace cxagent::storage
