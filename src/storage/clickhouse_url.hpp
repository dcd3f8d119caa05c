#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cxagent::storage {

//! The HTTP address of one ClickHouse server.
struct ClickHouseAddress {
  std::string host;  //!< a host name or IPv4 address, or an IPv6 address (no brackets)
  int port = 8123;   //!< its HTTP port
};

//! Where a ClickHouse dataset lives (issue 17, docs/clickhouse.md): the server's HTTP interface,
//! the database of the contract tables, the login and the cluster of its Distributed tables.
struct ClickHouseLocation {
  std::string host;              //!< a host name or IPv4 address, or an IPv6 address (no brackets)
  int port = 8123;               //!< the HTTP port (ClickHouse's default when the URL has none)
  std::string database;          //!< the database the contract tables are in
  std::string user = "default";  //!< ClickHouse's user when the URL names none
  std::string password;          //!< empty: none
  std::string cluster;           //!< the `remote_servers` cluster; empty when the URL names none
  //! The HTTP addresses of the cluster's other shards (`?shards=HOST:PORT,...`); empty: found in
  //! the server's `system.clusters` (see ResolveClickHouseShards).
  std::vector<ClickHouseAddress> shards;
};

//! Whether `text` names a ClickHouse dataset (it starts with `clickhouse://`) rather than a folder.
bool IsClickHouseUrl(std::string_view text);

//! Parses `clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?cluster=NAME][&shards=H:P,...]`.
//! User and password may instead be the query parameters `user=` and `password=`; USER, PASSWORD
//! and query values are percent-decoded; an IPv6 host is written in brackets (also in `shards`,
//! whose every address needs its port). Throws InvalidInput naming the URL
//! (its password shown as ***) and what is wrong: another scheme, no host, a bad port, no
//! database or one that is not a plain name, an unknown or repeated parameter, a bad escape.
ClickHouseLocation ParseClickHouseUrl(std::string_view url);

//! The location written as a URL for messages and logs, its password (if any) shown as ***.
//! The `shards` parameter is not shown: the text names the one server a request went to.
std::string DescribeClickHouseLocation(const ClickHouseLocation& location);

//! The server's message in the body of a ClickHouse HTTP error, as one line:
//! "ClickHouse error 60: Table cx.nope doesn't exist." from 18.16's `Code: 60,
//! e.displayText() = DB::Exception: Table cx.nope doesn't exist., e.what() = DB::Exception` and
//! from current servers' `Code: 60. DB::Exception: Table cx.nope doesn't exist. (UNKNOWN_TABLE)
//! (version 24.8.1.1)` (the version is dropped). The multi-line report of an insert's parse error
//! is joined with " | "; a body of another shape is returned as one line; at most about 500 bytes.
std::string ClickHouseErrorMessage(std::string_view body);

}  // namespace cxagent::storage
