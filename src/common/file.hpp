#pragma once

#include <string>
#include <string_view>

namespace cxagent {

//! A unique temporary path beside `path` (same folder, so a rename into place is atomic).
std::string TemporaryPathFor(const std::string& path);

//! Writes `content` to `path` through a temporary file renamed into place; on failure nothing is
//! left at `path` or beside it. Throws Io naming the path and the system's reason.
void WriteFileAtomic(const std::string& path, std::string_view content);

//! Reads a whole file; throws NotFound when it does not exist and Io when it cannot be read.
std::string ReadFile(const std::string& path);

//! Renames `from` to `to`, replacing `to`; throws Io with the reason.
void RenameFile(const std::string& from, const std::string& to);

}  // namespace cxagent
