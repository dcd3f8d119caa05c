#include "storage/dataset.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/config.hpp"
#include "common/error.hpp"
#include "common/slice.hpp"
#include "storage/data_folder.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace fs = std::filesystem;

namespace {

// The contract's dimensions among `dimensions`, in domain.md's order (NAMING_ORDER).
std::vector<std::string> ContractNamingOrder(const std::vector<std::string>& dimensions) {
  std::vector<std::string> order;
  for (std::string_view dimension : NAMING_ORDER) {
    if (std::find(dimensions.begin(), dimensions.end(), dimension) != dimensions.end()) {
      order.emplace_back(dimension);
    }
  }
  return order;
}

// ---------------------------------------------------------------------------------------------
// The dataset file.

std::string Line(const YAML::Node& node) {
  return node.Mark().line >= 0 ? fmt::format("line {}: ", node.Mark().line + 1) : "";
}

[[noreturn]] void Reject(const std::string& file, const YAML::Node& node, std::string_view key,
                         const std::string& message) {
  throw InvalidInput("{}: {}{}: {}", file, Line(node), key, message);
}

// The keys of map `node` at `key`, each checked against `allowed`.
void RequireKeys(const std::string& file, const YAML::Node& node, std::string_view key,
                 std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) Reject(file, node, key, "must be a map");
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      Reject(file, entry.first, key,
             fmt::format("unknown key '{}'; allowed: {}", name, fmt::join(allowed, ", ")));
    }
  }
}

std::string Text(const std::string& file, const YAML::Node& node, std::string_view key) {
  if (!node.IsScalar() || node.Scalar().empty())
    Reject(file, node, key, "must be a non-empty text");
  return node.Scalar();
}

std::vector<std::string> ContractColumnNames(std::string_view table) {
  std::vector<std::string> names;
  for (const auto& column : RequiredColumns(table)) names.emplace_back(column.name);
  return names;
}

void RequireContractColumn(const std::string& file, const YAML::Node& node, std::string_view key,
                           std::string_view table, const std::string& column) {
  for (const auto& known : RequiredColumns(table)) {
    if (known.name == column) return;
  }
  Reject(file, node, key,
         fmt::format("'{}' is not a column of the {} table; allowed: {}", column, table,
                     fmt::join(ContractColumnNames(table), ", ")));
}

constexpr std::string_view FORMATS[] = {"parquet", "csv", "json"};

TableMapping ReadTable(const std::string& file, const std::string& base, const std::string& table,
                       const YAML::Node& node) {
  const std::string key = "tables." + table;
  RequireKeys(file, node, key,
              {"source", "sql", "format", "csv", "columns", "recode", "time_format"});
  TableMapping mapping;
  mapping.table = table;
  const bool has_source = node["source"].IsDefined();
  const bool has_sql = node["sql"].IsDefined();
  if (has_source == has_sql) {
    Reject(file, node, key, "needs exactly one of 'source' (a file, folder or glob) or 'sql'");
  }
  if (has_source) {
    const std::string source = Text(file, node["source"], key + ".source");
    mapping.source = fs::path(source).is_absolute() ? source : (fs::path(base) / source).string();
  } else {
    mapping.sql = Text(file, node["sql"], key + ".sql");
  }
  if (node["format"].IsDefined()) {
    mapping.format = Text(file, node["format"], key + ".format");
    if (std::find(std::begin(FORMATS), std::end(FORMATS), mapping.format) == std::end(FORMATS)) {
      Reject(file, node["format"], key + ".format",
             fmt::format("unknown format '{}'; allowed: {}", mapping.format,
                         fmt::join(FORMATS, ", ")));
    }
    if (has_sql) Reject(file, node["format"], key + ".format", "only goes with 'source'");
  }
  if (const YAML::Node csv = node["csv"]; csv.IsDefined()) {
    RequireKeys(file, csv, key + ".csv", {"delimiter", "header", "null"});
    if (csv["delimiter"].IsDefined()) {
      mapping.delimiter = csv["delimiter"].IsScalar() ? csv["delimiter"].Scalar() : "";
      if (mapping.delimiter == "\\t") mapping.delimiter = "\t";
      if (mapping.delimiter.size() != 1) {
        Reject(file, csv["delimiter"], key + ".csv.delimiter",
               "must be one character (\\t for tab)");
      }
    }
    if (csv["header"].IsDefined()) {
      try {
        mapping.header = csv["header"].as<bool>();
      } catch (const YAML::Exception&) {
        Reject(file, csv["header"], key + ".csv.header", "must be true or false");
      }
    }
    if (csv["null"].IsDefined()) mapping.null_text = Text(file, csv["null"], key + ".csv.null");
  }
  std::set<std::string> sources_used;
  if (const YAML::Node columns = node["columns"]; columns.IsDefined()) {
    if (!columns.IsMap())
      Reject(file, columns, key + ".columns", "must map contract columns to yours");
    for (const auto& entry : columns) {
      const std::string column = entry.first.Scalar();
      RequireContractColumn(file, entry.first, key + ".columns", table, column);
      const std::string source = Text(file, entry.second, key + ".columns." + column);
      if (!sources_used.insert(source).second) {
        Reject(file, entry.second, key + ".columns." + column,
               fmt::format("column '{}' is mapped twice", source));
      }
      mapping.columns[column] = source;
    }
  }
  if (const YAML::Node recode = node["recode"]; recode.IsDefined()) {
    if (!recode.IsMap())
      Reject(file, recode, key + ".recode", "must map columns to {yours: contract}");
    for (const auto& entry : recode) {
      const std::string column = entry.first.Scalar();
      RequireContractColumn(file, entry.first, key + ".recode", table, column);
      if (!entry.second.IsMap() || entry.second.size() == 0) {
        Reject(file, entry.second, key + ".recode." + column,
               "must be a non-empty map of your value: contract value");
      }
      auto& values = mapping.recode[column];
      for (const auto& value : entry.second) {
        const std::string from = entry.first.Scalar();
        const std::string text = value.first.IsScalar() ? value.first.Scalar() : "";
        values[text] = Text(file, value.second, key + ".recode." + column + "." + text);
      }
    }
  }
  if (const YAML::Node formats = node["time_format"]; formats.IsDefined()) {
    if (!formats.IsMap())
      Reject(file, formats, key + ".time_format", "must map columns to formats");
    for (const auto& entry : formats) {
      const std::string column = entry.first.Scalar();
      RequireContractColumn(file, entry.first, key + ".time_format", table, column);
      ColumnType type = ColumnType::VARCHAR;
      for (const auto& known : RequiredColumns(table)) {
        if (known.name == column) type = known.type;
      }
      if (type != ColumnType::TIMESTAMP && type != ColumnType::DATE) {
        Reject(file, entry.first, key + ".time_format",
               fmt::format("{} is not a date or time column", column));
      }
      const std::string format = Text(file, entry.second, key + ".time_format." + column);
      if (format != "epoch_s" && format != "epoch_ms" && format.find('%') == std::string::npos) {
        Reject(file, entry.second, key + ".time_format." + column,
               "must be a strptime format such as '%d/%m/%Y %H:%M', epoch_s or epoch_ms");
      }
      mapping.time_formats[column] = format;
    }
  }
  return mapping;
}

// ---------------------------------------------------------------------------------------------
// Opening.

// The contract columns of `table` keyed by name.
const RequiredColumn* ContractColumn(std::string_view table, std::string_view name) {
  for (const auto& column : RequiredColumns(table)) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

// Orders columns that cannot be slicing dimensions: the non-dimension contract columns of every
// table (they meet in the order facts) and the names the facts derive.
bool ReservedName(std::string_view name) {
  if (std::find(std::begin(DIMENSIONS), std::end(DIMENSIONS), name) != std::end(DIMENSIONS)) {
    return false;
  }
  for (std::string_view table : TABLE_NAMES) {
    if (ContractColumn(table, name) != nullptr) return true;
  }
  static const std::set<std::string_view> derived = {"is_cancelled",
                                                     "is_delivered",
                                                     "is_dispatched",
                                                     "n_lines",
                                                     "missing_lines",
                                                     "substituted_lines",
                                                     "accepted_subs",
                                                     "rejected_subs",
                                                     "refunds",
                                                     "has_contact",
                                                     "feed_lag_hours",
                                                     "busy_ratio",
                                                     "on_time",
                                                     "low_rating",
                                                     "cx_score",
                                                     "unit",
                                                     "d"};
  return derived.contains(name) || name.starts_with("rca_") || name.starts_with("cube_");
}

// Names a writer leaves beside its data files (Spark's `_SUCCESS`, `.crc` checksums,
// `_temporary/`): not data, so a folder source skips them.
bool IsMarker(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.empty() || name[0] == '_' || name[0] == '.';
}

// The first data file under folder `source` (searched in name order, into sub-folders such as
// Hive partitions `order_date=2026-06-01/`, skipping markers), or nullopt when it has none.
std::optional<fs::path> FirstDataFile(const fs::path& source) {
  std::error_code error;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(source, error)) {
    if (!IsMarker(entry.path())) entries.push_back(entry.path());
  }
  std::sort(entries.begin(), entries.end());
  for (const auto& entry : entries) {
    if (fs::is_regular_file(entry, error)) return entry;
  }
  for (const auto& entry : entries) {
    if (!fs::is_directory(entry, error)) continue;
    if (auto found = FirstDataFile(entry)) return found;
  }
  return std::nullopt;
}

// The extension of `path`, lower-case, with its dot.
std::string Extension(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

// A folder source's data files: the first one's extension (see FirstDataFile) at any depth, so
// that partition folders are read and markers are not. Throws NotFound for a folder without one.
std::string FolderPattern(const TableMapping& mapping, const std::string& dataset_file) {
  const auto first = FirstDataFile(mapping.source);
  if (!first) {
    throw NotFound("{}: tables.{}.source: folder {} has no data files", dataset_file, mapping.table,
                   mapping.source);
  }
  return (fs::path(mapping.source) / "**" / ("*" + first->extension().string())).string();
}

std::string FormatOf(const TableMapping& mapping) {
  if (!mapping.format.empty()) return mapping.format;
  fs::path probe(mapping.source);
  std::error_code error;
  if (fs::is_directory(probe, error)) probe = FirstDataFile(probe).value_or(probe);
  const std::string extension = Extension(probe);
  if (extension == ".parquet") return "parquet";
  if (extension == ".csv" || extension == ".tsv" || extension == ".txt") return "csv";
  if (extension == ".json" || extension == ".jsonl" || extension == ".ndjson") return "json";
  throw InvalidInput(
      "{}: cannot tell the format of {} from its name; set tables.{}.format to one of {}",
      mapping.source, mapping.source, mapping.table, fmt::join(FORMATS, ", "));
}

// The table expression reading a mapped source. CSV cells are read as text and converted by the
// view, so that a bad cell is found by the checks with its value.
std::string MappedSourceSql(const TableMapping& mapping, const std::string& dataset_file) {
  if (!mapping.sql.empty()) return "(" + mapping.sql + ")";
  std::error_code error;
  std::string pattern = mapping.source;
  if (fs::is_directory(pattern, error)) {
    pattern = FolderPattern(mapping, dataset_file);
  } else if (pattern.find_first_of("*?[") == std::string::npos &&
             !fs::is_regular_file(pattern, error)) {
    throw NotFound("{}: tables.{}.source: {} not found", dataset_file, mapping.table,
                   mapping.source);
  }
  const std::string format = FormatOf(mapping);
  if (format == "parquet") return "read_parquet(" + SqlLiteral(pattern) + ")";
  if (format == "json") {
    return "read_json_auto(" + SqlLiteral(pattern) + ", format = 'newline_delimited')";
  }
  std::string options =
      fmt::format("header = {}, delim = {}, quote = '\"', escape = '\"', all_varchar = true",
                  mapping.header ? "true" : "false", SqlLiteral(mapping.delimiter));
  if (!mapping.null_text.empty()) options += ", nullstr = " + SqlLiteral(mapping.null_text);
  return "read_csv(" + SqlLiteral(pattern) + ", " + options + ")";
}

// The source column `name` converted to the contract's `column`: recoded, parsed as the declared
// time format, then cast.
std::string ConvertSql(const TableMapping* mapping, const RequiredColumn& column,
                       const std::string& source_name, bool strict) {
  std::string expression = SqlIdentifier(source_name);
  const char* cast = strict ? "CAST" : "TRY_CAST";
  if (mapping != nullptr) {
    if (const auto recode = mapping->recode.find(std::string(column.name));
        recode != mapping->recode.end()) {
      std::string cases;
      for (const auto& [from, to] : recode->second) {
        cases += fmt::format(" WHEN {} THEN {}", SqlLiteral(from), SqlLiteral(to));
      }
      expression = fmt::format("(CASE trim(CAST({0} AS VARCHAR)){1} ELSE CAST({0} AS VARCHAR) END)",
                               expression, cases);
    }
    if (const auto format = mapping->time_formats.find(std::string(column.name));
        format != mapping->time_formats.end()) {
      if (format->second == "epoch_s") {
        expression = fmt::format("make_timestamp(CAST(round({}({} AS DOUBLE) * 1e6) AS BIGINT))",
                                 cast, expression);
      } else if (format->second == "epoch_ms") {
        expression = fmt::format("make_timestamp(CAST(round({}({} AS DOUBLE) * 1e3) AS BIGINT))",
                                 cast, expression);
      } else {
        expression =
            fmt::format("{}(CAST({} AS VARCHAR), {})", strict ? "strptime" : "try_strptime",
                        expression, SqlLiteral(format->second));
      }
    }
  }
  return fmt::format("{}({} AS {})", cast, expression, SqlTypeName(column.type));
}

std::string NullColumn(const RequiredColumn& column) {
  return fmt::format("NULL::{} AS {}", SqlTypeName(column.type), SqlIdentifier(column.name));
}

std::string ViewName(std::string_view table) {
  return SqlIdentifier(table);
}
std::string RawViewName(std::string_view table) {
  return SqlIdentifier(fmt::format("cx_raw_{}", table));
}

}  // namespace

DatasetFile ReadDatasetFile(const std::string& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) throw NotFound("dataset file not found: {}", path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& failure) {
    throw InvalidInput("{}: line {}: not valid YAML: {}", path, failure.mark.line + 1, failure.msg);
  }
  RejectDuplicateKeys(root, path);
  RequireKeys(path, root, "(top level)", {"tables", "dimensions"});
  DatasetFile dataset;
  dataset.path = path;
  dataset.base_folder = fs::absolute(path).parent_path().string();
  const YAML::Node tables = root["tables"];
  if (!tables.IsDefined() || !tables.IsMap() || tables.size() == 0) {
    Reject(path, root, "tables", "is required: a map of contract table name to its source");
  }
  for (const auto& entry : tables) {
    const std::string name = entry.first.Scalar();
    if (std::find(std::begin(TABLE_NAMES), std::end(TABLE_NAMES), name) == std::end(TABLE_NAMES)) {
      Reject(path, entry.first, "tables",
             fmt::format("unknown table '{}'; allowed: {}", name, fmt::join(TABLE_NAMES, ", ")));
    }
  }
  for (std::string_view name : TABLE_NAMES) {
    if (const YAML::Node table = tables[std::string(name)]; table.IsDefined()) {
      dataset.tables.push_back(ReadTable(path, dataset.base_folder, std::string(name), table));
    }
  }
  if (!tables["orders"].IsDefined()) Reject(path, tables, "tables", "must map the orders table");
  if (const YAML::Node dimensions = root["dimensions"]; dimensions.IsDefined()) {
    if (!dimensions.IsSequence() || dimensions.size() == 0) {
      Reject(path, dimensions, "dimensions", "must be a non-empty list of orders columns");
    }
    for (const auto& entry : dimensions) {
      const std::string name = entry.IsScalar() ? entry.Scalar() : "";
      if (!IsDimensionName(name)) {
        Reject(path, entry, "dimensions",
               fmt::format("'{}' is not a column name (lower-case letters, digits, _)", name));
      }
      if (ReservedName(name)) {
        Reject(path, entry, "dimensions",
               fmt::format("'{}' names a measure of the contract, not a slicing dimension", name));
      }
      if (std::find(dataset.dimensions.begin(), dataset.dimensions.end(), name) !=
          dataset.dimensions.end()) {
        Reject(path, entry, "dimensions", fmt::format("'{}' is listed twice", name));
      }
      dataset.dimensions.push_back(name);
    }
  }
  return dataset;
}

std::string ResultsFolder(const DatasetOptions& options) {
  if (!options.results.empty()) return options.results;
  if (IsClickHouseUrl(options.folder)) {
    throw InvalidInput(
        "--data {}: a ClickHouse database has no folder for the analysis results; name one with "
        "--results DIR",
        DescribeClickHouseLocation(ParseClickHouseUrl(options.folder)));
  }
  return options.folder;
}

Dataset Dataset::OpenClickHouse(const DatasetOptions& options) {
  if (!options.dataset_file.empty()) {
    throw InvalidInput(
        "--dataset {}: a dataset file maps files; a ClickHouse database is read as the contract's "
        "tables (load mapped exports with cxagent load --dataset)",
        options.dataset_file);
  }
  const ClickHouseLocation location = ParseClickHouseUrl(options.folder);
  const std::string where = DescribeClickHouseLocation(location);
  Dataset dataset;
  dataset.folder_ = where;
  dataset.clickhouse_ = DiscoverClickHouseSchema(location);
  for (std::string_view table : TABLE_NAMES) {
    TableState& state = dataset.tables_[std::string(table)];
    const auto found = dataset.clickhouse_->tables.find(std::string(table));
    if (found == dataset.clickhouse_->tables.end()) continue;
    state.present = true;
    state.origin = fmt::format("{} at {}", found->second.relation, where);
    for (const auto& [column, type] : found->second.columns) {
      if (ContractColumn(table, column) != nullptr) {
        state.raw_expressions[column] = SqlIdentifier(column);
      } else {
        state.extra_columns.push_back(column);
      }
    }
  }
  const TableState& orders = dataset.tables_.at("orders");
  if (!orders.present) {
    throw InvalidInput("{}: the database has no orders table (cxagent load --into makes one)",
                       where);
  }
  std::vector<std::string> missing;
  for (const char* required : {"order_id", "status"}) {
    if (!orders.raw_expressions.contains(required)) missing.emplace_back(required);
  }
  if (!orders.raw_expressions.contains("created_at") &&
      !orders.raw_expressions.contains("order_date")) {
    missing.emplace_back("created_at or order_date");
  }
  if (!missing.empty()) {
    throw InvalidInput("{}: the orders table has no column {}", orders.origin,
                       fmt::join(missing, ", "));
  }
  // The contract's dimensions the orders have (already in canonical order).
  for (std::string_view dimension : DIMENSIONS) {
    if (orders.raw_expressions.contains(dimension)) dataset.dimensions_.emplace_back(dimension);
  }
  std::sort(dataset.dimensions_.begin(), dataset.dimensions_.end());
  dataset.naming_order_ = ContractNamingOrder(dataset.dimensions_);
  if (dataset.dimensions_.empty()) {
    throw InvalidInput("{}: the orders table has no slicing dimension (one of {})", orders.origin,
                       fmt::join(DIMENSIONS, ", "));
  }
  return dataset;
}

Dataset Dataset::Open(Connection& connection, const DatasetOptions& options) {
  if (IsClickHouseUrl(options.folder)) return OpenClickHouse(options);
  std::error_code error;
  if (!fs::is_directory(options.folder, error)) {
    throw NotFound("data folder not found: {}", options.folder);
  }
  Dataset dataset;
  dataset.folder_ = options.folder;
  dataset.file_ = options.dataset_file;
  std::optional<DatasetFile> file;
  if (!options.dataset_file.empty()) {
    file = ReadDatasetFile(options.dataset_file);
    // Relative paths inside a table's SQL resolve against the dataset file's folder.
    connection.Execute("SET file_search_path = " + SqlLiteral(file->base_folder));
  }
  for (std::string_view table : TABLE_NAMES) {
    TableState& state = dataset.tables_[std::string(table)];
    const TableMapping* mapping = nullptr;
    std::string source;
    if (file) {
      for (const auto& candidate : file->tables) {
        if (candidate.table == table) mapping = &candidate;
      }
      if (mapping != nullptr) {
        source = MappedSourceSql(*mapping, file->path);
        state.origin = mapping->sql.empty() ? mapping->source : "SQL in " + file->path;
        state.recode = mapping->recode;
      }
    } else if (auto found = FindTableSource(options.folder, table)) {
      source = *found;
      state.origin = FindTableFile(options.folder, table).value_or(std::string(table));
    }
    if (source.empty() && table == "orders") {
      if (file) throw InvalidInput("{}: tables: must map the orders table", file->path);
      RequireTableSource(options.folder, table);  // throws naming the files it looked for
    }
    if (source.empty()) {
      // Absent: an empty relation of the contract's columns, so that queries keep their shape.
      std::vector<std::string> nulls;
      for (const auto& column : RequiredColumns(table)) nulls.push_back(NullColumn(column));
      connection.Execute(fmt::format("CREATE OR REPLACE TEMP VIEW {} AS SELECT {} LIMIT 0",
                                     ViewName(table), fmt::join(nulls, ", ")));
      continue;
    }
    state.present = true;
    state.raw_relation = RawViewName(table);
    Table schema;
    try {
      connection.Execute(fmt::format("CREATE OR REPLACE TEMP VIEW {} AS SELECT * FROM {}",
                                     state.raw_relation, source));
      schema = connection.Query("DESCRIBE SELECT * FROM " + state.raw_relation);
    } catch (const Error& failure) {
      throw InvalidInput("cannot read the {} table from {}: {}", table, state.origin,
                         failure.what());
    }
    std::set<std::string, std::less<>> source_columns;
    std::vector<std::string> source_order;
    for (size_t i = 0; i < schema.RowCount(); ++i) {
      source_columns.emplace(schema.Get("column_name").StringAt(i));
      source_order.emplace_back(schema.Get("column_name").StringAt(i));
    }
    // Each contract column the source has, converted (a dataset file) or as it is (a folder).
    std::vector<std::string> inner;  // the converted columns, over the raw view
    std::set<std::string> mapped_sources;
    for (const auto& column : RequiredColumns(table)) {
      const std::string contract(column.name);
      std::string name = contract;
      if (mapping != nullptr) {
        if (auto renamed = mapping->columns.find(contract); renamed != mapping->columns.end()) {
          if (!source_columns.contains(renamed->second)) {
            throw InvalidInput("{}: tables.{}.columns.{}: {} has no column '{}' (it has: {})",
                               file->path, table, contract, state.origin, renamed->second,
                               fmt::join(source_order, ", "));
          }
          name = renamed->second;
        }
      }
      if (!source_columns.contains(name)) {
        if (mapping != nullptr &&
            (mapping->recode.contains(contract) || mapping->time_formats.contains(contract))) {
          throw InvalidInput("{}: tables.{}: {} is recoded or formatted but {} has no such column",
                             file->path, table, contract, state.origin);
        }
        continue;
      }
      mapped_sources.insert(name);
      state.raw_expressions[contract] = SqlIdentifier(name);
      state.try_expressions[contract] = ConvertSql(mapping, column, name, /*strict=*/false);
      inner.push_back(mapping != nullptr
                          ? fmt::format("{} AS {}", ConvertSql(mapping, column, name, true),
                                        SqlIdentifier(contract))
                          : SqlIdentifier(name));
    }
    for (const auto& name : source_order) {
      if (!mapped_sources.contains(name) && ContractColumn(table, name) == nullptr) {
        state.extra_columns.push_back(name);
      }
    }
    if (table == "orders") {
      std::vector<std::string> missing;
      for (const char* required : {"order_id", "status"}) {
        if (!state.raw_expressions.contains(required)) missing.emplace_back(required);
      }
      if (!state.raw_expressions.contains("created_at") &&
          !state.raw_expressions.contains("order_date")) {
        missing.emplace_back("created_at or order_date");
      }
      if (!missing.empty()) {
        throw InvalidInput(
            "{}: the orders table has no column {}{}", state.origin, fmt::join(missing, ", "),
            file ? fmt::format(" (map yours under tables.orders.columns in {})", file->path) : "");
      }
    }
    // The contract columns the source lacks: derived when the other date column can stand for
    // it (the day of the order, or its midnight), else NULL of the contract's type.
    std::vector<std::string> outer;
    for (const auto& column : RequiredColumns(table)) {
      const std::string contract(column.name);
      if (state.raw_expressions.contains(contract)) {
        if (mapping != nullptr) outer.push_back(SqlIdentifier(contract));
      } else if (table == "orders" && contract == "order_date") {
        outer.push_back("CAST(created_at AS DATE) AS order_date");
      } else if (table == "orders" && contract == "created_at") {
        outer.push_back("CAST(order_date AS TIMESTAMP) AS created_at");
      } else {
        outer.push_back(NullColumn(column));
      }
    }
    std::string from;
    if (mapping != nullptr) {
      // Dimensions of the team's own, as text under their own names.
      if (table == "orders") {
        for (const auto& dimension : file->dimensions) {
          if (ContractColumn("orders", dimension) != nullptr) continue;
          if (!source_columns.contains(dimension)) {
            throw InvalidInput("{}: dimensions: {} has no column '{}' (it has: {})", file->path,
                               state.origin, dimension, fmt::join(source_order, ", "));
          }
          inner.push_back(fmt::format("CAST({0} AS VARCHAR) AS {0}", SqlIdentifier(dimension)));
          outer.push_back(SqlIdentifier(dimension));
        }
      }
      from = fmt::format("(SELECT {} FROM {})", fmt::join(inner, ", "), state.raw_relation);
    } else {
      // A contract-shaped folder keeps every column of its files, in their order.
      outer.insert(outer.begin(), "*");
      from = state.raw_relation;
    }
    const auto& select = outer;
    if (mapping == nullptr) state.view_select = fmt::format("{}", fmt::join(select, ", "));
    try {
      connection.Execute(fmt::format("CREATE OR REPLACE TEMP VIEW {} AS SELECT {} FROM {}",
                                     ViewName(table), fmt::join(select, ", "), from));
    } catch (const Error& failure) {
      throw InvalidInput("cannot map the {} table from {}: {}", table, state.origin,
                         failure.what());
    }
  }
  // Slicing dimensions: the dataset file's, else the contract's seven the orders have.
  const TableState& orders = dataset.tables_.at("orders");
  if (file && !file->dimensions.empty()) {
    for (const auto& dimension : file->dimensions) {
      if (ContractColumn("orders", dimension) != nullptr &&
          !orders.raw_expressions.contains(dimension)) {
        throw InvalidInput("{}: dimensions: the orders table has no column '{}'", file->path,
                           dimension);
      }
      dataset.dimensions_.push_back(dimension);
    }
    dataset.naming_order_ = dataset.dimensions_;
  } else {
    for (std::string_view dimension : DIMENSIONS) {
      if (orders.raw_expressions.contains(dimension)) dataset.dimensions_.emplace_back(dimension);
    }
  }
  std::sort(dataset.dimensions_.begin(), dataset.dimensions_.end());
  if (dataset.naming_order_.empty())
    dataset.naming_order_ = ContractNamingOrder(dataset.dimensions_);
  if (dataset.dimensions_.empty()) {
    throw InvalidInput("{}: the orders table has no slicing dimension (one of {}{})", orders.origin,
                       fmt::join(DIMENSIONS, ", "),
                       file ? ", or a column listed under dimensions" : "");
  }
  return dataset;
}

std::string DataFingerprint(const DatasetOptions& options) {
  std::vector<std::string> entries;
  std::error_code error;
  const auto add_file = [&](const fs::path& path) {
    std::error_code file_error;
    if (!fs::is_regular_file(path, file_error)) return;
    const auto size = fs::file_size(path, file_error);
    const auto time = fs::last_write_time(path, file_error);
    if (file_error) return;  // removed meanwhile: its absence is the change
    entries.push_back(
        fmt::format("{}|{}|{}", path.string(), size, time.time_since_epoch().count()));
  };
  const auto add_folder = [&](const fs::path& folder, bool recursive) {
    if (!fs::is_directory(folder, error)) return;
    if (!recursive) {
      for (const auto& entry : fs::directory_iterator(folder, error)) add_file(entry.path());
      return;
    }
    for (auto it = fs::recursive_directory_iterator(folder, error);
         it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (error) break;
      if (it->path().filename() == ".cxagent") {
        it.disable_recursion_pending();
        continue;
      }
      add_file(it->path());
    }
  };
  if (options.dataset_file.empty()) {
    add_folder(options.folder, true);
  } else {
    const DatasetFile file = ReadDatasetFile(options.dataset_file);
    add_folder(file.base_folder, false);
    for (const auto& table : file.tables) {
      if (table.source.empty()) continue;
      const fs::path source(table.source);
      if (fs::is_directory(source, error)) {
        add_folder(source, true);
      } else if (table.source.find_first_of("*?[") != std::string::npos) {
        add_folder(source.parent_path(), true);
      } else {
        add_file(source);
      }
    }
  }
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return fmt::format("{}", fmt::join(entries, "\n"));
}

bool Dataset::HasTable(std::string_view table) const {
  const auto found = tables_.find(table);
  return found != tables_.end() && found->second.present;
}

bool Dataset::HasColumn(std::string_view table, std::string_view column) const {
  const auto found = tables_.find(table);
  if (found == tables_.end() || !found->second.present) return false;
  if (found->second.raw_expressions.contains(column)) return true;
  if (table == "orders" && (column == "order_date" || column == "created_at")) {
    // Derived from the other; order_date always stands, created_at only with its time of day.
    return column == "order_date";
  }
  return table == "orders" &&
         std::find(dimensions_.begin(), dimensions_.end(), column) != dimensions_.end();
}

std::string Dataset::Origin(std::string_view table) const {
  const auto found = tables_.find(table);
  return found == tables_.end() ? std::string() : found->second.origin;
}

std::string Dataset::RawRelation(std::string_view table) const {
  const auto found = tables_.find(table);
  return found == tables_.end() ? std::string() : found->second.raw_relation;
}

std::optional<std::string> Dataset::RawExpression(std::string_view table,
                                                  std::string_view column) const {
  const auto found = tables_.find(table);
  if (found == tables_.end()) return std::nullopt;
  const auto expression = found->second.raw_expressions.find(column);
  if (expression == found->second.raw_expressions.end()) return std::nullopt;
  return expression->second;
}

std::optional<std::string> Dataset::TryExpression(std::string_view table,
                                                  std::string_view column) const {
  const auto found = tables_.find(table);
  if (found == tables_.end()) return std::nullopt;
  const auto expression = found->second.try_expressions.find(column);
  if (expression == found->second.try_expressions.end()) return std::nullopt;
  return expression->second;
}

const std::string& Dataset::ViewSelect(std::string_view table) const {
  static const std::string none;
  const auto found = tables_.find(table);
  return found == tables_.end() ? none : found->second.view_select;
}

const std::map<std::string, std::string>& Dataset::Recode(std::string_view table,
                                                          std::string_view column) const {
  static const std::map<std::string, std::string> none;
  const auto found = tables_.find(table);
  if (found == tables_.end()) return none;
  const auto recode = found->second.recode.find(std::string(column));
  return recode == found->second.recode.end() ? none : recode->second;
}

}  // namespace cxagent::storage
