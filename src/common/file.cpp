#include "common/file.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "common/error.hpp"

namespace cxagent {

namespace {

// The temporaries this process has handed out (by file name), so that a new process that got a
// killed one's id tells its own temporaries from the dead one's.
struct IssuedTemporaries {
  std::mutex mutex;
  std::set<std::string> names;
};

IssuedTemporaries& Issued() {
  static IssuedTemporaries issued;
  return issued;
}

bool ProcessRuns(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

std::string TemporaryPathFor(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  std::string temporary = fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter++);
  auto& issued = Issued();
  std::lock_guard lock(issued.mutex);
  issued.names.insert(std::filesystem::path(temporary).filename().string());
  return temporary;
}

int RemoveStaleTemporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  fs::path folder = target.parent_path();
  if (folder.empty()) folder = ".";
  const std::string prefix = target.filename().string() + ".tmp-";
  int removed = 0;
  std::error_code error;
  fs::directory_iterator entries(folder, error);
  if (error) return 0;
  const pid_t self = ::getpid();
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    // <prefix><pid>-<n>[suffix]
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    const size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string_view::npos) continue;
    size_t end = dash + 1;
    while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
    if (end == dash + 1) continue;
    pid_t pid = 0;
    for (char c : rest.substr(0, dash)) {
      if (c < '0' || c > '9' || pid > 100'000'000) {
        pid = -1;
        break;
      }
      pid = pid * 10 + (c - '0');
    }
    if (pid <= 0) continue;
    bool stale = false;
    if (pid == self) {
      const std::string own = prefix + std::string(rest.substr(0, end));
      auto& issued = Issued();
      std::lock_guard lock(issued.mutex);
      stale = !issued.names.contains(own);
    } else {
      stale = !ProcessRuns(pid);
    }
    if (stale && fs::remove(entry.path(), error)) ++removed;
  }
  return removed;
}

void WriteFileAtomic(const std::string& path, std::string_view content) {
  RemoveStaleTemporaries(path);
  const std::string temporary = TemporaryPathFor(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError("cannot write {}: {}", path, std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      const std::string reason = std::strerror(errno);
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw IoError("cannot write {}: {}", path, reason);
    }
  }
  try {
    RenameFile(temporary, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

std::string ReadFile(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw NotFound("file not found: {}", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read {}: {}", path, std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void RenameFile(const std::string& from, const std::string& to) {
  std::error_code error;
  std::filesystem::rename(from, to, error);
  if (error) throw IoError("cannot move {} to {}: {}", from, to, error.message());
}

}  // namespace cxagent
