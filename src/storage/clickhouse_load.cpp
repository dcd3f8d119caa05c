#include "storage/clickhouse_load.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>

#include "common/error.hpp"
#include "storage/clickhouse_client.hpp"
#include "storage/clickhouse_csv.hpp"
#include "storage/clickhouse_layout.hpp"
#include "storage/data_folder.hpp"
#include "storage/dataset.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

// Settings of every CSV insert (docs/clickhouse.md): a field starting with ' is not a quote.
constexpr std::string_view CSV_SETTINGS = "format_csv_allow_single_quotes=0";
// Inserts through a Distributed table return once every shard has its rows, so the counts that
// follow see them all.
constexpr std::string_view DISTRIBUTED_CSV_SETTINGS =
    "insert_distributed_sync=1&format_csv_allow_single_quotes=0";

std::string Literal(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::string Qualified(const std::string& database, std::string_view name) {
  return ClickHouseIdentifier(database) + "." + ClickHouseIdentifier(name);
}

ClickHouseLocation AtAddress(const ClickHouseLocation& location, const ClickHouseAddress& address) {
  ClickHouseLocation server = location;
  server.host = address.host;
  server.port = address.port;
  server.shards.clear();
  return server;
}

// The shard `server` is in `cluster`, by the cluster's entry the server takes for itself.
int64_t ShardNumberOf(const ClickHouseLocation& server) {
  const Table answer = ClickHouseClient(server).Query(
      fmt::format("SELECT shard_num FROM system.clusters WHERE cluster = {} AND is_local = 1",
                  Literal(server.cluster)));
  if (answer.RowCount() == 0) {
    throw InvalidInput(
        "{}: this server is not a shard of cluster '{}' (none of the cluster's entries in its "
        "remote_servers is this server)",
        DescribeClickHouseLocation(server), server.cluster);
  }
  return answer.columns.at(0).ints.at(0);
}

std::set<std::string> TablesOf(const ClickHouseClient& client) {
  const Table answer =
      client.Query("SELECT name FROM system.tables WHERE database = currentDatabase()");
  std::set<std::string> names;
  for (size_t i = 0; i < answer.RowCount(); ++i) names.emplace(answer.columns.at(0).StringAt(i));
  return names;
}

// The columns `table` is loaded with: the contract's, then (for orders) the dataset file's own
// dimensions, which the dataset reads as text.
std::vector<LoadColumn> ColumnsToLoad(const Dataset& dataset, std::string_view table) {
  std::vector<LoadColumn> columns;
  for (const auto& column : RequiredColumns(table)) {
    columns.push_back({.name = std::string(column.name), .type = column.type});
  }
  if (table == "orders") {
    for (const auto& dimension : dataset.Dimensions()) {
      const bool known = std::any_of(columns.begin(), columns.end(),
                                     [&](const LoadColumn& c) { return c.name == dimension; });
      if (!known) columns.push_back({.name = dimension, .type = ColumnType::VARCHAR});
    }
  }
  return columns;
}

// Counts the rows and each column's NULLs in one pass over the table.
uint64_t CountNulls(Connection& connection, std::string_view table,
                    std::vector<LoadColumn>& columns) {
  std::vector<std::string> counts = {"count(*)"};
  for (const auto& column : columns) {
    counts.push_back(fmt::format("count({})", SqlIdentifier(column.name)));
  }
  const Table answer = connection.Query(
      fmt::format("SELECT {} FROM {}", fmt::join(counts, ", "), SqlIdentifier(table)));
  const int64_t rows = answer.columns.at(0).ints.at(0);
  for (size_t i = 0; i < columns.size(); ++i) {
    columns[i].nulls = rows - answer.columns.at(i + 1).ints.at(0);
  }
  return static_cast<uint64_t>(rows);
}

// The error `failure` with what was being done in front, keeping its type.
Error During(const std::string& what, const Error& failure) {
  return Error(failure.Type(), fmt::format("{}: {}", what, failure.what()));
}

class Loader {
 public:
  Loader(Connection& connection, const Dataset& dataset, const ClickHouseLocation& location,
         const ClickHouseLoadOptions& options,
         const std::function<void(const ClickHouseLoadProgress&)>& progress)
      : connection_(connection),
        dataset_(dataset),
        location_(location),
        options_(options),
        progress_(progress) {}

  std::vector<ClickHouseTableLoad> Run() {
    for (const auto& server : ResolveClickHouseShards(location_)) clients_.emplace_back(server);
    RefuseExisting();  // before any data is read
    Plan();
    DropLeftovers();
    std::vector<ClickHouseTableLoad> loads;
    try {
      CreateStaging();
      for (size_t i = 0; i < plans_.size(); ++i) loads.push_back(LoadTable(plans_[i], totals_[i]));
    } catch (...) {
      DropLeftovers(/*after_failure=*/true);
      throw;
    }
    Commit();
    return loads;
  }

 private:
  const std::string& Database() const { return location_.database; }

  void Plan() {
    for (std::string_view table : TABLE_NAMES) {
      if (!dataset_.HasTable(table)) continue;
      std::vector<LoadColumn> columns = ColumnsToLoad(dataset_, table);
      try {
        totals_.push_back(CountNulls(connection_, table, columns));
      } catch (const Error& failure) {
        throw During(fmt::format("cannot read the {} table from {}", table, dataset_.Origin(table)),
                     failure);
      }
      plans_.push_back(PlanClickHouseTable(table, columns));
    }
  }

  // Without --replace, any final name of any contract table (loaded now or not) is refused: a
  // later analysis would mix an earlier dataset's tables with this one's.
  void RefuseExisting() {
    for (size_t shard = 0; shard < clients_.size(); ++shard) {
      if (options_.replace) continue;
      const std::set<std::string> existing = TablesOf(clients_[shard]);
      std::vector<std::string> clashes;
      for (std::string_view table : TABLE_NAMES) {
        for (const auto& name : FinalNames(table)) {
          if (existing.contains(name)) clashes.push_back(name);
        }
      }
      if (!clashes.empty()) {
        throw Error(ErrorType::CONFLICT,
                    fmt::format("{}: database {} already has {} (shard {}); pass --replace to "
                                "replace the dataset",
                                DescribeClickHouseLocation(clients_[shard].Location()), Database(),
                                fmt::join(clashes, ", "), shard + 1));
      }
    }
  }

  // Drops the staging and retired names of every contract table on every shard: what a failed
  // load left, or (after_failure) what this one created. After a failure the first error is the
  // one reported; a cleanup that fails too is only logged.
  void DropLeftovers(bool after_failure = false) {
    for (auto& client : clients_) {
      for (std::string_view table : TABLE_NAMES) {
        for (const auto& name : FinalNames(table)) {
          for (const auto& leftover : {StagingName(name), RetiredName(name)}) {
            const std::string sql = "DROP TABLE IF EXISTS " + Qualified(Database(), leftover);
            if (!after_failure) {
              client.Execute(sql);
              continue;
            }
            try {
              client.Execute(sql);
            } catch (const Error& failure) {
              spdlog::warn("load: cannot drop {} after the failure: {}", leftover, failure.what());
            }
          }
        }
      }
    }
  }

  void CreateStaging() {
    for (size_t shard = 0; shard < clients_.size(); ++shard) {
      for (const auto& plan : plans_) {
        clients_[shard].Execute(
            CreateStorageTableSql(plan, Database(), StagingName(plan.StorageName())));
        // Rows are sent to the first server; its Distributed table splits them over the shards.
        if (shard == 0 && plan.sharding == ClickHouseSharding::BY_ORDER) {
          clients_[shard].Execute(CreateDistributedTableSql(plan, Database(), location_.cluster,
                                                            StagingName(plan.DistributedName()),
                                                            StagingName(plan.StorageName())));
        }
      }
    }
  }

  ClickHouseTableLoad LoadTable(const ClickHouseTablePlan& plan, uint64_t total) {
    const auto started = std::chrono::steady_clock::now();
    const auto seconds = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    const bool sharded = plan.sharding == ClickHouseSharding::BY_ORDER;
    const std::string target = StagingName(sharded ? plan.DistributedName() : plan.StorageName());
    const std::string insert = ClickHouseInsertSql(plan, Database(), target);
    ClickHouseCsvWriter writer;
    uint64_t sent = 0;
    const auto send = [&] {
      const uint64_t rows = writer.Rows();
      if (rows == 0) return;
      const std::string body = writer.Take();
      if (sharded) {
        clients_.front().Insert(insert, body, std::string(DISTRIBUTED_CSV_SETTINGS));
      } else {
        for (const auto& client : clients_) client.Insert(insert, body, std::string(CSV_SETTINGS));
      }
      sent += rows;
      if (progress_)
        progress_({.table = plan.table, .rows = sent, .total = total, .seconds = seconds()});
    };
    try {
      connection_.StreamText(DuckDbCsvSelect(plan, SqlIdentifier(plan.table)),
                             [&](const TextChunk& chunk) {
                               for (size_t row = 0; row < chunk.RowCount(); ++row) {
                                 for (size_t column = 0; column < chunk.ColumnCount(); ++column) {
                                   writer.Field(chunk.Cell(row, column));
                                 }
                                 writer.EndRow();
                               }
                               if (writer.Bytes() >= options_.chunk_bytes) send();
                             });
      send();
      CheckCounts(plan, sent);
    } catch (const Error& failure) {
      throw During(
          fmt::format("loading the {} table (from {})", plan.table, dataset_.Origin(plan.table)),
          failure);
    }
    if (progress_) {
      progress_(
          {.table = plan.table, .rows = sent, .total = total, .seconds = seconds(), .done = true});
    }
    return {.table = plan.table, .rows = sent, .seconds = seconds()};
  }

  // The rows ClickHouse holds are the rows sent: through the Distributed table for a sharded
  // table, on every shard for a replicated one.
  void CheckCounts(const ClickHouseTablePlan& plan, uint64_t sent) {
    const bool sharded = plan.sharding == ClickHouseSharding::BY_ORDER;
    for (size_t shard = 0; shard < (sharded ? 1 : clients_.size()); ++shard) {
      const std::string name = StagingName(sharded ? plan.DistributedName() : plan.StorageName());
      const Table answer =
          clients_[shard].Query("SELECT count() AS n FROM " + Qualified(Database(), name));
      const auto held = static_cast<uint64_t>(answer.columns.at(0).ints.at(0));
      if (held != sent) {
        throw InternalError("{} holds {} rows after {} were sent",
                            DescribeClickHouseLocation(clients_[shard].Location()), held, sent);
      }
    }
  }

  // Moves every staging table into its final name, on each shard with one RENAME (the previous
  // tables, with --replace, to their retired names in the same statement), then drops the retired
  // ones. The Distributed tables are made first under their staging names, over the final
  // storage names, so that they too move in the RENAME.
  void Commit() {
    for (size_t shard = 0; shard < clients_.size(); ++shard) {
      for (const auto& plan : plans_) {
        if (plan.sharding != ClickHouseSharding::BY_ORDER) continue;
        const std::string staging = StagingName(plan.DistributedName());
        clients_[shard].Execute("DROP TABLE IF EXISTS " + Qualified(Database(), staging));
        clients_[shard].Execute(CreateDistributedTableSql(plan, Database(), location_.cluster,
                                                          staging, plan.StorageName()));
      }
    }
    std::set<std::string> loaded;
    for (const auto& plan : plans_) loaded.insert(plan.table);
    for (size_t shard = 0; shard < clients_.size(); ++shard) {
      const std::set<std::string> existing = TablesOf(clients_[shard]);
      std::vector<std::string> pairs;
      std::vector<std::string> retired;
      for (std::string_view table : TABLE_NAMES) {
        for (const auto& name : FinalNames(table)) {
          if (existing.contains(name)) {
            pairs.push_back(fmt::format("{} TO {}", Qualified(Database(), name),
                                        Qualified(Database(), RetiredName(name))));
            retired.push_back(RetiredName(name));
          }
          if (loaded.contains(std::string(table))) {
            pairs.push_back(fmt::format("{} TO {}", Qualified(Database(), StagingName(name)),
                                        Qualified(Database(), name)));
          }
        }
      }
      try {
        clients_[shard].Execute(fmt::format("RENAME TABLE {}", fmt::join(pairs, ", ")));
      } catch (const Error& failure) {
        throw During(shard == 0 ? "moving the loaded tables into place"
                                : fmt::format("moving the loaded tables into place on shard {} "
                                              "(shards 1-{} already have the new tables)",
                                              shard + 1, shard),
                     failure);
      }
      for (const auto& name : retired) {
        clients_[shard].Execute("DROP TABLE IF EXISTS " + Qualified(Database(), name));
      }
    }
  }

  Connection& connection_;
  const Dataset& dataset_;
  const ClickHouseLocation& location_;
  const ClickHouseLoadOptions& options_;
  const std::function<void(const ClickHouseLoadProgress&)>& progress_;
  std::vector<ClickHouseClient> clients_;  // one per shard, in shard order
  std::vector<ClickHouseTablePlan> plans_;
  std::vector<uint64_t> totals_;
};

}  // namespace

std::vector<ClickHouseLocation> ResolveClickHouseShards(const ClickHouseLocation& location) {
  const std::string shown = DescribeClickHouseLocation(location);
  if (location.cluster.empty()) {
    throw InvalidInput(
        "{}: no cluster; name the cluster of the shards with ?cluster=NAME (its entry in the "
        "servers' remote_servers)",
        shown);
  }
  const ClickHouseClient first(location);
  const Table entries = first.Query(
      fmt::format("SELECT shard_num, replica_num, host_address, is_local FROM system.clusters "
                  "WHERE cluster = {} ORDER BY shard_num, replica_num",
                  Literal(location.cluster)));
  if (entries.RowCount() == 0) {
    const Table clusters =
        first.Query("SELECT DISTINCT cluster FROM system.clusters ORDER BY cluster");
    std::vector<std::string> names;
    for (size_t i = 0; i < clusters.RowCount(); ++i) {
      names.emplace_back(clusters.columns.at(0).StringAt(i));
    }
    throw NotFound("{}: the server has no cluster '{}' in its remote_servers (it has: {})", shown,
                   location.cluster,
                   names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
  }
  const Column& shard_num = entries.Get("shard_num");
  const Column& replica_num = entries.Get("replica_num");
  int64_t shard_count = 0;
  for (size_t i = 0; i < entries.RowCount(); ++i) {
    shard_count = std::max(shard_count, shard_num.ints[i]);
    if (replica_num.ints[i] > 1) {
      throw InvalidInput(
          "{}: shard {} of cluster '{}' has several replicas; load writes plain MergeTree tables, "
          "one server per shard (replicas need ReplicatedMergeTree and ZooKeeper)",
          shown, shard_num.ints[i], location.cluster);
    }
  }
  std::vector<ClickHouseLocation> candidates = {
      AtAddress(location, {location.host, location.port})};
  if (!location.shards.empty()) {
    for (const auto& address : location.shards) candidates.push_back(AtAddress(location, address));
  } else {
    for (size_t i = 0; i < entries.RowCount(); ++i) {
      if (entries.Get("is_local").ints[i] != 0) continue;
      candidates.push_back(AtAddress(
          location, {std::string(entries.Get("host_address").StringAt(i)), location.port}));
    }
  }
  std::map<int64_t, ClickHouseLocation> by_shard;
  for (const auto& candidate : candidates) {
    const int64_t number = ShardNumberOf(candidate);
    const auto [at, fresh] = by_shard.emplace(number, candidate);
    if (!fresh) {
      throw InvalidInput(
          "{} and {} are both shard {} of cluster '{}'; name each shard's HTTP "
          "address once with ?shards=HOST:PORT,...",
          DescribeClickHouseLocation(at->second), DescribeClickHouseLocation(candidate), number,
          location.cluster);
    }
  }
  std::vector<std::string> missing;
  for (int64_t number = 1; number <= shard_count; ++number) {
    if (!by_shard.contains(number)) missing.push_back(std::to_string(number));
  }
  if (!missing.empty()) {
    throw InvalidInput(
        "{}: cluster '{}' has {} shards but no HTTP address is known for shard {}; name the "
        "other shards' HTTP addresses with ?shards=HOST:PORT,...",
        shown, location.cluster, shard_count, fmt::join(missing, ", "));
  }
  std::vector<ClickHouseLocation> shards;
  for (auto& entry : by_shard) shards.push_back(std::move(entry.second));
  return shards;
}

std::vector<ClickHouseTableLoad> LoadIntoClickHouse(
    Connection& connection, const Dataset& dataset, const ClickHouseLocation& location,
    const ClickHouseLoadOptions& options,
    const std::function<void(const ClickHouseLoadProgress&)>& progress) {
  return Loader(connection, dataset, location, options, progress).Run();
}

}  // namespace cxagent::storage
