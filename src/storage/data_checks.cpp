#include "storage/data_checks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "common/date.hpp"
#include "common/error.hpp"
#include "common/slice.hpp"
#include "storage/clickhouse_client.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

// A table without rows: blocking for orders (nothing to analyse), a warning for the others (what
// they support is computed over nothing). The same finding from both engines' checkers.
DataFinding EmptyTableFinding(const std::string& table, const std::string& origin) {
  const bool orders = table == "orders";
  return {orders ? Severity::BLOCKING : Severity::WARNING,
          "empty_table",
          table,
          "",
          origin,
          orders
              ? "the orders table has no rows"
              : fmt::format("the {} table has no rows; what it supports is computed over nothing",
                            table),
          0,
          {}};
}

// The change_log's scopes grouped (scope, rows n, first change_id id): one warning counting the
// rows whose scope the analysis cannot use, with the first by change_id. The same finding from
// both engines' checkers.
std::optional<DataFinding> ScopeFinding(const Table& scopes,
                                        const std::vector<std::string>& dimensions,
                                        const std::string& origin) {
  std::optional<DataFinding> finding;
  std::string first_id;
  const auto& scope = scopes.Get("scope");
  const auto& ids = scopes.Get("id");
  const auto& rows = scopes.Get("n");
  for (size_t row = 0; row < scopes.RowCount(); ++row) {
    const std::string text = scope.IsNull(row) ? std::string() : std::string(scope.StringAt(row));
    const std::string problem = ChangeScopeProblem(text, dimensions);
    if (problem.empty()) continue;
    const std::string id = ids.IsNull(row) ? std::string() : std::string(ids.StringAt(row));
    if (!finding) {
      finding = DataFinding{
          Severity::WARNING, "scope_not_a_slice", "change_log", "scope", origin, "", 0, {}};
    }
    finding->count += rows.ints[row];
    if (finding->message.empty() || id < first_id) {
      first_id = id;
      finding->message = fmt::format(
          "scope is not a slice of the data's dimensions ({}); change-led detection and root "
          "causes leave the change out",
          problem);
      finding->example = {"change_id=" + id, text};
    }
  }
  return finding;
}

// ---------------------------------------------------------------------------------------------
// What the contract allows (domain.md §2).

// How a value outside a column's domain matters: a value the analysis computes with is always
// blocking; a slicing dimension's only in a contract-shaped folder (a dataset file may slice by
// values of the team's own); a descriptive one only warns. Any column whose recode is declared
// blocks: a value the recode leaves outside the contract's values is a code the file forgot.
enum class Role { COMPUTED, DIMENSION, DESCRIPTIVE };

struct DomainRule {
  std::string_view table;
  std::string_view column;
  Role role;
  std::vector<std::string_view> values;
};

const std::vector<DomainRule>& DomainRules() {
  static const std::vector<DomainRule> rules = {
      {"orders",
       "store_type",
       Role::DIMENSION,
       {"restaurant", "grocery", "convenience", "pharmacy", "alcohol"}},
      {"orders", "customer_segment", Role::DIMENSION, {"new", "returning", "member"}},
      {"orders", "platform", Role::DIMENSION, {"ios", "android", "web"}},
      {"orders",
       "daypart",
       Role::DIMENSION,
       {"breakfast", "lunch", "afternoon", "dinner", "late_night"}},
      {"orders", "fulfillment_mode", Role::DIMENSION, {"merchant_pick", "dasher_shop"}},
      {"orders", "status", Role::COMPUTED, {"delivered", "cancelled"}},
      {"orders",
       "cancel_reason",
       Role::COMPUTED,
       {"customer", "no_dasher", "store_closed", "app_error"}},
      {"deliveries", "vehicle", Role::DESCRIPTIVE, {"car", "bike", "scooter"}},
      {"deliveries", "weather", Role::DESCRIPTIVE, {"clear", "rain", "snow"}},
      {"items",
       "category",
       Role::DESCRIPTIVE,
       {"produce", "dairy", "meat", "frozen", "pantry", "household", "prepared"}},
      {"items", "status", Role::COMPUTED, {"found", "substituted", "missing"}},
      {"inventory",
       "category",
       Role::DESCRIPTIVE,
       {"produce", "dairy", "meat", "frozen", "pantry", "household", "prepared"}},
      {"support",
       "reason",
       Role::DESCRIPTIVE,
       {"late", "missing_item", "wrong_item", "bad_substitution", "damaged", "never_arrived",
        "app_issue", "other"}},
      {"supply_hourly", "weather", Role::DESCRIPTIVE, {"clear", "rain", "snow"}},
      {"change_log",
       "kind",
       Role::DESCRIPTIVE,
       {"dispatch_policy", "eta_model", "substitution_model", "app_release", "delivery_radius",
        "pricing", "merchant_onboarding", "other"}},
  };
  return rules;
}

// A plausible range of a numeric column; outside it the value is implausible.
struct RangeRule {
  std::string_view table;
  std::string_view column;
  std::optional<double> min;
  std::optional<double> max;
  Severity severity;
};

const std::vector<RangeRule>& RangeRules() {
  constexpr auto W = Severity::WARNING;
  static const std::vector<RangeRule> rules = {
      {"orders", "n_items", 0, std::nullopt, W},
      {"orders", "subtotal", 0, std::nullopt, W},
      {"orders", "distance_km", 0, std::nullopt, W},
      {"orders", "quoted_eta_min", 0, std::nullopt, W},
      {"deliveries", "batch_size", 1, std::nullopt, W},
      {"deliveries", "assign_delay_min", 0, std::nullopt, W},
      {"deliveries", "prep_wait_min", 0, std::nullopt, W},
      {"deliveries", "shop_min", 0, std::nullopt, W},
      {"deliveries", "travel_min", 0, std::nullopt, W},
      {"deliveries", "actual_eta_min", 0, std::nullopt, W},
      {"items", "quantity", 0, std::nullopt, W},
      {"items", "unit_price", 0, std::nullopt, W},
      {"items", "refund_amount", 0, std::nullopt, W},
      {"inventory", "listed_in_stock_rate", 0, 1, W},
      {"inventory", "actual_in_stock_rate", 0, 1, W},
      {"inventory", "feed_lag_hours", 0, std::nullopt, W},
      {"support", "refund_amount", 0, std::nullopt, W},
      // The CX Score's rating penalties are defined on 1-5 only.
      {"ratings", "rating", 1, 5, Severity::BLOCKING},
      {"supply_hourly", "active_dashers", 0, std::nullopt, W},
      {"supply_hourly", "orders_created", 0, std::nullopt, W},
      {"supply_hourly", "busy_ratio", 0, std::nullopt, W},
  };
  return rules;
}

// The columns that name a row in examples, and the key that must be unique.
std::vector<std::string_view> KeyColumns(std::string_view table) {
  if (table == "items") return {"order_id", "line_no"};
  if (table == "inventory") return {"date", "store_id", "category"};
  if (table == "support") return {"ticket_id"};
  if (table == "supply_hourly") return {"region", "hour"};
  if (table == "change_log") return {"change_id"};
  return {"order_id"};
}

// The unique key of a table and whether a duplicate blocks: a duplicated order is counted twice,
// and so is an order with two deliveries (they are joined row by row); duplicated item lines and
// tickets only inflate their own counts.
struct UniqueKey {
  std::vector<std::string_view> columns;
  Severity severity;
};

std::optional<UniqueKey> UniqueKeyOf(std::string_view table) {
  if (table == "orders" || table == "deliveries") {
    return UniqueKey{{"order_id"}, Severity::BLOCKING};
  }
  if (table == "items") return UniqueKey{{"order_id", "line_no"}, Severity::WARNING};
  if (table == "support") return UniqueKey{{"ticket_id"}, Severity::WARNING};
  return std::nullopt;
}

// The date or time column whose dates a table covers (orders: see OrdersDate).
std::string_view CoverageColumn(std::string_view table) {
  if (table == "deliveries") return "delivered_at";
  if (table == "inventory") return "date";
  if (table == "support") return "created_at";
  if (table == "ratings") return "rated_at";
  if (table == "supply_hourly") return "hour";
  if (table == "change_log") return "changed_at";
  return "";
}

// Dates outside [2000-01-01, 2099-12-31] are never plausible; within them a date is far outside
// the data's range when it lies more than max(366 days, 3 interquartile ranges) before the first
// quartile or after the third quartile of the order dates. Quartiles, so that a few outliers do
// not move the range even in a small table; the margin grows with the spread, so that years of
// data are not cut at their ends.
constexpr std::string_view EARLIEST_DATE = "2000-01-01";
constexpr std::string_view LATEST_DATE = "2099-12-31";
constexpr int64_t FAR_DAYS = 366;
constexpr int64_t FAR_SPREADS = 3;

// Values shown in messages stay short.
std::string Clip(std::string_view text) {
  return OneLine(text, 120);
}

std::string Quoted(std::string_view name) {
  return SqlIdentifier(name);
}
std::string RawAlias(std::string_view column) {
  return Quoted(fmt::format("r_{}", column));
}
std::string TryAlias(std::string_view column) {
  return Quoted(fmt::format("t_{}", column));
}

// The column name in a quoted identifier (Dataset::RawExpression), as the source has it.
std::string SourceName(const std::string& expression) {
  if (expression.size() < 2 || expression.front() != '"' || expression.back() != '"') {
    return expression;
  }
  std::string name;
  for (size_t i = 1; i + 1 < expression.size(); ++i) {
    name += expression[i];
    if (expression[i] == '"' && expression[i + 1] == '"') ++i;
  }
  return name;
}

const RequiredColumn* ContractColumn(std::string_view table, std::string_view name) {
  for (const auto& column : RequiredColumns(table)) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

bool IsDateType(ColumnType type) {
  return type == ColumnType::DATE || type == ColumnType::TIMESTAMP;
}

// One condition counted in a table's scan, and the finding it makes when it holds for any row.
struct Probe {
  std::string column;
  std::string condition;  // over the table's projection (RawAlias/TryAlias columns)
  std::string value;      // the projection column shown as the example's value
  Severity severity;
  std::string kind;
  std::string message;
};

// The scan of one table: the source as read, each contract column raw and converted.
class TableScan {
 public:
  TableScan(Connection& connection, const Dataset& dataset, std::string_view table)
      : connection_(connection), table_(table), relation_(dataset.RawRelation(table)) {
    for (const auto& column : RequiredColumns(table)) {
      const auto raw = dataset.RawExpression(table, column.name);
      const auto converted = dataset.TryExpression(table, column.name);
      if (!raw || !converted) continue;
      present_.emplace(column.name);
      sources_.emplace(column.name, SourceName(*raw));
      select_.push_back(fmt::format("{} AS {}", *raw, RawAlias(column.name)));
      select_.push_back(fmt::format("{} AS {}", *converted, TryAlias(column.name)));
    }
  }

  bool Has(std::string_view column) const { return present_.contains(std::string(column)); }

  // The source's name of a present contract column, as examples name rows.
  std::string Source(std::string_view column) const {
    const auto found = sources_.find(std::string(column));
    return found == sources_.end() ? std::string(column) : found->second;
  }

  // Adds a column to the projection (a dimension of the team's own, the orders' date).
  void Add(const std::string& expression, const std::string& alias) {
    select_.push_back(fmt::format("{} AS {}", expression, alias));
  }

  // Reads `relation` (some of the table's rows, with its columns) instead of the whole table.
  void Restrict(std::string relation) { relation_ = std::move(relation); }

  // The projection every query of the table reads.
  std::string From() const {
    return fmt::format("(SELECT {} FROM {}) AS s", fmt::join(select_, ", "), relation_);
  }

  // The example row where `condition` holds: the first by key.
  DataExample Example(const std::string& condition, const std::string& value) const {
    std::vector<std::string> parts;
    std::vector<std::string> order;
    for (std::string_view key : KeyColumns(table_)) {
      if (!Has(key)) continue;
      parts.push_back(fmt::format("{} || coalesce(CAST({} AS VARCHAR), 'NULL')",
                                  SqlLiteral(Source(key) + "="), RawAlias(key)));
      order.push_back(TryAlias(key) + " NULLS LAST");
    }
    for (std::string_view key : KeyColumns(table_)) {
      if (Has(key)) order.push_back(RawAlias(key));
    }
    const std::string key =
        parts.empty() ? "''" : fmt::format("concat_ws(', ', {})", fmt::join(parts, ", "));
    const Table row = connection_.Query(fmt::format(
        "SELECT {} AS k, coalesce(CAST({} AS VARCHAR), 'NULL') AS v FROM {} WHERE {}{} LIMIT 1",
        key, value, From(), condition,
        order.empty() ? "" : fmt::format(" ORDER BY {}", fmt::join(order, ", "))));
    if (row.RowCount() == 0) return {};
    return {Clip(row.Get("k").StringAt(0)), Clip(row.Get("v").StringAt(0))};
  }

 private:
  Connection& connection_;
  std::string table_;
  std::string relation_;
  std::set<std::string> present_;
  std::map<std::string, std::string> sources_;
  std::vector<std::string> select_;
};

std::string ValueList(const std::vector<std::string_view>& values) {
  std::vector<std::string> literals;
  for (std::string_view value : values) literals.push_back(SqlLiteral(value));
  return fmt::format("{}", fmt::join(literals, ", "));
}

std::string Number(double value) {
  return fmt::format("{}", value);
}

int64_t IntAt(const Table& table, const std::string& column) {
  const Column& found = table.Get(column);
  return found.IsNull(0) ? 0 : found.ints.at(0);
}

std::string TextAt(const Table& table, const std::string& column) {
  const Column& found = table.Get(column);
  return found.IsNull(0) ? std::string() : std::string(found.StringAt(0));
}

// Whether an id repeats in `ids` (an integer column without NULLs). Ids are mostly dense (a
// counter), so each marks its bit in a bitset spanning the ids' range: one pass, a bit per
// possible id and no sort or hash table (about a tenth of the time of DuckDB's sort of the keys,
// which the analysis paid before every run). Sparse ids are sorted instead.
bool IdRepeats(const Column& ids) {
  const std::vector<int64_t>& values = ids.ints;
  if (values.size() < 2) return false;
  const auto [low, high] = std::minmax_element(values.begin(), values.end());
  const uint64_t span = static_cast<uint64_t>(*high) - static_cast<uint64_t>(*low);
  constexpr uint64_t BITS_PER_ID = 64;  // at most 8 bytes of bitset per id
  if (span / BITS_PER_ID < values.size()) {
    std::vector<uint64_t> seen(span / 64 + 1, 0);
    for (const int64_t value : values) {
      const uint64_t offset = static_cast<uint64_t>(value) - static_cast<uint64_t>(*low);
      const uint64_t bit = uint64_t{1} << (offset % 64);
      uint64_t& word = seen[offset / 64];
      if ((word & bit) != 0) return true;
      word |= bit;
    }
    return false;
  }
  std::vector<int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

// ---------------------------------------------------------------------------------------------
// The checks.

class Checker {
 public:
  Checker(Connection& connection, const Dataset& dataset, const DataCheckOptions& options)
      : connection_(connection), dataset_(dataset), options_(options) {}

  DataCheckReport Run() {
    report_.folder = dataset_.Folder();
    report_.dataset_file = dataset_.File();
    report_.dimensions = dataset_.Dimensions();
    report_.date_lower = std::string(EARLIEST_DATE);
    report_.date_upper = std::string(LATEST_DATE);
    for (std::string_view table : TABLE_NAMES) {
      TableCheck check;
      check.table = std::string(table);
      check.present = dataset_.HasTable(table);
      check.origin = dataset_.Origin(table);
      if (check.present) {
        try {
          CheckTable(check);
          readable_.insert(check.table);
        } catch (const Error& failure) {
          if (failure.Type() == ErrorType::INTERNAL) throw;
          Add({Severity::BLOCKING,
               "unreadable",
               check.table,
               "",
               check.origin,
               fmt::format("cannot be read: {}", failure.what()),
               0,
               {}});
        }
      }
      report_.tables.push_back(std::move(check));
    }
    if (!options_.blocking_only && readable_.contains("orders")) {
      for (std::string_view table : {"deliveries", "items", "support", "ratings"}) {
        if (readable_.contains(std::string(table))) CheckOrphans(table);
      }
    }
    if (!options_.blocking_only && readable_.contains("change_log")) {
      const Table scopes = connection_.Query(
          "SELECT scope::VARCHAR AS scope, count(*)::BIGINT AS n, min(change_id::VARCHAR) AS id "
          "FROM change_log GROUP BY ALL");
      if (auto finding = ScopeFinding(scopes, dataset_.Dimensions(), dataset_.Origin("change_log")))
        Add(std::move(*finding));
    }
    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const DataFinding& a, const DataFinding& b) {
                       return a.severity == Severity::BLOCKING && b.severity != Severity::BLOCKING;
                     });
    return std::move(report_);
  }

 private:
  void Add(DataFinding finding) { report_.findings.push_back(std::move(finding)); }

  bool FromFolder() const { return dataset_.File().empty(); }

  // The source types of a table, from the raw relation.
  std::map<std::string, std::string> SourceTypes(std::string_view table) {
    const Table schema = connection_.Query("DESCRIBE SELECT * FROM " + dataset_.RawRelation(table));
    std::map<std::string, std::string> types;
    for (size_t i = 0; i < schema.RowCount(); ++i) {
      types.emplace(schema.Get("column_name").StringAt(i), schema.Get("column_type").StringAt(i));
    }
    return types;
  }

  std::string FarCondition(const std::string& value) const {
    return fmt::format(
        "{0} IS NOT NULL AND (NOT isfinite({0}) OR CAST({0} AS DATE) < DATE '{1}' OR "
        "CAST({0} AS DATE) > DATE '{2}')",
        value, report_.date_lower, report_.date_upper);
  }

  std::string FarMessage() const {
    return fmt::format("date far outside the data's range (plausible: {} to {})",
                       report_.date_lower, report_.date_upper);
  }

  // The range of plausible dates (report_.date_lower to date_upper) from the first and third
  // quartiles of the order days (days since 1970-01-01), when there are any.
  void PlausibleDates(const std::optional<std::pair<int64_t, int64_t>>& quartiles) {
    Date lower = ParseDate(EARLIEST_DATE);
    Date upper = ParseDate(LATEST_DATE);
    if (quartiles) {
      const auto [q1, q3] = *quartiles;
      const int64_t margin = std::max<int64_t>(FAR_DAYS, FAR_SPREADS * (q3 - q1));
      lower.days = static_cast<int32_t>(std::max<int64_t>(lower.days, q1 - margin));
      upper.days = static_cast<int32_t>(std::min<int64_t>(upper.days, q3 + margin));
    }
    if (upper.days < lower.days) upper = lower;  // every date is before 2000 or after 2099
    report_.date_lower = FormatDate(lower);
    report_.date_upper = FormatDate(upper);
  }

  // Cover's figures of the orders from their rows per day (CheckScope::order_days) rather than a
  // query: the same first and last day, span, days without rows and quartiles (the first day
  // whose running count reaches a quarter, three quarters, of all).
  void CoverFromDays(TableCheck& check, const std::map<Date, int64_t>& days) {
    if (days.empty()) {
      PlausibleDates(std::nullopt);
      return;
    }
    const Date first = days.begin()->first;
    const Date last = days.rbegin()->first;
    check.coverage.first = FormatDate(first);
    check.coverage.last = FormatDate(last);
    check.coverage.days = static_cast<int64_t>(last.days) - first.days + 1;
    check.coverage.days_without_rows = check.coverage.days - static_cast<int64_t>(days.size());
    int64_t total = 0;
    for (const auto& entry : days) total += entry.second;
    std::optional<int64_t> q1;
    std::optional<int64_t> q3;
    int64_t running = 0;
    for (const auto& [day, rows] : days) {
      running += rows;
      if (!q1 && 4 * running >= total) q1 = day.days;
      if (!q3 && 4 * running >= 3 * total) q3 = day.days;
    }
    PlausibleDates(std::make_pair(*q1, *q3));
  }

  // The new parts of `table` when it is checked by parts (DataCheckOptions::scope), else nullptr.
  const std::vector<RowRange>* Parts(std::string_view table) const {
    if (options_.scope == nullptr || !options_.blocking_only || !FromFolder()) return nullptr;
    if (whole_.contains(table)) return nullptr;
    const auto found = options_.scope->changed.find(table);
    return found == options_.scope->changed.end() ? nullptr : &found->second;
  }

  // The dates a table covers, from its rows per day (one row per distinct day, so memory stays
  // with the calendar, not the table); for the orders also the quartiles that bound plausible
  // dates.
  void Cover(TableCheck& check, const TableScan& scan, const std::string& day,
             const std::string& column) {
    check.has_coverage = true;
    check.coverage.column = column;
    if (check.table == "orders" && Parts("orders") != nullptr) {
      CoverFromDays(check, options_.scope->order_days);
      return;
    }
    const Table days = connection_.Query(fmt::format(
        "WITH d AS (SELECT {0} AS day, count(*) AS n FROM {1} WHERE isfinite({0}) GROUP BY 1), "
        "c AS (SELECT day, sum(n) OVER (ORDER BY day) AS cum, sum(n) OVER () AS total FROM d) "
        "SELECT CAST(min(day) AS VARCHAR) AS first_day, CAST(max(day) AS VARCHAR) AS last_day, "
        "CAST(coalesce(date_diff('day', min(day), max(day)) + 1, 0) AS BIGINT) AS span_days, "
        "CAST(count(*) AS BIGINT) AS distinct_days, CAST(date_diff('day', DATE '1970-01-01', "
        "min(day) FILTER (WHERE cum >= 0.25 * total)) AS BIGINT) AS q1, CAST(date_diff('day', "
        "DATE '1970-01-01', min(day) FILTER (WHERE cum >= 0.75 * total)) AS BIGINT) AS q3 FROM c",
        day, scan.From()));
    check.coverage.first = TextAt(days, "first_day");
    check.coverage.last = TextAt(days, "last_day");
    check.coverage.days = IntAt(days, "span_days");
    check.coverage.days_without_rows = check.coverage.days - IntAt(days, "distinct_days");
    if (check.table == "orders") {
      std::optional<std::pair<int64_t, int64_t>> quartiles;
      if (!days.Get("q1").IsNull(0))
        quartiles.emplace(days.Get("q1").ints[0], days.Get("q3").ints[0]);
      PlausibleDates(quartiles);
    }
    if (check.coverage.days_without_rows == 0 || options_.blocking_only) return;
    const Table gaps = connection_.Query(fmt::format(
        "SELECT CAST(d + 1 AS VARCHAR) AS gap_from, CAST(next - 1 AS VARCHAR) AS gap_to FROM "
        "(SELECT d, lead(d) OVER (ORDER BY d) AS next FROM (SELECT DISTINCT {0} AS d FROM {1} "
        "WHERE isfinite({0}))) WHERE date_diff('day', d, next) > 1 ORDER BY d LIMIT 5",
        day, scan.From()));
    for (size_t i = 0; i < gaps.RowCount(); ++i) {
      check.coverage.gaps.emplace_back(gaps.Get("gap_from").StringAt(i),
                                       gaps.Get("gap_to").StringAt(i));
    }
    if (check.table == "orders") {
      Add({Severity::WARNING, "days_without_orders", check.table, column, check.origin,
           fmt::format("{} of the {} days from {} to {} have no orders",
                       check.coverage.days_without_rows, check.coverage.days, check.coverage.first,
                       check.coverage.last),
           check.coverage.days_without_rows,
           check.coverage.gaps.empty()
               ? DataExample{}
               : DataExample{"first day without orders", check.coverage.gaps[0].first}});
    }
  }

  void CheckTable(TableCheck& check) {
    const std::string& table = check.table;
    const bool full = !options_.blocking_only;
    TableScan scan(connection_, dataset_, table);
    const auto types = SourceTypes(table);
    // Rows are read by file name and row number, which a column of the files so named would hide.
    if (types.contains("filename") || types.contains("file_row_number")) whole_.insert(table);
    // The orders' date as the analysis sees it: order_date, or the day of created_at. Its
    // coverage comes first: it bounds the plausible dates of every table.
    std::string date_column;
    if (table == "orders") {
      date_column = scan.Has("order_date") ? "order_date" : "created_at";
      const std::string converted = *dataset_.TryExpression("orders", date_column);
      scan.Add(date_column == "order_date" ? converted : fmt::format("CAST({} AS DATE)", converted),
               "order_day");
      Cover(check, scan, "order_day", date_column);
      for (const auto& dimension : dataset_.Dimensions()) {
        if (ContractColumn("orders", dimension) != nullptr) continue;
        scan.Add(Quoted(dimension), RawAlias(dimension));
        ColumnCheck out;
        out.column = dimension;
        out.contract = false;
        out.present = true;
        out.source = dimension;
        if (const auto type = types.find(dimension); type != types.end()) {
          out.source_type = type->second;
        }
        check.columns.push_back(std::move(out));
      }
    } else if (const std::string_view column = CoverageColumn(table);
               full && !column.empty() && scan.Has(column)) {
      Cover(check, scan, fmt::format("CAST({} AS DATE)", TryAlias(column)), std::string(column));
    }
    // Checked by parts: its new rows, and those of unchanged orders whose days now lie outside
    // the plausible dates (they move with the data).
    const std::vector<RowRange>* parts = Parts(table);
    std::vector<RowRange> read;
    std::set<size_t> reread;  // CheckScope::checked read again
    if (parts != nullptr) {
      read = *parts;
      const Date lower = ParseDate(report_.date_lower);
      const Date upper = ParseDate(report_.date_upper);
      for (size_t i = 0; i < options_.scope->checked.size() && table == "orders"; ++i) {
        const CheckedPart& part = options_.scope->checked[i];
        if (part.table != table || (part.first_day && part.last_day && lower <= *part.first_day &&
                                    *part.last_day <= upper)) {
          continue;
        }
        read.push_back(part.rows);
        reread.insert(i);
      }
      scan.Restrict(RowRangesRelation(dataset_.Folder(), table, read));
    }

    // One scan counts everything else. A column whose source type is the contract's cannot fail
    // to convert, so it is not counted; NULLs are counted for the report only.
    std::vector<Probe> probes;
    std::vector<std::string> aggregates = {"CAST(count(*) AS BIGINT) AS n"};
    std::vector<ColumnCheck> columns;
    for (const auto& column : RequiredColumns(table)) {
      const std::string name(column.name);
      ColumnCheck out;
      out.column = name;
      out.present = scan.Has(name);
      if (out.present) {
        out.source = SourceName(*dataset_.RawExpression(table, name));
        if (const auto type = types.find(out.source); type != types.end()) {
          out.source_type = type->second;
        }
        if (full) {
          aggregates.push_back(fmt::format("CAST(count(*) - count({}) AS BIGINT) AS {}",
                                           TryAlias(name), Quoted("nulls_" + name)));
        }
        if (out.source_type != SqlTypeName(column.type)) {
          aggregates.push_back(
              fmt::format("CAST(count_if({} IS NOT NULL AND {} IS NULL) AS "
                          "BIGINT) AS {}",
                          RawAlias(name), TryAlias(name), Quoted("bad_" + name)));
        }
        AddProbes(check, column, probes, date_column);
      }
      columns.push_back(std::move(out));
    }
    for (auto& own : check.columns) {
      if (full) {
        aggregates.push_back(fmt::format("CAST(count(*) - count({}) AS BIGINT) AS {}",
                                         RawAlias(own.column), Quoted("nulls_" + own.column)));
      }
      columns.push_back(std::move(own));
    }
    check.columns = std::move(columns);
    if (!full) {
      std::erase_if(probes, [](const Probe& p) { return p.severity != Severity::BLOCKING; });
    }
    for (size_t i = 0; i < probes.size(); ++i) {
      aggregates.push_back(
          fmt::format("CAST(count_if({}) AS BIGINT) AS p{}", probes[i].condition, i));
    }
    const auto key = UniqueKeyOf(table);
    const bool check_key = key && (full || key->severity == Severity::BLOCKING) &&
                           std::all_of(key->columns.begin(), key->columns.end(),
                                       [&](std::string_view c) { return scan.Has(c); });

    const Table totals = connection_.Query(
        fmt::format("SELECT {} FROM {}", fmt::join(aggregates, ", "), scan.From()));
    check.rows = IntAt(totals, "n");
    if (parts != nullptr) {
      // Every row's count, from the files' metadata.
      check.rows =
          IntAt(connection_.Query(fmt::format("SELECT CAST(count(*) AS BIGINT) AS n FROM {}",
                                              dataset_.RawRelation(table))),
                "n");
    }
    if (check.rows == 0) {
      Add(EmptyTableFinding(table, check.origin));
      return;
    }
    // Column counts; values that do not convert would fail the analysis's casts.
    for (auto& column : check.columns) {
      if (!column.present) continue;
      if (full) column.nulls = IntAt(totals, "nulls_" + column.column);
      if (!column.contract) continue;
      if (totals.Find("bad_" + column.column) != nullptr) {
        column.not_converted = IntAt(totals, "bad_" + column.column);
      }
      const RequiredColumn* contract = ContractColumn(table, column.column);
      const bool fits = !FromFolder() || column.source_type.empty() ||
                        TypeFits(column.source_type, contract->type);
      column.type_ok = fits && column.not_converted == 0;
      if (!fits) {
        Add({Severity::BLOCKING,
             "wrong_type",
             table,
             column.column,
             check.origin,
             fmt::format("is {}, expected {}", column.source_type, SqlTypeName(contract->type)),
             0,
             {}});
      }
      // A dataset file's view casts every column, so the analysis would fail on such a value;
      // a folder's view reads the column as the file has it (a wrong type is blocked above).
      if (column.not_converted > 0) {
        Finding(check, scan,
                {column.column,
                 fmt::format("{} IS NOT NULL AND {} IS NULL", RawAlias(column.column),
                             TryAlias(column.column)),
                 RawAlias(column.column), FromFolder() ? Severity::WARNING : Severity::BLOCKING,
                 "not_converted",
                 fmt::format("value does not convert to {}{}", SqlTypeName(contract->type),
                             FromFolder() ? " (read as the file has it)"
                                          : " (see its time_format or recode in the dataset "
                                            "file)")},
                column.not_converted);
      }
      if (full && column.nulls == check.rows && column.not_converted == 0 &&
          !(table == "orders" && column.column == date_column)) {
        Add({Severity::WARNING,
             "all_null",
             table,
             column.column,
             check.origin,
             "every value is NULL",
             column.nulls,
             {}});
      }
    }
    for (size_t i = 0; i < probes.size(); ++i) {
      const int64_t count = IntAt(totals, fmt::format("p{}", i));
      if (count > 0) Finding(check, scan, probes[i], count);
    }
    // The keys that repeat, grouped in a query of their own (parallel, and it names the first;
    // a DISTINCT count in the scan above was slower).
    if (check_key) CheckDuplicates(check, scan, *key, parts != nullptr ? &read : nullptr, reread);
  }

  // The probes of one present column: NULL where the analysis needs a value, values outside the
  // contract's domain or recode, implausible numbers and dates.
  void AddProbes(const TableCheck& check, const RequiredColumn& column, std::vector<Probe>& probes,
                 const std::string& date_column) {
    const std::string& table = check.table;
    const std::string name(column.name);
    const std::string raw = RawAlias(name);
    const std::string value = TryAlias(name);
    if (table == "orders" && (name == "order_id" || name == "status" || name == date_column)) {
      probes.push_back({name, raw + " IS NULL", raw, Severity::BLOCKING, "null",
                        name == date_column ? "NULL (every order needs a date)"
                                            : fmt::format("NULL (every order needs {})", name)});
    }
    const auto& recode = dataset_.Recode(table, name);
    bool has_domain = false;
    for (const auto& rule : DomainRules()) {
      if (rule.table != table || rule.column != name) continue;
      has_domain = true;
      Severity severity = Severity::WARNING;
      if (rule.role == Role::COMPUTED || !recode.empty() ||
          (rule.role == Role::DIMENSION && FromFolder())) {
        severity = Severity::BLOCKING;
      }
      std::string message = fmt::format("value not one of {}", fmt::join(rule.values, ", "));
      if (!recode.empty()) {
        message += fmt::format(" and not in tables.{}.recode.{} of the dataset file", table, name);
      } else if (severity == Severity::WARNING) {
        message +=
            rule.role == Role::DIMENSION ? " (sliced as a value of your own)" : " (kept as it is)";
      } else if (rule.role == Role::DIMENSION) {
        message += " (a dataset file can slice by values of your own)";
      }
      probes.push_back({name,
                        // list_contains runs on a dictionary-encoded column's dictionary; NOT
                        // IN compares every row (10x slower on Parquet strings).
                        fmt::format("{0} IS NOT NULL AND NOT list_contains([{1}], CAST({0} AS "
                                    "VARCHAR))",
                                    value, ValueList(rule.values)),
                        raw, severity, "outside_domain", message});
    }
    if (!recode.empty() && !has_domain) {
      std::vector<std::string_view> keys;
      for (const auto& [from, to] : recode) keys.push_back(from);
      probes.push_back({name,
                        fmt::format("{0} IS NOT NULL AND NOT list_contains([{1}], "
                                    "trim(CAST({0} AS VARCHAR)))",
                                    raw, ValueList(keys)),
                        raw, Severity::WARNING, "not_recoded",
                        fmt::format("value not in tables.{}.recode.{} of the dataset file (kept "
                                    "as it is)",
                                    table, name)});
    }
    if (column.type == ColumnType::DOUBLE) {
      probes.push_back({name, fmt::format("{0} IS NOT NULL AND NOT isfinite({0})", value), raw,
                        Severity::BLOCKING, "not_finite",
                        "value is not a finite number (NaN or infinity)"});
    }
    for (const auto& rule : RangeRules()) {
      if (rule.table != table || rule.column != name) continue;
      std::vector<std::string> outside;
      if (rule.min) outside.push_back(fmt::format("{} < {}", value, Number(*rule.min)));
      if (rule.max) outside.push_back(fmt::format("{} > {}", value, Number(*rule.max)));
      const std::string finite =
          column.type == ColumnType::DOUBLE ? fmt::format(" AND isfinite({})", value) : "";
      std::string message;
      if (rule.min && rule.max) {
        message = fmt::format("value outside {} to {}", Number(*rule.min), Number(*rule.max));
      } else if (*rule.min == 0) {
        message = "negative value";
      } else {
        message = fmt::format("value below {}", Number(*rule.min));
      }
      probes.push_back(
          {name,
           fmt::format("{} IS NOT NULL{} AND ({})", value, finite, fmt::join(outside, " OR ")), raw,
           rule.severity, "implausible", message});
    }
    if (IsDateType(column.type)) {
      // Far dates of the orders make the daily series span centuries; elsewhere they only fail
      // to match.
      const bool blocks = table == "orders" && name == date_column;
      probes.push_back({name, FarCondition(value), raw,
                        blocks ? Severity::BLOCKING : Severity::WARNING, "far_date", FarMessage()});
    }
  }

  // A finding from a probe that holds for `count` rows, with its example row.
  void Finding(const TableCheck& check, const TableScan& scan, const Probe& probe, int64_t count) {
    DataFinding finding{probe.severity, probe.kind,    check.table, probe.column,
                        check.origin,   probe.message, count,       {}};
    if (!options_.blocking_only || probe.severity == Severity::BLOCKING) {
      finding.example = scan.Example(probe.condition, probe.value);
    }
    Add(std::move(finding));
  }

  // Keys that repeat. Checked by parts (`read`, the parts `scan` reads, with the unchanged parts
  // `reread` among them): a key can only repeat with one of the new rows (the unchanged parts
  // passed together), so the rows read are those and the unchanged parts whose key range meets
  // theirs.
  void CheckDuplicates(const TableCheck& check, const TableScan& scan, const UniqueKey& key,
                       const std::vector<RowRange>* read, const std::set<size_t>& reread) {
    std::vector<std::string> columns;
    std::vector<std::string> formats;
    std::vector<std::string> not_null;
    for (std::string_view column : key.columns) {
      columns.push_back(TryAlias(column));
      formats.push_back(fmt::format("{} || CAST({} AS VARCHAR)",
                                    SqlLiteral(scan.Source(column) + "="), TryAlias(column)));
      not_null.push_back(TryAlias(column) + " IS NOT NULL");
    }
    const std::string list = fmt::format("{}", fmt::join(columns, ", "));
    const auto keys_of = [&](const TableScan& rows) {
      return connection_.Query(fmt::format("SELECT {0} AS k FROM {1} WHERE {2}", list, rows.From(),
                                           fmt::join(not_null, " AND ")));
    };
    TableScan wider = scan;
    std::optional<Table> ids;
    if (read != nullptr) {
      if (key.columns.size() != 1) throw InternalError("keys of several columns checked by parts");
      ids = keys_of(scan);
      const std::vector<int64_t>& values = ids->Get("k").ints;
      if (!values.empty()) {
        const auto [low, high] = std::minmax_element(values.begin(), values.end());
        std::vector<RowRange> rows = *read;
        for (size_t i = 0; i < options_.scope->checked.size(); ++i) {
          const CheckedPart& part = options_.scope->checked[i];
          if (part.table != check.table || reread.contains(i)) continue;
          if (part.min_key && part.max_key && (*part.max_key < *low || *high < *part.min_key)) {
            continue;
          }
          rows.push_back(part.rows);
        }
        if (rows.size() > read->size()) {
          wider.Restrict(RowRangesRelation(dataset_.Folder(), check.table, rows));
          ids = keys_of(wider);
        }
      }
    }
    // Whether a single-column key (an integer id) repeats is answered here, and the repeated
    // keys are grouped only when there are any. (Grouping a composite key is what remains.)
    if (key.columns.size() == 1) {
      if (!ids) ids = keys_of(scan);
      if (!IdRepeats(ids->Get("k"))) return;
    }
    const Table found = connection_.Query(fmt::format(
        "SELECT CAST(count(*) AS BIGINT) AS keys, CAST(coalesce(sum(n), 0) AS BIGINT) AS n_rows, "
        "arg_min(concat_ws(', ', {0}), ({1})) AS example, CAST(arg_min(n, ({1})) AS BIGINT) AS "
        "example_rows FROM (SELECT {1}, count(*) AS n FROM {2} WHERE {3} GROUP BY {1} HAVING "
        "count(*) > 1)",
        fmt::join(formats, ", "), list, wider.From(), fmt::join(not_null, " AND ")));
    const int64_t keys = IntAt(found, "keys");
    if (keys == 0) return;
    const std::string names = fmt::format("{}", fmt::join(key.columns, ", "));
    Add({key.severity,
         "duplicate_key",
         check.table,
         names,
         check.origin,
         fmt::format("{} key{} appear{} more than once ({} rows); {}", keys, keys == 1 ? "" : "s",
                     keys == 1 ? "s" : "", IntAt(found, "n_rows"),
                     key.severity == Severity::BLOCKING
                         ? "each would be counted once per row"
                         : "their lines or contacts are counted once per row"),
         keys,
         {TextAt(found, "example"), fmt::format("{} rows", IntAt(found, "example_rows"))}});
  }

  void CheckOrphans(std::string_view table) {
    TableScan scan(connection_, dataset_, table);
    TableScan orders(connection_, dataset_, "orders");
    if (!scan.Has("order_id")) return;
    const Table found = connection_.Query(fmt::format(
        "SELECT CAST(count(*) AS BIGINT) AS n, CAST(min(k) AS VARCHAR) AS example FROM (SELECT {0} "
        "AS k FROM {1}) x WHERE k IS NOT NULL AND NOT EXISTS (SELECT 1 FROM (SELECT {0} AS k FROM "
        "{2}) o WHERE o.k = x.k)",
        TryAlias("order_id"), scan.From(), orders.From()));
    const int64_t count = IntAt(found, "n");
    if (count == 0) return;
    Add({Severity::WARNING,
         "orphan",
         std::string(table),
         "order_id",
         dataset_.Origin(table),
         "order not in the orders table (the row is left out)",
         count,
         {scan.Source("order_id") + "=" + TextAt(found, "example"), TextAt(found, "example")}});
  }

  Connection& connection_;
  const Dataset& dataset_;
  const DataCheckOptions& options_;
  DataCheckReport report_;
  std::set<std::string> readable_;
  std::set<std::string, std::less<>> whole_;  // tables read whole even with a scope
};

std::string SeverityName(Severity severity) {
  return severity == Severity::BLOCKING ? "blocking" : "warning";
}

}  // namespace

std::string DataFinding::Text() const {
  std::string text = table;
  if (!column.empty()) text += "." + column;
  if (!origin.empty()) text += fmt::format(" ({})", origin);
  text += ": " + message;
  if (count > 0 && kind != "duplicate_key" && kind != "days_without_orders") {
    text += fmt::format(" in {} row{}", count, count == 1 ? "" : "s");
  }
  if (!example.key.empty() || !example.value.empty()) {
    if (kind == "duplicate_key" || kind == "days_without_orders") {
      text += fmt::format(", e.g. {}: {}", example.key, example.value);
    } else if (example.key.empty()) {
      text += fmt::format(", e.g. '{}'", example.value);
    } else {
      text += fmt::format(", e.g. {}: '{}'", example.key, example.value);
    }
  }
  return text;
}

size_t DataCheckReport::BlockingCount() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [](const auto& f) {
    return f.severity == Severity::BLOCKING;
  }));
}

const DataFinding* DataCheckReport::FirstBlocking() const {
  for (const auto& finding : findings) {
    if (finding.severity == Severity::BLOCKING) return &finding;
  }
  return nullptr;
}

nlohmann::json DataCheckReport::ToJson() const {
  using json = nlohmann::json;
  json out;
  out["data"] = {{"folder", folder},
                 {"dataset_file", dataset_file.empty() ? json(nullptr) : json(dataset_file)},
                 {"dimensions", dimensions},
                 {"plausible_dates", {{"from", date_lower}, {"to", date_upper}}}};
  const size_t blocking = BlockingCount();
  out["blocking"] = blocking;
  out["warnings"] = findings.size() - blocking;
  if (!not_checked.empty()) out["not_checked"] = not_checked;
  out["tables"] = json::array();
  for (const auto& table : tables) {
    json entry = {{"table", table.table}, {"present", table.present}};
    if (table.present) {
      entry["origin"] = table.origin;
      entry["rows"] = table.rows;
      if (table.has_coverage) {
        json gaps = json::array();
        for (const auto& [from, to] : table.coverage.gaps) {
          gaps.push_back({{"from", from}, {"to", to}});
        }
        entry["coverage"] = {
            {"column", table.coverage.column},
            {"first", table.coverage.first.empty() ? json(nullptr) : json(table.coverage.first)},
            {"last", table.coverage.last.empty() ? json(nullptr) : json(table.coverage.last)},
            {"days", table.coverage.days},
            {"days_without_rows", table.coverage.days_without_rows},
            {"gaps", gaps}};
      }
      entry["columns"] = json::array();
      for (const auto& column : table.columns) {
        json item = {
            {"column", column.column}, {"contract", column.contract}, {"present", column.present}};
        if (column.present) {
          item["source"] = column.source;
          item["source_type"] = column.source_type;
          item["type_ok"] = column.type_ok;
          item["nulls"] = column.nulls;
          item["not_converted"] = column.not_converted;
        }
        entry["columns"].push_back(std::move(item));
      }
    }
    out["tables"].push_back(std::move(entry));
  }
  out["findings"] = json::array();
  for (const auto& finding : findings) {
    json item = {{"severity", SeverityName(finding.severity)},
                 {"kind", finding.kind},
                 {"table", finding.table},
                 {"column", finding.column.empty() ? json(nullptr) : json(finding.column)},
                 {"message", finding.message},
                 {"count", finding.count},
                 {"text", finding.Text()}};
    item["example"] = finding.example.key.empty() && finding.example.value.empty()
                          ? json(nullptr)
                          : json{{"key", finding.example.key}, {"value", finding.example.value}};
    out["findings"].push_back(std::move(item));
  }
  return out;
}

std::string DataCheckReport::ToText() const {
  std::string text = fmt::format(
      "data: {}{}\n", folder, dataset_file.empty() ? "" : " (dataset file " + dataset_file + ")");
  text += fmt::format("dimensions: {}\n", fmt::join(dimensions, ", "));
  text += fmt::format("plausible dates: {} to {}\n\n", date_lower, date_upper);
  text += fmt::format("{:<14} {:>12}  {:<10}  {:<10}  {:>9}  {}\n", "table", "rows", "first",
                      "last", "days w/o", "source");
  for (const auto& table : tables) {
    if (!table.present) {
      text += fmt::format("{:<14} {:>12}\n", table.table, "absent");
      continue;
    }
    text += fmt::format("{:<14} {:>12}  {:<10}  {:<10}  {:>9}  {}\n", table.table, table.rows,
                        table.has_coverage ? table.coverage.first : "",
                        table.has_coverage ? table.coverage.last : "",
                        table.has_coverage ? std::to_string(table.coverage.days_without_rows) : "",
                        table.origin);
  }
  text += "\ncolumns:\n";
  for (const auto& table : tables) {
    if (!table.present) continue;
    std::vector<std::string> missing;
    std::vector<std::string> notes;
    for (const auto& column : table.columns) {
      if (!column.present) {
        missing.push_back(column.column);
        continue;
      }
      std::vector<std::string> about;
      if (column.source != column.column) about.push_back("from " + column.source);
      if (!column.contract) about.push_back("own dimension");
      if (column.nulls > 0 && table.rows > 0) {
        about.push_back(fmt::format(
            "{} NULL ({:.1f}%)", column.nulls,
            100.0 * static_cast<double>(column.nulls) / static_cast<double>(table.rows)));
      }
      if (column.not_converted > 0) {
        about.push_back(fmt::format("{} not converting", column.not_converted));
      }
      if (!column.type_ok && column.not_converted == 0) {
        about.push_back(fmt::format("type {}", column.source_type));
      }
      if (!about.empty())
        notes.push_back(fmt::format("{}: {}", column.column, fmt::join(about, ", ")));
    }
    text += fmt::format("  {}: {} of {} contract columns", table.table,
                        std::count_if(table.columns.begin(), table.columns.end(),
                                      [](const auto& c) { return c.contract && c.present; }),
                        RequiredColumns(table.table).size());
    if (!missing.empty()) text += fmt::format("; absent: {}", fmt::join(missing, ", "));
    text += "\n";
    for (const auto& note : notes) text += "    " + note + "\n";
  }
  const size_t blocking = BlockingCount();
  text += fmt::format("\nfindings: {} blocking, {} warning{}\n", blocking,
                      findings.size() - blocking, findings.size() - blocking == 1 ? "" : "s");
  for (const auto& finding : findings) {
    text +=
        fmt::format("  {:<8} {}\n", finding.severity == Severity::BLOCKING ? "BLOCKING" : "warning",
                    finding.Text());
  }
  if (!not_checked.empty()) text += "\nnot checked: " + not_checked + "\n";
  return text;
}

namespace {

// What the checks of a ClickHouse dataset do not cover (DataCheckReport::not_checked).
constexpr std::string_view CLICKHOUSE_NOT_CHECKED =
    "in ClickHouse only rows, NULLs, values outside the contract's domains and ranges, numbers "
    "that are not finite, dates outside 2000-01-01 to 2099-12-31 and duplicate order ids of orders "
    "and deliveries (within each shard) are checked; not orphans, date coverage, duplicate keys of "
    "items and support, or dates far from the data's own range (docs/clickhouse.md)";

// A ClickHouse dataset's checks (docs/clickhouse.md): per table one aggregate query on the
// server (rows, NULLs per column, and a count per probe: NULL where every order needs a value,
// values outside the contract's domains and ranges, numbers that are not finite, dates outside
// the plausible years), one query per finding for its first row by key, and the duplicate order
// ids of orders and deliveries grouped on each shard. Only counts and examples come back.
class ClickHouseChecker {
 public:
  ClickHouseChecker(const Dataset& dataset, const DataCheckOptions& options)
      : dataset_(dataset),
        schema_(*dataset.ClickHouse()),
        client_(schema_.location),
        options_(options) {}

  DataCheckReport Run() {
    report_.folder = dataset_.Folder();
    report_.dimensions = dataset_.Dimensions();
    report_.date_lower = std::string(EARLIEST_DATE);
    report_.date_upper = std::string(LATEST_DATE);
    report_.not_checked = std::string(CLICKHOUSE_NOT_CHECKED);
    for (std::string_view name : TABLE_NAMES) {
      TableCheck& check = report_.tables.emplace_back();
      check.table = std::string(name);
      check.present = dataset_.HasTable(name);
      if (!check.present) continue;
      check.origin = dataset_.Origin(name);
      CheckTable(check);
      if (name == "change_log" && !options_.blocking_only && check.rows > 0) {
        const Table scopes = client_.Query(fmt::format(
            "SELECT toString(scope) AS scope, toInt64(count()) AS n, min(toString(change_id)) AS "
            "id FROM {} GROUP BY scope",
            Relation("change_log")));
        if (auto finding = ScopeFinding(scopes, report_.dimensions, check.origin))
          Add(std::move(*finding));
      }
    }
    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const DataFinding& a, const DataFinding& b) {
                       return a.severity == Severity::BLOCKING && b.severity != Severity::BLOCKING;
                     });
    return std::move(report_);
  }

 private:
  struct ClickHouseProbe {
    std::string column;
    std::string condition;  // ClickHouse SQL over the table's columns; NULL counts as false
    Severity severity;
    std::string kind;
    std::string message;
  };

  bool Has(std::string_view table, std::string_view column) const {
    return !schema_.TypeOf(table, column).empty();
  }

  const std::string& Relation(std::string_view table) const {
    return schema_.tables.at(std::string(table)).relation;
  }

  // The probes of one present contract column, as the DuckDB checks make them for a data folder.
  void AddProbes(std::string_view table, const RequiredColumn& column,
                 std::vector<ClickHouseProbe>& probes) const {
    const std::string name(column.name);
    const std::string value = SqlIdentifier(name);
    const bool orders_date =
        table == "orders" &&
        (name == "order_date" || (name == "created_at" && !Has("orders", "order_date")));
    if (table == "orders" && (name == "order_id" || name == "status" || orders_date)) {
      probes.push_back({name, fmt::format("isNull({})", value), Severity::BLOCKING, "null",
                        orders_date ? "NULL (every order needs a date)"
                                    : fmt::format("NULL (every order needs {})", name)});
    }
    for (const auto& rule : DomainRules()) {
      if (rule.table != table || rule.column != name) continue;
      const Severity severity =
          rule.role == Role::DESCRIPTIVE ? Severity::WARNING : Severity::BLOCKING;
      std::string message = fmt::format("value not one of {}", fmt::join(rule.values, ", "));
      if (severity == Severity::WARNING) message += " (kept as it is)";
      if (rule.role == Role::DIMENSION) {
        message += " (a dataset file can slice by values of your own)";
      }
      probes.push_back({name,
                        fmt::format("isNotNull({0}) AND toString({0}) NOT IN ({1})", value,
                                    ValueList(rule.values)),
                        severity, "outside_domain", message});
    }
    if (column.type == ColumnType::DOUBLE) {
      probes.push_back({name, fmt::format("NOT isFinite(toFloat64({}))", value), Severity::BLOCKING,
                        "not_finite", "value is not a finite number (NaN or infinity)"});
    }
    for (const auto& rule : RangeRules()) {
      if (rule.table != table || rule.column != name) continue;
      std::vector<std::string> outside;
      if (rule.min) outside.push_back(fmt::format("toFloat64({}) < {}", value, Number(*rule.min)));
      if (rule.max) outside.push_back(fmt::format("toFloat64({}) > {}", value, Number(*rule.max)));
      std::string message;
      if (rule.min && rule.max) {
        message = fmt::format("value outside {} to {}", Number(*rule.min), Number(*rule.max));
      } else if (*rule.min == 0) {
        message = "negative value";
      } else {
        message = fmt::format("value below {}", Number(*rule.min));
      }
      probes.push_back(
          {name, fmt::format("isFinite(toFloat64({})) AND ({})", value, fmt::join(outside, " OR ")),
           rule.severity, "implausible", message});
    }
    if (IsDateType(column.type)) {
      probes.push_back({name,
                        fmt::format("toDate({0}) < toDate('{1}') OR toDate({0}) > toDate('{2}')",
                                    value, EARLIEST_DATE, LATEST_DATE),
                        orders_date ? Severity::BLOCKING : Severity::WARNING, "far_date",
                        fmt::format("date far outside the data's range (plausible: {} to {})",
                                    EARLIEST_DATE, LATEST_DATE)});
    }
  }

  void CheckTable(TableCheck& check) {
    const std::string& table = check.table;
    const bool full = !options_.blocking_only;
    std::vector<std::string> aggregates{"toInt64(count()) AS n"};
    std::vector<ClickHouseProbe> probes;
    for (const auto& required : RequiredColumns(table)) {
      ColumnCheck& column = check.columns.emplace_back();
      column.column = std::string(required.name);
      column.source = column.column;
      column.source_type = schema_.TypeOf(table, required.name);
      column.present = !column.source_type.empty();
      if (!column.present) continue;
      if (full) {
        aggregates.push_back(fmt::format("toInt64(countIf(isNull({}))) AS {}",
                                         SqlIdentifier(column.column),
                                         SqlIdentifier("nulls_" + column.column)));
      }
      AddProbes(table, required, probes);
    }
    if (!full) {
      std::erase_if(probes,
                    [](const ClickHouseProbe& p) { return p.severity != Severity::BLOCKING; });
    }
    for (size_t i = 0; i < probes.size(); ++i) {
      aggregates.push_back(
          fmt::format("toInt64(countIf(ifNull({}, 0) = 1)) AS p{}", probes[i].condition, i));
    }
    const Table totals = client_.Query(
        fmt::format("SELECT {} FROM {}", fmt::join(aggregates, ", "), Relation(table)));
    check.rows = IntAt(totals, "n");
    if (check.rows == 0) {
      Add(EmptyTableFinding(table, check.origin));
      return;
    }
    for (auto& column : check.columns) {
      if (column.present && full) column.nulls = IntAt(totals, "nulls_" + column.column);
    }
    for (size_t i = 0; i < probes.size(); ++i) {
      const int64_t count = IntAt(totals, fmt::format("p{}", i));
      if (count == 0) continue;
      DataFinding finding{probes[i].severity, probes[i].kind,    table, probes[i].column,
                          check.origin,       probes[i].message, count, {}};
      finding.example = Example(table, probes[i].condition, SqlIdentifier(probes[i].column));
      Add(std::move(finding));
    }
    if ((table == "orders" || table == "deliveries") && Has(table, "order_id")) {
      CheckDuplicateOrders(check);
    }
  }

  // The first row by key where `condition` holds: its key ("order_id=57") and `value`.
  DataExample Example(std::string_view table, const std::string& condition,
                      const std::string& value) const {
    std::vector<std::string> parts;
    std::vector<std::string> order;
    for (std::string_view key : KeyColumns(table)) {
      if (!Has(table, key)) continue;
      parts.push_back(fmt::format("concat({}, ifNull(toString({}), 'NULL'))",
                                  SqlLiteral(std::string(key) + "="), SqlIdentifier(key)));
      order.push_back(SqlIdentifier(key));
    }
    const Table row = client_.Query(fmt::format(
        "SELECT {} AS k, ifNull(toString({}), 'NULL') AS v FROM {} WHERE ifNull({}, 0) = 1{} "
        "LIMIT 1",
        parts.empty() ? "''" : fmt::format("arrayStringConcat([{}], ', ')", fmt::join(parts, ", ")),
        value, Relation(table), condition,
        order.empty() ? "" : fmt::format(" ORDER BY {}", fmt::join(order, ", "))));
    if (row.RowCount() == 0) return {};
    return {Clip(row.Get("k").StringAt(0)), Clip(row.Get("v").StringAt(0))};
  }

  // Order ids that repeat: grouped on each shard (distributed_group_by_no_merge), where an
  // order's rows sit when the table is sharded by order_id as cxagent load shards it.
  void CheckDuplicateOrders(const TableCheck& check) {
    const Table found = client_.Query(fmt::format(
        "SELECT toInt64(count()) AS keys, toInt64(sum(n)) AS n_rows, toInt64(min(order_id)) AS "
        "example, toInt64(argMin(n, order_id)) AS example_rows FROM (SELECT order_id, count() AS "
        "n FROM {} GROUP BY order_id HAVING count() > 1) SETTINGS distributed_group_by_no_merge "
        "= 1",
        Relation(check.table)));
    const int64_t keys = IntAt(found, "keys");
    if (keys == 0) return;
    Add({Severity::BLOCKING,
         "duplicate_key",
         check.table,
         "order_id",
         check.origin,
         fmt::format("{} key{} appear{} more than once ({} rows); each would be counted once per "
                     "row",
                     keys, keys == 1 ? "" : "s", keys == 1 ? "s" : "", IntAt(found, "n_rows")),
         keys,
         {fmt::format("order_id={}", IntAt(found, "example")),
          fmt::format("{} rows", IntAt(found, "example_rows"))}});
  }

  void Add(DataFinding finding) { report_.findings.push_back(std::move(finding)); }

  const Dataset& dataset_;
  const ClickHouseSchema& schema_;
  ClickHouseClient client_;
  const DataCheckOptions& options_;
  DataCheckReport report_;
};

}  // namespace

std::string ChangeScopeProblem(std::string_view scope, const std::vector<std::string>& dimensions) {
  if (scope.empty()) return {};
  try {
    const Slice slice = Slice::Parse(scope);
    for (const auto& [name, value] : slice.Pairs()) {
      if (std::find(dimensions.begin(), dimensions.end(), name) == dimensions.end()) {
        return fmt::format("the data has no dimension '{}'", name);
      }
    }
  } catch (const Error& error) {
    if (error.Type() != ErrorType::INVALID_INPUT) throw;
    return error.what();
  }
  return {};
}

DataCheckReport CheckData(Connection& connection, const Dataset& dataset,
                          const DataCheckOptions& options) {
  if (dataset.ClickHouse() != nullptr) return ClickHouseChecker(dataset, options).Run();
  return Checker(connection, dataset, options).Run();
}

void RequireUsableData(Connection& connection, const Dataset& dataset, const CheckScope* scope) {
  const DataCheckReport report =
      CheckData(connection, dataset, {.blocking_only = true, .scope = scope});
  const DataFinding* first = report.FirstBlocking();
  if (first == nullptr) {
    if (!report.findings.empty()) {
      spdlog::warn("data check: {} warning{}, e.g. {} (cxagent check reports them all)",
                   report.findings.size(), report.findings.size() == 1 ? "" : "s",
                   report.findings.front().Text());
    }
    return;
  }
  const size_t blocking = report.BlockingCount();
  throw InvalidInput("{}{} (cxagent check --data {}{} gives the full report)", first->Text(),
                     blocking > 1 ? fmt::format("; {} more blocking problems", blocking - 1) : "",
                     report.folder,
                     report.dataset_file.empty() ? "" : " --dataset " + report.dataset_file);
}

}  // namespace cxagent::storage
