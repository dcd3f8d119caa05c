#include "storage/clickhouse_csv.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace cxagent::storage {
namespace {

std::string OneField(std::optional<std::string_view> value) {
  ClickHouseCsvWriter writer;
  writer.Field(value);
  writer.EndRow();
  return writer.Take();
}

TEST(ClickHouseCsvWriterTest, NullIsAnUnquotedBackslashN) {
  EXPECT_EQ(OneField(std::nullopt), "\\N\n");
}

TEST(ClickHouseCsvWriterTest, PlainValuesAreWrittenAsTheyAre) {
  EXPECT_EQ(OneField("seattle"), "seattle\n");
  EXPECT_EQ(OneField("-7.96"), "-7.96\n");
  EXPECT_EQ(OneField("2026-06-01 04:11:14"), "2026-06-01 04:11:14\n");
  EXPECT_EQ(OneField("it's"), "it's\n");
}

TEST(ClickHouseCsvWriterTest, TextThatCouldReadAsSomethingElseIsQuoted) {
  EXPECT_EQ(OneField(""), "\"\"\n");  // an empty cell would be the column's default
  EXPECT_EQ(OneField("a,b"), "\"a,b\"\n");
  EXPECT_EQ(OneField("say \"hi\""), "\"say \"\"hi\"\"\"\n");
  EXPECT_EQ(OneField("two\nlines"), "\"two\nlines\"\n");
  EXPECT_EQ(OneField("cr\rhere"), "\"cr\rhere\"\n");
  EXPECT_EQ(OneField("\\N"), "\"\\N\"\n");  // the text \N, not NULL
  EXPECT_EQ(OneField("x\\y"), "\"x\\y\"\n");
  EXPECT_EQ(OneField("'quoted start"), "\"'quoted start\"\n");
  EXPECT_EQ(OneField(" padded "), "\" padded \"\n");
  EXPECT_EQ(OneField("\ttab"), "\"\ttab\"\n");
}

TEST(ClickHouseCsvWriterTest, FieldsAreSeparatedAndRowsCounted) {
  ClickHouseCsvWriter writer;
  writer.Field("1");
  writer.Field(std::nullopt);
  writer.Field("a b");
  writer.EndRow();
  writer.Field("2");
  writer.Field("");
  writer.Field("c");
  writer.EndRow();
  EXPECT_EQ(writer.Rows(), 2U);
  EXPECT_EQ(writer.Bytes(), std::string("1,\\N,a b\n2,\"\",c\n").size());
  EXPECT_EQ(writer.Take(), "1,\\N,a b\n2,\"\",c\n");
}

TEST(ClickHouseCsvWriterTest, TakeStartsAnEmptyChunk) {
  ClickHouseCsvWriter writer;
  writer.Field("1");
  writer.EndRow();
  EXPECT_EQ(writer.Take(), "1\n");
  EXPECT_EQ(writer.Rows(), 0U);
  EXPECT_EQ(writer.Bytes(), 0U);
  writer.Field("2");
  writer.Field("3");
  writer.EndRow();
  EXPECT_EQ(writer.Take(), "2,3\n");
}

}  // namespace
}  // namespace cxagent::storage
