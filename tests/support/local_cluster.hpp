#pragma once

#include <filesystem>
#include <string>

#include "storage/clickhouse_url.hpp"

namespace cxagent::testing {

//! The local two-shard ClickHouse cluster of scripts/clickhouse_cluster.sh, in a temporary folder
//! of its own (the servers in `Folder()/cluster`, the rest of the folder free for a suite's
//! worlds), for the tests of one suite. The destructor stops the servers and removes the folder.
class LocalCluster {
 public:
  //! Whether clickhouse-server is installed (scripts/setup.sh installs it); the suites skip
  //! their tests without it.
  static bool ServerInstalled();

  //! Makes the folder, `name`-XXXXXX in the temporary directory, and starts the servers;
  //! Started() says whether they answered.
  explicit LocalCluster(const std::string& name);
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  //! Starts the servers (again, after Stop() or a killed server) and reads their ports; false
  //! when the script fails.
  bool Start();
  //! Stops the servers, keeping their data; false when the script fails.
  bool Stop();
  bool Started() const { return port1_ != 0; }

  const std::filesystem::path& Folder() const { return folder_; }
  //! The servers' own folder (Folder()/cluster: shard1/, shard2/, ports.env).
  std::filesystem::path ClusterFolder() const { return folder_ / "cluster"; }
  //! The cluster's name in its `remote_servers` and the password of its `cxagent` user.
  const std::string& Name() const { return name_; }
  const std::string& Password() const { return password_; }
  //! Server `shard` (1 or 2) as the user `default`, with `database`.
  storage::ClickHouseLocation Shard(int shard, const std::string& database) const;
  //! The `--data`/`--into` URL of `database` over both shards: the first shard with the cluster's
  //! name and the second's address; `extra` is appended (further `&key=value` settings).
  std::string Url(const std::string& database, const std::string& extra = "") const;

 private:
  std::filesystem::path folder_;
  int port1_ = 0;
  int port2_ = 0;
  std::string name_;
  std::string password_;
};

}  // namespace cxagent::testing
