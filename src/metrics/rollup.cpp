#include "metrics/rollup.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>

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
    const auto distinct = static_cast<double>(std::count(seen.begin(), seen.end(), 1));
    threshold_ = options.min_daily * distinct;
  }

  int32_t First() const { return first_; }

  // The slice `all`.
  void PlanRoot(std::vector<SetPlan>& out) const { Plan(RootLevel(), 0, out); }

  // Every combination whose first dimension is `dimension`.
  void PlanBranch(size_t dimension, std::vector<SetPlan>& out) const {
    Descend(RootLevel(), dimension, 1, out);
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

  void Descend(const Level& parent, size_t dimension, int depth, std::vector<SetPlan>& out) const {
    const Level level = Child(parent, dimension);
    Plan(level, depth, out);
    if (depth >= options_.max_depth) return;
    for (size_t next = dimension + 1; next < leaves_.dimensions.size(); ++next) {
      Descend(level, next, depth + 1, out);
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
  void Plan(const Level& level, int depth, std::vector<SetPlan>& out) const {
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

storage::Table RollUp(const LeafSums& leaves, const RollUpOptions& options) {
  CheckLeaves(leaves, options);
  if (leaves.LeafCount() == 0) {
    std::vector<Block> none;
    return ToTable(leaves, none, 0);
  }
  const Roller roller(leaves, options);
  // Plans: task 0 is the slice `all`, task i the branch of the tree under dimension i - 1.
  const size_t dimensions = options.max_depth > 0 ? leaves.dimensions.size() : 0;
  std::vector<std::vector<SetPlan>> plans(dimensions + 1);
  RunTasks(plans.size(), options.threads, [&](size_t task) {
    if (task == 0) {
      roller.PlanRoot(plans[task]);
    } else {
      roller.PlanBranch(task - 1, plans[task]);
    }
  });
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

}  // namespace cxagent::metrics
