#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cxagent {

//! Throws InvalidInput "FILE: line N: key 'K' appears twice (first on line M)" for the first map
//! in `root` (at any depth) that repeats a key: YAML forbids it, yaml-cpp keeps both entries and
//! a lookup would silently take one of them.
void RejectDuplicateKeys(const YAML::Node& root, std::string_view file);

//! Reads one component's section of a YAML configuration: each field is read with its default,
//! bounds and description next to each other, and Finish() rejects keys nobody asked for.
//! Every error names the file, the key path and what is allowed.
class ConfigReader {
 public:
  //! Reads `node` (a map, or null/undefined for "all defaults") found at `path` in `file`.
  ConfigReader(const YAML::Node& node, std::string file, std::string path);

  //! A number in [min, max]; `fallback` when the key is absent.
  double Number(std::string_view key, double fallback, double min, double max,
                std::string_view description);
  //! A whole number in [min, max]; `fallback` when the key is absent.
  int Integer(std::string_view key, int fallback, int min, int max, std::string_view description);
  //! A boolean; `fallback` when the key is absent.
  bool Boolean(std::string_view key, bool fallback, std::string_view description);
  //! One of `allowed`; `fallback` when the key is absent.
  std::string Choice(std::string_view key, std::string fallback,
                     const std::vector<std::string>& allowed, std::string_view description);
  //! A single-line text; `fallback` when the key is absent. Throws InvalidInput when the value
  //! is a list or map.
  std::string Text(std::string_view key, std::string fallback, std::string_view description);
  //! A nested section, for a component's own reader.
  YAML::Node Section(std::string_view key);
  //! A reader for `node` found under this section at `key` (e.g. "channels[0]"), in the same file.
  ConfigReader Nested(const YAML::Node& node, std::string_view key) const;
  //! Throws InvalidInput naming the first key that was never read and the known keys.
  void Finish() const;

  //! "file: path.key", used in messages.
  std::string Where(std::string_view key) const;

 private:
  YAML::Node Take(std::string_view key);

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace cxagent
