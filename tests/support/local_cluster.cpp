#include "support/local_cluster.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>

namespace cxagent::testing {
namespace {

std::string Script() {
  return std::string(CXAGENT_SOURCE_DIR) + "/scripts/clickhouse_cluster.sh";
}

// Runs the cluster script's `command` on `folder` with the variable assignments `environment`
// before it, its output discarded; true when it succeeded.
bool RunScript(const std::string& environment, const std::string& command,
               const std::filesystem::path& folder) {
  const std::string line =
      environment + Script() + " " + command + " '" + folder.string() + "' >/dev/null";
  return std::system(line.c_str()) == 0;
}

}  // namespace

bool LocalCluster::ServerInstalled() {
  return std::system("command -v clickhouse-server >/dev/null 2>&1") == 0;
}

LocalCluster::LocalCluster(const std::string& name) {
  std::string pattern = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) return;
  folder_ = pattern;
  Start();
}

LocalCluster::~LocalCluster() {
  if (folder_.empty()) return;
  RunScript("", "stop", ClusterFolder());
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

bool LocalCluster::Start() {
  port1_ = 0;
  // The cluster stops itself once this process is gone, should it be killed before ~LocalCluster.
  const std::string owner = "CLICKHOUSE_CLUSTER_OWNER=" + std::to_string(getpid()) + " ";
  if (folder_.empty() || !RunScript(owner, "start", ClusterFolder())) return false;
  std::ifstream ports(ClusterFolder() / "ports.env");
  std::map<std::string, std::string> values;
  for (std::string line; std::getline(ports, line);) {
    const size_t equals = line.find('=');
    if (line.starts_with('#') || equals == std::string::npos) continue;
    values[line.substr(0, equals)] = line.substr(equals + 1);
  }
  if (!values.contains("CLICKHOUSE_HTTP_PORT_1") || !values.contains("CLICKHOUSE_HTTP_PORT_2")) {
    return false;
  }
  name_ = values["CLICKHOUSE_CLUSTER"];
  password_ = values["CLICKHOUSE_PASSWORD"];
  port2_ = std::stoi(values["CLICKHOUSE_HTTP_PORT_2"]);
  port1_ = std::stoi(values["CLICKHOUSE_HTTP_PORT_1"]);
  return true;
}

bool LocalCluster::Stop() {
  return !folder_.empty() && RunScript("", "stop", ClusterFolder());
}

storage::ClickHouseLocation LocalCluster::Shard(int shard, const std::string& database) const {
  return storage::ClickHouseLocation{
      .host = "127.0.0.1", .port = shard == 1 ? port1_ : port2_, .database = database};
}

std::string LocalCluster::Url(const std::string& database, const std::string& extra) const {
  return "clickhouse://127.0.0.1:" + std::to_string(port1_) + "/" + database + "?cluster=" + name_ +
         "&shards=127.0.0.1:" + std::to_string(port2_) + extra;
}

}  // namespace cxagent::testing
