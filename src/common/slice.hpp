#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace cxagent {

//! The seven slicing dimensions of the fulfillment world (domain.md §3), in canonical order.
inline constexpr std::string_view DIMENSIONS[] = {
    "customer_segment", "daypart", "fulfillment_mode", "merchant",
    "platform",         "region",  "store_type"};

//! The same seven in the order domain.md §3 lists them (place, then what was ordered, then who
//! ordered it and when, then how it was fulfilled): when two slices select the same orders, the
//! one whose dimensions come first in this order is the one named (localize::LocalizeConfig).
inline constexpr std::string_view NAMING_ORDER[] = {
    "region",           "store_type", "merchant",        "platform",
    "customer_segment", "daypart",    "fulfillment_mode"};

//! Whether `name` can name a dimension (and a column of every engine unquoted): 1 to 64 lower-case
//! letters, digits and _, starting with a letter.
bool IsDimensionName(std::string_view name);

//! A conjunction of dimension=value pairs; the empty slice is `all` (every order).
class Slice {
 public:
  Slice() = default;
  //! Builds a slice from pairs; throws InvalidInput on an empty or malformed name or value.
  explicit Slice(std::map<std::string, std::string> pairs);

  //! Parses the canonical text form (`region=seattle&store_type=grocery`, or `all`), accepting
  //! pairs in any order; throws InvalidInput saying what is wrong and where.
  static Slice Parse(std::string_view text);
  //! Builds a slice from a JSON object of strings; throws InvalidInput otherwise.
  static Slice FromJson(const nlohmann::json& object);

  //! The canonical text form: pairs sorted by dimension, joined with `&`; `all` when empty.
  std::string ToText() const;
  //! The JSON object form, `{"region":"seattle"}`.
  nlohmann::json ToJson() const;

  //! The pairs, sorted by dimension name.
  const std::map<std::string, std::string>& Pairs() const { return pairs_; }
  //! Number of pairs (0 for `all`).
  size_t Depth() const { return pairs_.size(); }
  //! True for the empty slice.
  bool IsAll() const { return pairs_.empty(); }
  //! True when every pair of this slice is in `other` (this slice contains `other`'s orders).
  bool Contains(const Slice& other) const;

  //! Throws InvalidInput when a dimension is not in `allowed`, naming the allowed ones.
  void RequireDimensions(std::span<const std::string_view> allowed) const;

  bool operator==(const Slice&) const = default;
  auto operator<=>(const Slice&) const = default;

 private:
  std::map<std::string, std::string> pairs_;
};

//! A dimension's place in a naming `order` (empty: NAMING_ORDER): its index there, or for one not
//! in it, one past the last and its name (after every listed one, by name).
using NamingKey = std::pair<size_t, std::string_view>;
NamingKey NamingKeyOf(std::string_view dimension, std::span<const std::string> order = {});

//! Whether `a` is named before `b` when both select the same orders: fewer pairs first, then their
//! dimensions' NamingKeys in `order` (each list sorted), then the canonical order of the slices.
//! The localizer names its roots the same way (localize::LocalizeConfig::naming_order).
bool NamedBefore(const Slice& a, const Slice& b, std::span<const std::string> order = {});

}  // namespace cxagent
