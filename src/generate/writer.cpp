#include "generate/writer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "storage/duckdb.hpp"
#include "storage/streamed_files.hpp"

namespace cxagent::generate {

namespace fs = std::filesystem;

storage::FileFormat ParseOutputFormat(const std::string& text) {
  try {
    return storage::ParseFileFormat(text);
  } catch (const Error&) {
    throw InvalidInput("--format: '{}' is not a format; allowed: parquet, csv", text);
  }
}

struct WorldWriter::State {
  fs::path out_dir;
  std::string extension;  // "parquet" or "csv"
  std::string temp_tag;   // suffix of this process's temporary files
  std::vector<fs::path> temps;
  std::vector<fs::path> created;  // folders this writer made, deepest last
  std::unique_ptr<storage::StreamedFiles> files;
  bool committed = false;
};

WorldWriter::WorldWriter(const std::string& out_dir, storage::FileFormat format,
                         const std::vector<std::string>& regions)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.out_dir = out_dir;
  // The folders that do not exist yet are remembered so that a failed run removes them again.
  fs::path target = fs::absolute(s.out_dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "out/" names "out"
  for (fs::path folder = target;
       !folder.empty() && !fs::exists(folder) && folder != folder.parent_path();
       folder = folder.parent_path()) {
    s.created.insert(s.created.begin(), folder);
  }
  std::error_code error;
  fs::create_directories(s.out_dir, error);
  if (error || !fs::is_directory(s.out_dir)) {
    throw IoError("--out: cannot create folder {}: {}", out_dir,
                  error ? error.message() : "not a folder");
  }
  s.extension = storage::FileExtension(format);
  s.temp_tag = fmt::format(".tmp-{}", static_cast<long>(getpid()));
  WorldTables schema = MakeEmptyTables(regions);
  std::vector<storage::StreamedFile> files;
  for (size_t t = 0; t < WorldTables::TableNames().size(); ++t) {
    const std::string& name = WorldTables::TableNames()[t];
    s.temps.push_back(s.out_dir / ("." + name + "." + s.extension + s.temp_tag));
    files.push_back({name, std::move(schema.At(t)), s.temps.back().string()});
  }
  s.files = std::make_unique<storage::StreamedFiles>(std::move(files), format, "snappy");
}

WorldWriter::~WorldWriter() {
  State& s = *state_;
  // Stops the table writers first (they fail unless Commit finished them), then removes what
  // they wrote unless it was committed.
  s.files.reset();
  if (!s.committed) {
    for (const auto& temp : s.temps) {
      std::error_code ignored;
      fs::remove(temp, ignored);
    }
    // Only the folders this run created, and only while empty (fs::remove leaves a folder with
    // anything in it alone).
    for (auto folder = s.created.rbegin(); folder != s.created.rend(); ++folder) {
      std::error_code ignored;
      fs::remove(*folder, ignored);
    }
  }
}

void WorldWriter::Consume(WorldTables&& chunk) {
  auto shared = std::make_shared<WorldTables>(std::move(chunk));
  storage::StreamedFiles::Chunk tables{shared, {}};
  for (size_t t = 0; t < WorldTables::TableNames().size(); ++t) {
    tables.tables.push_back(&shared->At(t));
  }
  state_->files->Push(std::move(tables));
}

void WorldWriter::Commit(const std::string& truth_json) {
  State& s = *state_;
  s.files->Finish();
  std::vector<std::pair<fs::path, fs::path>> moves;
  for (size_t t = 0; t < s.temps.size(); ++t) {
    moves.emplace_back(s.temps[t], s.out_dir / (WorldTables::TableNames()[t] + "." + s.extension));
  }
  fs::path truth_temp = s.out_dir / (".truth.json" + s.temp_tag);
  s.temps.push_back(truth_temp);
  {
    std::ofstream file(truth_temp, std::ios::binary | std::ios::trunc);
    file << truth_json;
    file.close();
    if (!file) throw IoError("cannot write {}", truth_temp.string());
  }
  moves.emplace_back(truth_temp, s.out_dir / "truth.json");
  // Check every destination before the first rename, so a predictable failure never leaves a
  // world half old, half new.
  for (const auto& [from, to] : moves) {
    if (fs::is_directory(to)) throw IoError("cannot write {}: a folder is in the way", to.string());
  }
  for (const auto& [from, to] : moves) {
    std::error_code error;
    fs::rename(from, to, error);
    if (error)
      throw IoError("cannot rename {} to {}: {}", from.string(), to.string(), error.message());
  }
  s.committed = true;
}

}  // namespace cxagent::generate
