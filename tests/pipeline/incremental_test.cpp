#include <gtest/gtest.h>

#include <fmt/format.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "common/date.hpp"
#include "common/error.hpp"
#include "common/file.hpp"
#include "pipeline/analysis.hpp"
#include "storage/duckdb.hpp"
#include "storage/leaves_store.hpp"
#include "storage/source_units.hpp"
#include "support/test_support.hpp"

namespace cxagent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunCxagent;
using testing::TempDir;

// Thirty days, an incident that ends on day 15 (its RCA can be reused once later days change)
// and one that lasts to the end of the data.
constexpr const char* SCENARIO = R"(name: incremental
seed: 5
start_date: 2026-03-02
days: 30
orders_per_day: 1000
decoy_changes: 1
incidents:
  - id: android-release
    cause: app_release_regression
    slice: {platform: android}
    start_day: 8
    end_day: 15
    magnitude: 0.3
  - id: seattle-batching
    cause: batching_expansion
    slice: {region: seattle}
    start_day: 21
    magnitude: 0.5
)";
constexpr const char* LAST_DAY = "2026-03-31";
constexpr const char* TABLES[] = {"orders",  "deliveries", "items",         "support",
                                  "ratings", "inventory",  "supply_hourly", "change_log"};

std::string Literal(const fs::path& path) {
  return storage::SqlLiteral(path.string());
}

// Small row groups, so that a file holds many and a change to one day's rows leaves the others'
// bytes as they were.
void Copy(storage::Connection& connection, const std::string& select, const fs::path& to) {
  connection.Execute(
      fmt::format("COPY ({}) TO {} (FORMAT parquet, ROW_GROUP_SIZE 1024)", select, Literal(to)));
}

// The temp table `early`: the order ids of `world` before LAST_DAY.
void CreateEarly(storage::Connection& connection, const fs::path& world) {
  connection.Execute(fmt::format(
      "CREATE TEMP TABLE early AS SELECT order_id FROM read_parquet({}) WHERE order_date < DATE "
      "'{}'",
      Literal(world / "orders.parquet"), LAST_DAY));
}

// Writes the generated `world` into `folder` as one folder of files per table: part-0.parquet
// with every day before LAST_DAY (the per-order tables by their order's day, inventory and supply
// by their own), and, when `last_day`, part-1.parquet with that day's rows.
void WriteTables(const fs::path& world, const fs::path& folder, bool last_day) {
  storage::Database database;
  storage::Connection connection(database);
  CreateEarly(connection, world);
  for (const char* table : TABLES) {
    fs::create_directories(folder / table);
    const std::string source = fmt::format("SELECT * FROM read_parquet({})",
                                           Literal(world / (std::string(table) + ".parquet")));
    std::string early;
    std::string late;
    const std::string table_name(table);
    if (table_name == "orders") {
      early = fmt::format("order_date < DATE '{}'", LAST_DAY);
    } else if (table_name == "inventory") {
      early = fmt::format("date < DATE '{}'", LAST_DAY);
    } else if (table_name == "supply_hourly") {
      early = fmt::format("hour < TIMESTAMP '{}'", LAST_DAY);
    } else if (table_name == "change_log") {
      early = "TRUE";
    } else {
      early = "order_id IN (SELECT order_id FROM early)";
    }
    Copy(connection, fmt::format("{} WHERE {}", source, early), folder / table / "part-0.parquet");
    if (last_day && table_name != "change_log") {
      Copy(connection, fmt::format("{} WHERE NOT ({})", source, early),
           folder / table / "part-1.parquet");
    }
  }
}

// Writes the rows of the generated `world` whose day is in [`from`, `to`) (`from` empty: every
// day before `to`, with the whole change_log) into `folder`/<table>/`file`: the per-order tables
// by their order's day, inventory and supply by their own, as WriteTables.
void WriteDays(const fs::path& world, const fs::path& folder, const std::string& from,
               const std::string& to, const std::string& file) {
  storage::Database database;
  storage::Connection connection(database);
  const auto in_range = [&](const std::string& day, const std::string& type) {
    return fmt::format("{0} < {1} '{2}'", day, type, to) +
           (from.empty() ? "" : fmt::format(" AND {0} >= {1} '{2}'", day, type, from));
  };
  connection.Execute(
      fmt::format("CREATE TEMP TABLE chosen AS SELECT order_id FROM read_parquet({}) WHERE {}",
                  Literal(world / "orders.parquet"), in_range("order_date", "DATE")));
  for (const char* table : TABLES) {
    const std::string table_name(table);
    std::string where;
    if (table_name == "orders") {
      where = in_range("order_date", "DATE");
    } else if (table_name == "inventory") {
      where = in_range("date", "DATE");
    } else if (table_name == "supply_hourly") {
      where = in_range("hour", "TIMESTAMP");
    } else if (table_name == "change_log") {
      if (!from.empty()) continue;
      where = "TRUE";
    } else {
      where = "order_id IN (SELECT order_id FROM chosen)";
    }
    fs::create_directories(folder / table);
    Copy(connection,
         fmt::format("SELECT * FROM read_parquet({}) WHERE {}",
                     Literal(world / (table_name + ".parquet")), where),
         folder / table / file);
  }
}

// Writes the rows of the generated `world` into one file per table, `folder`/<table>.parquet, as
// a system that writes each table's file again with every day does: the days before LAST_DAY
// (the per-order tables by their order's day, inventory and supply by their own) or, with
// `last_day`, every day. Row groups of 10,240 rows, so that the last one of orders and deliveries
// holds several days (an append writes it again) and those before it keep their bytes. `replace`
// gives a table a SELECT list of replaced columns (`* REPLACE (...)`) to edit rows with.
void WriteWhole(const fs::path& world, const fs::path& folder, bool last_day,
                const std::map<std::string, std::string>& replace = {}) {
  storage::Database database;
  storage::Connection connection(database);
  CreateEarly(connection, world);
  fs::create_directories(folder);
  for (const char* table : TABLES) {
    const std::string table_name(table);
    std::string where = "TRUE";
    if (!last_day && table_name == "orders") {
      where = fmt::format("order_date < DATE '{}'", LAST_DAY);
    } else if (!last_day && table_name == "inventory") {
      where = fmt::format("date < DATE '{}'", LAST_DAY);
    } else if (!last_day && table_name == "supply_hourly") {
      where = fmt::format("hour < TIMESTAMP '{}'", LAST_DAY);
    } else if (!last_day && table_name != "change_log") {
      where = "order_id IN (SELECT order_id FROM early)";
    }
    const auto edit = replace.find(table_name);
    connection.Execute(fmt::format(
        "COPY (SELECT {} FROM read_parquet({}) WHERE {}) TO {} (FORMAT parquet, ROW_GROUP_SIZE "
        "10240)",
        edit == replace.end() ? "*" : edit->second, Literal(world / (table_name + ".parquet")),
        where, Literal(folder / (table_name + ".parquet"))));
  }
}

// A copy of a data folder, with its stored results when `results`.
void CopyFolder(const fs::path& from, const fs::path& to, bool results) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    if (entry.path().filename() == ".cxagent" && !results) continue;
    fs::copy(entry.path(), to / entry.path().filename(), fs::copy_options::recursive);
  }
}

json Refresh(const fs::path& folder, pipeline::RefreshReport& report) {
  return pipeline::RunAnalysis(storage::DatasetOptions{.folder = folder.string()},
                               pipeline::AnalysisConfig{},
                               {.incremental = true, .report = &report});
}

// A full analysis of the data of `folder`, in a copy without its stored results.
json Full(const fs::path& folder, const TempDir& scratch, const std::string& name) {
  const fs::path copy = scratch.Path() / name;
  CopyFolder(folder, copy, false);
  return pipeline::RunAnalysis(storage::DatasetOptions{.folder = copy.string()},
                               pipeline::AnalysisConfig{});
}

// Every value equal, numbers to 1e-9 (relative to their size when above 1).
void ExpectSameAnalysis(const json& a, const json& b, const std::string& path = "") {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>();
    const double y = b.get<double>();
    EXPECT_LE(std::fabs(x - y), 1e-9 * std::max({1.0, std::fabs(x), std::fabs(y)}))
        << path << ": " << x << " vs " << y;
    return;
  }
  ASSERT_EQ(a.type(), b.type()) << path << ": " << a.dump() << " vs " << b.dump();
  if (a.is_object()) {
    for (const auto& [key, value] : a.items()) {
      ASSERT_TRUE(b.contains(key)) << path << "/" << key << " only in the first";
      ExpectSameAnalysis(value, b[key], path + "/" + key);
    }
    for (const auto& [key, value] : b.items()) {
      EXPECT_TRUE(a.contains(key)) << path << "/" << key << " only in the second";
    }
  } else if (a.is_array()) {
    ASSERT_EQ(a.size(), b.size()) << path;
    for (size_t i = 0; i < a.size(); ++i) {
      ExpectSameAnalysis(a[i], b[i], fmt::format("{}[{}]", path, i));
    }
  } else {
    EXPECT_EQ(a, b) << path;
  }
}

// The stored slice cubes of two folders' results are equal: the same rows read in slice and date
// order (a refresh updates the stored cube in place, its new rows after the others), counts exact
// and sums to 1e-9.
void ExpectSameStoredCube(const fs::path& a, const fs::path& b) {
  storage::Database database;
  storage::Connection connection(database);
  const auto read = [&](const fs::path& folder) {
    connection.Execute(
        fmt::format("ATTACH {} AS r (READ_ONLY)", Literal(folder / ".cxagent" / "results.duckdb")));
    storage::Table cube = connection.Query("SELECT * FROM r.slice_cube ORDER BY slice, date");
    connection.Execute("DETACH r");
    return cube;
  };
  const storage::Table x = read(a);
  const storage::Table y = read(b);
  ASSERT_EQ(x.RowCount(), y.RowCount());
  ASSERT_EQ(x.columns.size(), y.columns.size());
  for (size_t c = 0; c < x.columns.size(); ++c) {
    const storage::Column& p = x.columns[c];
    const storage::Column& q = y.columns[c];
    ASSERT_EQ(p.name, q.name);
    ASSERT_EQ(p.type, q.type) << p.name;
    for (size_t row = 0; row < x.RowCount(); ++row) {
      if (p.type == storage::ColumnType::VARCHAR) {
        ASSERT_EQ(p.StringAt(row), q.StringAt(row)) << "row " << row;
      } else if (p.type == storage::ColumnType::DOUBLE) {
        const double u = p.doubles[row];
        const double v = q.doubles[row];
        ASSERT_LE(std::fabs(u - v), 1e-9 * std::max({1.0, std::fabs(u), std::fabs(v)}))
            << p.name << " of " << x.columns[0].StringAt(row) << " row " << row;
      } else {
        ASSERT_EQ(p.ints[row], q.ints[row]) << p.name << " of " << x.columns[0].StringAt(row);
      }
    }
  }
}

// Whether the stored cube of `folder` holds slice `slice`.
bool StoredCubeHas(const fs::path& folder, const std::string& slice) {
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(
      fmt::format("ATTACH {} AS r (READ_ONLY)", Literal(folder / ".cxagent" / "results.duckdb")));
  return connection
             .Query(fmt::format("SELECT count(*) AS n FROM r.slice_cube WHERE slice = {}",
                                storage::SqlLiteral(slice)))
             .Get("n")
             .ints.at(0) > 0;
}

// A world of 30 days analysed without its last day, then refreshed with it (the shared start of
// every test), and a full analysis of all 30 days.
class IncrementalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const fs::path scenario = dir_->Write("scenario.yaml", SCENARIO);
    const auto generated = RunCxagent(
        fmt::format("generate --scenario {} --out {}", scenario.string(), dir_->File("world")));
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    WriteTables(dir_->File("world"), dir_->File("all"), true);
    WriteTables(dir_->File("world"), dir_->File("appended"), false);
    pipeline::RefreshReport first;
    before_ = Refresh(dir_->File("appended"), first);
    EXPECT_EQ(first.mode, "full");
    EXPECT_EQ(first.reason, "there are no stored results");
    for (const char* table : TABLES) {
      if (std::string(table) == "change_log") continue;
      fs::copy_file(fs::path(dir_->File("all")) / table / "part-1.parquet",
                    fs::path(dir_->File("appended")) / table / "part-1.parquet");
    }
    appended_ = Refresh(dir_->File("appended"), appended_report_);
    full_ = Full(dir_->File("all"), *dir_, "all-full");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // A copy of the appended folder and its stored results, for a test to change.
  static fs::path Appended(const std::string& name) {
    const fs::path copy = fs::path(dir_->File(name));
    CopyFolder(dir_->File("appended"), copy, true);
    return copy;
  }

  static TempDir* dir_;
  static json before_;
  static json appended_;
  static pipeline::RefreshReport appended_report_;
  static json full_;
};

TempDir* IncrementalTest::dir_ = nullptr;
json IncrementalTest::before_;
json IncrementalTest::appended_;
pipeline::RefreshReport IncrementalTest::appended_report_;
json IncrementalTest::full_;

TEST_F(IncrementalTest, ANewDayIsSummedAloneAndTheResultEqualsAFullAnalysis) {
  EXPECT_EQ(before_["data"]["end_date"], "2026-03-30");
  EXPECT_EQ(appended_report_.mode, "refresh") << appended_report_.reason;
  EXPECT_EQ(appended_report_.computed_days, std::vector<std::string>{LAST_DAY});
  EXPECT_EQ(appended_report_.reused_days, 29);
  EXPECT_TRUE(appended_report_.checked_new_rows);
  // The stored cube was extended by the new day's rows, not rolled up from every day, and read
  // back from its copy beside the results.
  EXPECT_EQ(appended_report_.cube, "extended") << appended_report_.cube_reason;
  EXPECT_TRUE(appended_report_.cube_from_copy) << appended_report_.cube_copy_reason;
  // The results were stored by changing a copy of the stored ones in place.
  EXPECT_TRUE(appended_report_.stored_in_place) << appended_report_.stored_reason;
  ExpectSameAnalysis(appended_, full_);
  ExpectSameStoredCube(dir_->File("appended"), dir_->File("all-full"));
  ASSERT_GE(full_["incidents"].size(), 2u) << full_.dump();
  // The mechanism search took the stored analysis's strongest windows in every slice (none new
  // to the cube here) and searched only the windows ending on the new day.
  EXPECT_GT(appended_report_.reused_mechanism_slices, 100u) << appended_report_.mechanism_reason;
  EXPECT_EQ(appended_report_.mechanism_reason, "");
}

// The strongest mechanism windows stored with the results of `folder` (slice, metric, start,
// end -> z) and their entries of refresh_state.
std::pair<std::map<std::string, double>, std::map<std::string, std::string>> StoredMechanisms(
    const fs::path& folder) {
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(
      fmt::format("ATTACH {} AS r (READ_ONLY)", Literal(folder / ".cxagent" / "results.duckdb")));
  std::map<std::string, double> windows;
  const storage::Table rows = connection.Query("SELECT * FROM r.mechanism_windows");
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    windows[fmt::format("{} {} {} {}", rows.Get("slice").StringAt(i),
                        rows.Get("metric").StringAt(i), rows.Get("start_day").ints[i],
                        rows.Get("end_day").ints[i])] = rows.Get("z").doubles[i];
  }
  std::map<std::string, std::string> state;
  const storage::Table entries =
      connection.Query("SELECT name, value FROM r.refresh_state WHERE name LIKE 'mechanism%'");
  for (size_t i = 0; i < entries.RowCount(); ++i) {
    state[std::string(entries.Get("name").StringAt(i))] = entries.Get("value").StringAt(i);
  }
  return {windows, state};
}

// The windows a refresh stores (the stored ones extended by the new day's) are those a full
// analysis of all the days stores, for the refresh after it.
TEST_F(IncrementalTest, TheRefreshStoresTheMechanismWindowsAFullAnalysisStores) {
  const fs::path folder = dir_->File("mechanisms-full");
  CopyFolder(dir_->File("all"), folder, false);
  pipeline::RefreshReport first;
  Refresh(folder, first);
  EXPECT_EQ(first.mode, "full");
  EXPECT_EQ(first.reused_mechanism_slices, 0u);
  const auto [refreshed, refreshed_state] = StoredMechanisms(dir_->File("appended"));
  const auto [full, full_state] = StoredMechanisms(folder);
  EXPECT_EQ(refreshed_state, full_state);
  EXPECT_EQ(refreshed_state.at("mechanism_days"), "30");
  EXPECT_EQ(refreshed_state.at("mechanism_first"), "2026-03-02");
  EXPECT_EQ(refreshed_state.at("mechanism_windows"), std::to_string(full.size()));
  ASSERT_FALSE(full.empty());
  ASSERT_EQ(refreshed.size(), full.size());
  for (const auto& [window, z] : full) {
    ASSERT_TRUE(refreshed.contains(window)) << window;
    EXPECT_LE(std::fabs(refreshed.at(window) - z), 1e-9 * std::fabs(z)) << window;
  }
}

// The stored results of the 29 days changed by `sql` (on the results attached as `r`), then the
// last day added and refreshed: the refresh must equal the full analysis, and its report says
// what it did with the stored mechanism windows.
pipeline::RefreshReport RefreshAfter(const TempDir& dir, const std::string& name,
                                     const std::string& sql, const json& full,
                                     const std::function<void(storage::Connection&)>& before = {}) {
  const fs::path folder = dir.File(name);
  WriteTables(dir.File("world"), folder, false);
  pipeline::RefreshReport first;
  Refresh(folder, first);
  EXPECT_EQ(first.mode, "full");
  {
    storage::Database database;
    storage::Connection connection(database);
    connection.Execute(
        fmt::format("ATTACH {} AS r", Literal(folder / ".cxagent" / "results.duckdb")));
    if (before) before(connection);
    connection.Execute(sql + "; DETACH r");
  }
  for (const char* table : TABLES) {
    if (std::string(table) == "change_log") continue;
    fs::copy_file(fs::path(dir.File("all")) / table / "part-1.parquet",
                  folder / table / "part-1.parquet");
  }
  pipeline::RefreshReport report;
  const json refreshed = Refresh(folder, report);
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  EXPECT_EQ(report.cube, "extended") << report.cube_reason;
  ExpectSameAnalysis(refreshed, full);
  return report;
}

// Stored mechanism windows that are missing, damaged or of another cube are not reused: every
// window is searched (the log says why) and the refresh still equals a full analysis.
TEST_F(IncrementalTest, StoredMechanismWindowsThatDoNotFitAreSearchedAgain) {
  const struct {
    const char* name;
    const char* sql;
    const char* why;
  } cases[] = {
      {"mechanisms-none", "DROP TABLE r.mechanism_windows", "hold none"},
      {"mechanisms-unnamed", "DELETE FROM r.refresh_state WHERE name = 'mechanism_days'",
       "hold none"},
      {"mechanisms-lost-row", "DELETE FROM r.mechanism_windows WHERE rowid = 0", "damaged"},
      {"mechanisms-null", "UPDATE r.mechanism_windows SET z = NULL WHERE rowid = 0",
       "column z is damaged"},
      {"mechanisms-past-the-days", "UPDATE r.mechanism_windows SET end_day = 40 WHERE rowid = 0",
       "damaged"},
      {"mechanisms-under-mechanism-z", "UPDATE r.mechanism_windows SET z = 1 WHERE rowid = 0",
       "damaged"},
      {"mechanisms-days", "UPDATE r.refresh_state SET value = 'x' WHERE name = 'mechanism_days'",
       "damaged"},
      {"mechanisms-first-day",
       "UPDATE r.refresh_state SET value = '2026-03-01' WHERE name = 'mechanism_first'",
       "the cube starts on 2026-03-02, the stored windows' on 2026-03-01"},
      {"mechanisms-metrics",
       "UPDATE r.refresh_state SET value = 'on_time_rate' WHERE name = 'mechanism_metrics'",
       "other mechanism metrics"},
  };
  for (const auto& entry : cases) {
    SCOPED_TRACE(entry.name);
    const pipeline::RefreshReport report = RefreshAfter(*dir_, entry.name, entry.sql, full_);
    EXPECT_EQ(report.reused_mechanism_slices, 0u);
    EXPECT_NE(report.mechanism_reason.find(entry.why), std::string::npos)
        << report.mechanism_reason;
  }
}

// Rows of the stored cube of `folder` that come before a row of a lower slice or date: a cube
// changed in place holds its added rows after the stored ones.
int64_t RowsOutOfOrder(const fs::path& folder) {
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(
      fmt::format("ATTACH {} AS r (READ_ONLY)", Literal(folder / ".cxagent" / "results.duckdb")));
  const storage::Table cube = connection.Query("SELECT slice, date FROM r.slice_cube");
  int64_t out_of_order = 0;
  for (size_t row = 1; row < cube.RowCount(); ++row) {
    const auto before =
        std::pair{cube.Get("slice").StringAt(row - 1), cube.Get("date").ints[row - 1]};
    const auto after = std::pair{cube.Get("slice").StringAt(row), cube.Get("date").ints[row]};
    if (!(before < after)) ++out_of_order;
  }
  return out_of_order;
}

// Two refreshes in a row, each a day appended: the second changes in place the results the
// first changed in place, and both equal a full analysis of their days, stored cube included.
TEST_F(IncrementalTest, TwoRefreshesInARowChangeTheStoredResultsInPlaceAndEqualAFullAnalysis) {
  const fs::path folder = dir_->File("twice");
  const fs::path world = dir_->File("world");
  const std::string day_29 = "2026-03-30";  // the 29th day, LAST_DAY the 30th
  WriteDays(world, folder, "", day_29, "part-0.parquet");
  pipeline::RefreshReport first;
  Refresh(folder, first);
  EXPECT_EQ(first.mode, "full");
  EXPECT_FALSE(first.stored_in_place);
  WriteDays(world, folder, day_29, LAST_DAY, "part-1.parquet");
  pipeline::RefreshReport second;
  const json twenty_nine = Refresh(folder, second);
  EXPECT_EQ(second.computed_days, std::vector<std::string>{day_29});
  EXPECT_EQ(second.cube, "extended") << second.cube_reason;
  EXPECT_TRUE(second.cube_from_copy) << second.cube_copy_reason;
  EXPECT_TRUE(second.stored_in_place) << second.stored_reason;
  EXPECT_GT(RowsOutOfOrder(folder), 0);
  const fs::path copy = dir_->File("twice-29-full");
  CopyFolder(folder, copy, false);
  ExpectSameAnalysis(twenty_nine,
                     pipeline::RunAnalysis(storage::DatasetOptions{.folder = copy.string()},
                                           pipeline::AnalysisConfig{}));
  ExpectSameStoredCube(folder, copy);
  WriteDays(world, folder, LAST_DAY, "2026-04-01", "part-2.parquet");
  pipeline::RefreshReport third;
  const json thirty = Refresh(folder, third);
  EXPECT_EQ(third.computed_days, std::vector<std::string>{LAST_DAY});
  EXPECT_EQ(third.cube, "extended") << third.cube_reason;
  // The copy the second refresh wrote.
  EXPECT_TRUE(third.cube_from_copy) << third.cube_copy_reason;
  EXPECT_TRUE(third.stored_in_place) << third.stored_reason;
  ExpectSameAnalysis(thirty, full_);
  ExpectSameStoredCube(folder, dir_->File("all-full"));
}

// Stored results that cannot be read (a damaged file) mean a full analysis, as stored sums that
// cannot be read do; the refresh after it changes its results in place.
TEST_F(IncrementalTest, UnreadableStoredResultsMeanAFullAnalysis) {
  const fs::path folder = Appended("unreadable");
  WriteFileAtomic((folder / ".cxagent" / "results.duckdb").string(), std::string(8192, 'x'));
  pipeline::RefreshReport report;
  ExpectSameAnalysis(Refresh(folder, report), full_);
  EXPECT_EQ(report.mode, "full");
  EXPECT_NE(report.reason.find("the stored results cannot be read"), std::string::npos)
      << report.reason;
  EXPECT_FALSE(report.stored_in_place);
  ExpectSameStoredCube(folder, dir_->File("all-full"));
}

TEST_F(IncrementalTest, EveryReportedSliceIsWhereTheCxScoreFell) {
  // The Seattle incident's baseline holds the Android release's days, so against it Seattle
  // hardly fell; the localizer's best root was then a slice whose share moved while its own CX
  // did not (no orders in the window: a 0 -> 0 "delta"), and the RCA of that empty slice found
  // nothing. A slice is reported only where the CX Score fell.
  for (const auto& incident : full_["incidents"]) {
    for (const auto& slice : incident["slices"]) {
      EXPECT_LT(slice["delta"].get<double>(), 0.0) << incident["id"] << ": " << slice.dump();
    }
  }
  EXPECT_TRUE(full_["unconfirmed"].empty()) << full_["unconfirmed"].dump();
}

TEST_F(IncrementalTest, AnIncidentWhoseWindowsDidNotChangeKeepsItsRcaAndOneThatLastsIsRedone) {
  // The android incident ended on day 15; the Seattle one lasts to the last day, whose data is
  // new, so it is analysed again.
  std::vector<std::string> closed;
  std::vector<std::string> open;
  for (const auto& incident : full_["incidents"]) {
    (incident["end_date"].is_null() ? open : closed).push_back(incident["id"]);
  }
  ASSERT_FALSE(closed.empty());
  ASSERT_FALSE(open.empty());
  for (const auto& id : closed) {
    EXPECT_NE(std::find(appended_report_.reused_incidents.begin(),
                        appended_report_.reused_incidents.end(), id),
              appended_report_.reused_incidents.end())
        << id;
  }
  for (const auto& id : open) {
    EXPECT_EQ(std::find(appended_report_.reused_incidents.begin(),
                        appended_report_.reused_incidents.end(), id),
              appended_report_.reused_incidents.end())
        << id;
  }
  // So is their localization (its windows' days are unchanged); an open one's is done again.
  for (const auto& id : closed) {
    EXPECT_NE(std::find(appended_report_.reused_localizations.begin(),
                        appended_report_.reused_localizations.end(), id),
              appended_report_.reused_localizations.end())
        << id;
  }
  for (const auto& id : open) {
    EXPECT_EQ(std::find(appended_report_.reused_localizations.begin(),
                        appended_report_.reused_localizations.end(), id),
              appended_report_.reused_localizations.end())
        << id;
  }
  // The open incidents' RCA took the orders drawn before for both windows' unchanged days.
  EXPECT_EQ(appended_report_.reused_fact_windows, 2 * open.size());
  // The reused RCA's model and sample are stored with the new results, as a full analysis's.
  storage::Database database;
  storage::Connection connection(database);
  const auto stored = [&](const std::string& folder) {
    connection.Execute(fmt::format("ATTACH {} AS r (READ_ONLY)",
                                   Literal(fs::path(folder) / ".cxagent" / "results.duckdb")));
    const storage::Table rows = connection.Query(
        "SELECT m.incident_id || ':' || (SELECT count(*) FROM r.rca_samples s WHERE "
        "s.incident_id = m.incident_id) AS k FROM r.rca_models m ORDER BY 1");
    connection.Execute("DETACH r");
    std::vector<std::string> keys;
    for (size_t i = 0; i < rows.RowCount(); ++i) keys.emplace_back(rows.Get("k").StringAt(i));
    return keys;
  };
  const std::vector<std::string> refreshed = stored(dir_->File("appended"));
  EXPECT_EQ(refreshed, stored(dir_->File("all-full")));
  const auto has_model = [&](const std::string& id) {
    return std::any_of(refreshed.begin(), refreshed.end(),
                       [&](const std::string& key) { return key.starts_with(id + ":"); });
  };
  EXPECT_TRUE(std::any_of(closed.begin(), closed.end(), has_model))
      << fmt::format("{}", fmt::join(refreshed, ", "));
}

TEST_F(IncrementalTest, ARedeliveredDayAndALateRatingReplaceTheirDaysSums) {
  const fs::path folder = Appended("redelivered");
  storage::Database database;
  storage::Connection connection(database);
  // Day 5 delivered again with every delivery 25 minutes later (same rows, new values)...
  const fs::path deliveries = folder / "deliveries" / "part-0.parquet";
  Copy(connection,
       fmt::format("SELECT * REPLACE (CASE WHEN order_id IN (SELECT order_id FROM "
                   "read_parquet({0}) WHERE order_date = DATE '2026-03-06') THEN late_min + 25 "
                   "ELSE late_min END AS late_min) FROM read_parquet({1})",
                   Literal(folder / "orders" / "part-0.parquet"), Literal(deliveries)),
       folder / "deliveries" / "new.tmp");
  fs::rename(folder / "deliveries" / "new.tmp", deliveries);
  // ... and a rating of 1 arriving on the last day for an unrated order of day 3.
  Copy(connection,
       fmt::format("SELECT * REPLACE ((SELECT min(order_id) FROM read_parquet({0}) WHERE "
                   "order_date = DATE '2026-03-04' AND order_id NOT IN (SELECT order_id FROM "
                   "read_parquet({1}))) AS order_id, TIMESTAMP '{2} 09:00:00' AS rated_at, 1 AS "
                   "rating) FROM read_parquet({1}) LIMIT 1",
                   Literal(folder / "orders" / "part-0.parquet"),
                   Literal(folder / "ratings" / "part-0.parquet"), LAST_DAY),
       folder / "ratings" / "part-2.parquet");

  pipeline::RefreshReport report;
  const json refreshed = Refresh(folder, report);
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  const auto& days = report.computed_days;
  EXPECT_NE(std::find(days.begin(), days.end(), "2026-03-06"), days.end());
  EXPECT_NE(std::find(days.begin(), days.end(), "2026-03-04"), days.end());
  EXPECT_LE(days.size(), 6u) << fmt::format("{}", fmt::join(days, ", "));
  // Days the stored cube holds changed: it is rolled up from every day's sums, and every
  // mechanism window is searched (those of the stored days may have changed).
  EXPECT_EQ(report.cube, "rolled up");
  EXPECT_NE(report.cube_reason.find("which the stored cube holds"), std::string::npos)
      << report.cube_reason;
  EXPECT_EQ(report.reused_mechanism_slices, 0u);
  EXPECT_NE(report.mechanism_reason.find("rolled up"), std::string::npos)
      << report.mechanism_reason;
  ExpectSameAnalysis(refreshed, Full(folder, *dir_, "redelivered-full"));
  ExpectSameStoredCube(folder, dir_->File("redelivered-full"));
  ASSERT_EQ(refreshed["data"]["orders"], full_["data"]["orders"]);
}

// A copy of a folder of one file per table holding the days before LAST_DAY (WriteWhole), with the
// stored results of its full analysis (made once for the tests that change it).
fs::path RewrittenStored(const TempDir& dir, const std::string& name) {
  const fs::path stored = dir.Path() / "whole-stored";
  if (!fs::exists(stored)) {
    WriteWhole(dir.Path() / "world", stored, false);
    pipeline::RefreshReport first;
    Refresh(stored, first);
    EXPECT_EQ(first.mode, "full");
  }
  const fs::path copy = dir.Path() / name;
  CopyFolder(stored, copy, true);
  return copy;
}

TEST_F(IncrementalTest, AFileWrittenAgainWithANewDayChangesThatDayAlone) {
  // Every table's file written again with the 30 days: the last row group of orders, deliveries
  // and items (several days each) and the single one of ratings and support are new, but only the
  // new day's rows differ, so the refresh is an append.
  const fs::path folder = RewrittenStored(*dir_, "rewritten");
  WriteWhole(dir_->File("world"), folder, true);
  pipeline::RefreshReport report;
  const json refreshed = Refresh(folder, report);
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  EXPECT_EQ(report.computed_days, std::vector<std::string>{LAST_DAY});
  EXPECT_EQ(report.reused_days, 29);
  // The old days of the rewritten row groups compared unchanged: the last row group of
  // deliveries held days 22 to 29 (and those of orders and items, ratings and support more).
  for (const char* day : {"2026-03-23", "2026-03-27", "2026-03-30"}) {
    EXPECT_NE(std::find(report.same_days.begin(), report.same_days.end(), day),
              report.same_days.end())
        << day << ": " << fmt::format("{}", fmt::join(report.same_days, ", "));
  }
  // So the stored cube is extended and the stored mechanism windows taken, as for a new file.
  EXPECT_EQ(report.cube, "extended") << report.cube_reason;
  EXPECT_GT(report.reused_mechanism_slices, 100u) << report.mechanism_reason;
  EXPECT_EQ(report.reused_incidents, appended_report_.reused_incidents);
  EXPECT_EQ(report.reused_localizations, appended_report_.reused_localizations);
  ExpectSameAnalysis(refreshed, Full(folder, *dir_, "rewritten-full"));
  ExpectSameStoredCube(folder, dir_->File("rewritten-full"));
  ExpectSameAnalysis(refreshed, full_);

  // The next refresh (nothing changed) finds the rewritten units stored with their days.
  pipeline::RefreshReport again;
  Refresh(folder, again);
  EXPECT_EQ(again.mode, "unchanged") << again.reason;
}

TEST_F(IncrementalTest, AnOldDayEditedInARewrittenRowGroupIsSummedAgain) {
  // Written again with the new day, and with an old day's rows edited inside the rewritten last
  // row groups: the deliveries of 2026-03-27 25 minutes later (that row group of deliveries holds
  // days 22 to 29), and a refund on the first item of the orders of 2026-03-30 in the last row
  // group of items (from row 112,640: 11 row groups of 10,240 before it; the items of that day's
  // other orders are in a row group that keeps its bytes).
  const fs::path folder = RewrittenStored(*dir_, "rewritten-edited");
  const std::string orders = Literal(fs::path(dir_->File("world")) / "orders.parquet");
  const auto of_day = [&](const char* day) {
    return fmt::format(
        "order_id IN (SELECT order_id FROM read_parquet({}) WHERE order_date = "
        "DATE '{}')",
        orders, day);
  };
  WriteWhole(
      dir_->File("world"), folder, true,
      {{"deliveries", fmt::format("* REPLACE (CASE WHEN {} THEN late_min + 25 ELSE late_min END AS "
                                  "late_min)",
                                  of_day("2026-03-27"))},
       {"items", fmt::format("* REPLACE (CASE WHEN {} AND line_no = 1 AND file_row_number "
                             ">= 11 * 10240 THEN refund_amount + 5 ELSE refund_amount END "
                             "AS refund_amount)",
                             of_day("2026-03-30"))}});
  pipeline::RefreshReport report;
  const json refreshed = Refresh(folder, report);
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  EXPECT_EQ(report.computed_days, (std::vector<std::string>{"2026-03-27", "2026-03-30", LAST_DAY}));
  EXPECT_EQ(std::find(report.same_days.begin(), report.same_days.end(), "2026-03-27"),
            report.same_days.end());
  EXPECT_NE(std::find(report.same_days.begin(), report.same_days.end(), "2026-03-28"),
            report.same_days.end());
  // Days the stored cube holds changed: it is rolled up from every day's sums.
  EXPECT_EQ(report.cube, "rolled up");
  ExpectSameAnalysis(refreshed, Full(folder, *dir_, "rewritten-edited-full"));
  ExpectSameStoredCube(folder, dir_->File("rewritten-edited-full"));
}

TEST_F(IncrementalTest, ANewFileWrittenAgainWithTheSameRowsChangesNoDay) {
  // The new day's files (one row group each, the last of its file: listed by day for the next
  // refresh, after the last refresh had compared the units) written again with other bytes
  // (another compression) and the same rows: every unit of them is new, but the rows of their day
  // compare unchanged. Not items: its new day is several row groups, of which only the last is
  // listed (the others would change the day by their order_id range).
  const fs::path folder = Appended("recompressed");
  storage::Database database;
  storage::Connection connection(database);
  for (const char* table : TABLES) {
    if (std::string(table) == "change_log" || std::string(table) == "items") continue;
    const fs::path part = folder / table / "part-1.parquet";
    connection.Execute(fmt::format(
        "COPY (SELECT * FROM read_parquet({})) TO {} (FORMAT parquet, COMPRESSION zstd, "
        "ROW_GROUP_SIZE 1024)",
        Literal(part), Literal(folder / table / "part-1.tmp")));
    fs::rename(folder / table / "part-1.tmp", part);
  }
  pipeline::RefreshReport report;
  const json refreshed = Refresh(folder, report);
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  EXPECT_TRUE(report.computed_days.empty())
      << fmt::format("{}", fmt::join(report.computed_days, ", "));
  EXPECT_EQ(report.same_days, std::vector<std::string>{LAST_DAY});
  ExpectSameAnalysis(refreshed, full_);
  ExpectSameStoredCube(folder, dir_->File("all-full"));
}

// The lines logged while it lives (debug and above), for a test to read what a run said; the
// other sinks keep their level.
class LogLines {
 public:
  LogLines()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100000)),
        level_(spdlog::default_logger()->level()) {
    for (auto& sink : spdlog::default_logger()->sinks()) sink->set_level(level_);
    spdlog::default_logger()->sinks().push_back(sink_);
    spdlog::default_logger()->set_level(spdlog::level::debug);
  }
  ~LogLines() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    spdlog::default_logger()->set_level(level_);
  }
  LogLines(const LogLines&) = delete;
  LogLines& operator=(const LogLines&) = delete;

  //! The logged lines holding `text`.
  std::vector<std::string> With(std::string_view text) const {
    std::vector<std::string> lines;
    for (auto& line : sink_->last_formatted()) {
      if (line.find(text) != std::string::npos) lines.push_back(line);
    }
    return lines;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  spdlog::level::level_enum level_;
};

// The per-order row groups the stored results of `folder` list by day: per unit id, its rows
// without an order and per day its rows and sum of row hashes.
std::map<std::string, std::string> StoredListings(const fs::path& folder) {
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(
      fmt::format("ATTACH {} AS r (READ_ONLY)", Literal(folder / ".cxagent" / "results.duckdb")));
  const storage::Table rows = connection.Query(
      "SELECT u.id, any_value(u.orphans) AS orphans, string_agg(d.day || ':' || d.row_count || "
      "':' || d.row_hash, ' ' ORDER BY d.day) AS days FROM (SELECT DISTINCT id, orphans FROM "
      "r.data_units WHERE by_day) u LEFT JOIN r.data_unit_days d ON d.id = u.id GROUP BY u.id");
  std::map<std::string, std::string> listings;
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    listings[std::string(rows.Get("id").StringAt(i))] =
        fmt::format("{} without an order; {}", rows.Get("orphans").ints[i],
                    rows.Get("days").IsNull(i) ? "" : rows.Get("days").StringAt(i));
  }
  return listings;
}

// The per-order row groups the stored results of `folder` list by day are listed as a first run
// on the same data (in a copy named `name`) lists those it lists too; returns how many were.
size_t ExpectListedAsAFirstRunLists(const fs::path& folder, const TempDir& scratch,
                                    const std::string& name) {
  const fs::path fresh = scratch.Path() / name;
  CopyFolder(folder, fresh, false);
  pipeline::RefreshReport first;
  Refresh(fresh, first);
  EXPECT_EQ(first.mode, "full");
  const auto refreshed = StoredListings(folder);
  size_t compared = 0;
  for (const auto& [id, listing] : StoredListings(fresh)) {
    const auto found = refreshed.find(id);
    if (found == refreshed.end()) continue;
    EXPECT_EQ(found->second, listing) << id;
    ++compared;
  }
  return compared;
}

TEST_F(IncrementalTest, ARowGroupWrittenAgainWithRowsAppendedJoinsOnlyTheNewRowsWithTheirOrders) {
  // Every file written again with the new day: the last row group of each per-order file holds
  // the rows it held, then the new day's, so only those are joined with their orders; its days
  // are those a listing of all its rows finds.
  const fs::path folder = RewrittenStored(*dir_, "extended");
  WriteWhole(dir_->File("world"), folder, true);
  pipeline::RefreshReport report;
  std::vector<std::string> extended;
  {
    const LogLines log;
    Refresh(folder, report);
    extended = log.With("begins with the");
    EXPECT_TRUE(log.With("does not begin with").empty());
  }
  EXPECT_EQ(report.computed_days, std::vector<std::string>{LAST_DAY});
  // deliveries, items (its last row group of the 29 days grows to a whole one), support, ratings.
  EXPECT_GE(extended.size(), 4u) << fmt::format("{}", fmt::join(extended, "\n"));
  for (const char* table :
       {"deliveries.parquet", "items.parquet", "support.parquet", "ratings.parquet"}) {
    EXPECT_TRUE(std::any_of(extended.begin(), extended.end(), [&](const std::string& line) {
      return line.find(table) != std::string::npos;
    })) << table;
  }
  // Every last row group of the per-order files (those a first run lists) at least.
  EXPECT_GE(ExpectListedAsAFirstRunLists(folder, *dir_, "extended-fresh"), 4u);
}

TEST_F(IncrementalTest, ALateRatingAppendedToARewrittenFileChangesItsOrdersDay) {
  // The ratings file written again with the new day and, after it, a rating of 1 for an unrated
  // order of 2026-03-04: the rewritten row group begins with the rows it held, and of the rows
  // after them one counts towards that old day.
  const fs::path folder = RewrittenStored(*dir_, "late-rating");
  WriteWhole(dir_->File("world"), folder, true);
  {
    storage::Database database;
    storage::Connection connection(database);
    const std::string ratings = Literal(folder / "ratings.parquet");
    // One sorted stream, so that the new row lands in the same row group as the others.
    connection.Execute(fmt::format(
        "COPY (SELECT * EXCLUDE (file_row_number) FROM (SELECT * FROM read_parquet({0}, "
        "file_row_number = true) UNION ALL SELECT * REPLACE ((SELECT min(order_id) FROM "
        "read_parquet({1}) WHERE order_date = DATE '2026-03-04' AND order_id NOT IN (SELECT "
        "order_id FROM read_parquet({0}))) AS order_id, TIMESTAMP '{2} 09:00:00' AS rated_at, 1 "
        "AS rating), 1e9::BIGINT AS file_row_number FROM (SELECT * FROM read_parquet({0}) LIMIT "
        "1)) ORDER BY file_row_number) TO {3} (FORMAT parquet, ROW_GROUP_SIZE 10240)",
        ratings, Literal(folder / "orders.parquet"), LAST_DAY, Literal(folder / "ratings.tmp")));
    fs::rename(folder / "ratings.tmp", folder / "ratings.parquet");
  }
  pipeline::RefreshReport report;
  std::vector<std::string> extended;
  {
    const LogLines log;
    const json refreshed = Refresh(folder, report);
    extended = log.With("ratings.parquet begins with the");
    ExpectSameAnalysis(refreshed, Full(folder, *dir_, "late-rating-full"));
  }
  EXPECT_EQ(extended.size(), 1u);
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  EXPECT_EQ(report.computed_days, (std::vector<std::string>{"2026-03-04", LAST_DAY}));
  ExpectSameStoredCube(folder, dir_->File("late-rating-full"));
  EXPECT_GE(ExpectListedAsAFirstRunLists(folder, *dir_, "late-rating-fresh"), 4u);
}

TEST_F(IncrementalTest, RowGroupsThatCannotBeListedByDayAreStoredByTheirRangeWithAWarning) {
  // The 29 days in files of their own, then the new day's (whose last row groups a refresh lists
  // by day while the analysis goes on) with that listing failing: the refresh warns, its result
  // stands, and those row groups are stored known by their order_id range.
  const fs::path folder = dir_->File("unlisted");
  WriteTables(dir_->File("world"), folder, false);
  pipeline::RefreshReport first;
  Refresh(folder, first);
  ASSERT_EQ(first.mode, "full");
  for (const char* table : TABLES) {
    if (std::string(table) == "change_log") continue;
    fs::copy_file(fs::path(dir_->File("all")) / table / "part-1.parquet",
                  folder / table / "part-1.parquet");
  }
  std::vector<std::string> deferred;
  const auto list_deferred = [&](storage::Database& database, storage::DataUnits& units) {
    deferred = units.deferred;
    units.deferred_orders = fmt::format("(SELECT * FROM read_parquet({}))",
                                        Literal(folder / "orders" / "missing.parquet"));
    storage::ListDeferredDays(database, units);
  };
  pipeline::RefreshReport report;
  json refreshed;
  std::vector<std::string> warnings;
  {
    const LogLines log;
    refreshed = pipeline::RunAnalysis(
        storage::DatasetOptions{.folder = folder.string()}, pipeline::AnalysisConfig{},
        {.incremental = true, .report = &report, .list_deferred = list_deferred});
    warnings = log.With("cannot be listed by day for a later refresh");
  }
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  EXPECT_EQ(report.computed_days, std::vector<std::string>{LAST_DAY});
  ExpectSameAnalysis(refreshed, full_);
  // The last row group of each per-order table's new file.
  ASSERT_EQ(deferred.size(), 4u) << fmt::format("{}", fmt::join(deferred, ", "));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(
                fmt::format("analyze: {} row group(s) cannot be listed by day", deferred.size())),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("cannot read the order days of"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("stored known by their order_id range"), std::string::npos)
      << warnings[0];

  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(
      fmt::format("ATTACH {} AS r (READ_ONLY)", Literal(folder / ".cxagent" / "results.duckdb")));
  for (const auto& id : deferred) {
    const storage::Table unit = connection.Query(fmt::format(
        "SELECT bool_or(by_day) AS by_day, count(*) AS n, min(min_order) AS lo, max(max_order) "
        "AS hi, (SELECT count(*) FROM r.data_unit_days WHERE id = {0}) AS days FROM r.data_units "
        "WHERE id = {0}",
        storage::SqlLiteral(id)));
    EXPECT_EQ(unit.Get("n").ints.at(0), 1) << id;
    EXPECT_EQ(unit.Get("by_day").ints.at(0), 0) << id;
    EXPECT_FALSE(unit.Get("lo").IsNull(0)) << id;
    EXPECT_LE(unit.Get("lo").ints.at(0), unit.Get("hi").ints.at(0)) << id;
    EXPECT_EQ(unit.Get("days").ints.at(0), 0) << id;
  }
  // The stored results stand for the next run.
  pipeline::RefreshReport again;
  ExpectSameAnalysis(Refresh(folder, again), full_);
  EXPECT_EQ(again.mode, "unchanged") << again.reason;
}

// The message a refresh of `folder` fails with, and that of a full analysis of the same data (in
// a copy, whose name in the message is put back to the folder's); the refresh must have checked
// only the new rows.
std::pair<std::string, std::string> FailureMessages(const fs::path& folder, const TempDir& scratch,
                                                    const std::string& name) {
  const auto message = [](const auto& run) {
    try {
      run();
    } catch (const Error& failure) {
      EXPECT_EQ(failure.Type(), ErrorType::INVALID_INPUT) << failure.what();
      return std::string(failure.what());
    }
    return std::string("(no failure)");
  };
  pipeline::RefreshReport report;
  const std::string refreshed = message([&] { Refresh(folder, report); });
  EXPECT_TRUE(report.checked_new_rows) << report.reason;
  std::string full = message([&] { Full(folder, scratch, name); });
  const std::string copy = (scratch.Path() / name).string();
  for (size_t at = full.find(copy); at != std::string::npos; at = full.find(copy)) {
    full.replace(at, copy.size(), folder.string());
  }
  return {refreshed, full};
}

TEST_F(IncrementalTest, ABadRowInANewUnitFailsTheRefreshAsItFailsAFullAnalysis) {
  const fs::path folder = Appended("bad-rating");
  storage::Database database;
  storage::Connection connection(database);
  // A rating of 9 (the contract allows 1 to 5) arriving for an order of the last day.
  Copy(connection,
       fmt::format("SELECT * REPLACE (9 AS rating) FROM read_parquet({}) LIMIT 1",
                   Literal(folder / "ratings" / "part-1.parquet")),
       folder / "ratings" / "part-2.parquet");
  const auto [refreshed, full] = FailureMessages(folder, *dir_, "bad-rating-full");
  EXPECT_NE(refreshed.find("ratings.rating"), std::string::npos) << refreshed;
  EXPECT_NE(refreshed.find("value outside 1 to 5 in 1 row"), std::string::npos) << refreshed;
  EXPECT_EQ(refreshed, full);
}

TEST_F(IncrementalTest, ANewUnitRepeatingAnOrderIdOfAnOldUnitFailsTheRefresh) {
  const fs::path folder = Appended("repeated-id");
  storage::Database database;
  storage::Connection connection(database);
  // An order of day 3 delivered again in a file of its own, with its delivery.
  for (const char* table : {"orders", "deliveries"}) {
    Copy(connection,
         fmt::format("SELECT * FROM read_parquet({}) WHERE order_id = (SELECT min(order_id) FROM "
                     "read_parquet({}) WHERE order_date = DATE '2026-03-04')",
                     Literal(folder / table / "part-0.parquet"),
                     Literal(folder / "orders" / "part-0.parquet")),
         folder / table / "part-2.parquet");
  }
  const auto [refreshed, full] = FailureMessages(folder, *dir_, "repeated-id-full");
  EXPECT_NE(refreshed.find("orders.order_id"), std::string::npos) << refreshed;
  EXPECT_NE(refreshed.find("1 key appears more than once (2 rows)"), std::string::npos)
      << refreshed;
  EXPECT_NE(refreshed.find("1 more blocking problem"), std::string::npos) << refreshed;
  EXPECT_EQ(refreshed, full);
}

TEST_F(IncrementalTest, OldOrdersThatNewOnesMakeImplausibleFailTheRefresh) {
  // Four times the orders, three years later, in a new file: the plausible dates move with them
  // and leave the old orders (which passed before) far outside.
  const fs::path folder = Appended("moved-dates");
  storage::Database database;
  storage::Connection connection(database);
  Copy(connection,
       fmt::format("SELECT * REPLACE (order_id + k * 1000000000000 AS order_id, order_date + "
                   "1100 AS order_date, created_at + INTERVAL 1100 DAY AS created_at) "
                   "FROM read_parquet({}), range(1, 5) AS r(k)",
                   Literal(folder / "orders" / "part-0.parquet")),
       folder / "orders" / "part-2.parquet");
  const auto [refreshed, full] = FailureMessages(folder, *dir_, "moved-dates-full");
  EXPECT_NE(refreshed.find("orders.order_date"), std::string::npos) << refreshed;
  EXPECT_NE(refreshed.find("date far outside the data's range"), std::string::npos) << refreshed;
  EXPECT_EQ(refreshed, full);
}

TEST_F(IncrementalTest, DamagedStoredSumsMeanAFullAnalysis) {
  const fs::path folder = Appended("damaged");
  WriteFileAtomic(storage::LeavesPath(folder.string()), std::string(4096, 'x'));
  pipeline::RefreshReport report;
  const json refreshed = Refresh(folder, report);
  EXPECT_EQ(report.mode, "full");
  EXPECT_NE(report.reason.find("per-day sums cannot be read"), std::string::npos) << report.reason;
  EXPECT_TRUE(report.reused_incidents.empty());
  ExpectSameAnalysis(refreshed, full_);
  // The full analysis stored sums again: the next run reuses everything.
  pipeline::RefreshReport next;
  ExpectSameAnalysis(Refresh(folder, next), full_);
  EXPECT_EQ(next.mode, "unchanged");
}

// Stored localizations that cannot be read are not reused (the log warns): every incident is
// localized again and the refresh still equals a full analysis.
TEST_F(IncrementalTest, DamagedStoredLocalizationsAreDoneAgain) {
  const pipeline::RefreshReport report = RefreshAfter(
      *dir_, "damaged-localizations", "UPDATE r.localizations SET result = '{\"first\": 1}'", full_,
      [](storage::Connection& connection) {
        EXPECT_GT(connection.Query("SELECT count(*) AS n FROM r.localizations").Get("n").ints[0],
                  0);
      });
  EXPECT_FALSE(report.reused_incidents.empty());
  EXPECT_TRUE(report.reused_localizations.empty());
}

TEST_F(IncrementalTest, ResultsWithoutRefreshStateMeanAFullAnalysisThenNothingToRedo) {
  const fs::path folder = dir_->File("plain");
  CopyFolder(dir_->File("all"), folder, false);
  pipeline::RunAnalysis(storage::DatasetOptions{.folder = folder.string()},
                        pipeline::AnalysisConfig{});
  pipeline::RefreshReport first;
  ExpectSameAnalysis(Refresh(folder, first), full_);
  EXPECT_EQ(first.mode, "full");
  EXPECT_NE(first.reason.find("hold no"), std::string::npos) << first.reason;
  pipeline::RefreshReport second;
  ExpectSameAnalysis(Refresh(folder, second), full_);
  EXPECT_EQ(second.mode, "unchanged") << second.reason;
}

// The stored analysis of a folder named by a relative path is the one a refresh naming it by its
// absolute path reads: an unchanged file (size and modification time as stored) is known by its
// stored units, not read again. Its bytes changed behind a kept size and time show it: read
// again, a row group would be new (and the bytes here are not Parquet any more).
TEST_F(IncrementalTest, AFolderNamedAnotherWayKnowsItsUnchangedFilesWithoutReadingThem) {
  const fs::path folder = dir_->File("renamed");
  CopyFolder(dir_->File("all"), folder, false);
  const fs::path relative = fs::relative(folder, fs::current_path());
  ASSERT_TRUE(relative.is_relative()) << relative;
  pipeline::RefreshReport first;
  Refresh(relative, first);
  EXPECT_EQ(first.mode, "full");
  const fs::path file = folder / "items" / "part-0.parquet";
  const auto time = fs::last_write_time(file);
  {
    std::fstream bytes(file, std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
    bytes.write("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  }
  fs::last_write_time(file, time);
  pipeline::RefreshReport second;
  ExpectSameAnalysis(Refresh(fs::absolute(folder), second), full_);
  EXPECT_EQ(second.mode, "unchanged") << second.reason;
}

TEST_F(IncrementalTest, AnotherConfigurationReusesTheSumsButNoIncident) {
  const fs::path folder = Appended("configured");
  const std::string config_path = dir_->Write("config.yaml", "rca:\n  min_confidence: 0.3\n");
  const pipeline::AnalysisConfig config = pipeline::ReadAnalysisConfig(config_path);
  pipeline::RefreshReport report;
  const json refreshed = pipeline::RunAnalysis(storage::DatasetOptions{.folder = folder.string()},
                                               config, {.incremental = true, .report = &report});
  EXPECT_EQ(report.mode, "refresh");
  EXPECT_EQ(report.reason, "the configuration changed");
  EXPECT_TRUE(report.computed_days.empty());
  // The cube's own settings did not change: the stored cube stands (no day was added).
  EXPECT_EQ(report.cube, "extended") << report.cube_reason;
  EXPECT_TRUE(report.reused_incidents.empty());
  // Nor the mechanism search's windows (mechanism_z and the window lengths are settings).
  EXPECT_EQ(report.reused_mechanism_slices, 0u);
  EXPECT_NE(report.mechanism_reason.find("another configuration"), std::string::npos)
      << report.mechanism_reason;
  // Nor the RCA's drawn orders nor the efficiency's day sums: they are read under the config.
  EXPECT_EQ(report.reused_fact_windows, 0u);
  EXPECT_EQ(report.reused_efficiency_days, 0);
  EXPECT_FALSE(report.computed_efficiency_days.empty());
  const fs::path copy = dir_->File("configured-full");
  CopyFolder(folder, copy, false);
  ExpectSameAnalysis(
      refreshed, pipeline::RunAnalysis(storage::DatasetOptions{.folder = copy.string()}, config));
}

// A cube of the two dimensions platform and region (36 slices) under `min_daily` orders a day.
pipeline::AnalysisConfig CubeConfig(const TempDir& dir, const std::string& name, double min_daily) {
  return pipeline::ReadAnalysisConfig(
      dir.Write(name, fmt::format("cube:\n  dimensions: [platform, region]\n  max_depth: 2\n  "
                                  "min_daily_orders: {:.17g}\n",
                                  min_daily)));
}

// Per combination of up to `depth` of `dimensions` (slice text), its orders over the 29 days
// before the last and over all 30, from the per-day sums stored with `folder`'s results.
std::map<std::string, std::pair<double, double>> CombinationOrders(
    const fs::path& folder, std::vector<std::string> dimensions, size_t depth) {
  std::sort(dimensions.begin(), dimensions.end());
  std::vector<std::string> sets;
  std::vector<std::string> pairs;
  const std::function<void(size_t, std::vector<std::string>&)> subsets =
      [&](size_t start, std::vector<std::string>& chosen) {
        sets.push_back(fmt::format("({})", fmt::join(chosen, ", ")));
        if (chosen.size() == depth) return;
        for (size_t d = start; d < dimensions.size(); ++d) {
          chosen.push_back(dimensions[d]);
          subsets(d + 1, chosen);
          chosen.pop_back();
        }
      };
  std::vector<std::string> chosen;
  subsets(0, chosen);
  for (const auto& dimension : dimensions) {
    pairs.push_back(fmt::format(
        "CASE WHEN grouping({0}) = 0 THEN '{0}=' || coalesce(CAST({0} AS VARCHAR), 'unknown') END",
        dimension));
  }
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(
      fmt::format("ATTACH {} AS l (READ_ONLY)", Literal(folder / ".cxagent" / "leaves.duckdb")));
  const storage::Table rows = connection.Query(fmt::format(
      "SELECT CASE WHEN s = '' THEN 'all' ELSE s END AS slice, before, after FROM (SELECT "
      "concat_ws('&', {}) AS s, sum(orders) FILTER (WHERE order_date < DATE '{}')::DOUBLE AS "
      "before, sum(orders)::DOUBLE AS after FROM l.order_leaves GROUP BY GROUPING SETS ({}))",
      fmt::join(pairs, ", "), LAST_DAY, fmt::join(sets, ", ")));
  std::map<std::string, std::pair<double, double>> orders;
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    const storage::Column& before = rows.Get("before");
    orders[std::string(rows.Get("slice").StringAt(i))] = {
        before.IsNull(i) ? 0.0 : before.doubles[i], rows.Get("after").doubles[i]};
  }
  return orders;
}

std::map<std::string, std::pair<double, double>> PlatformRegionOrders(const TempDir& dir) {
  return CombinationOrders(dir.File("appended"), {"platform", "region"}, 2);
}

// The floor a slice must meet over 29 days and over 30, as the cube computes it.
bool Kept(double orders, double min_daily, int days) {
  return orders >= min_daily * static_cast<double>(days);
}

// The world's days before the last analysed under `config` (their results and refresh state
// stored), then the last day's files added: a folder to refresh.
fs::path StoredBeforeTheLastDay(const TempDir& dir, const std::string& name,
                                const pipeline::AnalysisConfig& config) {
  const fs::path folder = dir.File(name);
  WriteTables(dir.File("world"), folder, false);
  pipeline::RefreshReport first;
  pipeline::RunAnalysis(storage::DatasetOptions{.folder = folder.string()}, config,
                        {.incremental = true, .report = &first});
  EXPECT_EQ(first.mode, "full");
  for (const char* table : TABLES) {
    if (std::string(table) == "change_log") continue;
    fs::copy_file(fs::path(dir.File("all")) / table / "part-1.parquet",
                  folder / table / "part-1.parquet");
  }
  return folder;
}

// The refresh of `folder` under `config` equals a full analysis under it, stored cube included.
pipeline::RefreshReport ExpectRefreshEqualsFull(const fs::path& folder,
                                                const pipeline::AnalysisConfig& config) {
  pipeline::RefreshReport report;
  const json refreshed = pipeline::RunAnalysis(storage::DatasetOptions{.folder = folder.string()},
                                               config, {.incremental = true, .report = &report});
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  EXPECT_EQ(report.computed_days, std::vector<std::string>{LAST_DAY});
  const fs::path copy = folder.string() + "-full";
  CopyFolder(folder, copy, false);
  ExpectSameAnalysis(
      refreshed, pipeline::RunAnalysis(storage::DatasetOptions{.folder = copy.string()}, config));
  ExpectSameStoredCube(folder, copy);
  return report;
}

// A stored cube that takes the new day's sums for its slices' rows but not as rows of its own
// table (here a CHECK on its dates) cannot be changed in place: the results are written anew,
// the log and the report say why, and they equal a full analysis.
TEST_F(IncrementalTest, AStoredCubeThatCannotTakeTheNewRowsIsWrittenAnew) {
  const pipeline::AnalysisConfig config;
  const fs::path folder = StoredBeforeTheLastDay(*dir_, "unfit-cube", config);
  {
    storage::Database database;
    storage::Connection connection(database);
    connection.Execute(
        fmt::format("ATTACH {} AS r", Literal(folder / ".cxagent" / "results.duckdb")));
    const storage::Table columns = connection.Query(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'r' AND "
        "table_name = 'slice_cube' ORDER BY column_index");
    std::vector<std::string> definitions;
    for (size_t i = 0; i < columns.RowCount(); ++i) {
      definitions.push_back(
          fmt::format("{} {}", storage::SqlIdentifier(columns.Get("column_name").StringAt(i)),
                      columns.Get("data_type").StringAt(i)));
    }
    connection.Execute(fmt::format(
        "CREATE TABLE r.checked ({}, CHECK (date < DATE '{}')); INSERT INTO r.checked SELECT * "
        "FROM r.slice_cube; DROP TABLE r.slice_cube; ALTER TABLE r.checked RENAME TO slice_cube; "
        "DETACH r",
        fmt::join(definitions, ", "), LAST_DAY));
  }
  const pipeline::RefreshReport report = ExpectRefreshEqualsFull(folder, config);
  EXPECT_EQ(report.cube, "extended") << report.cube_reason;
  EXPECT_FALSE(report.stored_in_place);
  EXPECT_NE(report.stored_reason.find("cannot be updated"), std::string::npos)
      << report.stored_reason;
}

TEST_F(IncrementalTest, AStoredSliceFallingUnderTheFloorWithTheNewDayIsDropped) {
  // A floor between a slice's daily orders over 30 days and over 29 (the new day brought it
  // fewer than its average), met by no other slice only with the new day; the lowest such, so
  // that most slices stay.
  const auto orders = PlatformRegionOrders(*dir_);
  std::string dropped;
  double floor = 0;
  for (const auto& [slice, volume] : orders) {
    const double candidate = (volume.second / 30 + volume.first / 29) / 2;
    if (!Kept(volume.first, candidate, 29) || Kept(volume.second, candidate, 30)) continue;
    if (!dropped.empty() && candidate >= floor) continue;
    if (std::none_of(orders.begin(), orders.end(), [&](const auto& other) {
          return !Kept(other.second.first, candidate, 29) &&
                 Kept(other.second.second, candidate, 30);
        })) {
      dropped = slice;
      floor = candidate;
    }
  }
  ASSERT_FALSE(dropped.empty()) << "no floor drops a slice without another reaching it";
  const pipeline::AnalysisConfig config = CubeConfig(*dir_, "drop.yaml", floor);
  const fs::path folder = StoredBeforeTheLastDay(*dir_, "drop", config);
  EXPECT_TRUE(StoredCubeHas(folder, dropped)) << dropped;
  const pipeline::RefreshReport report = ExpectRefreshEqualsFull(folder, config);
  EXPECT_EQ(report.cube, "extended") << report.cube_reason;
  EXPECT_FALSE(StoredCubeHas(folder, dropped)) << dropped;
  // The others stay (slice `all` among them).
  EXPECT_TRUE(StoredCubeHas(folder, "all"));
}

TEST_F(IncrementalTest, ASliceReachingTheFloorOnlyWithTheNewDayIsSummedOverEveryDay) {
  // A floor between a slice's daily orders over 29 days and over 30 (the new day brought it more
  // than its average): left out of the stored cube, kept with the new day.
  const auto orders = PlatformRegionOrders(*dir_);
  std::string reaching;
  double floor = 0;
  for (const auto& [slice, volume] : orders) {
    const double candidate = (volume.first / 29 + volume.second / 30) / 2;
    if (!Kept(volume.first, candidate, 29) && Kept(volume.second, candidate, 30)) {
      reaching = slice;
      floor = candidate;
      break;
    }
  }
  ASSERT_FALSE(reaching.empty()) << "no slice had more orders on the last day than before";
  const pipeline::AnalysisConfig config = CubeConfig(*dir_, "reach.yaml", floor);
  const fs::path folder = StoredBeforeTheLastDay(*dir_, "reach", config);
  EXPECT_FALSE(StoredCubeHas(folder, reaching)) << reaching;
  const pipeline::RefreshReport report = ExpectRefreshEqualsFull(folder, config);
  EXPECT_EQ(report.cube, "extended") << report.cube_reason;
  EXPECT_NE(std::find(report.cube_reached.begin(), report.cube_reached.end(), reaching),
            report.cube_reached.end())
      << fmt::format("{}", fmt::join(report.cube_reached, ", "));
  EXPECT_TRUE(StoredCubeHas(folder, reaching)) << reaching;
}

TEST_F(IncrementalTest, ManySlicesReachingTheFloorWithTheNewDayMeanRollingUpEveryDay) {
  // The default cube (seven dimensions, up to three) under the floor that the most slices reach
  // only with the new day: more than are summed one by one.
  const auto orders = CombinationOrders(dir_->File("appended"),
                                        {"customer_segment", "daypart", "fulfillment_mode",
                                         "merchant", "platform", "region", "store_type"},
                                        3);
  size_t most = 0;
  double floor = 0;
  for (const auto& candidate : orders) {
    const double at = candidate.second.second / 30;  // the highest floor it meets with the day
    const auto count =
        static_cast<size_t>(std::count_if(orders.begin(), orders.end(), [&](const auto& slice) {
          return !Kept(slice.second.first, at, 29) && Kept(slice.second.second, at, 30);
        }));
    if (count > most) {
      most = count;
      floor = at;
    }
  }
  ASSERT_GT(most, 16u) << "no floor that more than 16 slices reach with the new day";
  const pipeline::AnalysisConfig config = pipeline::ReadAnalysisConfig(
      dir_->Write("many.yaml", fmt::format("cube:\n  min_daily_orders: {:.17g}\n", floor)));
  const fs::path folder = StoredBeforeTheLastDay(*dir_, "many", config);
  const pipeline::RefreshReport report = ExpectRefreshEqualsFull(folder, config);
  EXPECT_EQ(report.cube, "rolled up");
  EXPECT_NE(report.cube_reason.find(fmt::format("{} slices reach the volume floor", most)),
            std::string::npos)
      << report.cube_reason;
}

TEST_F(IncrementalTest, StoredResultsWithoutTheCubesVolumesMeanRollingUpEveryDay) {
  // Results as an older cxagent stored them: no cube_left_out, no cube entries in refresh_state.
  const pipeline::AnalysisConfig config;
  const fs::path folder = StoredBeforeTheLastDay(*dir_, "older", config);
  {
    storage::Database database;
    storage::Connection connection(database);
    connection.Execute(
        fmt::format("ATTACH {} AS r", Literal(folder / ".cxagent" / "results.duckdb")));
    connection.Execute(
        "DROP TABLE r.cube_left_out; DELETE FROM r.refresh_state WHERE name LIKE 'cube%'; "
        "DETACH r");
  }
  const pipeline::RefreshReport report = ExpectRefreshEqualsFull(folder, config);
  EXPECT_EQ(report.cube, "rolled up");
  EXPECT_NE(report.cube_reason.find("older cxagent"), std::string::npos) << report.cube_reason;
  // The refresh stored them again, for the next one.
  storage::Database database;
  storage::Connection connection(database);
  connection.Execute(
      fmt::format("ATTACH {} AS r (READ_ONLY)", Literal(folder / ".cxagent" / "results.duckdb")));
  EXPECT_EQ(connection.Query("SELECT value FROM r.refresh_state WHERE name = 'cube_last'")
                .Get("value")
                .StringAt(0),
            LAST_DAY);
  EXPECT_GT(connection.Query("SELECT count(*) AS n FROM r.cube_left_out").Get("n").ints.at(0), 0);
}

TEST_F(IncrementalTest, ADamagedStoredCubeMeansRollingUpEveryDay) {
  // A stored cube without one of its sums: it cannot be extended, every day is rolled up. (Its
  // copy is removed, so that the refresh reads the results' table.)
  const pipeline::AnalysisConfig config;
  const fs::path folder = StoredBeforeTheLastDay(*dir_, "damaged-cube", config);
  ASSERT_TRUE(fs::remove(folder / ".cxagent" / "slice_cube.bin"));
  size_t columns = 0;
  {
    storage::Database database;
    storage::Connection connection(database);
    connection.Execute(
        fmt::format("ATTACH {} AS r", Literal(folder / ".cxagent" / "results.duckdb")));
    columns = connection.Query("SELECT * FROM r.slice_cube LIMIT 0").columns.size();
    connection.Execute("ALTER TABLE r.slice_cube DROP COLUMN busy_sum; DETACH r");
  }
  const pipeline::RefreshReport report = ExpectRefreshEqualsFull(folder, config);
  EXPECT_EQ(report.cube, "rolled up");
  EXPECT_NE(report.cube_reason.find(fmt::format("the stored cube has {} columns", columns - 1)),
            std::string::npos)
      << report.cube_reason;
  EXPECT_FALSE(report.cube_from_copy);
  EXPECT_EQ(report.cube_copy_reason, "there is no copy of it");
}

// The files a refresh leaves in `folder`/.cxagent: its results, per-day sums and cube copy, no
// temporary file.
std::vector<std::string> StoredFiles(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder / ".cxagent")) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A copy of the stored cube that is not of the stored results (another run's: here the appended
// folder's, as a run stopped between renaming the results and the copy would leave) or that is
// torn is not read: the refresh reads the results' table, says why, equals a full analysis and
// leaves a copy of its own (which the next refresh reads: TwoRefreshesInARow...).
TEST_F(IncrementalTest, AStaleOrTornCopyOfTheStoredCubeIsNotRead) {
  const pipeline::AnalysisConfig config;
  const std::vector<std::string> stored = {"leaves.duckdb", "results.duckdb", "slice_cube.bin"};
  const fs::path stale = StoredBeforeTheLastDay(*dir_, "stale-copy", config);
  fs::copy_file(fs::path(dir_->File("appended")) / ".cxagent" / "slice_cube.bin",
                stale / ".cxagent" / "slice_cube.bin", fs::copy_options::overwrite_existing);
  pipeline::RefreshReport report = ExpectRefreshEqualsFull(stale, config);
  EXPECT_EQ(report.cube, "extended") << report.cube_reason;
  EXPECT_FALSE(report.cube_from_copy);
  EXPECT_NE(report.cube_copy_reason.find("of other results"), std::string::npos)
      << report.cube_copy_reason;
  EXPECT_EQ(StoredFiles(stale), stored);

  const fs::path torn = StoredBeforeTheLastDay(*dir_, "torn-copy", config);
  const fs::path copy = torn / ".cxagent" / "slice_cube.bin";
  fs::resize_file(copy, fs::file_size(copy) / 2);
  report = ExpectRefreshEqualsFull(torn, config);
  EXPECT_EQ(report.cube, "extended") << report.cube_reason;
  EXPECT_FALSE(report.cube_from_copy);
  EXPECT_NE(report.cube_copy_reason.find("torn"), std::string::npos) << report.cube_copy_reason;
  EXPECT_EQ(StoredFiles(torn), stored);
}

TEST_F(IncrementalTest, TheCommandLineRefreshesAndSaysWhatItReused) {
  // The stored state is this test binary's: another build's, which cxagent does not reuse.
  const fs::path folder = Appended("command");
  const auto first = RunCxagent(fmt::format("analyze --data {} --incremental --out {}",
                                            folder.string(), dir_->File("command-1.json")));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("written by another build of cxagent; running a full analysis"),
            std::string::npos)
      << first.err;
  const auto second = RunCxagent(fmt::format("analyze --data {} --incremental --out {}",
                                             folder.string(), dir_->File("command-2.json")));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("no data changed since the stored analysis"), std::string::npos)
      << second.err;
  const json written = json::parse(ReadFile(dir_->File("command-2.json")));
  ExpectSameAnalysis(written, json::parse(ReadFile(dir_->File("command-1.json"))));
  ExpectSameAnalysis(written, full_);
}

// A world whose incident lasts to the end of the data and is large enough for a CX model, so
// that its recommendations (and their efficiency figures) run in every refresh.
constexpr const char* OPEN_SCENARIO = R"(name: incremental-open
seed: 7
start_date: 2026-03-02
days: 30
orders_per_day: 1000
incidents:
  - id: android-release
    cause: app_release_regression
    slice: {platform: android}
    start_day: 20
    magnitude: 0.3
)";

class OpenIncidentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const fs::path scenario = dir_->Write("scenario.yaml", OPEN_SCENARIO);
    const auto generated = RunCxagent(
        fmt::format("generate --scenario {} --out {}", scenario.string(), dir_->File("world")));
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    WriteTables(dir_->File("world"), dir_->File("all"), true);
    WriteTables(dir_->File("world"), dir_->File("appended"), false);
    pipeline::RefreshReport first;
    Refresh(dir_->File("appended"), first);
    for (const char* table : TABLES) {
      if (std::string(table) == "change_log") continue;
      fs::copy_file(fs::path(dir_->File("all")) / table / "part-1.parquet",
                    fs::path(dir_->File("appended")) / table / "part-1.parquet");
    }
    // The data with its last day and the stored results of the days before, for a test to
    // change before refreshing.
    CopyFolder(dir_->File("appended"), dir_->File("pending"), true);
    appended_ = Refresh(dir_->File("appended"), appended_report_);
    full_ = Full(dir_->File("all"), *dir_, "all-full");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static TempDir* dir_;
  static json appended_;
  static pipeline::RefreshReport appended_report_;
  static json full_;
};

TempDir* OpenIncidentTest::dir_ = nullptr;
json OpenIncidentTest::appended_;
pipeline::RefreshReport OpenIncidentTest::appended_report_;
json OpenIncidentTest::full_;

// The open incident's efficiency figures read only the new day; its RCA takes the orders drawn
// before for both windows' earlier days; the result equals a full analysis.
TEST_F(OpenIncidentTest, TheNewDayAloneIsReadForTheOpenIncidentsEfficiencyAndDraws) {
  int open = 0;
  for (const auto& incident : full_["incidents"]) {
    if (incident["end_date"].is_null() && incident.contains("efficiency_baseline")) ++open;
  }
  ASSERT_GE(open, 1) << full_.dump();
  EXPECT_EQ(appended_report_.mode, "refresh") << appended_report_.reason;
  std::vector<std::string> expected(static_cast<size_t>(open), LAST_DAY);
  EXPECT_EQ(appended_report_.computed_efficiency_days, expected);
  EXPECT_GT(appended_report_.reused_efficiency_days, 10);
  EXPECT_GE(appended_report_.reused_fact_windows, 2u);
  ExpectSameAnalysis(appended_, full_);
  // In this world slices reach the volume floor with the new day: they are summed over every
  // day into the extended cube, which is a full analysis's.
  EXPECT_EQ(appended_report_.cube, "extended") << appended_report_.cube_reason;
  EXPECT_FALSE(appended_report_.cube_reached.empty());
  ExpectSameStoredCube(dir_->File("appended"), dir_->File("all-full"));
}

// A day of the open incident's window delivered again with other values: its efficiency sums
// and its drawn orders are read again, not taken from the stored results.
TEST_F(OpenIncidentTest, ARedeliveredDayInTheOpenIncidentsWindowIsReadAgain) {
  const fs::path folder = dir_->File("redelivered");
  CopyFolder(dir_->File("pending"), folder, true);
  const std::string day = "2026-03-26";
  storage::Database database;
  storage::Connection connection(database);
  const fs::path deliveries = folder / "deliveries" / "part-0.parquet";
  Copy(connection,
       fmt::format("SELECT * REPLACE (CASE WHEN order_id IN (SELECT order_id FROM "
                   "read_parquet({0}) WHERE order_date = DATE '{2}') THEN actual_eta_min + 9 "
                   "ELSE actual_eta_min END AS actual_eta_min) FROM read_parquet({1})",
                   Literal(folder / "orders" / "part-0.parquet"), Literal(deliveries), day),
       folder / "deliveries" / "new.tmp");
  fs::rename(folder / "deliveries" / "new.tmp", deliveries);

  pipeline::RefreshReport report;
  const json refreshed = Refresh(folder, report);
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  const auto& computed = report.computed_efficiency_days;
  EXPECT_NE(std::find(computed.begin(), computed.end(), day), computed.end())
      << fmt::format("{}", fmt::join(computed, ", "));
  EXPECT_NE(std::find(computed.begin(), computed.end(), LAST_DAY), computed.end());
  EXPECT_GT(report.reused_efficiency_days, 0);
  const json full = Full(folder, *dir_, "redelivered-full");
  ExpectSameAnalysis(refreshed, full);
  // The change reached the open incident's efficiency: the stale day would not give the full
  // analysis's figure.
  int open = 0;
  for (const auto& incident : full["incidents"]) {
    if (!incident["end_date"].is_null() || !incident.contains("efficiency_baseline")) continue;
    for (const auto& before : full_["incidents"]) {
      if (before["id"] != incident["id"]) continue;
      ++open;
      EXPECT_NE(incident["efficiency_baseline"]["dasher_hours_per_delivery"],
                before["efficiency_baseline"]["dasher_hours_per_delivery"]);
    }
  }
  EXPECT_GE(open, 1);
}

// Damaged stored draws and efficiency sums are not used (the log warns): the refresh draws and
// reads those days again and still equals a full analysis.
TEST_F(OpenIncidentTest, DamagedStoredDrawsAndEfficiencySumsAreReadAgain) {
  const fs::path folder = dir_->File("damaged");
  CopyFolder(dir_->File("pending"), folder, true);
  {
    storage::Database database;
    storage::Connection connection(database);
    connection.Execute(
        fmt::format("ATTACH {} AS r", Literal(folder / ".cxagent" / "results.duckdb")));
    connection.Execute(
        "DROP TABLE r.facts_draws; CREATE TABLE r.facts_draws AS SELECT 1 AS x; "
        "UPDATE r.efficiency_days SET sums = '{\"orders\": 1}'; DETACH r");
  }
  pipeline::RefreshReport report;
  const json refreshed = Refresh(folder, report);
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  EXPECT_EQ(report.reused_fact_windows, 0u);
  EXPECT_EQ(report.reused_efficiency_days, 0);
  EXPECT_GT(report.computed_efficiency_days.size(), 10u);
  ExpectSameAnalysis(refreshed, full_);
}

// An open incident older than `rca.max_window_days` has its RCA read on its first days only: a
// new day leaves them as they were, so a refresh keeps the stored RCA and recommendations, and the
// result still equals a full analysis under the same settings.
TEST_F(OpenIncidentTest, AnOpenIncidentPastTheRcaWindowKeepsItsRcaInARefresh) {
  const std::string config_path = dir_->Write("window.yaml", "rca:\n  max_window_days: 5\n");
  const pipeline::AnalysisConfig config = pipeline::ReadAnalysisConfig(config_path);
  const fs::path folder = dir_->File("windowed");
  WriteTables(dir_->File("world"), folder, false);
  pipeline::RefreshReport first;
  const json before = pipeline::RunAnalysis(storage::DatasetOptions{.folder = folder.string()},
                                            config, {.incremental = true, .report = &first});
  EXPECT_EQ(first.mode, "full");
  // The stored per-day efficiency sums, which a refresh that reuses the incidents keeps as they
  // are for the refreshes after it.
  const auto efficiency_days = [&] {
    storage::Database database;
    storage::Connection connection(database);
    connection.Execute(
        fmt::format("ATTACH {} AS r (READ_ONLY)", Literal(folder / ".cxagent" / "results.duckdb")));
    return connection.Query(
        "SELECT slice, day, baseline, sums FROM r.efficiency_days ORDER BY ALL");
  };
  const storage::Table stored_days = efficiency_days();
  EXPECT_GT(stored_days.RowCount(), 10u);
  for (const char* table : TABLES) {
    if (std::string(table) == "change_log") continue;
    fs::copy_file(fs::path(dir_->File("all")) / table / "part-1.parquet",
                  folder / table / "part-1.parquet");
  }
  pipeline::RefreshReport report;
  const json refreshed = pipeline::RunAnalysis(storage::DatasetOptions{.folder = folder.string()},
                                               config, {.incremental = true, .report = &report});
  EXPECT_EQ(report.mode, "refresh") << report.reason;
  std::vector<std::string> open;
  for (const auto& incident : refreshed["incidents"]) {
    if (!incident["end_date"].is_null()) continue;
    open.push_back(incident["id"]);
    const json& window = incident["rca"]["window"];
    EXPECT_EQ(window["start"], incident["start_date"]) << window.dump();
    EXPECT_EQ(AddDays(ParseDate(window["start"].get<std::string>()), 4),
              ParseDate(window["end"].get<std::string>()))
        << window.dump();
    EXPECT_TRUE(window["cut"].get<bool>()) << window.dump();
    EXPECT_NE(incident["rca"]["narrative"].get<std::string>().find(
                  "over its first 5 days, to " + window["end"].get<std::string>()),
              std::string::npos)
        << incident["rca"]["narrative"];
  }
  ASSERT_FALSE(open.empty()) << refreshed.dump();
  for (const auto& id : open) {
    EXPECT_NE(std::find(report.reused_incidents.begin(), report.reused_incidents.end(), id),
              report.reused_incidents.end())
        << id;
  }
  const storage::Table kept_days = efficiency_days();
  ASSERT_EQ(kept_days.RowCount(), stored_days.RowCount());
  for (size_t row = 0; row < kept_days.RowCount(); ++row) {
    for (const char* column : {"slice", "sums"}) {
      EXPECT_EQ(kept_days.Get(column).StringAt(row), stored_days.Get(column).StringAt(row))
          << column << " of row " << row;
    }
    EXPECT_EQ(kept_days.Get("day").ints[row], stored_days.Get("day").ints[row]);
  }
  const fs::path copy = dir_->File("windowed-full");
  CopyFolder(folder, copy, false);
  ExpectSameAnalysis(
      refreshed, pipeline::RunAnalysis(storage::DatasetOptions{.folder = copy.string()}, config));
  // Under the default window the same incident is read to the last day, which is not cut.
  for (const auto& incident : full_["incidents"]) {
    if (!incident["end_date"].is_null()) continue;
    EXPECT_FALSE(incident["rca"]["window"]["cut"].get<bool>());
    EXPECT_EQ(incident["rca"]["window"]["end"], full_["data"]["end_date"]);
  }
}

}  // namespace
}  // namespace cxagent
