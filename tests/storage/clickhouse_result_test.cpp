#include "storage/clickhouse_result.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/error.hpp"

namespace cxagent::storage {
namespace {

std::string InternalMessage(const std::string& body) {
  try {
    ParseClickHouseTsv(body);
  } catch (const Error& error) {
    EXPECT_EQ(error.Type(), ErrorType::INTERNAL);
    return error.what();
  }
  return "";
}

// The answer of ClickHouse 18.16 on the local cluster to
//   SELECT toInt8(-1) AS i8, toUInt8(200) AS u8, toUInt16(60000) AS u16, toUInt32(4000000000) AS
//   u32, toInt64(-9000000000) AS i64, toUInt64(9000000000) AS u64, toFloat32(1.5) AS f32,
//   toDecimal64(12.3456, 4) AS dec, 'a\tb\nc\\d''e' AS s, toDate('2026-06-01') AS d,
//   toDateTime('2026-06-01 04:11:14') AS ts, toNullable(1) AS n1, CAST(NULL AS Nullable(String))
//   AS ns, NULL AS nothing, inf AS pinf, -inf AS ninf, nan AS fnan, toDate('1970-01-01') AS d0,
//   toDateTime(0) AS t0, toFixedString('ab', 3) AS fs, CAST('a' AS Enum8('a' = 1, 'b' = 2)) AS e
// with default_format=TSVWithNamesAndTypes (server time zone UTC).
const std::string ANSWER =
    "i8\tu8\tu16\tu32\ti64\tu64\tf32\tdec\ts\td\tts\tn1\tns\tnothing\tpinf\tninf\tfnan\td0\tt0\tfs"
    "\te\n"
    "Int8\tUInt8\tUInt16\tUInt32\tInt64\tUInt64\tFloat32\tDecimal(18, 4)\tString\tDate\tDateTime\t"
    "Nullable(UInt8)\tNullable(String)\tNullable(Nothing)\tFloat64\tFloat64\tFloat64\tDate\t"
    "DateTime\tFixedString(3)\tEnum8(\\'a\\' = 1, \\'b\\' = 2)\n"
    "-1\t200\t60000\t4000000000\t-9000000000\t9000000000\t1.5\t12.3455\ta\\tb\\nc\\\\d\\'e\t"
    "2026-06-01\t2026-06-01 04:11:14\t1\t\\N\t\\N\tinf\t-inf\tnan\t0000-00-00\t"
    "0000-00-00 00:00:00\tab\\0\ta\n";

TEST(ClickHouseResultTest, TypesMapOntoTheProjectsColumns) {
  const Table table = ParseClickHouseTsv(ANSWER);
  ASSERT_EQ(table.RowCount(), 1u);
  ASSERT_EQ(table.columns.size(), 21u);
  EXPECT_EQ(table.Get("i8").type, ColumnType::INTEGER);
  EXPECT_EQ(table.Get("i8").ints[0], -1);
  EXPECT_EQ(table.Get("u8").ints[0], 200);
  EXPECT_EQ(table.Get("u16").ints[0], 60000);
  EXPECT_EQ(table.Get("u32").type, ColumnType::BIGINT);
  EXPECT_EQ(table.Get("u32").ints[0], 4000000000);
  EXPECT_EQ(table.Get("i64").ints[0], -9000000000);
  EXPECT_EQ(table.Get("u64").ints[0], 9000000000);
  EXPECT_EQ(table.Get("f32").doubles[0], 1.5);
  EXPECT_EQ(table.Get("dec").type, ColumnType::DOUBLE);
  EXPECT_EQ(table.Get("dec").doubles[0], 12.3455);
  EXPECT_EQ(table.Get("s").StringAt(0), "a\tb\nc\\d'e");
  EXPECT_EQ(table.Get("d").type, ColumnType::DATE);
  EXPECT_EQ(table.Get("d").ints[0], 20605);  // days from 1970-01-01 to 2026-06-01
  EXPECT_EQ(table.Get("ts").type, ColumnType::TIMESTAMP);
  EXPECT_EQ(table.Get("ts").ints[0], (20605LL * 86400 + 4 * 3600 + 11 * 60 + 14) * 1000000);
  EXPECT_FALSE(table.Get("n1").IsNull(0));
  EXPECT_EQ(table.Get("n1").ints[0], 1);
  EXPECT_TRUE(table.Get("ns").IsNull(0));
  EXPECT_EQ(table.Get("nothing").type, ColumnType::VARCHAR);
  EXPECT_TRUE(table.Get("nothing").IsNull(0));
  EXPECT_EQ(table.Get("pinf").doubles[0], INFINITY);
  EXPECT_EQ(table.Get("ninf").doubles[0], -INFINITY);
  EXPECT_TRUE(std::isnan(table.Get("fnan").doubles[0]));
  EXPECT_EQ(table.Get("d0").ints[0], 0);
  EXPECT_EQ(table.Get("t0").ints[0], 0);
  EXPECT_EQ(table.Get("fs").StringAt(0), std::string("ab\0", 3));
  EXPECT_EQ(table.Get("e").StringAt(0), "a");
}

TEST(ClickHouseResultTest, ManyRowsNamesWithEscapesAndEmptyResults) {
  const Table table = ParseClickHouseTsv(
      "region\tcountIf(equals(status, \\'cancelled\\'))\tcx\n"
      "String\tUInt64\tNullable(Float64)\n"
      "atlanta\t27\t0.5\n"
      "\t3\t\\N\n");
  ASSERT_EQ(table.RowCount(), 2u);
  EXPECT_EQ(table.columns[1].name, "countIf(equals(status, 'cancelled'))");
  EXPECT_EQ(table.Get("region").StringAt(1), "");
  EXPECT_FALSE(table.Get("cx").IsNull(0));
  EXPECT_TRUE(table.Get("cx").IsNull(1));

  const Table empty = ParseClickHouseTsv("n\nUInt64\n");
  EXPECT_EQ(empty.columns.size(), 1u);
  EXPECT_EQ(empty.RowCount(), 0u);
  EXPECT_TRUE(ParseClickHouseTsv("").columns.empty());
}

TEST(ClickHouseResultTest, TypeNames) {
  EXPECT_EQ(ColumnTypeOfClickHouse("LowCardinality(String)"), ColumnType::VARCHAR);
  EXPECT_EQ(ColumnTypeOfClickHouse("Nullable(DateTime(\\'Etc/UTC\\'))"), ColumnType::TIMESTAMP);
  EXPECT_EQ(ColumnTypeOfClickHouse("DateTime('Etc/UTC')"), ColumnType::TIMESTAMP);
  EXPECT_EQ(ColumnTypeOfClickHouse("Decimal64(4)"), ColumnType::DOUBLE);
  EXPECT_EQ(ColumnTypeOfClickHouse("UUID"), ColumnType::VARCHAR);
  EXPECT_EQ(ColumnTypeOfClickHouse("Array(UInt8)"), std::nullopt);
  EXPECT_EQ(ColumnTypeOfClickHouse("Tuple(UInt8, String)"), std::nullopt);
  EXPECT_EQ(ColumnTypeOfClickHouse("Nullable(Array(UInt8))"), std::nullopt);
  EXPECT_EQ(ColumnTypeOfClickHouse("Nullable()"), std::nullopt);
  EXPECT_EQ(ColumnTypeOfClickHouse("Int128"), std::nullopt);
}

TEST(ClickHouseResultTest, AnswersCxagentCannotReadAreInternalErrors) {
  EXPECT_EQ(InternalMessage("arr\nArray(UInt8)\n[1,2]\n"),
            "ClickHouse answer: column 'arr' has the type Array(UInt8), which cxagent does not "
            "read");
  EXPECT_EQ(InternalMessage("n\nUInt64\n18000000000000000000\n"),
            "ClickHouse answer: column 'n', row 1: '18000000000000000000' does not read as BIGINT");
  EXPECT_EQ(InternalMessage("a\tb\nInt32\tInt32\n1\t2\n3\n"),
            "ClickHouse answer: row 2 has 1 fields for 2 columns");
  EXPECT_EQ(InternalMessage("a\tb\nInt32\n"), "ClickHouse answer: 2 names but 1 types");
  EXPECT_EQ(InternalMessage("Ok.\n"),
            "ClickHouse answer: expected a line of names and a line of types");
  EXPECT_EQ(InternalMessage("d\nDate\n2026-13-01\n"),
            "ClickHouse answer: column 'd', row 1: '2026-13-01' does not read as DATE");
  EXPECT_EQ(
      InternalMessage("t\nDateTime\n2026-06-01T04:11:14\n"),
      "ClickHouse answer: column 't', row 1: '2026-06-01T04:11:14' does not read as TIMESTAMP");
  EXPECT_EQ(
      InternalMessage("t\nDateTime\n2026-06-01 24:00:00\n"),
      "ClickHouse answer: column 't', row 1: '2026-06-01 24:00:00' does not read as TIMESTAMP");
  EXPECT_EQ(InternalMessage("x\nFloat64\n1.5x\n"),
            "ClickHouse answer: column 'x', row 1: '1.5x' does not read as DOUBLE");
  EXPECT_EQ(InternalMessage("x\nInt32\n\n"),
            "ClickHouse answer: column 'x', row 1: '' does not read as INTEGER");
}

}  // namespace
}  // namespace cxagent::storage
