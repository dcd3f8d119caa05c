#include "storage/dataset.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/duckdb.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

using testing::ErrorMessage;
using testing::TempDir;

// One column of a query's result as text (NULL as "NULL"), row by row.
std::vector<std::string> Texts(Connection& connection, const std::string& sql) {
  const Table table =
      connection.Query("SELECT (" + sql + ")::VARCHAR AS v FROM orders ORDER BY order_id");
  std::vector<std::string> values;
  const Column& column = table.Get("v");
  for (size_t i = 0; i < table.RowCount(); ++i) {
    values.push_back(column.IsNull(i) ? "NULL" : std::string(column.StringAt(i)));
  }
  return values;
}

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(dir_.Path() / "exports"); }

  TempDir dir_;
  Database database_;
  Connection connection_{database_};
};

TEST_F(DatasetTest, AFolderWithOnlyOrdersRegistersEveryTable) {
  dir_.Write("orders.csv",
             "order_id,order_date,status,region\n1,2026-06-01,delivered,seattle\n"
             "2,2026-06-02,cancelled,boston\n");
  const Dataset dataset = Dataset::Open(connection_, {.folder = dir_.Path().string()});
  EXPECT_TRUE(dataset.HasTable("orders"));
  EXPECT_FALSE(dataset.HasTable("deliveries"));
  EXPECT_TRUE(dataset.HasColumn("orders", "status"));
  EXPECT_TRUE(dataset.HasColumn("orders", "order_date"));
  EXPECT_FALSE(dataset.HasColumn("orders", "created_at"));  // midnight stands in, not a time
  EXPECT_FALSE(dataset.HasColumn("orders", "platform"));
  EXPECT_EQ(dataset.Dimensions(), std::vector<std::string>{"region"});
  EXPECT_EQ(dataset.NamingOrder(), std::vector<std::string>{"region"});
  // Missing tables and columns are there, empty or NULL of the contract's type.
  EXPECT_EQ(connection_.Query("SELECT count(*) AS n FROM deliveries").Get("n").ints[0], 0);
  EXPECT_EQ(Texts(connection_, "platform"), (std::vector<std::string>{"NULL", "NULL"}));
  EXPECT_EQ(Texts(connection_, "created_at"),
            (std::vector<std::string>{"2026-06-01 00:00:00", "2026-06-02 00:00:00"}));
}

TEST_F(DatasetTest, AFolderNamesSlicesInTheContractsOrder) {
  dir_.Write("orders.csv",
             "order_id,order_date,status,fulfillment_mode,store_type,daypart,region\n"
             "1,2026-06-01,delivered,dasher_shop,grocery,lunch,seattle\n");
  const Dataset dataset = Dataset::Open(connection_, {.folder = dir_.Path().string()});
  EXPECT_EQ(dataset.Dimensions(),
            (std::vector<std::string>{"daypart", "fulfillment_mode", "region", "store_type"}));
  EXPECT_EQ(dataset.NamingOrder(),
            (std::vector<std::string>{"region", "store_type", "daypart", "fulfillment_mode"}));
}

TEST_F(DatasetTest, OrdersNeedAnIdAStatusAndADate) {
  dir_.Write("orders.csv", "order_id,region\n1,seattle\n");
  EXPECT_EQ(ErrorMessage([&] { Dataset::Open(connection_, {.folder = dir_.Path().string()}); }),
            dir_.File("orders.csv") +
                ": the orders table has no column status, created_at or order_date");
}

TEST_F(DatasetTest, ADatasetFileMapsRenamesRecodesAndLocalTimes) {
  dir_.Write("exports/orders.csv",
             "id;placed;state;device;market;channel\n"
             "7;01/06/2026 12:30;D;1;sea;app\n"
             "8;02/06/2026 19:05;C;3;bos;web\n");
  const std::string file = dir_.Write("dataset.yaml", R"(tables:
  orders:
    source: exports/orders.csv
    csv: {delimiter: ";"}
    columns: {order_id: id, created_at: placed, status: state, platform: device, region: market}
    recode:
      status: {D: delivered, C: cancelled}
      platform: {1: ios, 2: android, 3: web}
    time_format: {created_at: "%d/%m/%Y %H:%M"}
dimensions: [region, platform, channel]
)");
  const Dataset dataset =
      Dataset::Open(connection_, {.folder = dir_.Path().string(), .dataset_file = file});
  EXPECT_EQ(dataset.Dimensions(), (std::vector<std::string>{"channel", "platform", "region"}));
  // Slices selecting the same orders are named in the order the file lists its dimensions.
  EXPECT_EQ(dataset.NamingOrder(), (std::vector<std::string>{"region", "platform", "channel"}));
  EXPECT_EQ(Texts(connection_, "order_id"), (std::vector<std::string>{"7", "8"}));
  EXPECT_EQ(Texts(connection_, "status"), (std::vector<std::string>{"delivered", "cancelled"}));
  EXPECT_EQ(Texts(connection_, "platform"), (std::vector<std::string>{"ios", "web"}));
  EXPECT_EQ(Texts(connection_, "created_at"),
            (std::vector<std::string>{"2026-06-01 12:30:00", "2026-06-02 19:05:00"}));
  EXPECT_EQ(Texts(connection_, "order_date"),
            (std::vector<std::string>{"2026-06-01", "2026-06-02"}));
  EXPECT_EQ(Texts(connection_, "channel"), (std::vector<std::string>{"app", "web"}));
  EXPECT_EQ(Texts(connection_, "region"), (std::vector<std::string>{"sea", "bos"}));
  EXPECT_EQ(dataset.Origin("orders"), dir_.File("exports/orders.csv"));
  EXPECT_EQ(dataset.RawExpression("orders", "status").value_or(""), "\"state\"");
  EXPECT_FALSE(dataset.HasTable("ratings"));
}

TEST_F(DatasetTest, ASqlSourceReadsFilesBesideTheDatasetFile) {
  dir_.Write("exports/wide.csv",
             "id,day,outcome,stars,city\n1,2026-06-01,delivered,5,a\n2,2026-06-01,delivered,,b\n"
             "3,2026-06-02,cancelled,,a\n");
  const std::string file = dir_.Write("exports/dataset.yaml", R"(tables:
  orders:
    source: wide.csv
    columns: {order_id: id, order_date: day, status: outcome, region: city}
  ratings:
    sql: SELECT id AS order_id, stars AS rating FROM read_csv('wide.csv') WHERE stars IS NOT NULL
)");
  const Dataset dataset =
      Dataset::Open(connection_, {.folder = dir_.Path().string(), .dataset_file = file});
  EXPECT_TRUE(dataset.HasColumn("ratings", "rating"));
  EXPECT_FALSE(dataset.HasColumn("ratings", "rated_at"));
  const Table ratings = connection_.Query("SELECT order_id, rating, rated_at FROM ratings");
  ASSERT_EQ(ratings.RowCount(), 1u);
  EXPECT_EQ(ratings.Get("order_id").ints[0], 1);
  EXPECT_TRUE(ratings.Get("rated_at").IsNull(0));
}

TEST_F(DatasetTest, AFolderSourceReadsItsPartitionFoldersAndSkipsMarkers) {
  // What a daily job writes to a data lake: one file per day in Hive-style folders (the day is in
  // the folder's name, not in the file), and the job's markers beside them.
  for (const char* day : {"2026-06-01", "2026-06-02"}) {
    const std::string folder = dir_.File(std::string("exports/orders/order_date=") + day);
    std::filesystem::create_directories(folder);
    connection_.Execute(fmt::format(
        "COPY (SELECT {} AS order_id, 'delivered' AS status, 'seattle' AS region) TO '{}' "
        "(FORMAT parquet)",
        day[9] - '0', folder + "/part-0.parquet"));
  }
  dir_.Write("exports/orders/_SUCCESS", "");
  dir_.Write("exports/orders/.part-0.parquet.crc", "checksum");
  const std::string file =
      dir_.Write("dataset.yaml", "tables:\n  orders:\n    source: exports/orders\n");
  const Dataset dataset =
      Dataset::Open(connection_, {.folder = dir_.Path().string(), .dataset_file = file});
  EXPECT_TRUE(dataset.HasColumn("orders", "order_date"));
  EXPECT_EQ(Texts(connection_, "order_date"),
            (std::vector<std::string>{"2026-06-01", "2026-06-02"}));
}

TEST_F(DatasetTest, AFolderSourceWithoutDataFilesIsNotFound) {
  std::filesystem::create_directories(dir_.Path() / "exports" / "orders" / "order_date=x");
  dir_.Write("exports/orders/_SUCCESS", "");
  const std::string file =
      dir_.Write("dataset.yaml", "tables:\n  orders:\n    source: exports/orders\n");
  EXPECT_EQ(ErrorMessage(
                [&] {
                  Dataset::Open(connection_,
                                {.folder = dir_.Path().string(), .dataset_file = file});
                },
                ErrorType::NOT_FOUND),
            file + ": tables.orders.source: folder " + dir_.File("exports/orders") +
                " has no data files");
}

TEST_F(DatasetTest, DatasetFileMistakesNameTheFileLineAndWhatIsAllowed) {
  dir_.Write("orders.csv", "order_id,order_date,status,region\n1,2026-06-01,delivered,seattle\n");
  const auto open = [&](const std::string& yaml) {
    const std::string file = dir_.Write("dataset.yaml", yaml);
    return ErrorMessage([&] {
      Dataset::Open(connection_, {.folder = dir_.Path().string(), .dataset_file = file});
    });
  };
  const std::string file = dir_.File("dataset.yaml");
  EXPECT_EQ(open("tables:\n  order:\n    source: orders.csv\n"),
            file +
                ": line 2: tables: unknown table 'order'; allowed: orders, deliveries, items, "
                "inventory, support, ratings, supply_hourly, change_log");
  EXPECT_EQ(open("tables:\n  orders:\n    source: orders.csv\n    colums: {}\n"),
            file +
                ": line 4: tables.orders: unknown key 'colums'; allowed: source, sql, format, "
                "csv, columns, recode, time_format");
  EXPECT_EQ(open("tables:\n  orders:\n    source: orders.csv\n    columns: {rating: stars}\n")
                .substr(0, file.size() + 60),
            (file + ": line 4: tables.orders.columns: 'rating' is not a column of the orders table")
                .substr(0, file.size() + 60));
  EXPECT_EQ(open("tables:\n  orders:\n    source: orders.csv\n    columns: {status: state}\n"),
            file + ": tables.orders.columns.status: " + dir_.File("orders.csv") +
                " has no column 'state' (it has: order_id, order_date, status, region)");
  EXPECT_EQ(
      open("tables:\n  orders:\n    source: orders.csv\n    format: xls\n"),
      file + ": line 4: tables.orders.format: unknown format 'xls'; allowed: parquet, csv, json");
  EXPECT_EQ(open("tables:\n  orders:\n    source: orders.csv\ndimensions: [late_min]\n"),
            file +
                ": line 4: dimensions: 'late_min' names a measure of the contract, not a slicing "
                "dimension");
  EXPECT_EQ(ErrorMessage(
                [&] {
                  Dataset::Open(connection_, {.folder = dir_.Path().string(),
                                              .dataset_file = dir_.File("none.yaml")});
                },
                ErrorType::NOT_FOUND),
            "dataset file not found: " + dir_.File("none.yaml"));
}

}  // namespace
}  // namespace cxagent::storage
