#include "storage/source_units.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <set>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace fs = std::filesystem;

namespace {

bool PerOrder(std::string_view table) {
  return table == "deliveries" || table == "items" || table == "support" || table == "ratings";
}

// Tables whose row groups are read for the days their rows count towards.
bool Dated(std::string_view table) {
  return table == "orders" || table == "inventory" || table == "supply_hourly";
}

// "size|modification time" of a file; empty when it cannot be read.
std::string FileMetadata(const std::string& path) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  if (error) return {};
  const auto time = fs::last_write_time(path, error);
  if (error) return {};
  return fmt::format("{}|{}", size, time.time_since_epoch().count());
}

// A file as a refresh knows it across runs: its absolute, normalized path, so that a folder named
// another way (`data` or `/srv/x/data`) still finds the stored units of its unchanged files.
std::string FileKey(const std::string& file) {
  std::error_code error;
  const fs::path absolute = fs::absolute(file, error);
  return error ? file : absolute.lexically_normal().string();
}

std::string TextDigest(std::string_view text) {
  Digest digest;
  digest.Add(text);
  return digest.Hex();
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> OptionalInt(const Column& column, size_t row) {
  if (column.IsNull(row)) return std::nullopt;
  return column.ints[row];
}

std::optional<Date> OptionalDate(const Column& column, size_t row) {
  if (column.IsNull(row)) return std::nullopt;
  return Date{static_cast<int32_t>(column.ints[row])};
}

// A row group of a Parquet file to digest: its unit (all but the id) and where its column chunks
// lie, with what the digest adds before each one's bytes.
struct RowGroupBytes {
  SourceUnit unit;
  std::string schema_digest;
  struct Chunk {
    std::string path;
    std::string meta;
    int64_t start = 0;
    int64_t size = 0;
  };
  std::vector<Chunk> chunks;
};

// The row groups of one Parquet file, from DuckDB's parquet_metadata, to be digested
// (DigestRowGroups) into units.
std::vector<RowGroupBytes> ReadRowGroupMetadata(Connection& connection, const std::string& table,
                                                const std::string& file) {
  const std::string literal = SqlLiteral(file);
  Table chunks;
  Table schema;
  try {
    chunks = connection.Query(
        fmt::format("SELECT row_group_id AS rg, row_group_num_rows AS n, path_in_schema AS path, "
                    "concat_ws('|', type, compression, encodings, num_values) AS meta, "
                    "dictionary_page_offset AS dictionary, data_page_offset AS data, "
                    "total_compressed_size AS size, stats_min_value AS lo, stats_max_value AS hi "
                    "FROM parquet_metadata({}) ORDER BY row_group_id, column_id",
                    literal));
    schema = connection.Query(fmt::format(
        "SELECT concat_ws('|', name, type, repetition_type, converted_type, scale, precision, "
        "CAST(logical_type AS VARCHAR)) AS s FROM parquet_schema({})",
        literal));
  } catch (const Error& failure) {
    throw InvalidInput("cannot read the Parquet metadata of {}: {}", file, failure.what());
  }
  Digest file_digest;
  for (size_t i = 0; i < schema.RowCount(); ++i) file_digest.Add(schema.Get("s").StringAt(i));
  const std::string schema_digest = file_digest.Hex();

  std::vector<RowGroupBytes> groups;
  const auto& rg = chunks.Get("rg").ints;
  int64_t first_row = 0;
  for (size_t row = 0; row < chunks.RowCount();) {
    RowGroupBytes group;
    group.schema_digest = schema_digest;
    SourceUnit& unit = group.unit;
    unit.table = table;
    unit.file = file;
    unit.row_group = rg[row];
    unit.first_row = first_row;
    unit.rows = chunks.Get("n").ints[row];
    bool has_order_id = false;
    for (; row < chunks.RowCount() && rg[row] == unit.row_group; ++row) {
      RowGroupBytes::Chunk chunk;
      chunk.path = chunks.Get("path").StringAt(row);
      chunk.meta = chunks.Get("meta").StringAt(row);
      // A chunk starts at its dictionary page when it has one.
      chunk.start = chunks.Get("data").ints[row];
      const Column& dictionary = chunks.Get("dictionary");
      if (!dictionary.IsNull(row) && dictionary.ints[row] > 0 &&
          dictionary.ints[row] < chunk.start) {
        chunk.start = dictionary.ints[row];
      }
      chunk.size = chunks.Get("size").ints[row];
      if (chunk.start < 0 || chunk.size < 0) {
        throw InvalidInput("{}: malformed Parquet metadata", file);
      }
      if (PerOrder(table) && chunk.path == "order_id") {
        // The statistics bound the row group's orders; without them the range is read below.
        has_order_id = true;
        const Column& lo = chunks.Get("lo");
        const Column& hi = chunks.Get("hi");
        if (!lo.IsNull(row) && !hi.IsNull(row)) {
          unit.min_order = ParseInteger(lo.StringAt(row));
          unit.max_order = ParseInteger(hi.StringAt(row));
          if (!unit.min_order || !unit.max_order) unit.min_order = unit.max_order = std::nullopt;
        }
      }
      group.chunks.push_back(std::move(chunk));
    }
    if (PerOrder(table) && has_order_id && !unit.min_order && unit.rows > 0) {
      const Table range = connection.Query(fmt::format(
          "SELECT min(order_id)::BIGINT AS lo, max(order_id)::BIGINT AS hi FROM read_parquet({}) "
          "WHERE file_row_number BETWEEN {} AND {}",
          literal, unit.first_row, unit.first_row + unit.rows - 1));
      unit.min_order = OptionalInt(range.Get("lo"), 0);
      unit.max_order = OptionalInt(range.Get("hi"), 0);
    }
    first_row += unit.rows;
    groups.push_back(std::move(group));
  }
  return groups;
}

// Sets each row group's unit id: a digest of its table, the file's schema, its number of rows and
// every column chunk's path, metadata and bytes. Two threads (this one and another) take the row
// groups in turn: the bytes of every row group of a file written again are read (87 MB at 1M
// orders, 0.9 GB at 10M), which on one thread the rest of the listing waited for.
void DigestRowGroups(std::vector<RowGroupBytes*>& groups) {
  std::atomic<size_t> next = 0;
  const auto work = [&] {
    std::ifstream in;
    std::string open_file;
    std::vector<char> buffer;
    for (size_t k = next++; k < groups.size(); k = next++) {
      RowGroupBytes& group = *groups[k];
      SourceUnit& unit = group.unit;
      if (unit.file != open_file) {
        in = std::ifstream(unit.file, std::ios::binary);
        if (!in) throw InvalidInput("cannot read {}", unit.file);
        open_file = unit.file;
      }
      Digest digest;
      digest.Add(unit.table);
      digest.Add(group.schema_digest);
      digest.Add(std::to_string(unit.rows));
      for (const auto& chunk : group.chunks) {
        digest.Add(chunk.path);
        digest.Add(chunk.meta);
        buffer.resize(static_cast<size_t>(chunk.size));
        in.seekg(chunk.start);
        in.read(buffer.data(), chunk.size);
        if (in.gcount() != chunk.size) {
          throw InvalidInput("{}: row group {} is cut short", unit.file, unit.row_group);
        }
        digest.Add(buffer.data(), buffer.size());
      }
      unit.id = fmt::format("{}:{}", unit.table, digest.Hex());
    }
  };
  if (groups.size() < 2) {
    work();
    return;
  }
  // The other thread's failure is rethrown once both are done (they share `next` and `groups`).
  std::future<void> other = std::async(std::launch::async, work);
  std::exception_ptr failure;
  try {
    work();
  } catch (...) {
    failure = std::current_exception();
    next = groups.size();
  }
  try {
    other.get();
  } catch (...) {
    if (!failure) failure = std::current_exception();
  }
  if (failure) std::rethrow_exception(failure);
}

// The days of new row groups of orders, inventory or supply_hourly, read as the table's view
// reads them (`select`, Dataset::ViewSelect).
std::vector<UnitDay> ReadDays(Connection& connection, const std::string& table,
                              const std::string& select, const std::string& file,
                              const std::vector<const SourceUnit*>& units) {
  std::vector<UnitDay> days;
  if (units.empty()) return days;
  std::string day;
  // The sum of the rows' hashes mod 2^64, shifted into BIGINT's range.
  const std::string row_hash =
      "CAST(sum(hash(*COLUMNS(*))) % 18446744073709551616 - 9223372036854775808 AS BIGINT) AS h";
  std::string extra =
      "NULL::BIGINT AS lo, NULL::BIGINT AS hi, NULL::DATE AS cf, "
      "NULL::DATE AS cl, " +
      row_hash;
  if (table == "orders") {
    day = "CAST(order_date AS DATE)";
    extra =
        "min(order_id)::BIGINT AS lo, max(order_id)::BIGINT AS hi, "
        "CAST(min(created_at) AS DATE) AS cf, CAST(max(created_at) AS DATE) AS cl, " +
        row_hash;
  } else if (table == "inventory") {
    day = "CAST(\"date\" AS DATE)";
  } else {
    day = "CAST(\"hour\" AS DATE)";
  }
  std::vector<std::string> parts;
  for (size_t k = 0; k < units.size(); ++k) {
    parts.push_back(fmt::format(
        "SELECT {0}::BIGINT AS k, {1} AS day, count(*)::BIGINT AS n, {2} FROM (SELECT {3} FROM "
        "read_parquet({4}) WHERE file_row_number BETWEEN {5} AND {6}) GROUP BY ALL",
        k, day, extra, select, SqlLiteral(file), units[k]->first_row,
        units[k]->first_row + units[k]->rows - 1));
  }
  Table rows;
  try {
    rows = connection.Query(fmt::format("{}", fmt::join(parts, " UNION ALL ")));
  } catch (const Error& failure) {
    throw InvalidInput("cannot read the days of the {} table from {}: {}", table, file,
                       failure.what());
  }
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    if (rows.Get("day").IsNull(i)) continue;  // joins nothing
    UnitDay entry;
    entry.table = table;
    entry.id = units[static_cast<size_t>(rows.Get("k").ints[i])]->id;
    entry.day = Date{static_cast<int32_t>(rows.Get("day").ints[i])};
    entry.rows = rows.Get("n").ints[i];
    entry.min_order = OptionalInt(rows.Get("lo"), i);
    entry.max_order = OptionalInt(rows.Get("hi"), i);
    entry.created_first = OptionalDate(rows.Get("cf"), i);
    entry.created_last = OptionalDate(rows.Get("cl"), i);
    entry.row_hash = OptionalInt(rows.Get("h"), i);
    days.push_back(std::move(entry));
  }
  return days;
}

}  // namespace

UnitSource UnitSource::Of(const Dataset& dataset) {
  UnitSource source;
  source.folder = dataset.Folder();
  source.dataset_file = dataset.File();
  for (std::string_view table : TABLE_NAMES) {
    if (dataset.HasTable(table)) source.tables.emplace_back(table);
  }
  source.orders_select = dataset.ViewSelect("orders");
  source.inventory_select = dataset.ViewSelect("inventory");
  source.supply_select = dataset.ViewSelect("supply_hourly");
  return source;
}

namespace {

// Per order day: the order_id range of its orders and the days they were created on.
struct DayRange {
  std::optional<int64_t> min_order;
  std::optional<int64_t> max_order;
  std::optional<Date> created_first;
  std::optional<Date> created_last;
};

template <typename T, typename Pick>
void Widen(std::optional<T>& into, const std::optional<T>& value, Pick pick) {
  if (value) into = into ? pick(*into, *value) : *value;
}

std::map<Date, DayRange> OrderRanges(const DataUnits& units) {
  std::map<Date, DayRange> out;
  const auto least = [](auto a, auto b) { return std::min(a, b); };
  const auto greatest = [](auto a, auto b) { return std::max(a, b); };
  for (const auto& day : units.days) {
    if (day.table != "orders") continue;
    DayRange& range = out[day.day];
    Widen(range.min_order, day.min_order, least);
    Widen(range.max_order, day.max_order, greatest);
    Widen(range.created_first, day.created_first, least);
    Widen(range.created_last, day.created_last, greatest);
  }
  return out;
}

// The order days whose orders' order_id range meets [lo, hi].
std::vector<Date> DaysMeeting(const std::map<Date, DayRange>& ranges, int64_t lo, int64_t hi) {
  std::vector<Date> days;
  for (const auto& [day, range] : ranges) {
    if (range.min_order && range.max_order && *range.min_order <= hi && lo <= *range.max_order) {
      days.push_back(day);
    }
  }
  return days;
}

// Units of `table` gone from `before` and new in `now` (multisets of ids).
void Difference(const std::vector<SourceUnit>& before, const std::vector<SourceUnit>& now,
                std::vector<const SourceUnit*>& gone, std::vector<const SourceUnit*>& added) {
  std::map<std::string, int> balance;
  std::map<std::string, const SourceUnit*> gone_units;
  std::map<std::string, const SourceUnit*> new_units;
  for (const auto& unit : before) {
    --balance[unit.id];
    gone_units[unit.id] = &unit;
  }
  for (const auto& unit : now) {
    ++balance[unit.id];
    new_units[unit.id] = &unit;
  }
  for (const auto& [id, count] : balance) {
    if (count < 0) gone.push_back(gone_units.at(id));
    if (count > 0) added.push_back(new_units.at(id));
  }
}

// Rows of one table that count towards one day, as listed by day (UnitDay): their number and the
// sum (mod 2^64) of their rows' 64-bit hashes; `hashed` false when a listing has no hash.
struct DayContent {
  int64_t rows = 0;
  uint64_t hash = 0;
  bool hashed = true;
  bool operator==(const DayContent&) const = default;
};
using DayContents = std::map<std::pair<std::string, Date>, DayContent>;

// Adds the days `units` lists for `unit` to `content`.
void AddContent(const SourceUnit& unit, const DataUnits& units, DayContents& content) {
  for (const auto& day : units.days) {
    if (day.table != unit.table || day.id != unit.id) continue;
    DayContent& entry = content[{unit.table, day.day}];
    entry.rows += day.rows;
    if (day.row_hash) {
      entry.hash += static_cast<uint64_t>(*day.row_hash);
    } else {
      entry.hashed = false;
    }
  }
}

// The table days whose listed rows differ between the gone units and the new ones (`differ`) and
// those both list with the same rows (`same`: a row group written again with those rows as they
// were). Unchanged units are in neither, so a day is compared on the rows that moved alone.
void CompareContents(const DayContents& gone, const DayContents& added,
                     std::set<std::pair<std::string, Date>>& differ,
                     std::set<std::pair<std::string, Date>>& same) {
  for (const auto* content : {&gone, &added}) {
    const auto& other = content == &gone ? added : gone;
    for (const auto& [key, entry] : *content) {
      const auto found = other.find(key);
      if (entry.hashed && found != other.end() && found->second.hashed && found->second == entry) {
        same.insert(key);
      } else {
        differ.insert(key);
      }
    }
  }
}

// The days of per-order row groups listed by day: each row joined with its order's day, over
// the orders' files (those whose order_id is in [lo, hi], which the Parquet statistics prune).
void ReadPerOrderDays(Connection& connection, const std::string& orders,
                      const std::vector<SourceUnit*>& units, DataUnits& out) {
  if (units.empty()) return;
  int64_t lo = *units.front()->min_order;
  int64_t hi = *units.front()->max_order;
  std::vector<std::string> parts;
  for (size_t k = 0; k < units.size(); ++k) {
    lo = std::min(lo, *units[k]->min_order);
    hi = std::max(hi, *units[k]->max_order);
    parts.push_back(fmt::format(
        "SELECT {}::BIGINT AS k, order_id, hash(*COLUMNS(*)) AS h FROM read_parquet({}) WHERE "
        "file_row_number BETWEEN {} AND {}",
        k, SqlLiteral(units[k]->file), units[k]->first_row,
        units[k]->first_row + units[k]->rows - 1));
  }
  const Table rows = connection.Query(fmt::format(
      "SELECT t.k, o.day, count(*)::BIGINT AS n, CAST(sum(t.h) % 18446744073709551616 - "
      "9223372036854775808 AS BIGINT) AS h FROM (SELECT order_id, CAST(order_date AS DATE) AS "
      "day FROM {0} WHERE order_id BETWEEN {1} AND {2}) o RIGHT JOIN ({3}) t "
      "ON o.order_id = t.order_id GROUP BY ALL",
      orders, lo, hi, fmt::join(parts, " UNION ALL ")));
  for (SourceUnit* unit : units) {
    unit->by_day = true;
    unit->orphans = 0;
  }
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    SourceUnit& unit = *units[static_cast<size_t>(rows.Get("k").ints[i])];
    if (rows.Get("day").IsNull(i)) {
      unit.orphans += rows.Get("n").ints[i];
      continue;
    }
    out.days.push_back({.table = unit.table,
                        .id = unit.id,
                        .day = Date{static_cast<int32_t>(rows.Get("day").ints[i])},
                        .rows = rows.Get("n").ints[i],
                        .row_hash = OptionalInt(rows.Get("h"), i)});
  }
}

// A per-day row hash as listed (UnitDay::row_hash: the sum mod 2^64, shifted into BIGINT's
// range) and back, so that listed sums add up.
uint64_t HashSum(int64_t listed) {
  return static_cast<uint64_t>(listed) + (uint64_t{1} << 63);
}
int64_t ListedHash(uint64_t sum) {
  return static_cast<int64_t>(sum - (uint64_t{1} << 63));
}

// A new per-order row group whose first rows may be those of a gone row group listed by day: from
// the same first row of its file, at least as many rows (appending to a file writes its last row
// group again: the rows it held, then the new ones). Only the rows themselves decide.
struct Extension {
  SourceUnit* unit = nullptr;
  const SourceUnit* gone = nullptr;
  uint64_t gone_hash = 0;  // the sum of the gone row group's row hashes (every row has an order)
};

// Lists by day the per-order row groups `to_read` (new since `before` or stale), as
// ReadPerOrderDays, but a new row group that extends a gone one listed by day (Extension) whose
// days hold no order whose rows changed (`orders_changed`) and whose rows all had an order: when
// its first rows have the gone row group's number and sum of row hashes (one query over its rows,
// no join), they are those rows, counting towards the days they counted towards (their orders are
// unchanged), so only the rows after them are joined with their orders, over the order_id range
// they span rather than every order's (a one-row-group table like support spans every order).
void ListExtendedRowGroups(Connection& connection, const std::string& orders,
                           const DataUnits& before,
                           const std::map<std::string, std::vector<const SourceUnit*>>& gone_listed,
                           const std::set<const SourceUnit*>& added_units,
                           const std::set<Date>& orders_changed,
                           const std::vector<SourceUnit*>& to_read, DataUnits& out) {
  std::map<std::string, std::vector<const UnitDay*>> before_days;
  for (const auto& day : before.days) before_days[day.id].push_back(&day);
  std::vector<Extension> candidates;
  std::vector<SourceUnit*> whole;
  // A copy of a row group (the same id in another file) is listed whole: its days are the same.
  std::set<std::string> ids;
  for (SourceUnit* unit : to_read) {
    Extension extension{.unit = unit};
    const auto listed = gone_listed.find(unit->table);
    if (added_units.contains(unit) && listed != gone_listed.end() && ids.insert(unit->id).second) {
      // The gone row group of the same file first (the file may also have been renamed).
      std::vector<const SourceUnit*> gone_units = listed->second;
      std::stable_partition(gone_units.begin(), gone_units.end(),
                            [&](const SourceUnit* gone) { return gone->file == unit->file; });
      for (const SourceUnit* gone : gone_units) {
        if (gone->first_row != unit->first_row || gone->rows > unit->rows || gone->rows == 0 ||
            gone->orphans != 0) {
          continue;
        }
        const auto days = before_days.find(gone->id);
        if (days == before_days.end()) continue;
        int64_t rows = 0;
        uint64_t hash = 0;
        bool usable = true;
        for (const UnitDay* day : days->second) {
          usable = usable && day->row_hash && !orders_changed.contains(day->day);
          if (!usable) break;
          rows += day->rows;
          hash += HashSum(*day->row_hash);
        }
        if (usable && rows == gone->rows) {
          extension.gone = gone;
          extension.gone_hash = hash;
          break;
        }
      }
    }
    if (extension.gone != nullptr) {
      candidates.push_back(extension);
    } else {
      whole.push_back(unit);
    }
  }
  // The rows after the gone row group's, as row groups of their own (the unit's id) to join with
  // their orders.
  std::vector<SourceUnit> tails;
  std::vector<const Extension*> extended;
  if (!candidates.empty()) {
    std::vector<std::string> parts;
    for (size_t k = 0; k < candidates.size(); ++k) {
      const SourceUnit& unit = *candidates[k].unit;
      parts.push_back(fmt::format(
          "SELECT {}::BIGINT AS k, file_row_number < {} AS head, order_id, hash(*COLUMNS(*)) AS "
          "h FROM read_parquet({}) WHERE file_row_number BETWEEN {} AND {}",
          k, unit.first_row + candidates[k].gone->rows, SqlLiteral(unit.file), unit.first_row,
          unit.first_row + unit.rows - 1));
    }
    const Table heads = connection.Query(fmt::format(
        "SELECT k, count(*) FILTER (WHERE head)::BIGINT AS n, CAST(coalesce(sum(h) FILTER (WHERE "
        "head), 0) % 18446744073709551616 - 9223372036854775808 AS BIGINT) AS h, "
        "min(order_id) FILTER (WHERE NOT head)::BIGINT AS lo, max(order_id) FILTER (WHERE NOT "
        "head)::BIGINT AS hi FROM ({}) GROUP BY k",
        fmt::join(parts, " UNION ALL ")));
    std::vector<bool> same(candidates.size(), false);
    std::vector<std::optional<int64_t>> lo(candidates.size());
    std::vector<std::optional<int64_t>> hi(candidates.size());
    for (size_t i = 0; i < heads.RowCount(); ++i) {
      const auto k = static_cast<size_t>(heads.Get("k").ints[i]);
      same[k] = heads.Get("n").ints[i] == candidates[k].gone->rows &&
                HashSum(heads.Get("h").ints[i]) == candidates[k].gone_hash;
      lo[k] = OptionalInt(heads.Get("lo"), i);
      hi[k] = OptionalInt(heads.Get("hi"), i);
    }
    for (size_t k = 0; k < candidates.size(); ++k) {
      const Extension& candidate = candidates[k];
      if (!same[k]) {
        spdlog::debug("data units: row group {} of {} does not begin with the rows it held",
                      candidate.unit->row_group, candidate.unit->file);
        whole.push_back(candidate.unit);
        continue;
      }
      extended.push_back(&candidate);
      const int64_t rows = candidate.unit->rows - candidate.gone->rows;
      if (rows == 0) continue;
      SourceUnit tail = *candidate.unit;
      tail.first_row = candidate.unit->first_row + candidate.gone->rows;
      tail.rows = rows;
      // Rows without an order_id join no order; the unit's range stands in for theirs.
      tail.min_order = lo[k] ? lo[k] : candidate.unit->min_order;
      tail.max_order = hi[k] ? hi[k] : candidate.unit->max_order;
      tails.push_back(std::move(tail));
    }
  }
  std::vector<SourceUnit*> listed = whole;
  for (auto& tail : tails) listed.push_back(&tail);
  DataUnits days;
  ReadPerOrderDays(connection, orders, listed, days);
  std::map<std::string, int64_t> tail_orphans;
  for (const auto& tail : tails) tail_orphans[tail.id] += tail.orphans;
  // Per unit and day: the gone row group's rows and those after them.
  std::map<std::pair<std::string, Date>, size_t> merged;
  for (size_t i = 0; i < days.days.size(); ++i) merged[{days.days[i].id, days.days[i].day}] = i;
  for (const Extension* extension : extended) {
    SourceUnit& unit = *extension->unit;
    unit.by_day = true;
    unit.orphans = tail_orphans[unit.id];
    for (const UnitDay* gone_day : before_days.at(extension->gone->id)) {
      const auto found = merged.find({unit.id, gone_day->day});
      if (found == merged.end()) {
        merged[{unit.id, gone_day->day}] = days.days.size();
        days.days.push_back({.table = unit.table,
                             .id = unit.id,
                             .day = gone_day->day,
                             .rows = gone_day->rows,
                             .row_hash = gone_day->row_hash});
        continue;
      }
      UnitDay& day = days.days[found->second];
      day.rows += gone_day->rows;
      if (day.row_hash) {
        day.row_hash = ListedHash(HashSum(*day.row_hash) + HashSum(*gone_day->row_hash));
      }
    }
    spdlog::debug("data units: row group {} of {} begins with the {} rows of the one it replaces",
                  unit.row_group, unit.file, extension->gone->rows);
  }
  for (auto& day : days.days) out.days.push_back(std::move(day));
}

// Lists by day the per-order row groups whose order_id range meets more than BY_DAY_ABOVE days,
// the last row group of each file (an append to the file writes it again: listed, its old days
// compare with those of the row groups that replace it) and a new row group whose range meets
// a gone one listed by day. One listed before keeps its days unless the orders it counts towards
// may have moved (its days hold orders whose rows changed) or rows without an order may have
// found one (new orders arrived). With `defer`, the row groups whose listing the comparison with
// `before` does not read (an unchanged one: CompareUnits reads gone and new ones alone; a new one
// that is not wide and meets no gone one listed, whose range gives the same days) are left to
// ListDeferredDays, known by their range meanwhile.
void ListPerOrderDays(Connection& connection, const std::string& orders, const DataUnits* before,
                      bool defer, DataUnits& out) {
  const std::map<Date, DayRange> ranges = OrderRanges(out);
  std::set<Date> orders_changed;
  bool new_orders = before == nullptr;
  // Per-order row groups gone since `before` that were listed by day, by table.
  std::map<std::string, std::vector<const SourceUnit*>> gone_listed;
  std::set<const SourceUnit*> added_units;
  if (before != nullptr) {
    std::vector<const SourceUnit*> gone;
    std::vector<const SourceUnit*> added;
    Difference(before->units, out.units, gone, added);
    // The days whose orders' rows differ (a rewritten row group of orders changes its new days
    // alone): rows counted towards other days still join the same orders there.
    DayContents gone_orders;
    DayContents new_orders_content;
    for (const SourceUnit* unit : gone) {
      if (unit->table == "orders") AddContent(*unit, *before, gone_orders);
      if (PerOrder(unit->table) && unit->by_day) gone_listed[unit->table].push_back(unit);
    }
    for (const SourceUnit* unit : added) {
      if (unit->table == "orders") {
        new_orders = true;
        AddContent(*unit, out, new_orders_content);
      }
      added_units.insert(unit);
    }
    std::set<std::pair<std::string, Date>> differ;
    std::set<std::pair<std::string, Date>> same;
    CompareContents(gone_orders, new_orders_content, differ, same);
    for (const auto& [table, day] : differ) orders_changed.insert(day);
  }
  // The last row group of each file.
  std::map<std::pair<std::string, std::string>, int64_t> last;
  for (const auto& unit : out.units) {
    if (!PerOrder(unit.table) || unit.Whole()) continue;
    int64_t& row_group = last[{unit.table, unit.file}];
    row_group = std::max(row_group, unit.row_group);
  }
  const auto replaces_listed = [&](const SourceUnit& unit) {
    if (!added_units.contains(&unit)) return false;
    const auto found = gone_listed.find(unit.table);
    if (found == gone_listed.end()) return false;
    for (const SourceUnit* gone : found->second) {
      if (gone->min_order && gone->max_order && *gone->min_order <= *unit.max_order &&
          *unit.min_order <= *gone->max_order) {
        return true;
      }
    }
    return false;
  };
  // Decided per id: the copies of a row group share its listed days.
  std::set<std::string> wanted;
  for (const auto& unit : out.units) {
    if (!PerOrder(unit.table) || unit.Whole() || !unit.min_order || !unit.max_order) continue;
    if (last.at({unit.table, unit.file}) == unit.row_group ||
        DaysMeeting(ranges, *unit.min_order, *unit.max_order).size() > BY_DAY_ABOVE ||
        replaces_listed(unit)) {
      wanted.insert(unit.id);
    }
  }
  std::set<std::string> drop;  // ids whose listed days are stale or no longer wanted
  std::vector<SourceUnit*> to_read;
  for (auto& unit : out.units) {
    if (!PerOrder(unit.table) || unit.Whole()) continue;
    if (!wanted.contains(unit.id)) {
      if (unit.by_day) drop.insert(unit.id);
      unit.by_day = false;
      unit.orphans = 0;
      continue;
    }
    bool stale = !unit.by_day || (unit.orphans > 0 && new_orders);
    if (!stale) {
      for (const auto& day : out.days) {
        if (day.id == unit.id && orders_changed.contains(day.day)) stale = true;
      }
    }
    if (!stale) continue;
    drop.insert(unit.id);
    const bool compared =
        added_units.contains(&unit) &&
        (DaysMeeting(ranges, *unit.min_order, *unit.max_order).size() > BY_DAY_ABOVE ||
         replaces_listed(unit));
    if (defer && !compared) {
      unit.by_day = false;
      unit.orphans = 0;
      if (std::find(out.deferred.begin(), out.deferred.end(), unit.id) == out.deferred.end()) {
        out.deferred.push_back(unit.id);
      }
      continue;
    }
    to_read.push_back(&unit);
  }
  std::erase_if(out.days, [&](const UnitDay& day) { return drop.contains(day.id); });
  if (!out.deferred.empty()) out.deferred_orders = orders;
  if (to_read.empty()) return;
  // One query for them all (each file's row groups by their rows), but for the rows a new row
  // group has of a gone one it extends (ExtendedRowGroups).
  try {
    if (before != nullptr) {
      ListExtendedRowGroups(connection, orders, *before, gone_listed, added_units, orders_changed,
                            to_read, out);
    } else {
      ReadPerOrderDays(connection, orders, to_read, out);
    }
  } catch (const Error& failure) {
    std::set<std::string> files;
    for (const SourceUnit* unit : to_read) files.insert(unit->file);
    throw InvalidInput("cannot read the order days of {}: {}", fmt::join(files, ", "),
                       failure.what());
  }
}

}  // namespace

DataUnits ListDataUnits(Database& database, const UnitSource& source, const DataUnits* before) {
  DataUnits out;
  if (!source.dataset_file.empty()) {
    // A dataset file's tables can be SQL over any of the files it reads: each is one unit that
    // changes when any of them does.
    const std::string digest =
        TextDigest(DataFingerprint({.folder = source.folder, .dataset_file = source.dataset_file}));
    for (const auto& table : source.tables) {
      out.units.push_back({.table = table, .id = fmt::format("{}:{}", table, digest)});
    }
    return out;
  }
  Connection connection(database);
  // Units of an unchanged file are taken from `before`, by file; a row group seen before keeps
  // its days (the same bytes hold the same rows).
  std::map<std::string, std::string> known_files;
  std::set<std::string> known_ids;
  if (before != nullptr) {
    known_files.insert(before->files.begin(), before->files.end());
    for (const auto& unit : before->units) known_ids.insert(unit.id);
  }
  std::vector<std::string> orders_files;
  bool orders_by_row_group = false;
  // Per file in the order listed: a whole table's unit, its units as before (unchanged metadata),
  // or its row groups to read.
  struct FileUnits {
    std::string table;
    std::string file;
    std::optional<SourceUnit> whole;
    std::vector<SourceUnit> units;
    std::vector<RowGroupBytes> groups;
  };
  std::vector<FileUnits> files;
  for (const auto& table : source.tables) {
    const TableFiles listed = ListTableFiles(connection, source.folder, table);
    // Row groups are read by the reader's file_row_number, which a column of that name in the
    // files would hide: such a table, like a CSV file, is one unit known by its files' metadata.
    bool whole = !listed.per_file &&
                 !(listed.files.size() == 1 && listed.files.front().ends_with(".parquet"));
    if (!whole && !listed.files.empty()) {
      whole = connection
                  .Query(fmt::format("SELECT count(*) AS n FROM (DESCRIBE SELECT * FROM "
                                     "read_parquet({})) WHERE column_name = 'file_row_number'",
                                     SqlLiteral(listed.files.front())))
                  .Get("n")
                  .ints.at(0) > 0;
    }
    if (table == "orders") {
      orders_by_row_group = !whole && !listed.files.empty();
      orders_files = listed.files;
    }
    for (const auto& listed_file : listed.files) {
      FileUnits& entry = files.emplace_back();
      entry.table = table;
      entry.file = FileKey(listed_file);
      const std::string metadata = FileMetadata(entry.file);
      if (whole) {
        entry.whole =
            SourceUnit{.table = table,
                       .file = entry.file,
                       .id = fmt::format("{}:{}", table, TextDigest(entry.file + "|" + metadata))};
        continue;
      }
      out.files.emplace_back(entry.file, metadata);
      const auto known = known_files.find(entry.file);
      if (!metadata.empty() && known != known_files.end() && known->second == metadata) {
        for (const auto& unit : before->units) {
          if (unit.file == entry.file && unit.table == table) entry.units.push_back(unit);
        }
      } else {
        entry.groups = ReadRowGroupMetadata(connection, table, entry.file);
      }
    }
  }
  // The bytes of every row group read, on two threads, once every file's metadata is known.
  std::vector<RowGroupBytes*> to_digest;
  for (auto& entry : files) {
    for (auto& group : entry.groups) to_digest.push_back(&group);
  }
  DigestRowGroups(to_digest);
  for (auto& entry : files) {
    if (entry.whole) {
      out.units.push_back(std::move(*entry.whole));
      continue;
    }
    for (auto& group : entry.groups) entry.units.push_back(std::move(group.unit));
    std::vector<const SourceUnit*> fresh;
    for (auto& unit : entry.units) {
      if (known_ids.contains(unit.id)) {
        // Its days (and, for a per-order row group, how they were listed) as before.
        for (const auto& listed_unit : before->units) {
          if (listed_unit.id != unit.id) continue;
          unit.by_day = listed_unit.by_day;
          unit.orphans = listed_unit.orphans;
          break;
        }
        for (const auto& day : before->days) {
          if (day.id == unit.id) out.days.push_back(day);
        }
      } else if (Dated(entry.table)) {
        fresh.push_back(&unit);
      }
    }
    if (!fresh.empty()) {
      const std::string& select = entry.table == "orders"      ? source.orders_select
                                  : entry.table == "inventory" ? source.inventory_select
                                                               : source.supply_select;
      for (auto& day : ReadDays(connection, entry.table, select, entry.file, fresh)) {
        out.days.push_back(std::move(day));
      }
    }
    for (auto& unit : entry.units) out.units.push_back(std::move(unit));
  }
  // Without orders read by row group their days are unknown: per-order tables keep their ranges.
  if (orders_by_row_group) {
    std::vector<std::string> literals;
    for (const auto& file : orders_files) literals.push_back(SqlLiteral(file));
    ListPerOrderDays(connection,
                     fmt::format("(SELECT {} FROM read_parquet([{}]))", source.orders_select,
                                 fmt::join(literals, ", ")),
                     before, before != nullptr, out);
  }
  // A row group that appears more than once (a copied file) has its days listed once per copy.
  std::sort(out.days.begin(), out.days.end(), [](const UnitDay& a, const UnitDay& b) {
    return std::tie(a.table, a.id, a.day) < std::tie(b.table, b.id, b.day);
  });
  out.days.erase(std::unique(out.days.begin(), out.days.end(),
                             [](const UnitDay& a, const UnitDay& b) {
                               return a.table == b.table && a.id == b.id && a.day == b.day;
                             }),
                 out.days.end());
  return out;
}

void ListDeferredDays(Database& database, DataUnits& units) {
  if (units.deferred.empty()) return;
  std::vector<SourceUnit*> to_read;
  for (auto& unit : units.units) {
    if (std::find(units.deferred.begin(), units.deferred.end(), unit.id) != units.deferred.end()) {
      to_read.push_back(&unit);
    }
  }
  DataUnits listed;
  Connection connection(database);
  try {
    ReadPerOrderDays(connection, units.deferred_orders, to_read, listed);
  } catch (const Error& failure) {
    std::set<std::string> files;
    for (const SourceUnit* unit : to_read) files.insert(unit->file);
    throw InvalidInput("cannot read the order days of {}: {}", fmt::join(files, ", "),
                       failure.what());
  }
  // Copies of a row group have their days listed once.
  std::set<std::pair<std::string, Date>> seen;
  for (auto& day : listed.days) {
    if (seen.insert({day.id, day.day}).second) units.days.push_back(std::move(day));
  }
  std::sort(units.days.begin(), units.days.end(), [](const UnitDay& a, const UnitDay& b) {
    return std::tie(a.table, a.id, a.day) < std::tie(b.table, b.id, b.day);
  });
  units.deferred.clear();
  units.deferred_orders.clear();
}

UnitChanges CompareUnits(const DataUnits& before, const DataUnits& now) {
  UnitChanges changes;
  // Units as multisets of ids: a unit is gone when `before` has more copies of it than `now`,
  // new in the opposite case.
  std::vector<const SourceUnit*> gone;
  std::vector<const SourceUnit*> added;
  Difference(before.units, now.units, gone, added);
  changes.changed_units = gone.size() + added.size();
  for (const auto* units : {&gone, &added}) {
    for (const SourceUnit* unit : *units) {
      spdlog::debug("data units: {} {} row group {} of {} ({} rows, orders {} to {}{})",
                    units == &gone ? "gone" : "new", unit->table, unit->row_group, unit->file,
                    unit->rows, unit->min_order.value_or(-1), unit->max_order.value_or(-1),
                    unit->by_day ? ", by day" : "");
    }
  }
  const std::map<Date, DayRange> before_ranges = OrderRanges(before);
  const std::map<Date, DayRange> now_ranges = OrderRanges(now);

  std::set<Date> days;
  std::set<Date> supply_days;
  // Days listed with their content (orders, inventory, supply, per-order row groups listed by
  // day): rows and hash sums of the gone units against those of the new ones, per table and day;
  // unchanged units are in neither, and a day whose rows are the same on both sides is unchanged
  // however the row groups were cut (a file written again with a day appended).
  DayContents gone_content;
  DayContents new_content;
  const auto visit = [&](const SourceUnit& unit, const DataUnits& units,
                         const std::map<Date, DayRange>& order_ranges, DayContents& content) {
    if (unit.table == "change_log") {
      changes.change_log = true;
      return;
    }
    if (unit.Whole()) {
      changes.all_days = true;
      return;
    }
    if (PerOrder(unit.table) && !unit.by_day) {
      if (!unit.min_order || !unit.max_order) return;  // no order_id: joins no order
      for (const Date day : DaysMeeting(order_ranges, *unit.min_order, *unit.max_order)) {
        days.insert(day);
      }
      return;
    }
    AddContent(unit, units, content);
  };
  for (const SourceUnit* unit : gone) visit(*unit, before, before_ranges, gone_content);
  for (const SourceUnit* unit : added) visit(*unit, now, now_ranges, new_content);
  std::set<std::pair<std::string, Date>> differ;
  std::set<std::pair<std::string, Date>> same;
  CompareContents(gone_content, new_content, differ, same);
  for (const auto& [table, day] : differ) {
    days.insert(day);
    if (table == "supply_hourly") supply_days.insert(day);
  }
  // Orders join the supply of the hour they were created in.
  for (const Date supply_day : supply_days) {
    for (const auto* order_ranges : {&before_ranges, &now_ranges}) {
      for (const auto& [day, range] : *order_ranges) {
        if (range.created_first && range.created_last && *range.created_first <= supply_day &&
            supply_day <= *range.created_last) {
          days.insert(day);
        }
      }
    }
  }
  changes.days.assign(days.begin(), days.end());
  for (const auto& [table, day] : same) {
    if (!days.contains(day)) changes.same_days.push_back(day);
  }
  std::sort(changes.same_days.begin(), changes.same_days.end());
  changes.same_days.erase(std::unique(changes.same_days.begin(), changes.same_days.end()),
                          changes.same_days.end());
  return changes;
}

CheckScope ChecksOfChanges(const DataUnits& before, const DataUnits& now) {
  CheckScope scope;
  // A unit is unchanged as many times as it was there before (units are multisets of ids); any
  // further copy is new.
  std::map<std::string, int64_t> stored;
  for (const auto& unit : before.units) ++stored[unit.id];
  std::map<std::string, std::vector<const UnitDay*>> days_of;
  for (const auto& day : now.days) days_of[day.id].push_back(&day);
  // DuckDB's DATE 'infinity' and '-infinity', which the checks' coverage leaves out.
  constexpr int32_t INFINITE_DAY = std::numeric_limits<int32_t>::max();
  std::set<std::string> whole;
  for (const auto& unit : now.units) {
    int64_t& copies = stored[unit.id];
    const bool unchanged = copies > 0;
    if (unchanged) --copies;
    if (unit.Whole()) {
      if (!unchanged || unit.table == "orders") whole.insert(unit.table);
      continue;
    }
    const RowRange rows{unit.file, unit.first_row, unit.first_row + unit.rows - 1};
    std::vector<RowRange>& changed = scope.changed[unit.table];
    const auto found = days_of.find(unit.id);
    const std::vector<const UnitDay*> none;
    const std::vector<const UnitDay*>& days = found == days_of.end() ? none : found->second;
    if (unit.table == "orders") {
      for (const UnitDay* day : days) {
        if (day->day.days != INFINITE_DAY && day->day.days != -INFINITE_DAY) {
          scope.order_days[day->day] += day->rows;
        }
      }
    }
    if (!unchanged) {
      changed.push_back(rows);
      continue;
    }
    if (unit.rows == 0) continue;
    CheckedPart part{.table = unit.table, .rows = rows};
    if (unit.table == "orders") {
      // Every order of an unchanged unit has a day and a key (else it would not have passed).
      bool known = !days.empty();
      for (const UnitDay* day : days) {
        known = known && day->min_order && day->max_order && day->day.days != INFINITE_DAY &&
                day->day.days != -INFINITE_DAY;
        if (!known) break;
        part.min_key = part.min_key ? std::min(*part.min_key, *day->min_order) : *day->min_order;
        part.max_key = part.max_key ? std::max(*part.max_key, *day->max_order) : *day->max_order;
        part.first_day = part.first_day ? std::min(*part.first_day, day->day) : day->day;
        part.last_day = part.last_day ? std::max(*part.last_day, day->day) : day->day;
      }
      if (!known) part.min_key = part.max_key = std::nullopt;
      if (!known) part.first_day = part.last_day = std::nullopt;
    } else {
      part.min_key = unit.min_order;
      part.max_key = unit.max_order;
    }
    scope.checked.push_back(std::move(part));
  }
  for (const auto& table : whole) scope.changed.erase(table);
  std::erase_if(scope.checked, [&](const CheckedPart& part) { return whole.contains(part.table); });
  return scope;
}

namespace {

void AppendRows(Connection& connection, const std::string& name, const Table& table) {
  if (table.RowCount() == 0) return;
  Appender appender(connection, name, "temp");
  appender.Append(table);
  appender.Flush();
}

void SetInt(Column& column, size_t row, const std::optional<int64_t>& value) {
  column.ints.push_back(value.value_or(0));
  if (!value) column.SetNull(row);
}

void SetDate(Column& column, size_t row, const std::optional<Date>& value) {
  column.ints.push_back(value ? value->days : 0);
  if (!value) column.SetNull(row);
}

}  // namespace

void StageDataUnits(Connection& connection, const DataUnits& units) {
  connection.Execute(
      "CREATE OR REPLACE TEMP TABLE data_units (table_name VARCHAR, file VARCHAR, row_group "
      "BIGINT, id VARCHAR, first_row BIGINT, row_count BIGINT, min_order BIGINT, max_order "
      "BIGINT, by_day BOOLEAN, orphans BIGINT); "
      "CREATE OR REPLACE TEMP TABLE data_unit_days (table_name VARCHAR, id VARCHAR, day DATE, "
      "row_count BIGINT, min_order BIGINT, max_order BIGINT, created_first DATE, created_last "
      "DATE, row_hash BIGINT); "
      "CREATE OR REPLACE TEMP TABLE data_files (file VARCHAR, metadata VARCHAR)");
  {
    Table table;
    auto& name = table.AddColumn("table_name", ColumnType::VARCHAR);
    auto& file = table.AddColumn("file", ColumnType::VARCHAR);
    auto& row_group = table.AddColumn("row_group", ColumnType::BIGINT);
    auto& id = table.AddColumn("id", ColumnType::VARCHAR);
    auto& first_row = table.AddColumn("first_row", ColumnType::BIGINT);
    auto& rows = table.AddColumn("row_count", ColumnType::BIGINT);
    auto& min_order = table.AddColumn("min_order", ColumnType::BIGINT);
    auto& max_order = table.AddColumn("max_order", ColumnType::BIGINT);
    auto& by_day = table.AddColumn("by_day", ColumnType::BOOLEAN);
    auto& orphans = table.AddColumn("orphans", ColumnType::BIGINT);
    for (size_t i = 0; i < units.units.size(); ++i) {
      const SourceUnit& unit = units.units[i];
      name.strings.push_back(unit.table);
      file.strings.push_back(unit.file);
      row_group.ints.push_back(unit.row_group);
      id.strings.push_back(unit.id);
      first_row.ints.push_back(unit.first_row);
      rows.ints.push_back(unit.rows);
      SetInt(min_order, i, unit.min_order);
      SetInt(max_order, i, unit.max_order);
      by_day.ints.push_back(unit.by_day ? 1 : 0);
      orphans.ints.push_back(unit.orphans);
    }
    AppendRows(connection, "data_units", table);
  }
  {
    Table table;
    auto& name = table.AddColumn("table_name", ColumnType::VARCHAR);
    auto& id = table.AddColumn("id", ColumnType::VARCHAR);
    auto& day = table.AddColumn("day", ColumnType::DATE);
    auto& rows = table.AddColumn("row_count", ColumnType::BIGINT);
    auto& min_order = table.AddColumn("min_order", ColumnType::BIGINT);
    auto& max_order = table.AddColumn("max_order", ColumnType::BIGINT);
    auto& created_first = table.AddColumn("created_first", ColumnType::DATE);
    auto& created_last = table.AddColumn("created_last", ColumnType::DATE);
    auto& row_hash = table.AddColumn("row_hash", ColumnType::BIGINT);
    for (size_t i = 0; i < units.days.size(); ++i) {
      const UnitDay& entry = units.days[i];
      name.strings.push_back(entry.table);
      id.strings.push_back(entry.id);
      day.ints.push_back(entry.day.days);
      rows.ints.push_back(entry.rows);
      SetInt(min_order, i, entry.min_order);
      SetInt(max_order, i, entry.max_order);
      SetDate(created_first, i, entry.created_first);
      SetDate(created_last, i, entry.created_last);
      SetInt(row_hash, i, entry.row_hash);
    }
    AppendRows(connection, "data_unit_days", table);
  }
  {
    Table table;
    auto& file = table.AddColumn("file", ColumnType::VARCHAR);
    auto& metadata = table.AddColumn("metadata", ColumnType::VARCHAR);
    for (const auto& [path, meta] : units.files) {
      file.strings.push_back(path);
      metadata.strings.push_back(meta);
    }
    AppendRows(connection, "data_files", table);
  }
}

DataUnits LoadDataUnits(Connection& connection, const std::string& schema) {
  DataUnits units;
  const Table unit_rows = connection.Query(fmt::format(
      "SELECT table_name, file, row_group, id, first_row, row_count, min_order, max_order, "
      "by_day, orphans FROM {}.data_units",
      schema));
  for (size_t i = 0; i < unit_rows.RowCount(); ++i) {
    SourceUnit unit;
    unit.table = unit_rows.Get("table_name").StringAt(i);
    unit.file = unit_rows.Get("file").StringAt(i);
    unit.row_group = unit_rows.Get("row_group").ints[i];
    unit.id = unit_rows.Get("id").StringAt(i);
    unit.first_row = unit_rows.Get("first_row").ints[i];
    unit.rows = unit_rows.Get("row_count").ints[i];
    unit.min_order = OptionalInt(unit_rows.Get("min_order"), i);
    unit.max_order = OptionalInt(unit_rows.Get("max_order"), i);
    unit.by_day = unit_rows.Get("by_day").ints[i] != 0;
    unit.orphans = unit_rows.Get("orphans").ints[i];
    units.units.push_back(std::move(unit));
  }
  const Table day_rows = connection.Query(fmt::format(
      "SELECT table_name, id, day, row_count, min_order, max_order, created_first, created_last, "
      "row_hash FROM {}.data_unit_days",
      schema));
  for (size_t i = 0; i < day_rows.RowCount(); ++i) {
    UnitDay entry;
    entry.table = day_rows.Get("table_name").StringAt(i);
    entry.id = day_rows.Get("id").StringAt(i);
    entry.day = Date{static_cast<int32_t>(day_rows.Get("day").ints[i])};
    entry.rows = day_rows.Get("row_count").ints[i];
    entry.min_order = OptionalInt(day_rows.Get("min_order"), i);
    entry.max_order = OptionalInt(day_rows.Get("max_order"), i);
    entry.created_first = OptionalDate(day_rows.Get("created_first"), i);
    entry.created_last = OptionalDate(day_rows.Get("created_last"), i);
    entry.row_hash = OptionalInt(day_rows.Get("row_hash"), i);
    units.days.push_back(std::move(entry));
  }
  const Table file_rows =
      connection.Query(fmt::format("SELECT file, metadata FROM {}.data_files", schema));
  for (size_t i = 0; i < file_rows.RowCount(); ++i) {
    units.files.emplace_back(file_rows.Get("file").StringAt(i),
                             file_rows.Get("metadata").StringAt(i));
  }
  return units;
}

}  // namespace cxagent::storage
