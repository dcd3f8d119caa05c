#include "storage/csv_records.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>

#include "common/error.hpp"

namespace cxagent::storage {

namespace {

// The widest header read (DuckDB needs the number of columns up front; a chunk of this many
// text columns is about 8 MB).
constexpr size_t MAX_COLUMNS = 256;

// Options shared by every read: RFC 4180 CSV, no sniffing, every record as it is.
constexpr std::string_view CSV_OPTIONS =
    "header = false, auto_detect = false, delim = ',', quote = '\"', escape = '\"'";

std::string FirstLine(std::string_view text) {
  const auto end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

// One line for an error DuckDB's CSV reader raised (its own message spans many lines and may
// quote the offending bytes).
std::string DescribeCsvError(std::string_view message) {
  std::string where;
  constexpr std::string_view LINE_TAG = "CSV Error on Line: ";
  if (const auto pos = message.find(LINE_TAG); pos != std::string_view::npos) {
    const auto begin = pos + LINE_TAG.size();
    const auto end = message.find_first_not_of("0123456789", begin);
    where = fmt::format("line {}: ", message.substr(begin, end - begin));
  }
  if (message.find("Invalid unicode") != std::string_view::npos) {
    return where + "the file is not UTF-8 text";
  }
  if (message.find("Maximum line size") != std::string_view::npos) {
    return where + "a line is longer than the CSV reader accepts (2,000,000 bytes)";
  }
  std::string first = FirstLine(message);
  for (std::string_view prefix : {"Invalid Input Error: ", "IO Error: "}) {
    if (first.starts_with(prefix)) first.erase(0, prefix.size());
  }
  return where.empty() ? "cannot be read as CSV: " + first : where + "cannot be read as CSV";
}

std::string Columns(size_t count) {
  std::string columns = "{";
  for (size_t c = 0; c < count; ++c) {
    if (c > 0) columns += ", ";
    columns += fmt::format("'c{}': 'VARCHAR'", c);
  }
  return columns + "}";
}

// One rejected record as DuckDB reports it: `line` counts records and blank lines, not the
// line breaks inside quoted cells.
struct Reject {
  std::string kind;
  size_t min_found = 0;
  size_t max_found = 0;
  std::string csv_line;
  std::string message;
};

// Runs a read that stores what it rejects in temporary tables, returns the rejects by line and
// drops the tables.
class RejectTables {
 public:
  explicit RejectTables(Connection& connection) : connection_(connection) {
    static std::atomic<unsigned> counter{0};
    const unsigned id = counter++;
    errors_ = fmt::format("cx_csv_rejects_{}", id);
    scans_ = fmt::format("cx_csv_scans_{}", id);
  }
  ~RejectTables() {
    try {
      connection_.Execute(
          fmt::format("DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {}", errors_, scans_));
    } catch (const Error&) {
      // Temporary tables vanish with the connection anyway.
    }
  }
  RejectTables(const RejectTables&) = delete;
  RejectTables& operator=(const RejectTables&) = delete;

  std::string Options() const {
    return fmt::format("store_rejects = true, rejects_table = '{}', rejects_scan = '{}'", errors_,
                       scans_);
  }

  std::map<size_t, Reject> Read() {
    std::map<size_t, Reject> rejects;
    const Table table = connection_.Query(fmt::format(
        "SELECT CAST(line AS BIGINT) AS line, CAST(error_type AS VARCHAR) AS kind, csv_line, "
        "error_message FROM {} ORDER BY line",
        errors_));
    if (table.RowCount() == 0) return rejects;
    const Column& line = table.Get("line");
    const Column& kind = table.Get("kind");
    const Column& csv_line = table.Get("csv_line");
    const Column& message = table.Get("error_message");
    for (size_t r = 0; r < table.RowCount(); ++r) {
      const auto at = static_cast<size_t>(line.ints[r]);
      const std::string text = message.IsNull(r) ? "" : std::string(message.StringAt(r));
      // "Expected Number of Columns: 3 Found: 2"
      size_t found = 0;
      if (const auto pos = text.find("Found: "); pos != std::string::npos) {
        found = static_cast<size_t>(std::strtoull(text.c_str() + pos + 7, nullptr, 10));
      }
      auto [it, inserted] = rejects.try_emplace(at);
      Reject& reject = it->second;
      if (inserted) {
        reject.kind = kind.IsNull(r) ? "" : std::string(kind.StringAt(r));
        reject.csv_line = csv_line.IsNull(r) ? "" : std::string(csv_line.StringAt(r));
        reject.message = FirstLine(text);
        reject.min_found = reject.max_found = found;
      } else {
        reject.min_found = std::min(reject.min_found, found);
        reject.max_found = std::max(reject.max_found, found);
      }
    }
    return rejects;
  }

 private:
  Connection& connection_;
  std::string errors_;
  std::string scans_;
};

CsvProblem ToProblem(const Reject& reject, size_t line) {
  CsvProblem problem;
  problem.line = line;
  problem.message = reject.message;
  if (reject.kind == "MISSING COLUMNS") {
    problem.kind = CsvProblem::Kind::CELL_COUNT;
    problem.cells = reject.min_found;
  } else if (reject.kind == "TOO MANY COLUMNS") {
    problem.kind = CsvProblem::Kind::CELL_COUNT;
    problem.cells = reject.max_found;
  } else if (reject.kind == "UNQUOTED VALUE") {
    problem.kind = CsvProblem::Kind::UNCLOSED_QUOTE;
  } else if (reject.kind == "INVALID ENCODING" || reject.kind == "INVALID UNICODE") {
    problem.message = "the file is not UTF-8 text";
  }
  return problem;
}

size_t LineBreaks(std::string_view text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Line breaks inside a rejected record; DuckDB's copy of it may carry the line ends before it.
size_t RejectLineBreaks(std::string_view text) {
  const auto first = text.find_first_not_of("\r\n");
  if (first == std::string_view::npos) return 0;
  const auto last = text.find_last_not_of("\r\n");
  return LineBreaks(text.substr(first, last - first + 1));
}

}  // namespace

CsvRecords ReadCsvRecords(Connection& connection, const std::string& path,
                          std::string_view source) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw NotFound("file not found: {}", path);
  if (std::filesystem::is_directory(path, error)) {
    throw InvalidInput("{}: is a folder, not a CSV file", source);
  }
  CsvRecords result;
  if (std::filesystem::file_size(path, error) == 0) return result;
  size_t unplaced = 0;   // records DuckDB read that the walk over the lines did not place
  size_t last_line = 0;  // the last physical line the walk reached
  const std::string file = SqlLiteral(path);
  try {
    // 1. Which physical lines are blank: every line as one cell, no quoting (the separator is
    // a string that text does not hold).
    const Table lines = connection.Query(fmt::format(
        "SELECT l IS NULL AS blank FROM read_csv({}, header = false, auto_detect = false, "
        "columns = {{'l': 'VARCHAR'}}, delim = '\x1f\x1e', quote = '', escape = '', "
        "strict_mode = false)",
        file));
    const Column& blank = lines.Get("blank");
    size_t first = 0;
    while (first < blank.Size() && blank.ints[first] != 0) ++first;
    if (first == blank.Size()) return result;  // nothing but blank lines
    // With no record before it, the header's DuckDB line is its physical line.
    const size_t header_line = first + 1;

    // 2. The header, to learn how many cells a record has: read with room for 16 cells first
    // (a chunk of many text columns is costly to set up), then for MAX_COLUMNS if it has more.
    std::vector<std::string> header;
    for (size_t room : {size_t{16}, MAX_COLUMNS}) {
      RejectTables rejects(connection);
      const Table head = connection.Query(fmt::format(
          "SELECT * FROM read_csv({}, {}, columns = {}, null_padding = true, parallel = false, "
          "{}) LIMIT 1",
          file, CSV_OPTIONS, Columns(room), rejects.Options()));
      const auto rejected = rejects.Read();
      if (const auto it = rejected.find(header_line); it != rejected.end()) {
        CsvProblem problem = ToProblem(it->second, header_line);
        if (problem.kind == CsvProblem::Kind::CELL_COUNT) {
          if (room < MAX_COLUMNS) continue;
          problem.kind = CsvProblem::Kind::OTHER;
          problem.message = fmt::format("the header has more than {} columns", MAX_COLUMNS);
        }
        result.problems.push_back(std::move(problem));
        return result;
      }
      if (head.RowCount() == 0) return result;
      size_t width = 0;
      for (size_t c = 0; c < head.columns.size(); ++c) {
        if (!head.columns[c].IsNull(0)) width = c + 1;
      }
      for (size_t c = 0; c < width; ++c) {
        const Column& cell = head.columns[c];
        header.push_back(cell.IsNull(0) ? "" : std::string(cell.StringAt(0)));
      }
      if (header.empty()) header.push_back("");
      break;
    }

    // 3. Every record, split into the header's number of cells.
    RejectTables rejects(connection);
    const Table rows =
        connection.Query(fmt::format("SELECT * FROM read_csv({}, {}, columns = {}, {})", file,
                                     CSV_OPTIONS, Columns(header.size()), rejects.Options()));
    const auto rejected = rejects.Read();

    // 4. The physical line of each record: DuckDB counts records and blank lines; walking the
    // physical lines adds the line breaks inside quoted cells.
    size_t physical = 0;  // 0-based index into `blank`
    size_t duckdb_line = 1;
    size_t row = 0;
    while (physical < blank.Size()) {
      if (blank.ints[physical] != 0) {
        ++physical;
        ++duckdb_line;
        continue;
      }
      const size_t line = physical + 1;
      if (const auto it = rejected.find(duckdb_line); it != rejected.end()) {
        result.problems.push_back(ToProblem(it->second, line));
        if (result.problems.back().kind == CsvProblem::Kind::UNCLOSED_QUOTE) {
          ++duckdb_line;  // the quote runs to the end of the file
          break;
        }
        physical += 1 + RejectLineBreaks(it->second.csv_line);
      } else if (row < rows.RowCount()) {
        CsvRecord record{line, {}};
        size_t breaks = 0;
        for (const Column& column : rows.columns) {
          record.cells.push_back(column.IsNull(row) ? "" : std::string(column.StringAt(row)));
          breaks += LineBreaks(record.cells.back());
        }
        result.records.push_back(std::move(record));
        ++row;
        physical += 1 + breaks;
      } else {
        break;
      }
      ++duckdb_line;
    }
    // Rejects the walk did not reach (none unless DuckDB numbers lines otherwise) keep DuckDB's
    // line number.
    for (const auto& [at, reject] : rejected) {
      if (at >= duckdb_line) result.problems.push_back(ToProblem(reject, at));
    }
    unplaced = rows.RowCount() - row;
    last_line = physical;
  } catch (const Error& failure) {
    if (failure.Type() == ErrorType::INTERNAL || failure.Type() == ErrorType::NOT_FOUND) throw;
    throw InvalidInput("{}: {}", source, DescribeCsvError(failure.what()));
  }
  // The parser split the text into more records than its lines hold (a quoted cell followed by
  // other characters, line ends of mixed styles inside quotes): which line a record is on, and
  // so every message about it, cannot be told.
  if (unplaced > 0) {
    throw InvalidInput(
        "{}: {} record(s) after line {} cannot be matched to their lines (a quoted cell "
        "followed by other characters, or mixed line ends inside quotes?); check the quoting",
        source, unplaced, last_line);
  }
  return result;
}

}  // namespace cxagent::storage
