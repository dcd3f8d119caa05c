#include "server/static_files.hpp"

#include <array>
#include <filesystem>
#include <utility>

namespace cxagent::server {

namespace fs = std::filesystem;

namespace {

bool HasDotDotSegment(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

bool IsInside(const fs::path& root, const fs::path& candidate) {
  const auto [root_end, candidate_it] =
      std::mismatch(root.begin(), root.end(), candidate.begin(), candidate.end());
  return root_end == root.end();
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> TYPES{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
  }};
  const size_t dot = file_name.rfind('.');
  if (dot != std::string_view::npos) {
    const std::string_view extension = file_name.substr(dot);
    for (const auto& [suffix, type] : TYPES) {
      if (suffix == extension) return type;
    }
  }
  return "application/octet-stream";
}

std::optional<StaticFile> ResolveStaticFile(const std::string& web_root,
                                            std::string_view url_path) {
  if (HasDotDotSegment(url_path) || url_path.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::error_code error;
  const fs::path root = fs::canonical(web_root, error);
  if (error) return std::nullopt;
  std::string_view relative = url_path;
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);

  fs::path candidate = root / fs::path(std::string(relative));
  const bool is_file = !relative.empty() && fs::is_regular_file(candidate, error);
  if (!is_file) candidate = root / "index.html";
  const fs::path resolved = fs::canonical(candidate, error);
  if (error || !IsInside(root, resolved) || !fs::is_regular_file(resolved, error)) {
    return std::nullopt;
  }
  StaticFile file;
  file.path = resolved.string();
  file.content_type = std::string(ContentTypeFor(file.path));
  file.immutable = is_file && relative.starts_with("assets/");
  return file;
}

}  // namespace cxagent::server
