#include "storage/sql_script.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "common/error.hpp"
#include "common/file.hpp"
#include "storage/duckdb.hpp"

namespace cxagent::storage {

namespace {

bool NameChar(char c, bool first) {
  const auto byte = static_cast<unsigned char>(c);
  return std::islower(byte) || c == '_' || (!first && std::isdigit(byte));
}

}  // namespace

std::string ExpandSqlScript(std::string_view text, const std::string& file,
                            const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  std::set<std::string> used;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    size_t end = i + 2;
    while (end < text.size() && NameChar(text[end], end == i + 2)) ++end;
    if (end == i + 2 || end >= text.size() || text[end] != '}') {
      throw InvalidInput(
          "{}: line {}: '${{' must be followed by a name (lower-case letters, digits, _) and '}}'",
          file, line);
    }
    const std::string name(text.substr(i + 2, end - i - 2));
    const auto value = values.find(name);
    if (value == values.end()) {
      throw InvalidInput("{}: line {}: ${{{}}} has no value (give it with --set {}=VALUE)", file,
                         line, name, name);
    }
    used.insert(name);
    for (char c : value->second) {
      out += c;
      if (c == '\'') out += '\'';
    }
    i = end;
  }
  for (const auto& [name, value] : values) {
    if (!used.contains(name)) {
      throw InvalidInput("--set {}: {} has no ${{{}}}", name, file, name);
    }
  }
  return out;
}

void RunSqlScript(Connection& connection, const std::string& file,
                  const std::map<std::string, std::string>& values) {
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) {
    throw InvalidInput("{}: is a folder; expected a SQL file", file);
  }
  const std::string sql = ExpandSqlScript(ReadFile(file), file, values);
  try {
    connection.Execute(sql);
  } catch (const Error& failure) {
    throw Error(failure.Type(), fmt::format("{}: {}", file, failure.what()));
  }
}

}  // namespace cxagent::storage
