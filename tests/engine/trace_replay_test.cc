// The real editing trace (../shared/data/traces) replayed into a Sequence.
#include <gtest/gtest.h>

#include "dag/sha256.h"
#include "engine/crdt/sequence.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/trace.h"

namespace weft::testing {

// Loads the automerge-paper trace once; null (with the reason) if absent.
const Trace* PaperTrace(std::string* error) {
  static Trace trace;
  static std::string load_error;
  static bool loaded = LoadTrace(DataDir() + "/traces/automerge-paper.json.gz",
                                 &trace, &load_error);
  *error = load_error;
  return loaded ? &trace : nullptr;
}

#define WEFT_LOAD_TRACE_OR_SKIP(trace)                                \
  std::string trace##_error;                                          \
  const ::weft::testing::Trace* trace##_ptr =                         \
      ::weft::testing::PaperTrace(&trace##_error);                    \
  if (trace##_ptr == nullptr) {                                       \
    GTEST_SKIP() << "editing trace not available (" << trace##_error  \
                 << "); set WEFT_DATA_DIR to the shared data folder"; \
  }                                                                   \
  const ::weft::testing::Trace& trace = *trace##_ptr

}  // namespace weft::testing

namespace weft::engine {
namespace {

TEST(TraceReplayTest, AutomergePaperEndsWithItsEndContent) {
  WEFT_LOAD_TRACE_OR_SKIP(trace);
  ASSERT_EQ(trace.patches.size(), 259778u);
  ASSERT_EQ(dag::Sha256(testing::Utf32ToUtf8(trace.end_content)).ToHex(),
            "a489e9022976c14e46627aea174d07797edcb3fd17df42605956d4cf01bf9039");

  Sequence sequence;
  ActorId actor = testing::ActorFromSeed(1);
  uint64_t counter = 0;
  for (const testing::TracePatch& patch : trace.patches) {
    if (patch.delete_count > 0) {
      for (const IdRun& run :
           sequence.IdRunsAt(patch.position, patch.delete_count)) {
        ASSERT_TRUE(sequence.Delete(run).ok());
      }
    }
    if (!patch.insert.empty()) {
      OpId ref =
          patch.position == 0 ? OpId() : sequence.IdAt(patch.position - 1);
      ASSERT_TRUE(
          sequence.Insert(ref, OpId{counter + 1, actor}, patch.insert).ok());
      counter += patch.insert.size();
    }
  }
  EXPECT_EQ(sequence.size(), trace.end_content.size());
  EXPECT_TRUE(sequence.ReadAll() == trace.end_content);
  EXPECT_EQ(sequence.total_size(), 182315u);
}

}  // namespace
}  // namespace weft::engine

#include <nlohmann/json.hpp>

#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

// The same trace through transactions: one committed change per edit, on
// RocksDB; then reopen and read the text back.
TEST(TraceReplayTest, OneCommittedChangePerEditOnRocksDb) {
  WEFT_LOAD_TRACE_OR_SKIP(trace);
  testing::TempDir dir;
  std::string expected = testing::Utf32ToUtf8(trace.end_content);
  {
    auto db = Database::Open(dir.Sub("db"), Options());
    ASSERT_TRUE(db.ok());
    for (const testing::TracePatch& patch : trace.patches) {
      auto txn = (*db)->Begin();
      Status status =
          txn->SpliceText("paper/1", "text", patch.position, patch.delete_count,
                          testing::Utf32ToUtf8(patch.insert))
              .status();
      ASSERT_TRUE(status.ok()) << status.ToString();
      auto hash = txn->Commit();
      ASSERT_TRUE(hash.ok()) << hash.status().ToString();
    }
    EXPECT_EQ((*db)->LogLength(), trace.patches.size());
    auto text = (*db)->ReadText("paper/1", "text", 0, UINT64_MAX);
    ASSERT_TRUE(text.ok());
    EXPECT_TRUE(*text == expected);
  }
  auto db = Database::Open(dir.Sub("db"), Options());
  ASSERT_TRUE(db.ok());
  auto text = (*db)->ReadText("paper/1", "text", 0, UINT64_MAX);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_TRUE(*text == expected);
  auto json = (*db)->GetPathJson("paper/1", "text");
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE(nlohmann::json::parse(*json).get<std::string>() == expected);
}

}  // namespace
}  // namespace weft
