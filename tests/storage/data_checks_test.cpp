#include "storage/data_checks.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::TempDir;

constexpr char ORDERS_HEADER[] =
    "order_id,created_at,order_date,region,store_type,status,cancel_reason\n";

// Order `id` of a small clean world: three orders a day from 2026-06-01, every fifth cancelled.
std::string OrderRow(int id, std::string date = "", std::string store_type = "grocery",
                     std::string status = "") {
  if (date.empty()) date = fmt::format("2026-06-{:02d}", 1 + (id - 1) / 3);
  if (status.empty()) status = id % 5 == 0 ? "cancelled" : "delivered";
  return fmt::format("{},{} 12:{:02d}:00,{},seattle,{},{},{}\n", id, date, id % 60, date,
                     store_type, status, status == "cancelled" ? "customer" : "");
}

std::string Orders(int count = 30) {
  std::string csv = ORDERS_HEADER;
  for (int id = 1; id <= count; ++id) csv += OrderRow(id);
  return csv;
}

constexpr char DELIVERIES_HEADER[] = "order_id,vehicle,travel_min,late_min\n";

std::string Deliveries() {
  std::string csv = DELIVERIES_HEADER;
  for (int id = 1; id <= 30; ++id) {
    if (id % 5 != 0) csv += fmt::format("{},car,{}.5,{}\n", id, 10 + id % 7, id % 9 - 3);
  }
  return csv;
}

std::string Ratings() {
  std::string csv = "order_id,rated_at,rating\n";
  for (int id = 1; id <= 30; id += 2) {
    if (id % 5 != 0)
      csv +=
          fmt::format("{},2026-06-{:02d} 20:00:00,{}\n", id, 1 + (id - 1) / 3, id % 4 == 1 ? 5 : 2);
  }
  return csv;
}

class DataChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("orders.csv", Orders());
    dir_.Write("deliveries.csv", Deliveries());
    dir_.Write("ratings.csv", Ratings());
  }

  DataCheckReport Check(const std::string& dataset_file = "") {
    const Dataset dataset =
        Dataset::Open(connection_, {.folder = dir_.Path().string(), .dataset_file = dataset_file});
    return CheckData(connection_, dataset);
  }

  // The one finding of `kind` on table.column; fails when there is none or more than one.
  static const DataFinding& Only(const DataCheckReport& report, const std::string& kind,
                                 const std::string& table, const std::string& column) {
    const DataFinding* found = nullptr;
    int matches = 0;
    for (const auto& finding : report.findings) {
      if (finding.kind == kind && finding.table == table && finding.column == column) {
        found = &finding;
        ++matches;
      }
    }
    EXPECT_EQ(matches, 1) << kind << " " << table << "." << column << "\n" << report.ToText();
    static const DataFinding none;
    return found != nullptr ? *found : none;
  }

  TempDir dir_;
  Database database_;
  Connection connection_{database_};
};

TEST_F(DataChecksTest, ACleanFolderHasNoFindingsAndSaysWhatItHas) {
  const DataCheckReport report = Check();
  EXPECT_TRUE(report.findings.empty()) << report.ToText();
  EXPECT_EQ(report.FirstBlocking(), nullptr);
  ASSERT_EQ(report.tables.size(), 8u);
  const TableCheck& orders = report.tables[0];
  EXPECT_TRUE(orders.present);
  EXPECT_EQ(orders.rows, 30);
  EXPECT_EQ(orders.origin, dir_.File("orders.csv"));
  ASSERT_TRUE(orders.has_coverage);
  EXPECT_EQ(orders.coverage.column, "order_date");
  EXPECT_EQ(orders.coverage.first, "2026-06-01");
  EXPECT_EQ(orders.coverage.last, "2026-06-10");
  EXPECT_EQ(orders.coverage.days, 10);
  EXPECT_EQ(orders.coverage.days_without_rows, 0);
  const auto column = [&](const TableCheck& table, const std::string& name) {
    for (const auto& c : table.columns) {
      if (c.column == name) return c;
    }
    ADD_FAILURE() << name;
    return ColumnCheck{};
  };
  EXPECT_TRUE(column(orders, "status").present);
  EXPECT_TRUE(column(orders, "status").type_ok);
  EXPECT_EQ(column(orders, "status").source_type, "VARCHAR");
  EXPECT_EQ(column(orders, "cancel_reason").nulls, 24);
  EXPECT_FALSE(column(orders, "platform").present);
  EXPECT_TRUE(report.tables[1].present);
  EXPECT_EQ(report.tables[1].rows, 24);
  EXPECT_FALSE(report.tables[2].present);  // items
  EXPECT_EQ(report.tables[5].coverage.column, "rated_at");
  EXPECT_EQ(report.dimensions, (std::vector<std::string>{"region", "store_type"}));
  // The plausible dates: within 366 days of the order dates' quartiles (about 3 and 8 June).
  EXPECT_TRUE(report.date_lower.starts_with("2025-06-0")) << report.date_lower;
  EXPECT_TRUE(report.date_upper.starts_with("2027-06-")) << report.date_upper;
}

// Each case of issue 15's probing, and the other blocking checks: one blocking finding that names
// the table, the column and the first offending row with its value as the source has it.
TEST_F(DataChecksTest, EachBlockingProblemNamesTableColumnAndRow) {
  struct Case {
    std::string name, file, content, kind, table, column, key, value;
  };
  const std::string orders = Orders();
  // A NULL date needs empty date cells (OrderRow picks a date for an empty one).
  std::string blank =
      ORDERS_HEADER + OrderRow(1) + "2,,,seattle,grocery,delivered,\n" + OrderRow(3) + OrderRow(4);
  std::string deliveries = Deliveries() + "7,bike,12.0,1\n";
  const std::vector<Case> cases = {
      {"duplicate order", "orders.csv", orders + OrderRow(5), "duplicate_key", "orders", "order_id",
       "order_id=5", "2 rows"},
      // Ids too sparse for a bitset of their range are sorted; ids spanning all of BIGINT too.
      {"duplicate among sparse ids", "orders.csv",
       orders + "9000000000000000000,2026-06-02 10:00:00,2026-06-02,seattle,grocery,delivered,\n" +
           "9000000000000000000,2026-06-02 10:00:00,2026-06-02,seattle,grocery,delivered,\n",
       "duplicate_key", "orders", "order_id", "order_id=9000000000000000000", "2 rows"},
      {"duplicate among ids spanning BIGINT", "orders.csv",
       orders + "-9000000000000000000,2026-06-02 10:00:00,2026-06-02,seattle,grocery,delivered,\n" +
           "9000000000000000000,2026-06-02 10:00:00,2026-06-02,seattle,grocery,delivered,\n" +
           OrderRow(12),
       "duplicate_key", "orders", "order_id", "order_id=12", "2 rows"},
      {"status lost", "orders.csv", orders + OrderRow(31, "", "grocery", "lost"), "outside_domain",
       "orders", "status", "order_id=31", "lost"},
      {"store type spaceship", "orders.csv", orders + OrderRow(31, "", "spaceship"),
       "outside_domain", "orders", "store_type", "order_id=31", "spaceship"},
      {"order dated 1000-01-01", "orders.csv", orders + OrderRow(31, "1000-01-01"), "far_date",
       "orders", "order_date", "order_id=31", "1000-01-01"},
      {"order dated 2031", "orders.csv", orders + OrderRow(31, "2031-06-01"), "far_date", "orders",
       "order_date", "order_id=31", "2031-06-01"},
      {"a NULL order date", "orders.csv", blank, "null", "orders", "order_date", "order_id=2",
       "NULL"},
      {"cancel reason", "orders.csv",
       orders + "31,2026-06-02 10:00:00,2026-06-02,seattle,"
                "grocery,cancelled,bored\n",
       "outside_domain", "orders", "cancel_reason", "order_id=31", "bored"},
      {"NULL order id", "orders.csv",
       orders + ",2026-06-02 10:00:00,2026-06-02,seattle,grocery,"
                "delivered,\n",
       "null", "orders", "order_id", "order_id=NULL", "NULL"},
      {"rating 99", "ratings.csv", Ratings() + "4,2026-06-02 20:00:00,99\n", "implausible",
       "ratings", "rating", "order_id=4", "99"},
      {"two deliveries of one order", "deliveries.csv", deliveries, "duplicate_key", "deliveries",
       "order_id", "order_id=7", "2 rows"},
      {"item status", "items.csv", "order_id,line_no,status\n1,1,found\n1,2,lost\n2,1,missing\n",
       "outside_domain", "items", "status", "order_id=1, line_no=2", "lost"},
      {"infinite travel time", "deliveries.csv", Deliveries() + "30,car,inf,1\n", "not_finite",
       "deliveries", "travel_min", "order_id=30", "inf"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SetUp();
    dir_.Write(c.file, c.content);
    const DataCheckReport report = Check();
    const DataFinding& finding = Only(report, c.kind, c.table, c.column);
    EXPECT_EQ(finding.severity, Severity::BLOCKING);
    EXPECT_EQ(finding.example.key, c.key);
    EXPECT_EQ(finding.example.value, c.value);
    EXPECT_EQ(report.BlockingCount(), 1u) << report.ToText();
    ASSERT_NE(report.FirstBlocking(), nullptr);
    const std::string text = report.FirstBlocking()->Text();
    EXPECT_NE(text.find(c.table + "." + c.column), std::string::npos) << text;
    EXPECT_NE(text.find(c.key), std::string::npos) << text;
    EXPECT_NE(text.find(dir_.File(c.file)), std::string::npos) << text;
    // The analysis stops on the same line.
    const Dataset dataset = Dataset::Open(connection_, {.folder = dir_.Path().string()});
    const std::string message =
        testing::ErrorMessage([&] { RequireUsableData(connection_, dataset); });
    EXPECT_TRUE(message.starts_with(text)) << message;
    std::filesystem::remove(dir_.File("items.csv"));
  }
}

TEST_F(DataChecksTest, DistinctIdsDenseSparseOrSpanningBigintDoNotRepeat) {
  for (const std::string& extra :
       {std::string(),
        std::string("9000000000000000000,2026-06-02 10:00:00,2026-06-02,seattle,grocery,"
                    "delivered,\n"),
        std::string("-9000000000000000000,2026-06-02 10:00:00,2026-06-02,seattle,grocery,"
                    "delivered,\n9000000000000000000,2026-06-02 10:00:00,2026-06-02,seattle,"
                    "grocery,delivered,\n")}) {
    dir_.Write("orders.csv", Orders() + extra);
    const DataCheckReport report = Check();
    EXPECT_EQ(report.BlockingCount(), 0u) << report.ToText();
  }
}

TEST_F(DataChecksTest, EveryOrderDateNullAndNoRowsAreBlocking) {
  std::string csv = "order_id,order_date,region,status\n";
  for (int id = 1; id <= 6; ++id) csv += fmt::format("{},,seattle,delivered\n", id);
  dir_.Write("orders.csv", csv);
  DataCheckReport report = Check();
  const DataFinding& nulls = Only(report, "null", "orders", "order_date");
  EXPECT_EQ(nulls.severity, Severity::BLOCKING);
  EXPECT_EQ(nulls.count, 6);
  EXPECT_EQ(nulls.example.key, "order_id=1");
  EXPECT_EQ(report.tables[0].coverage.first, "");

  dir_.Write("orders.csv", ORDERS_HEADER);
  report = Check();
  const DataFinding& empty = Only(report, "empty_table", "orders", "");
  EXPECT_EQ(empty.severity, Severity::BLOCKING);
  EXPECT_EQ(empty.Text(),
            dir_.File("orders.csv").insert(0, "orders (") + "): the orders table has no rows");
  // Another empty table only warns: what it supports is computed over nothing.
  dir_.Write("orders.csv", Orders());
  dir_.Write("deliveries.csv", DELIVERIES_HEADER);
  report = Check();
  EXPECT_EQ(Only(report, "empty_table", "deliveries", "").severity, Severity::WARNING);
  EXPECT_EQ(report.BlockingCount(), 0u);
}

TEST_F(DataChecksTest, ImplausibleValuesOrphansGapsAndDescriptiveValuesWarn) {
  std::string orders = ORDERS_HEADER;
  for (int id = 1; id <= 30; ++id) {
    if ((id - 1) / 3 != 4 && (id - 1) / 3 != 5) orders += OrderRow(id);  // no orders on 5-6 June
  }
  dir_.Write("orders.csv", orders);
  dir_.Write("deliveries.csv",
             std::string(DELIVERIES_HEADER) + "1,car,-4,0\n2,truck,10,1\n99,bike,10,2\n");
  dir_.Write("inventory.csv",
             "date,store_id,category,actual_in_stock_rate\n2026-06-01,1,dairy,1.5\n");
  dir_.Write("change_log.csv",
             "change_id,changed_at,kind,scope,description\nc1,2019-03-01 10:00:00,pricing,all,"
             "old\n");
  const DataCheckReport report = Check();
  EXPECT_EQ(report.BlockingCount(), 0u) << report.ToText();
  const DataFinding& negative = Only(report, "implausible", "deliveries", "travel_min");
  EXPECT_EQ(negative.severity, Severity::WARNING);
  EXPECT_EQ(negative.message, "negative value");
  EXPECT_EQ(negative.example.key, "order_id=1");
  EXPECT_EQ(negative.example.value, "-4.0");
  const DataFinding& vehicle = Only(report, "outside_domain", "deliveries", "vehicle");
  EXPECT_EQ(vehicle.severity, Severity::WARNING);
  EXPECT_EQ(vehicle.example.value, "truck");
  const DataFinding& orphan = Only(report, "orphan", "deliveries", "order_id");
  EXPECT_EQ(orphan.count, 1);
  EXPECT_EQ(orphan.example.key, "order_id=99");
  const DataFinding& rate = Only(report, "implausible", "inventory", "actual_in_stock_rate");
  EXPECT_EQ(rate.message, "value outside 0 to 1");
  EXPECT_EQ(rate.example.key, "date=2026-06-01, store_id=1, category=dairy");
  EXPECT_EQ(Only(report, "far_date", "change_log", "changed_at").severity, Severity::WARNING);
  const DataFinding& gap = Only(report, "days_without_orders", "orders", "order_date");
  EXPECT_EQ(gap.count, 2);
  EXPECT_EQ(gap.example.value, "2026-06-05");
  ASSERT_EQ(report.tables[0].coverage.gaps.size(), 1u);
  EXPECT_EQ(report.tables[0].coverage.gaps[0],
            (std::pair<std::string, std::string>{"2026-06-05", "2026-06-06"}));
  // The analysis goes on: warnings do not stop it.
  const Dataset dataset = Dataset::Open(connection_, {.folder = dir_.Path().string()});
  EXPECT_NO_THROW(RequireUsableData(connection_, dataset));
}

// A change whose scope points at no slice would be left out of change-led detection and the
// RCA without a word: one warning counts them, with the first by change_id and why.
TEST_F(DataChecksTest, AChangeScopeThatIsNotASliceWarns) {
  dir_.Write("change_log.csv",
             "change_id,changed_at,kind,scope,description\n"
             "c3,2026-06-02 10:00:00,app_release,region=seattle,fine\n"
             "c4,2026-06-02 10:00:00,pricing,all,fine\n"
             "c5,2026-06-02 10:00:00,pricing,,whole market\n"
             "c2,2026-06-03 10:00:00,eta_model,city=seattle,no such dimension\n"
             "c1,2026-06-04 10:00:00,eta_model,seattle grocery,not a slice\n"
             "c6,2026-06-05 10:00:00,eta_model,city=seattle,again\n");
  const DataCheckReport report = Check();
  EXPECT_EQ(report.BlockingCount(), 0u) << report.ToText();
  const DataFinding& scope = Only(report, "scope_not_a_slice", "change_log", "scope");
  EXPECT_EQ(scope.severity, Severity::WARNING);
  EXPECT_EQ(scope.count, 3);
  EXPECT_EQ(scope.example.key, "change_id=c1");
  EXPECT_EQ(scope.example.value, "seattle grocery");
  EXPECT_NE(scope.message.find("has no '='"), std::string::npos) << scope.message;
  // The data's dimensions decide: region and store_type here.
  EXPECT_EQ(ChangeScopeProblem("region=seattle&store_type=grocery", report.dimensions), "");
  EXPECT_EQ(ChangeScopeProblem("all", report.dimensions), "");
  EXPECT_EQ(ChangeScopeProblem("", report.dimensions), "");
  EXPECT_EQ(ChangeScopeProblem("city=seattle", report.dimensions),
            "the data has no dimension 'city'");
  EXPECT_NE(ChangeScopeProblem("region=seattle&region=boston", report.dimensions), "");
  // It only warns: the analysis goes on.
  const Dataset dataset = Dataset::Open(connection_, {.folder = dir_.Path().string()});
  EXPECT_NO_THROW(RequireUsableData(connection_, dataset));
}

TEST_F(DataChecksTest, AParquetColumnOfTheWrongTypeIsBlocking) {
  std::filesystem::remove(dir_.File("orders.csv"));
  connection_.Execute(fmt::format(
      "COPY (SELECT CAST(range AS VARCHAR) AS order_id, DATE '2026-06-01' + CAST(range AS "
      "INTEGER) AS order_date, 'seattle' AS region, 'delivered' AS status FROM range(20)) TO {} "
      "(FORMAT parquet)",
      SqlLiteral(dir_.File("orders.parquet"))));
  const DataCheckReport report = Check();
  const DataFinding& type = Only(report, "wrong_type", "orders", "order_id");
  EXPECT_EQ(type.severity, Severity::BLOCKING);
  EXPECT_EQ(type.message, "is VARCHAR, expected BIGINT");
  // A BIGINT store_id fits INTEGER's type but one value does not: the folder's view reads it as
  // the file has it, so it only warns.
  connection_.Execute(fmt::format(
      "COPY (SELECT range AS order_id, DATE '2026-06-01' + CAST(range AS INTEGER) AS order_date, "
      "'seattle' AS region, 'delivered' AS status, CASE WHEN range = 7 THEN 10000000000 ELSE "
      "range END AS store_id FROM range(20)) TO {} (FORMAT parquet)",
      SqlLiteral(dir_.File("orders.parquet"))));
  const DataCheckReport wide = Check();
  EXPECT_EQ(wide.BlockingCount(), 0u) << wide.ToText();
  const DataFinding& overflow = Only(wide, "not_converted", "orders", "store_id");
  EXPECT_EQ(overflow.severity, Severity::WARNING);
  EXPECT_EQ(overflow.example.key, "order_id=7");
  EXPECT_EQ(overflow.example.value, "10000000000");
}

TEST_F(DataChecksTest, ABadCsvCellInAFolderIsBlockingWithItsLine) {
  dir_.Write("deliveries.csv", std::string(DELIVERIES_HEADER) + "1,car,10,0\n2,car,ten,0\n");
  const DataCheckReport report = Check();
  const DataFinding& unreadable = Only(report, "unreadable", "deliveries", "");
  EXPECT_EQ(unreadable.severity, Severity::BLOCKING);
  EXPECT_NE(unreadable.message.find("line 3"), std::string::npos) << unreadable.message;
  EXPECT_NE(unreadable.message.find("travel_min"), std::string::npos) << unreadable.message;
}

// A dataset file: values of the team's own in a dimension are theirs to slice by; a value its
// recode leaves out, or a time its format does not parse, would be a wrong or failed analysis.
TEST_F(DataChecksTest, ADatasetFileBlocksOnUnmappedCodesAndUnparsedTimes) {
  std::filesystem::create_directories(dir_.Path() / "exports");
  dir_.Write("exports/orders.csv",
             "id;placed;state;device;vertical\n"
             "7;01/06/2026 12:30;D;1;grocery\n"
             "8;02/06/2026 19:05;C;2;flowers\n"
             "9;03/06/2026 08:15;D;1;grocery\n");
  const std::string file = dir_.Write("dataset.yaml", R"(tables:
  orders:
    source: exports/orders.csv
    csv: {delimiter: ";"}
    columns: {order_id: id, created_at: placed, status: state, platform: device, store_type: vertical}
    recode:
      status: {D: delivered, C: cancelled}
      platform: {1: ios, 2: android}
    time_format: {created_at: "%d/%m/%Y %H:%M"}
)");
  DataCheckReport report = Check(file);
  EXPECT_EQ(report.BlockingCount(), 0u) << report.ToText();
  const DataFinding& own = Only(report, "outside_domain", "orders", "store_type");
  EXPECT_EQ(own.severity, Severity::WARNING);
  EXPECT_EQ(own.example.value, "flowers");
  EXPECT_EQ(report.dataset_file, file);

  dir_.Write("exports/orders.csv",
             "id;placed;state;device;vertical\n"
             "7;01/06/2026 12:30;D;1;grocery\n"
             "8;02/06/2026 19:05;X;3;grocery\n"
             "9;yesterday;D;1;grocery\n");
  report = Check(file);
  EXPECT_EQ(report.BlockingCount(), 3u) << report.ToText();
  const DataFinding& status = Only(report, "outside_domain", "orders", "status");
  EXPECT_EQ(status.severity, Severity::BLOCKING);
  EXPECT_EQ(status.example.key, "id=8");
  EXPECT_EQ(status.example.value, "X");
  EXPECT_NE(status.message.find("tables.orders.recode.status"), std::string::npos);
  const DataFinding& platform = Only(report, "outside_domain", "orders", "platform");
  EXPECT_EQ(platform.severity, Severity::BLOCKING);
  EXPECT_EQ(platform.example.value, "3");
  const DataFinding& time = Only(report, "not_converted", "orders", "created_at");
  EXPECT_EQ(time.severity, Severity::BLOCKING);
  EXPECT_EQ(time.example.key, "id=9");
  EXPECT_EQ(time.example.value, "yesterday");
  EXPECT_EQ(time.Text().find("orders.created_at"), 0u) << time.Text();
}

TEST_F(DataChecksTest, TheJsonReportHasTablesColumnsAndFindings) {
  dir_.Write("orders.csv", Orders() + OrderRow(31, "", "grocery", "lost"));
  const nlohmann::json json = Check().ToJson();
  EXPECT_EQ(json["blocking"], 1);
  EXPECT_EQ(json["warnings"], 0);
  EXPECT_EQ(json["data"]["folder"], dir_.Path().string());
  EXPECT_TRUE(json["data"]["dataset_file"].is_null());
  EXPECT_TRUE(json["data"]["plausible_dates"]["from"].is_string());
  ASSERT_EQ(json["tables"].size(), 8u);
  EXPECT_EQ(json["tables"][0]["table"], "orders");
  EXPECT_EQ(json["tables"][0]["rows"], 31);
  EXPECT_EQ(json["tables"][0]["coverage"]["first"], "2026-06-01");
  EXPECT_EQ(json["tables"][0]["coverage"]["days_without_rows"], 0);
  EXPECT_EQ(json["tables"][0]["columns"][0]["column"], "order_id");
  EXPECT_EQ(json["tables"][0]["columns"][0]["type_ok"], true);
  EXPECT_EQ(json["tables"][2]["present"], false);
  ASSERT_EQ(json["findings"].size(), 1u);
  const auto& finding = json["findings"][0];
  EXPECT_EQ(finding["severity"], "blocking");
  EXPECT_EQ(finding["kind"], "outside_domain");
  EXPECT_EQ(finding["table"], "orders");
  EXPECT_EQ(finding["column"], "status");
  EXPECT_EQ(finding["count"], 1);
  EXPECT_EQ(finding["example"]["key"], "order_id=31");
  EXPECT_EQ(finding["example"]["value"], "lost");
}

}  // namespace
}  // namespace cxagent::storage
