#pragma once

#include <string>
#include <string_view>

namespace cxagent {

//! A unique temporary path beside `path` (same folder, so a rename into place is atomic):
//! `<path>.tmp-<pid>-<n>`, remembered by this process so RemoveStaleTemporaries leaves it alone.
std::string TemporaryPathFor(const std::string& path);

//! Removes the temporaries of `path` (`<path>.tmp-<pid>-<n>` and any file that name starts, such
//! as a database's `.wal`) left by a process that no longer runs (killed, say): those of another
//! process id that is gone, and those of this process id that this process did not make (the
//! id of a killed process may come back). Returns how many files it removed; never throws.
int RemoveStaleTemporaries(const std::string& path);

//! Writes `content` to `path` through a temporary file renamed into place; on failure nothing is
//! left at `path` or beside it. Throws Io naming the path and the system's reason.
void WriteFileAtomic(const std::string& path, std::string_view content);

//! Reads a whole file; throws NotFound when it does not exist and Io when it cannot be read.
std::string ReadFile(const std::string& path);

//! Renames `from` to `to`, replacing `to`; throws Io with the reason.
void RenameFile(const std::string& from, const std::string& to);

}  // namespace cxagent
