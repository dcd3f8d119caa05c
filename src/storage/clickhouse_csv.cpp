#include "storage/clickhouse_csv.hpp"

#include <utility>

namespace cxagent::storage {

namespace {

// Whether ClickHouse could read `value` as something else when unquoted: empty (an empty cell
// is the column's default, not ''), a separator, quote or line break, a backslash (`\N` is NULL),
// a leading single quote (read as a quote unless format_csv_allow_single_quotes=0), or spaces
// and tabs at either end (which a CSV reader may trim).
bool NeedsQuotes(std::string_view value) {
  if (value.empty() || value.front() == '\'' || value.front() == ' ' || value.back() == ' ' ||
      value.front() == '\t' || value.back() == '\t') {
    return true;
  }
  return value.find_first_of(",\"\r\n\\") != std::string_view::npos;
}

}  // namespace

void ClickHouseCsvWriter::Field(std::optional<std::string_view> value) {
  if (row_started_) text_ += ',';
  row_started_ = true;
  if (!value) {
    text_ += "\\N";
    return;
  }
  if (!NeedsQuotes(*value)) {
    text_ += *value;
    return;
  }
  text_ += '"';
  for (const char c : *value) {
    if (c == '"') text_ += '"';
    text_ += c;
  }
  text_ += '"';
}

void ClickHouseCsvWriter::EndRow() {
  text_ += '\n';
  row_started_ = false;
  ++rows_;
}

std::string ClickHouseCsvWriter::Take() {
  std::string chunk = std::move(text_);
  text_.clear();
  rows_ = 0;
  row_started_ = false;
  return chunk;
}

}  // namespace cxagent::storage
