#include "storage/cube_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "common/digest.hpp"
#include "common/file.hpp"

namespace cxagent::storage {

namespace {

namespace fs = std::filesystem;

// The file: MAGIC, the header's size (u64), the header (generation, rows, columns and each
// column's name, type and dictionary), each column's values (rows x 8 bytes: int64 or double),
// then the digest of the header and of the values in pieces of PIECE bytes (two u64). Numbers as
// the machine's (the copy is read back by the machine that wrote it; another reads other bytes
// and the digest tells).
constexpr char MAGIC[8] = {'C', 'X', 'C', 'U', 'B', 'E', '1', '\n'};
// A header past this is not one this code wrote (slice texts are short, dictionaries of at most
// a few hundred thousand slices).
constexpr uint64_t MAX_HEADER = uint64_t{1} << 30;
// Values are digested in pieces of this many bytes as they are written and read, while the piece
// is in the cache (digesting a column after reading it whole, from memory, costs twice as much).
constexpr size_t PIECE = size_t{1} << 18;

void PutNumber(std::string& out, uint64_t value) {
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  out.append(bytes, 8);
}

void PutText(std::string& out, std::string_view text) {
  PutNumber(out, text.size());
  out.append(text);
}

// Reads a header written by PutNumber and PutText, every read checked against its end.
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view bytes) : bytes_(bytes) {}
  bool Number(uint64_t& value) {
    if (bytes_.size() - at_ < 8) return false;
    std::memcpy(&value, bytes_.data() + at_, 8);
    at_ += 8;
    return true;
  }
  bool Text(std::string& text) {
    uint64_t size = 0;
    if (!Number(size) || size > bytes_.size() - at_) return false;
    text.assign(bytes_.data() + at_, size);
    at_ += size;
    return true;
  }
  bool AtEnd() const { return at_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

// The bytes of column `column`'s values (ints, or doubles for DOUBLE).
std::pair<const char*, size_t> ValueBytes(const Column& column) {
  if (column.type == ColumnType::DOUBLE) {
    return {reinterpret_cast<const char*>(column.doubles.data()), column.doubles.size() * 8};
  }
  return {reinterpret_cast<const char*>(column.ints.data()), column.ints.size() * 8};
}

// Why `cube` cannot be copied (empty when it can): the copy holds values, not NULLs or strings.
std::string Unfit(const Table& cube) {
  const size_t rows = cube.RowCount();
  for (const Column& column : cube.columns) {
    if (column.type == ColumnType::VARCHAR && column.dictionary.empty()) {
      return fmt::format("column {} is text, not dictionary-coded", column.name);
    }
    if (std::find(column.valid.begin(), column.valid.end(), 0) != column.valid.end()) {
      return fmt::format("column {} holds NULLs", column.name);
    }
    if (column.Size() != rows) return fmt::format("column {} has another length", column.name);
  }
  return {};
}

// Writes all of `size` bytes at `data` to `fd`.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

// Reads exactly `size` bytes into `data`; false at an error or the end of the file.
bool ReadAll(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t got = ::read(fd, data, size);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (got == 0) return false;
    data += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

// Writes the copy of `cube` to `path`; the reason when it cannot.
std::string WriteCopy(const std::string& path, const Table& cube, const std::string& generation) {
  if (std::string unfit = Unfit(cube); !unfit.empty()) return unfit;
  std::string header;
  PutText(header, generation);
  PutNumber(header, cube.RowCount());
  PutNumber(header, cube.columns.size());
  for (const Column& column : cube.columns) {
    PutText(header, column.name);
    PutNumber(header, static_cast<uint64_t>(column.type));
    PutNumber(header, column.dictionary.size());
    for (const std::string& entry : column.dictionary) PutText(header, entry);
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot create {}: {}", path, std::strerror(errno));
  Digest digest;
  digest.Add(header.data(), header.size());
  std::string start(MAGIC, sizeof MAGIC);
  PutNumber(start, header.size());
  bool written =
      WriteAll(fd, start.data(), start.size()) && WriteAll(fd, header.data(), header.size());
  for (const Column& column : cube.columns) {
    const auto [data, size] = ValueBytes(column);
    for (size_t at = 0; written && at < size; at += PIECE) {
      const size_t piece = std::min(PIECE, size - at);
      digest.Add(data + at, piece);
      written = WriteAll(fd, data + at, piece);
    }
  }
  std::string end;
  PutNumber(end, digest.Low());
  PutNumber(end, digest.High());
  written = written && WriteAll(fd, end.data(), end.size());
  const int error = errno;
  if (::close(fd) != 0 && written)
    return fmt::format("cannot write {}: {}", path, std::strerror(errno));
  if (!written) return fmt::format("cannot write {}: {}", path, std::strerror(error));
  return {};
}

void RemoveQuietly(const std::string& path) {
  std::error_code ignored;
  fs::remove(path, ignored);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

std::string CubeCopyPath(const std::string& data_dir) {
  return (fs::path(data_dir) / ".cxagent" / "slice_cube.bin").string();
}

CubeCopyWriter::CubeCopyWriter(const std::string& data_dir, const Table& cube,
                               std::string generation, bool held)
    : path_(CubeCopyPath(data_dir)), temporary_(TemporaryPathFor(path_)), release_(!held) {
  // A killed run (kill -9 runs no clean-up) leaves its temporary copy.
  RemoveStaleTemporaries(path_);
  writer_ = std::thread([this, &cube, generation = std::move(generation)] {
    release_.Wait();
    const auto started = std::chrono::steady_clock::now();
    try {
      failure_ = WriteCopy(temporary_, cube, generation);
    } catch (const std::exception& failure) {
      failure_ = failure.what();
    }
    if (failure_.empty()) {
      spdlog::debug("slice cube: copy of {} rows written in {:.3f} s", cube.RowCount(),
                    Seconds(started));
    }
  });
}

CubeCopyWriter::~CubeCopyWriter() {
  release_.Open();
  if (writer_.joinable()) writer_.join();
  if (!committed_) RemoveQuietly(temporary_);
}

void CubeCopyWriter::Commit() {
  if (committed_) return;
  release_.Open();
  writer_.join();
  committed_ = true;
  if (failure_.empty()) {
    std::error_code error;
    fs::rename(temporary_, path_, error);
    if (!error) return;
    failure_ = fmt::format("cannot move it into place: {}", error.message());
  }
  // The stored copy is of the results just replaced: a refresh would find it stale anyway.
  spdlog::warn(
      "slice cube: no copy of it is kept for the next refresh ({}); it reads the stored "
      "results' table instead",
      failure_);
  RemoveQuietly(temporary_);
  RemoveQuietly(path_);
}

std::optional<Table> ReadCubeCopy(const std::string& path, const std::string& generation,
                                  std::string& why) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = errno == ENOENT ? "there is no copy of it"
                          : fmt::format("{}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    why = fmt::format("{}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  const auto file_size = static_cast<uint64_t>(status.st_size);
  char start[sizeof MAGIC + 8];
  uint64_t header_size = 0;
  if (!ReadAll(fd, start, sizeof start) || std::memcmp(start, MAGIC, sizeof MAGIC) != 0) {
    why = "its copy is not one (no header)";
    return std::nullopt;
  }
  std::memcpy(&header_size, start + sizeof MAGIC, 8);
  if (header_size > MAX_HEADER || header_size > file_size - sizeof start) {
    why = "its copy is torn or damaged (a header larger than the file)";
    return std::nullopt;
  }
  std::string header(header_size, '\0');
  if (!ReadAll(fd, header.data(), header.size())) {
    why = "its copy is torn (it ends in its header)";
    return std::nullopt;
  }
  HeaderReader reader(header);
  std::string stored_generation;
  uint64_t rows = 0;
  uint64_t columns = 0;
  if (!reader.Text(stored_generation) || !reader.Number(rows) || !reader.Number(columns)) {
    why = "its copy's header is damaged";
    return std::nullopt;
  }
  if (stored_generation != generation) {
    why = fmt::format("its copy is of other results (generation {}, the results' {})",
                      stored_generation, generation);
    return std::nullopt;
  }
  // The values and the digest are what follows the header, to the byte.
  const uint64_t rest = file_size - sizeof start - header_size;
  if (columns > rest / 8 || (columns > 0 && rows > (rest / 8) / columns) ||
      rest != columns * rows * 8 + 16) {
    why = fmt::format("its copy is torn or damaged ({} bytes, not those of {} rows of {} columns)",
                      file_size, rows, columns);
    return std::nullopt;
  }
  Table cube;
  for (uint64_t c = 0; c < columns; ++c) {
    std::string name;
    uint64_t type = 0;
    uint64_t entries = 0;
    if (!reader.Text(name) || !reader.Number(type) || !reader.Number(entries) ||
        type > static_cast<uint64_t>(ColumnType::TIMESTAMP) || entries > header_size) {
      why = "its copy's header is damaged";
      return std::nullopt;
    }
    Column& column = cube.AddColumn(std::move(name), static_cast<ColumnType>(type));
    column.dictionary.resize(entries);
    for (auto& entry : column.dictionary) {
      if (!reader.Text(entry)) {
        why = "its copy's header is damaged";
        return std::nullopt;
      }
    }
    if ((column.type == ColumnType::VARCHAR) == column.dictionary.empty()) {
      why = "its copy's header is damaged (a text column without a dictionary)";
      return std::nullopt;
    }
  }
  if (!reader.AtEnd()) {
    why = "its copy's header is damaged";
    return std::nullopt;
  }
  Digest digest;
  digest.Add(header.data(), header.size());
  // Each piece is read into a buffer (in the cache), digested there and appended to its column:
  // cheaper than reading into a column sized first, which writes zeros over all of it.
  const size_t values_per_piece = PIECE / 8;
  std::vector<int64_t> ints(values_per_piece);
  std::vector<double> doubles(values_per_piece);
  // Room for the rows a refresh adds to the cube in place (metrics::ExtendCubeInPlace: a day's
  // are about 1% of 91 days'), so that its columns grow without being copied; pages of it never
  // written cost nothing.
  const uint64_t capacity = rows + rows / 16 + 1024;
  for (Column& column : cube.columns) {
    const bool real = column.type == ColumnType::DOUBLE;
    if (real) {
      column.doubles.reserve(capacity);
    } else {
      column.ints.reserve(capacity);
    }
    for (uint64_t at = 0; at < rows; at += values_per_piece) {
      const size_t count = static_cast<size_t>(std::min<uint64_t>(values_per_piece, rows - at));
      char* piece =
          real ? reinterpret_cast<char*>(doubles.data()) : reinterpret_cast<char*>(ints.data());
      if (!ReadAll(fd, piece, count * 8)) {
        why = "its copy is torn (it ends in its values)";
        return std::nullopt;
      }
      digest.Add(piece, count * 8);
      if (real) {
        column.doubles.insert(column.doubles.end(), doubles.begin(),
                              doubles.begin() + static_cast<ptrdiff_t>(count));
      } else {
        column.ints.insert(column.ints.end(), ints.begin(),
                           ints.begin() + static_cast<ptrdiff_t>(count));
      }
    }
  }
  uint64_t stored_digest[2] = {0, 0};
  if (!ReadAll(fd, reinterpret_cast<char*>(stored_digest), sizeof stored_digest)) {
    why = "its copy is torn (it ends before its digest)";
    return std::nullopt;
  }
  if (stored_digest[0] != digest.Low() || stored_digest[1] != digest.High()) {
    why = "its copy is damaged (its digest does not match its bytes)";
    return std::nullopt;
  }
  // A code outside its dictionary would be read past it.
  for (const Column& column : cube.columns) {
    if (column.dictionary.empty()) continue;
    const auto size = static_cast<int64_t>(column.dictionary.size());
    if (std::any_of(column.ints.begin(), column.ints.end(),
                    [size](int64_t code) { return code < 0 || code >= size; })) {
      why = fmt::format("its copy's column {} has codes outside its dictionary", column.name);
      return std::nullopt;
    }
  }
  return cube;
}

}  // namespace cxagent::storage
