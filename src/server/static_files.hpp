#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cxagent::server {

//! A static file chosen for a request path.
struct StaticFile {
  std::string path;          //!< absolute path on disk
  std::string content_type;  //!< MIME type from the extension
  bool immutable = false;    //!< a content-hashed asset that may be cached for a year
};

//! Resolves a URL path against `web_root` with the single-page-app fallback: an existing file is
//! served as is, any other path gets `index.html`. Paths with `..` segments, or that resolve
//! outside the root through links, give nullopt (the caller answers 404).
std::optional<StaticFile> ResolveStaticFile(const std::string& web_root, std::string_view url_path);

//! The MIME type for a file name's extension (application/octet-stream when unknown).
std::string_view ContentTypeFor(std::string_view file_name);

}  // namespace cxagent::server
