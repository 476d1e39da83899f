// The real editing trace (../shared/data/traces) replayed into a Sequence.
#include <gtest/gtest.h>

#include "dag/sha256.h"
#include "engine/crdt/sequence.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/trace.h"

namespace weft::engine {
namespace {

TEST(TraceReplayTest, AutomergePaperEndsWithItsEndContent) {
  std::string path = testing::DataDir() + "/traces/automerge-paper.json.gz";
  testing::Trace trace;
  std::string error;
  if (!testing::LoadTrace(path, &trace, &error)) {
    GTEST_SKIP() << "editing trace not available (" << error
                 << "); set WEFT_DATA_DIR to the shared data folder";
  }
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
