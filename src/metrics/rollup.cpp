#include "metrics/rollup.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "common/error.hpp"

namespace cxagent::metrics {

namespace {

constexpr uint32_t NONE = UINT32_MAX;

// Compact ids for keys below `key_count`: a flat array when the key space is small next to the
// rows that will be looked up, a hash map otherwise.
class CompactIds {
 public:
  CompactIds(uint64_t key_count, size_t rows)
      : dense_(key_count <= std::max<uint64_t>(uint64_t{1} << 20, uint64_t{4} * rows)) {
    if (dense_) {
      slots_.assign(key_count, NONE);
    } else {
      hashed_.reserve(std::min<uint64_t>(key_count, rows));
    }
  }

  // The id of `key`, NONE when it has none yet (then set it through the reference).
  uint32_t& operator[](uint64_t key) {
    if (dense_) return slots_[key];
    return hashed_.try_emplace(key, NONE).first->second;
  }

 private:
  bool dense_;
  std::vector<uint32_t> slots_;
  std::unordered_map<uint64_t, uint32_t> hashed_;
};

// One combination of dimensions: each leaf's value-combination id and each id's slice text.
struct Level {
  std::vector<uint32_t> ids;
  std::vector<std::string> texts;
};

// A combination of dimensions to sum: the texts of its kept value combinations and, per leaf,
// the index of its kept combination (NONE when its combination is under the volume floor).
struct SetPlan {
  int depth = 0;
  std::vector<std::string> texts;
  std::vector<uint32_t> kept;
};

// Value combinations under the volume floor: slice text and volume.
using LeftOut = std::vector<std::pair<std::string, double>>;

// The rows of one kept value combination: its days and sums (days x columns).
struct Block {
  std::string text;
  int depth = 0;
  std::vector<int32_t> days;
  std::vector<double> sums;
};

using Lanes = double __attribute__((vector_size(32)));

// cells[cell_of_row[i]] += rows[i] for every row whose cell is not NONE (rows and cells are
// `width` doubles each): the rollup's inner loop, built for AVX2 too where the CPU has it.
__attribute__((target_clones("avx2", "default"))) void AddRows(double* cells, const double* rows,
                                                               const uint32_t* cell_of_row,
                                                               size_t count, size_t width) {
  const size_t lanes = width / 4 * 4;
  for (size_t i = 0; i < count; ++i) {
    if (cell_of_row[i] == NONE) continue;
    double* target = cells + size_t{cell_of_row[i]} * width;
    const double* source = rows + i * width;
    size_t column = 0;
    for (; column < lanes; column += 4) {
      Lanes a;
      Lanes b;
      std::memcpy(&a, target + column, sizeof a);
      std::memcpy(&b, source + column, sizeof b);
      a += b;
      std::memcpy(target + column, &a, sizeof a);
    }
    for (; column < width; ++column) target[column] += source[column];
  }
}

// Leaves summed per set in blocks, so that a block read from memory serves every set of a worker.
constexpr size_t LEAF_BLOCK = 2048;

class Roller {
 public:
  Roller(const LeafSums& leaves, const RollUpOptions& options)
      : leaves_(leaves), options_(options), width_(leaves.columns.size()) {
    const auto [low, high] = std::minmax_element(leaves.dates.begin(), leaves.dates.end());
    first_ = *low;
    days_ = static_cast<size_t>(*high - *low) + 1;
    day_.resize(leaves.LeafCount());
    volume_.resize(leaves.LeafCount());
    std::vector<uint8_t> seen(days_, 0);
    for (size_t leaf = 0; leaf < day_.size(); ++leaf) {
      day_[leaf] = static_cast<uint32_t>(leaves.dates[leaf] - first_);
      seen[day_[leaf]] = 1;
      volume_[leaf] = leaves.sums[leaf * width_ + options.volume_column];
    }
    distinct_ = std::count(seen.begin(), seen.end(), 1);
    const auto distinct = static_cast<double>(distinct_);
    threshold_ = options.min_daily * distinct;
  }

  int32_t First() const { return first_; }
  int32_t Last() const { return first_ + static_cast<int32_t>(days_) - 1; }
  int64_t DistinctDays() const { return distinct_; }

  // The slice `all`; combinations under the floor go to `left_out` when given.
  void PlanRoot(std::vector<SetPlan>& out, LeftOut* left_out) const {
    Plan(RootLevel(), 0, out, left_out);
  }

  // Every combination whose first dimension is `dimension`.
  void PlanBranch(size_t dimension, std::vector<SetPlan>& out, LeftOut* left_out) const {
    Descend(RootLevel(), dimension, 1, out, left_out);
  }

  // Sums the leaves of `sets` into one block per kept value combination.
  void Sum(const std::vector<const SetPlan*>& sets, std::vector<Block>& out) const {
    struct Cells {
      Cells(uint64_t key_count, size_t rows) : cell_of(key_count, rows) {}
      CompactIds cell_of;
      std::vector<std::pair<uint64_t, uint32_t>> keys;  // (key, cell)
      std::vector<double> sums;                         // cells x columns
    };
    std::vector<Cells> cells;
    for (const SetPlan* set : sets) cells.emplace_back(set->texts.size() * days_, day_.size());
    const double* leaf_sums = leaves_.sums.data();
    std::vector<uint32_t> cell_of_leaf(LEAF_BLOCK);
    for (size_t begin = 0; begin < day_.size(); begin += LEAF_BLOCK) {
      const size_t end = std::min(day_.size(), begin + LEAF_BLOCK);
      for (size_t s = 0; s < sets.size(); ++s) {
        const uint32_t* kept = sets[s]->kept.data();
        Cells& target = cells[s];
        for (size_t leaf = begin; leaf < end; ++leaf) {
          const uint32_t index = kept[leaf];
          if (index == NONE) {
            cell_of_leaf[leaf - begin] = NONE;
            continue;
          }
          // Combination-major keys: sorted, they list each combination's days in order.
          const uint64_t key = index * days_ + day_[leaf];
          uint32_t& cell = target.cell_of[key];
          if (cell == NONE) {
            cell = static_cast<uint32_t>(target.keys.size());
            target.keys.emplace_back(key, cell);
            target.sums.resize(target.sums.size() + width_, 0.0);
          }
          cell_of_leaf[leaf - begin] = cell;
        }
        AddRows(target.sums.data(), leaf_sums + begin * width_, cell_of_leaf.data(), end - begin,
                width_);
      }
    }
    for (size_t s = 0; s < sets.size(); ++s) Emit(*sets[s], cells[s].keys, cells[s].sums, out);
  }

 private:
  Level RootLevel() const {
    Level root;
    root.ids.assign(leaves_.LeafCount(), 0);
    root.texts.emplace_back();
    return root;
  }

  void Descend(const Level& parent, size_t dimension, int depth, std::vector<SetPlan>& out,
               LeftOut* left_out) const {
    const Level level = Child(parent, dimension);
    Plan(level, depth, out, left_out);
    if (depth >= options_.max_depth) return;
    for (size_t next = dimension + 1; next < leaves_.dimensions.size(); ++next) {
      Descend(level, next, depth + 1, out, left_out);
    }
  }

  // The combinations of `parent` extended by `dimension`: ids from (parent id, code) pairs.
  Level Child(const Level& parent, size_t dimension) const {
    const auto& codes = leaves_.codes[dimension];
    const auto& values = leaves_.values[dimension];
    const uint64_t cardinality = values.size();
    const size_t count = leaves_.LeafCount();
    CompactIds ids(parent.texts.size() * cardinality, count);
    Level level;
    level.ids.resize(count);
    for (size_t leaf = 0; leaf < count; ++leaf) {
      const uint32_t from = parent.ids[leaf];
      const uint32_t code = codes[leaf];
      uint32_t& id = ids[from * cardinality + code];
      if (id == NONE) {
        id = static_cast<uint32_t>(level.texts.size());
        const std::string& prefix = parent.texts[from];
        level.texts.push_back(prefix + (prefix.empty() ? "" : "&") + leaves_.dimensions[dimension] +
                              "=" + values[code]);
      }
      level.ids[leaf] = id;
    }
    return level;
  }

  // The combinations of `level` that meet the volume floor, and each leaf's kept index.
  void Plan(const Level& level, int depth, std::vector<SetPlan>& out, LeftOut* left_out) const {
    const size_t combos = level.texts.size();
    std::vector<double> volume(combos, 0.0);
    for (size_t leaf = 0; leaf < level.ids.size(); ++leaf) volume[level.ids[leaf]] += volume_[leaf];
    std::vector<uint32_t> kept(combos, NONE);
    SetPlan plan;
    plan.depth = depth;
    for (size_t combo = 0; combo < combos; ++combo) {
      if (volume[combo] >= threshold_) {
        kept[combo] = static_cast<uint32_t>(plan.texts.size());
        plan.texts.push_back(level.texts[combo]);
      } else if (left_out != nullptr) {
        left_out->emplace_back(depth == 0 ? "all" : level.texts[combo], volume[combo]);
      }
    }
    if (plan.texts.empty()) return;
    plan.kept.resize(level.ids.size());
    for (size_t leaf = 0; leaf < level.ids.size(); ++leaf) plan.kept[leaf] = kept[level.ids[leaf]];
    out.push_back(std::move(plan));
  }

  // One block per kept combination of `set` from its cells.
  void Emit(const SetPlan& set, std::vector<std::pair<uint64_t, uint32_t>>& cells,
            const std::vector<double>& sums, std::vector<Block>& out) const {
    std::sort(cells.begin(), cells.end());
    auto at = cells.begin();
    for (uint64_t index = 0; index < set.texts.size(); ++index) {
      Block block;
      block.text = set.depth == 0 ? "all" : set.texts[index];
      block.depth = set.depth;
      const uint64_t end = (index + 1) * days_;
      for (; at != cells.end() && at->first < end; ++at) {
        block.days.push_back(static_cast<int32_t>(at->first - index * days_));
        const double* cell = sums.data() + size_t{at->second} * width_;
        block.sums.insert(block.sums.end(), cell, cell + width_);
      }
      out.push_back(std::move(block));
    }
  }

  const LeafSums& leaves_;
  const RollUpOptions& options_;
  size_t width_;
  int32_t first_ = 0;
  size_t days_ = 0;
  int64_t distinct_ = 0;
  std::vector<uint32_t> day_;
  std::vector<double> volume_;
  double threshold_ = 0;
};

// Runs task(i) for i in [0, count) on up to `threads` workers; rethrows the first failure.
template <typename Task>
void RunTasks(size_t count, size_t threads, const Task& task) {
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      try {
        task(i);
      } catch (...) {
        const std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  const size_t workers = std::clamp<size_t>(threads, 1, std::max<size_t>(count, 1));
  std::vector<std::thread> pool;
  for (size_t i = 1; i < workers; ++i) pool.emplace_back(work);
  work();
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

void CheckLeaves(const LeafSums& leaves, const RollUpOptions& options) {
  const size_t count = leaves.LeafCount();
  if (leaves.values.size() != leaves.dimensions.size() ||
      leaves.codes.size() != leaves.dimensions.size()) {
    throw InternalError("rollup: {} dimensions but {} dictionaries and {} code lists",
                        leaves.dimensions.size(), leaves.values.size(), leaves.codes.size());
  }
  for (size_t d = 0; d < leaves.codes.size(); ++d) {
    if (leaves.codes[d].size() != count) {
      throw InternalError("rollup: dimension '{}' has {} codes for {} leaves", leaves.dimensions[d],
                          leaves.codes[d].size(), count);
    }
    for (const uint32_t code : leaves.codes[d]) {
      if (code >= leaves.values[d].size()) {
        throw InternalError("rollup: dimension '{}' has code {} past its {} values",
                            leaves.dimensions[d], code, leaves.values[d].size());
      }
    }
  }
  if (leaves.integer.size() != leaves.columns.size() ||
      leaves.sums.size() != count * leaves.columns.size()) {
    throw InternalError("rollup: {} sums for {} leaves of {} columns", leaves.sums.size(), count,
                        leaves.columns.size());
  }
  if (options.volume_column >= leaves.columns.size()) {
    throw InternalError("rollup: volume column {} of {}", options.volume_column,
                        leaves.columns.size());
  }
  if (options.max_depth < 0) throw InternalError("rollup: negative depth {}", options.max_depth);
}

storage::Table ToTable(const LeafSums& leaves, std::vector<Block>& blocks, int32_t first) {
  std::sort(blocks.begin(), blocks.end(),
            [](const Block& a, const Block& b) { return a.text < b.text; });
  storage::Table table;
  auto& slice = table.AddColumn("slice", storage::ColumnType::VARCHAR);
  auto& depth = table.AddColumn("depth", storage::ColumnType::INTEGER);
  auto& date = table.AddColumn("date", storage::ColumnType::DATE);
  std::vector<storage::Column*> sums;
  for (size_t column = 0; column < leaves.columns.size(); ++column) {
    sums.push_back(&table.AddColumn(leaves.columns[column], leaves.integer[column]
                                                                ? storage::ColumnType::BIGINT
                                                                : storage::ColumnType::DOUBLE));
  }
  const size_t width = sums.size();
  for (size_t b = 0; b < blocks.size(); ++b) {
    const Block& block = blocks[b];
    slice.dictionary.push_back(block.text);
    for (size_t row = 0; row < block.days.size(); ++row) {
      slice.ints.push_back(static_cast<int64_t>(b));
      depth.ints.push_back(block.depth);
      date.ints.push_back(first + block.days[row]);
      for (size_t column = 0; column < width; ++column) {
        const double value = block.sums[row * width + column];
        if (leaves.integer[column]) {
          sums[column]->ints.push_back(std::llround(value));
        } else {
          sums[column]->doubles.push_back(value);
        }
      }
    }
  }
  return table;
}

}  // namespace

storage::Table RollUp(const LeafSums& leaves, const RollUpOptions& options, CubeVolumes* volumes) {
  CheckLeaves(leaves, options);
  if (volumes != nullptr) *volumes = CubeVolumes{};
  if (leaves.LeafCount() == 0) {
    std::vector<Block> none;
    return ToTable(leaves, none, 0);
  }
  const Roller roller(leaves, options);
  // Plans: task 0 is the slice `all`, task i the branch of the tree under dimension i - 1.
  const size_t dimensions = options.max_depth > 0 ? leaves.dimensions.size() : 0;
  std::vector<std::vector<SetPlan>> plans(dimensions + 1);
  std::vector<LeftOut> left_out(plans.size());
  RunTasks(plans.size(), options.threads, [&](size_t task) {
    LeftOut* mine = volumes != nullptr ? &left_out[task] : nullptr;
    if (task == 0) {
      roller.PlanRoot(plans[task], mine);
    } else {
      roller.PlanBranch(task - 1, plans[task], mine);
    }
  });
  if (volumes != nullptr) {
    volumes->days = roller.DistinctDays();
    volumes->last = roller.Last();
    LeftOut all;
    for (auto& task : left_out) {
      for (auto& entry : task) all.push_back(std::move(entry));
    }
    std::sort(all.begin(), all.end());
    for (auto& [text, volume] : all) {
      volumes->slices.push_back(std::move(text));
      volumes->volumes.push_back(volume);
    }
  }
  // Sums: each worker takes every `workers`-th set and reads the leaves once for all of them.
  std::vector<const SetPlan*> sets;
  for (const auto& branch : plans) {
    for (const auto& plan : branch) sets.push_back(&plan);
  }
  const size_t workers = std::clamp<size_t>(options.threads, 1, std::max<size_t>(sets.size(), 1));
  std::vector<std::vector<Block>> results(workers);
  RunTasks(workers, workers, [&](size_t worker) {
    std::vector<const SetPlan*> mine;
    for (size_t i = worker; i < sets.size(); i += workers) mine.push_back(sets[i]);
    roller.Sum(mine, results[worker]);
  });
  std::vector<Block> blocks;
  for (auto& result : results) {
    for (auto& block : result) blocks.push_back(std::move(block));
  }
  return ToTable(leaves, blocks, roller.First());
}

namespace {

// The rows of one slice of a cube (consecutive, as RollUp orders them) and its volume.
struct SliceRows {
  std::string_view text;
  size_t begin = 0;
  size_t end = 0;
  double volume = 0;
};

bool HasNulls(const storage::Column& column) {
  return std::find(column.valid.begin(), column.valid.end(), uint8_t{0}) != column.valid.end();
}

// The rows of `cube` in slice-text, then date order: empty when they already come so (as RollUp
// writes them), else the row indices in that order. A cube updated in place
// (storage::ResultsWriter) holds the rows each refresh added after the earlier ones. Rows of one
// slice and date twice stay next to each other (SlicesOf then rejects them).
std::vector<size_t> RowOrder(const storage::Table& cube) {
  const storage::Column& slice = cube.columns[0];
  const std::vector<int64_t>& dates = cube.columns[2].ints;
  const size_t rows = cube.RowCount();
  // Codes compare as their texts when the dictionary is in ascending order (an ENUM read back).
  const bool coded = !slice.dictionary.empty() &&
                     std::adjacent_find(slice.dictionary.begin(), slice.dictionary.end(),
                                        std::greater_equal<>()) == slice.dictionary.end();
  const auto slice_less = [&](size_t a, size_t b) {
    return coded ? slice.ints[a] < slice.ints[b] : slice.StringAt(a) < slice.StringAt(b);
  };
  const auto less = [&](size_t a, size_t b) {
    if (slice_less(a, b)) return true;
    if (slice_less(b, a)) return false;
    return dates[a] < dates[b];
  };
  size_t row = 1;
  while (row < rows && less(row - 1, row)) ++row;
  if (row >= rows) return {};
  std::vector<size_t> order(rows);
  const auto by_date = [&dates](size_t a, size_t b) { return dates[a] < dates[b]; };
  if (coded) {
    // A counting sort by slice code keeps each slice's rows in their stored order, which is by
    // date but for the rows added later; those few are then sorted in.
    std::vector<size_t> start(slice.dictionary.size() + 1, 0);
    for (size_t r = 0; r < rows; ++r) ++start[static_cast<size_t>(slice.ints[r]) + 1];
    for (size_t code = 1; code < start.size(); ++code) start[code] += start[code - 1];
    std::vector<size_t> next(start.begin(), start.end() - 1);
    for (size_t r = 0; r < rows; ++r) order[next[static_cast<size_t>(slice.ints[r])]++] = r;
    for (size_t code = 0; code + 1 < start.size(); ++code) {
      const auto first = order.begin() + static_cast<ptrdiff_t>(start[code]);
      const auto last = order.begin() + static_cast<ptrdiff_t>(start[code + 1]);
      if (!std::is_sorted(first, last, by_date)) std::stable_sort(first, last, by_date);
    }
  } else {
    for (size_t r = 0; r < rows; ++r) order[r] = r;
    std::stable_sort(order.begin(), order.end(), less);
  }
  return order;
}

// The slices of `cube` taken in `order` (RowOrder; empty: row order), as runs of positions in
// it; false (with `why`) unless they come in ascending slice text, each slice's dates ascending.
bool SlicesOf(const storage::Table& cube, const std::vector<size_t>& order, size_t volume_column,
              const char* name, std::vector<SliceRows>& out, std::string& why) {
  const storage::Column& slice = cube.columns[0];
  const storage::Column& date = cube.columns[2];
  const storage::Column& volume = cube.columns[3 + volume_column];
  const bool coded = !slice.dictionary.empty();
  const size_t rows = cube.RowCount();
  size_t previous = 0;
  for (size_t position = 0; position < rows; ++position) {
    const size_t row = order.empty() ? position : order[position];
    const bool same = position > 0 && (coded ? slice.ints[row] == slice.ints[previous]
                                             : slice.strings[row] == slice.strings[previous]);
    if (same) {
      if (date.ints[row] <= date.ints[previous]) {
        why = fmt::format("the {} cube's rows of slice '{}' are not in date order", name,
                          out.back().text);
        return false;
      }
    } else {
      const std::string_view text = slice.StringAt(row);
      if (!out.empty() && !(out.back().text < text)) {
        why = fmt::format("the {} cube's slices are not in ascending order ('{}' after '{}')", name,
                          text, out.back().text);
        return false;
      }
      if (!out.empty()) out.back().end = position;
      out.push_back({text, position, rows, 0});
    }
    out.back().volume += volume.type == storage::ColumnType::DOUBLE
                             ? volume.doubles[row]
                             : static_cast<double>(volume.ints[row]);
    previous = row;
  }
  return true;
}

// Whether `other` has the columns of `cube` (RollUp's: slice, depth, date, then sums as BIGINT
// or DOUBLE) and neither holds NULLs; else false with `why`.
bool SameColumns(const storage::Table& cube, const storage::Table& other, const char* name,
                 size_t volume_column, std::string& why) {
  const size_t width = cube.columns.size();
  if (other.columns.size() != width || width < 4 + volume_column) {
    why = fmt::format("the stored cube has {} columns and the {} {}", width, name,
                      other.columns.size());
    return false;
  }
  const storage::ColumnType leading[] = {storage::ColumnType::VARCHAR, storage::ColumnType::INTEGER,
                                         storage::ColumnType::DATE};
  const char* leading_names[] = {"slice", "depth", "date"};
  for (size_t c = 0; c < width; ++c) {
    const storage::Column& a = cube.columns[c];
    const storage::Column& b = other.columns[c];
    const bool sum_type =
        a.type == storage::ColumnType::BIGINT || a.type == storage::ColumnType::DOUBLE;
    if (a.name != b.name || a.type != b.type ||
        (c < 3 ? a.name != leading_names[c] || a.type != leading[c] : !sum_type)) {
      why = fmt::format("the stored cube's column {} ('{}' {}) is not the {} ('{}' {})", c + 1,
                        a.name, storage::SqlTypeName(a.type), name, b.name,
                        storage::SqlTypeName(b.type));
      return false;
    }
    if (HasNulls(a) || HasNulls(b)) {
      why = fmt::format("column '{}' of a cube holds NULLs", a.name);
      return false;
    }
  }
  return true;
}

}  // namespace

namespace {

// Moves the values of `runs` (rows of `stored` or of other tables, Run below) to their places in
// the output, in `column`'s own buffer (`stored`'s column `c`), which ends up with `rows` values:
// the stored runs that move to earlier places first, in order, then those that move to later
// places, in reverse order (neither overwrites values of a stored run not yet moved: runs keep
// their order), then the other tables' runs into the gaps left.
template <typename Run, typename Values>
void MergeInPlace(Values& column, Values storage::Column::*member, size_t c,
                  const storage::Table& stored, const std::vector<Run>& runs, size_t rows) {
  std::vector<size_t> at(runs.size());
  size_t end = 0;
  for (size_t r = 0; r < runs.size(); ++r) {
    at[r] = end;
    end += runs[r].end - runs[r].begin;
  }
  if (rows > column.size()) column.resize(rows);
  const auto position = [&column](size_t index) {
    return column.begin() + static_cast<ptrdiff_t>(index);
  };
  for (size_t r = 0; r < runs.size(); ++r) {
    const Run& run = runs[r];
    if (run.table == &stored && at[r] < run.begin) {
      std::copy(position(run.begin), position(run.end), position(at[r]));
    }
  }
  for (size_t r = runs.size(); r-- > 0;) {
    const Run& run = runs[r];
    if (run.table == &stored && at[r] > run.begin) {
      std::copy_backward(position(run.begin), position(run.end),
                         position(at[r] + run.end - run.begin));
    }
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    const Run& run = runs[r];
    if (run.table == &stored) continue;
    const Values& source = run.table->columns[c].*member;
    std::copy(source.begin() + static_cast<ptrdiff_t>(run.begin),
              source.begin() + static_cast<ptrdiff_t>(run.end), position(at[r]));
  }
  column.resize(rows);
}

// ExtendCube; with `in_place` (which is `stored`), the output takes over `stored`'s buffers
// when its rows come in slice and date order, rather than copying every row into new ones.
std::optional<storage::Table> Extend(const storage::Table& stored, storage::Table* in_place,
                                     const storage::Table& added, const RollUpOptions& options,
                                     CubeVolumes& volumes, std::string& why,
                                     const storage::Table* reaching,
                                     std::vector<std::string>* needed, const ReachingRows& fetch) {
  // The tables as RollUp makes them: the same columns, of RollUp's types, without NULLs.
  const size_t width = stored.columns.size();
  if (!SameColumns(stored, added, "added days'", options.volume_column, why) ||
      (reaching != nullptr &&
       !SameColumns(stored, *reaching, "reaching slices'", options.volume_column, why))) {
    return std::nullopt;
  }
  if (volumes.days <= 0) {
    why = "the stored cube has no days";
    return std::nullopt;
  }
  if (volumes.slices.size() != volumes.volumes.size() ||
      std::adjacent_find(volumes.slices.begin(), volumes.slices.end(), std::greater_equal<>()) !=
          volumes.slices.end()) {
    why = "the stored volumes of the slices left out are not in ascending slice order";
    return std::nullopt;
  }
  std::vector<SliceRows> old_slices;
  std::vector<SliceRows> new_slices;
  std::vector<SliceRows> series;
  // The stored rows may come in any order; the others come from RollUp, in order (checked).
  const std::vector<size_t> stored_order = RowOrder(stored);
  const std::vector<size_t> in_order;
  if (!SlicesOf(stored, stored_order, options.volume_column, "stored", old_slices, why) ||
      !SlicesOf(added, in_order, options.volume_column, "added days'", new_slices, why) ||
      (reaching != nullptr &&
       !SlicesOf(*reaching, in_order, options.volume_column, "reaching slices'", series, why))) {
    return std::nullopt;
  }
  // The added days, all after the stored ones, count towards the floor as RollUp counts dates.
  std::vector<int64_t> dates = added.columns[2].ints;
  std::sort(dates.begin(), dates.end());
  dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
  if (!dates.empty() && dates.front() <= volumes.last) {
    why = fmt::format("the added days start on day {}, not after the stored cube's last ({})",
                      dates.front(), volumes.last);
    return std::nullopt;
  }
  CubeVolumes next;
  next.days = volumes.days + static_cast<int64_t>(dates.size());
  next.last = dates.empty() ? volumes.last : static_cast<int32_t>(dates.back());
  const double threshold = options.min_daily * static_cast<double>(next.days);

  // Every combination in slice-text order, from the stored slices, the added ones and those left
  // out: the runs of rows of the output in order (table, first row, end, slice code) and the kept
  // slices' texts. A run's rows are positions in its table's `order` (empty: row numbers).
  struct Run {
    const storage::Table* table;
    const std::vector<size_t>* order;
    size_t begin;
    size_t end;
    int64_t code;
  };
  std::vector<Run> runs;
  std::vector<std::string> kept;
  std::vector<std::string> missing;  // reaching the floor, without their rows of every day
  // With `fetch`, each missing combination's place among the runs (its rows come later) and its
  // volume.
  std::vector<std::pair<size_t, double>> pending;
  size_t i = 0;
  size_t j = 0;
  size_t k = 0;
  while (i < old_slices.size() || j < new_slices.size() || k < volumes.slices.size()) {
    // The least text of the three lists' next entries.
    std::optional<std::string_view> least;
    const auto consider = [&least](std::string_view candidate) {
      if (!least || candidate < *least) least = candidate;
    };
    if (i < old_slices.size()) consider(old_slices[i].text);
    if (j < new_slices.size()) consider(new_slices[j].text);
    if (k < volumes.slices.size()) consider(volumes.slices[k]);
    const std::string_view text = *least;
    const SliceRows* old_rows = nullptr;
    const SliceRows* new_rows = nullptr;
    const double* left_out = nullptr;
    if (i < old_slices.size() && old_slices[i].text == text) old_rows = &old_slices[i++];
    if (j < new_slices.size() && new_slices[j].text == text) new_rows = &new_slices[j++];
    if (k < volumes.slices.size() && volumes.slices[k] == text) left_out = &volumes.volumes[k++];
    if (old_rows != nullptr && left_out != nullptr) {
      why = fmt::format("slice '{}' is both in the stored cube and left out of it", text);
      return std::nullopt;
    }
    double volume = new_rows != nullptr ? new_rows->volume : 0.0;
    if (old_rows != nullptr) volume += old_rows->volume;
    if (left_out != nullptr) volume += *left_out;
    if (volume < threshold) {
      next.slices.emplace_back(text);
      next.volumes.push_back(volume);
      continue;
    }
    // A combination left out before has no rows in the stored cube: its rows of every day come
    // from `reaching`. (One never seen before has no earlier rows: its added rows are all.)
    const SliceRows* whole = nullptr;
    if (old_rows == nullptr && left_out != nullptr) {
      const auto found = std::lower_bound(
          series.begin(), series.end(), text,
          [](const SliceRows& rows, std::string_view key) { return rows.text < key; });
      if (found == series.end() || found->text != text) {
        if (missing.empty()) {
          why = fmt::format(
              "slice '{}' reaches the volume floor with the added days ({:g} over {} days, floor "
              "{:g})",
              text, volume, next.days, threshold);
        }
        missing.emplace_back(text);
        if (fetch) {
          pending.emplace_back(runs.size(), volume);
          runs.push_back({nullptr, &in_order, 0, 0, static_cast<int64_t>(kept.size())});
          kept.emplace_back(text);
        }
        continue;
      }
      if (found->volume != volume) {
        why = fmt::format("the rows of slice '{}' sum to {:g}, not {:g}", text, found->volume,
                          volume);
        return std::nullopt;
      }
      whole = &*found;
    }
    const auto code = static_cast<int64_t>(kept.size());
    kept.emplace_back(text);
    for (const auto& [table, order, slice] :
         {std::tuple{&stored, &stored_order, old_rows},
          std::tuple{&added, &in_order, whole != nullptr ? nullptr : new_rows},
          std::tuple{reaching, &in_order, whole}}) {
      if (slice == nullptr) continue;
      runs.push_back({table, order, slice->begin, slice->end, code});
    }
  }
  // The rows of the combinations reaching the floor, asked for once they are all known.
  std::optional<storage::Table> fetched;
  if (!missing.empty()) {
    if (missing.size() > 1) why += fmt::format(" and {} more", missing.size() - 1);
    if (needed != nullptr) *needed = missing;
    if (!fetch) return std::nullopt;
    std::string reason;
    fetched = fetch(missing, reason);
    if (!fetched) {
      why = std::move(reason);
      return std::nullopt;
    }
    std::vector<SliceRows> fetched_slices;
    if (!SameColumns(stored, *fetched, "reaching slices'", options.volume_column, why) ||
        !SlicesOf(*fetched, in_order, options.volume_column, "reaching slices'", fetched_slices,
                  why)) {
      return std::nullopt;
    }
    for (size_t p = 0; p < pending.size(); ++p) {
      const auto& [at, volume] = pending[p];
      const std::string& text = missing[p];
      const auto found = std::lower_bound(
          fetched_slices.begin(), fetched_slices.end(), text,
          [](const SliceRows& rows, std::string_view key) { return rows.text < key; });
      if (found == fetched_slices.end() || found->text != text) {
        why =
            fmt::format("slice '{}' reaches the volume floor, but no rows of it were summed", text);
        return std::nullopt;
      }
      if (found->volume != volume) {
        why = fmt::format("the rows of slice '{}' sum to {:g}, not {:g}", text, found->volume,
                          volume);
        return std::nullopt;
      }
      runs[at].table = &*fetched;
      runs[at].begin = found->begin;
      runs[at].end = found->end;
    }
    why.clear();
  }
  std::vector<int64_t> codes;
  codes.reserve(stored.RowCount() + added.RowCount());
  for (const Run& run : runs) codes.insert(codes.end(), run.end - run.begin, run.code);

  // The cube as RollUp's ToTable writes it: the slice dictionary-coded in slice order. In place,
  // the stored rows are moved within their columns and the others copied into the gaps.
  const size_t rows = codes.size();
  const bool movable =
      in_place != nullptr && stored_order.empty() &&
      std::all_of(stored.columns.begin(), stored.columns.end(),
                  [](const storage::Column& column) { return column.valid.empty(); });
  if (movable) {
    for (size_t c = 1; c < width; ++c) {
      storage::Column& column = in_place->columns[c];
      if (column.type == storage::ColumnType::DOUBLE) {
        MergeInPlace(column.doubles, &storage::Column::doubles, c, stored, runs, rows);
      } else {
        MergeInPlace(column.ints, &storage::Column::ints, c, stored, runs, rows);
      }
    }
    // The slice column coded as RollUp codes it, whether the stored one was coded or plain text.
    in_place->columns[0].strings = {};
    in_place->columns[0].dictionary = std::move(kept);
    in_place->columns[0].ints = std::move(codes);
    volumes = std::move(next);
    return std::move(*in_place);
  }
  // Else the columns are copied a run at a time (a slice's stored days, then its added ones).
  storage::Table cube;
  const auto copy = [&runs](auto member, size_t c, auto& target) {
    for (const Run& run : runs) {
      const auto& source = run.table->columns[c].*member;
      if (run.order->empty()) {
        target.insert(target.end(), source.begin() + static_cast<ptrdiff_t>(run.begin),
                      source.begin() + static_cast<ptrdiff_t>(run.end));
      } else {
        for (size_t position = run.begin; position < run.end; ++position) {
          target.push_back(source[(*run.order)[position]]);
        }
      }
    }
  };
  for (size_t c = 0; c < width; ++c) {
    storage::Column& column = cube.AddColumn(stored.columns[c].name, stored.columns[c].type);
    if (c == 0) {
      column.dictionary = std::move(kept);
      column.ints = std::move(codes);
    } else if (column.type == storage::ColumnType::DOUBLE) {
      column.doubles.reserve(cube.columns[0].ints.size());
      copy(&storage::Column::doubles, c, column.doubles);
    } else {
      column.ints.reserve(cube.columns[0].ints.size());
      copy(&storage::Column::ints, c, column.ints);
    }
  }
  volumes = std::move(next);
  return cube;
}

}  // namespace

std::optional<storage::Table> ExtendCube(const storage::Table& stored, const storage::Table& added,
                                         const RollUpOptions& options, CubeVolumes& volumes,
                                         std::string& why, const storage::Table* reaching,
                                         std::vector<std::string>* needed,
                                         const ReachingRows& fetch) {
  return Extend(stored, nullptr, added, options, volumes, why, reaching, needed, fetch);
}

std::optional<storage::Table> ExtendCubeInPlace(storage::Table& stored, const storage::Table& added,
                                                const RollUpOptions& options, CubeVolumes& volumes,
                                                std::string& why, std::vector<std::string>* needed,
                                                const ReachingRows& fetch) {
  return Extend(stored, &stored, added, options, volumes, why, nullptr, needed, fetch);
}

}  // namespace cxagent::metrics
