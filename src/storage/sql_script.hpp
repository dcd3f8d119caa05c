#pragma once

#include <map>
#include <string>
#include <string_view>

namespace cxagent::storage {

class Connection;

//! `text` (a SQL script read from `file`) with every `${name}` replaced by `values[name]`, single
//! quotes doubled: a placeholder stands inside a SQL string literal ('${world}/orders.parquet').
//! Throws InvalidInput naming the file and line for a placeholder without a value or a `${` not
//! followed by `name}`, and naming the value for one the script never uses (a misspelt --set).
std::string ExpandSqlScript(std::string_view text, const std::string& file,
                            const std::map<std::string, std::string>& values);

//! Reads the SQL script `file`, expands it (ExpandSqlScript) and runs its statements on
//! `connection`. Throws NotFound for a missing file and InvalidInput naming the file and the
//! engine's message for a statement that fails.
void RunSqlScript(Connection& connection, const std::string& file,
                  const std::map<std::string, std::string>& values);

}  // namespace cxagent::storage
