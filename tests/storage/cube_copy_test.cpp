#include "storage/cube_copy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/file.hpp"
#include "support/test_support.hpp"

namespace cxagent::storage {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// A cube as the analysis holds it: the slice dictionary-coded, integers and doubles, enough rows
// for several of the pieces the copy digests at a time.
Table Cube(size_t rows) {
  Table cube;
  Column& slice = cube.AddColumn("slice", ColumnType::VARCHAR);
  slice.dictionary = {"all", "region=seattle", "region=tokyo"};
  Column& depth = cube.AddColumn("depth", ColumnType::INTEGER);
  Column& date = cube.AddColumn("date", ColumnType::DATE);
  Column& orders = cube.AddColumn("orders", ColumnType::BIGINT);
  Column& cx_sum = cube.AddColumn("cx_sum", ColumnType::DOUBLE);
  for (size_t row = 0; row < rows; ++row) {
    slice.ints.push_back(static_cast<int64_t>(row % 3));
    depth.ints.push_back(row % 3 == 0 ? 0 : 1);
    date.ints.push_back(20'000 + static_cast<int64_t>(row / 3));
    orders.ints.push_back(static_cast<int64_t>(row * 7 + 1));
    cx_sum.doubles.push_back(0.1 * static_cast<double>(row) + 1e-13);
  }
  return cube;
}

void ExpectSameTable(const Table& a, const Table& b) {
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (size_t c = 0; c < a.columns.size(); ++c) {
    EXPECT_EQ(a.columns[c].name, b.columns[c].name);
    EXPECT_EQ(a.columns[c].type, b.columns[c].type);
    EXPECT_EQ(a.columns[c].dictionary, b.columns[c].dictionary);
    EXPECT_EQ(a.columns[c].ints, b.columns[c].ints) << a.columns[c].name;
    // To the bit.
    EXPECT_EQ(a.columns[c].doubles, b.columns[c].doubles) << a.columns[c].name;
    EXPECT_TRUE(b.columns[c].valid.empty());
  }
}

// The files in `dir`/.cxagent.
std::vector<std::string> Files(const TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.Path() / ".cxagent")) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class CubeCopyTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(dir_.Path() / ".cxagent"); }
  std::string Path() const { return CubeCopyPath(dir_.Path().string()); }
  void Write(const Table& cube, const std::string& generation) {
    CubeCopyWriter writer(dir_.Path().string(), cube, generation);
    writer.Commit();
  }
  TempDir dir_;
};

TEST_F(CubeCopyTest, RoundTripsTheCubeToTheBitAndLeavesOnlyTheCopy) {
  const Table cube = Cube(100'000);
  Write(cube, "gen-1");
  EXPECT_EQ(Files(dir_), std::vector<std::string>{"slice_cube.bin"});
  std::string why;
  const std::optional<Table> read = ReadCubeCopy(Path(), "gen-1", why);
  ASSERT_TRUE(read) << why;
  ExpectSameTable(cube, *read);
  // An empty cube too.
  Write(Table{}, "gen-2");
  const std::optional<Table> empty = ReadCubeCopy(Path(), "gen-2", why);
  ASSERT_TRUE(empty) << why;
  EXPECT_EQ(empty->columns.size(), 0u);
}

TEST_F(CubeCopyTest, ACopyOfOtherResultsIsNotRead) {
  Write(Cube(10), "gen-1");
  std::string why;
  EXPECT_FALSE(ReadCubeCopy(Path(), "gen-2", why));
  EXPECT_NE(why.find("of other results"), std::string::npos) << why;
  EXPECT_FALSE(ReadCubeCopy(CubeCopyPath(dir_.File("elsewhere")), "gen-1", why));
  EXPECT_EQ(why, "there is no copy of it");
}

TEST_F(CubeCopyTest, ATornOrDamagedCopyIsNotRead) {
  Write(Cube(100'000), "gen-1");
  const std::string whole = ReadFile(Path());
  std::string why;
  // Cut anywhere: in the header, in the values, before the digest.
  for (const size_t size :
       {size_t{0}, size_t{12}, size_t{100}, whole.size() / 2, whole.size() - 1}) {
    WriteFileAtomic(Path(), whole.substr(0, size));
    EXPECT_FALSE(ReadCubeCopy(Path(), "gen-1", why)) << size;
    EXPECT_NE(why.find("its copy"), std::string::npos) << size << ": " << why;
  }
  // Longer than it says.
  WriteFileAtomic(Path(), whole + "x");
  EXPECT_FALSE(ReadCubeCopy(Path(), "gen-1", why));
  EXPECT_NE(why.find("torn or damaged"), std::string::npos) << why;
  // A byte changed in the values (a block of the file not written, say).
  std::string damaged = whole;
  damaged[whole.size() / 2] ^= 0x10;
  WriteFileAtomic(Path(), damaged);
  EXPECT_FALSE(ReadCubeCopy(Path(), "gen-1", why));
  EXPECT_NE(why.find("digest"), std::string::npos) << why;
  // Zeros where values were.
  damaged = whole;
  std::fill(damaged.begin() + 4096, damaged.begin() + 8192, '\0');
  WriteFileAtomic(Path(), damaged);
  EXPECT_FALSE(ReadCubeCopy(Path(), "gen-1", why));
  WriteFileAtomic(Path(), whole);
  EXPECT_TRUE(ReadCubeCopy(Path(), "gen-1", why)) << why;
}

TEST_F(CubeCopyTest, AnUncommittedCopyLeavesNothingAndTheStoredCopyStands) {
  const Table first = Cube(10);
  Write(first, "gen-1");
  {
    // A failed analysis: the writer goes without Commit.
    const Table second = Cube(20);
    CubeCopyWriter writer(dir_.Path().string(), second, "gen-2");
  }
  EXPECT_EQ(Files(dir_), std::vector<std::string>{"slice_cube.bin"});
  std::string why;
  const std::optional<Table> read = ReadCubeCopy(Path(), "gen-1", why);
  ASSERT_TRUE(read) << why;
  ExpectSameTable(first, *read);
}

TEST_F(CubeCopyTest, AHeldCopyIsWrittenOnlyOnceReleased) {
  const Table cube = Cube(1'000);
  {
    CubeCopyWriter writer(dir_.Path().string(), cube, "gen-1", true);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // Held: not even the temporary file is there.
    EXPECT_TRUE(Files(dir_).empty());
    writer.Release();
    writer.Commit();
  }
  std::string why;
  const std::optional<Table> read = ReadCubeCopy(Path(), "gen-1", why);
  ASSERT_TRUE(read) << why;
  ExpectSameTable(cube, *read);
  // Commit lets a held copy be written too.
  {
    CubeCopyWriter writer(dir_.Path().string(), cube, "gen-2", true);
    writer.Commit();
  }
  EXPECT_TRUE(ReadCubeCopy(Path(), "gen-2", why)) << why;
  // So does a writer destroyed uncommitted (a failed analysis), which leaves nothing of it.
  { CubeCopyWriter writer(dir_.Path().string(), cube, "gen-3", true); }
  EXPECT_EQ(Files(dir_), std::vector<std::string>{"slice_cube.bin"});
}

TEST_F(CubeCopyTest, AKilledRunsTemporaryCopyIsRemovedByTheNextWriter) {
  // The temporary name of a process that no longer runs (pid far above any in use).
  const std::string stale = Path() + ".tmp-999999999-0";
  { std::ofstream(stale) << "half a copy"; }
  Write(Cube(10), "gen-1");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_EQ(Files(dir_), std::vector<std::string>{"slice_cube.bin"});
}

TEST_F(CubeCopyTest, ACubeTheCopyCannotHoldRemovesTheStoredCopy) {
  Write(Cube(10), "gen-1");
  Table with_null = Cube(10);
  with_null.columns[3].SetNull(4);
  Write(with_null, "gen-2");
  // The stored copy was of the results being replaced: none is left.
  EXPECT_FALSE(fs::exists(Path()));
  EXPECT_TRUE(Files(dir_).empty());
  Table text;
  text.AddColumn("slice", ColumnType::VARCHAR).strings = {"all"};
  Write(text, "gen-3");
  EXPECT_FALSE(fs::exists(Path()));
}

TEST_F(CubeCopyTest, ACodeOutsideTheDictionaryIsNotRead) {
  Table cube = Cube(10);
  cube.columns[0].ints[5] = 3;  // three entries
  Write(cube, "gen-1");
  std::string why;
  EXPECT_FALSE(ReadCubeCopy(Path(), "gen-1", why));
  EXPECT_NE(why.find("outside its dictionary"), std::string::npos) << why;
}

}  // namespace
}  // namespace cxagent::storage
