#pragma once

#include <cstdint>
#include <string>

#include "storage/clickhouse_url.hpp"
#include "storage/table.hpp"

namespace cxagent::storage {

//! Runs SQL on one ClickHouse server over its HTTP interface (docs/clickhouse.md): the SQL in
//! the POST body, the database as a URL parameter, the login in the X-ClickHouse-User and
//! X-ClickHouse-Key headers, and wait_end_of_query=1 so that an error met after the first rows
//! still fails the request. Every failure is an Error whose message names the server (without
//! its password) and carries ClickHouse's own message in one line; all of them end a CLI command
//! with exit 2 (issue 17): nothing answering at the address is NotFound, a wrong user or password
//! Unauthorized, an unknown database, table, column or function NotFound, any other refusal of
//! the query (syntax, types, limits) InvalidInput.
//! What every ClickHouseClient of this process has sent and received so far: the figures behind
//! "what comes back over the network" (docs/scale.md). Requests that failed count too.
struct ClickHouseTraffic {
  int64_t requests = 0;        //!< HTTP requests posted
  int64_t bytes_sent = 0;      //!< request bodies (SQL, rows of an INSERT)
  int64_t bytes_received = 0;  //!< answer bodies (rows, error messages)
};

//! The process's ClickHouse traffic so far (thread-safe; never reset).
ClickHouseTraffic ClickHouseTrafficSoFar();

class ClickHouseClient {
 public:
  //! A client for `location`; each request may take up to `timeout_seconds`.
  explicit ClickHouseClient(ClickHouseLocation location, double timeout_seconds = 600);

  //! Runs a query that returns rows and reads them (ParseClickHouseTsv); the SQL must not end
  //! with a FORMAT clause.
  Table Query(const std::string& sql) const;
  //! Runs a statement whose answer is of no interest (DDL, INSERT ... SELECT).
  void Execute(const std::string& sql) const;
  //! Sends `rows` as the data of `insert`, an `INSERT INTO ... FORMAT ...` statement, with the
  //! extra URL parameters `settings` (e.g. "insert_distributed_sync=1"; empty for none).
  void Insert(const std::string& insert, const std::string& rows,
              const std::string& settings = {}) const;

  //! Where the client sends its requests.
  const ClickHouseLocation& Location() const { return location_; }

 private:
  std::string Post(const std::string& query_in_url, const std::string& body,
                   const std::string& settings) const;

  ClickHouseLocation location_;
  double timeout_seconds_;
};

}  // namespace cxagent::storage
