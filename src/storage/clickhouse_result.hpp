#pragma once

#include <optional>
#include <string_view>

#include "storage/table.hpp"

namespace cxagent::storage {

//! The project's column type for a ClickHouse type name, `Nullable(...)` and
//! `LowCardinality(...)` unwrapped: Int8, Int16, Int32, UInt8 and UInt16 -> INTEGER; UInt32,
//! Int64 and UInt64 -> BIGINT; Float32, Float64 and Decimal -> DOUBLE; String, FixedString, Enum
//! and UUID -> VARCHAR; Date -> DATE; DateTime (with or without a time zone) -> TIMESTAMP;
//! Nothing (the type of a bare NULL) -> VARCHAR. nullopt for the others (Array, Tuple, ...).
std::optional<ColumnType> ColumnTypeOfClickHouse(std::string_view type);

//! The table in a ClickHouse answer in the TSVWithNamesAndTypes format (a line of names, a line
//! of types, then one line per row; docs/clickhouse.md): types mapped by ColumnTypeOfClickHouse,
//! `\N` read as NULL, TSV escapes decoded, DATE as days and TIMESTAMP as microseconds since
//! 1970-01-01 read from the text the server printed (its wall-clock time), 18.16's zero date
//! `0000-00-00` read as 1970-01-01. An empty body gives a table without columns. The SQL is the
//! project's own, so a type without a column type, a row of the wrong width or a value that does
//! not parse is an Internal error naming the column (and row).
Table ParseClickHouseTsv(std::string_view body);

}  // namespace cxagent::storage
