// The index's buckets and the seqs family's ranges (engine/log/log_index.h)
// over a real store: encodings, lookups, and what a damaged value is.
#include "engine/log/log_index.h"

#include <gtest/gtest.h>

#include <random>

#include "dag/sha256.h"
#include "engine/log/keys.h"
#include "storage/memory_kv_store.h"

namespace weft::engine {
namespace {

Hash HashOf(int n) { return dag::Sha256("change " + std::to_string(n)); }

TEST(LogIndexTest, BucketsFindEveryHashAndOnlyItsPositions) {
  auto store = storage::NewMemoryKvStore();
  auto batch = store->NewBatch();
  // 20000 hashes, appended a few at a time as commits do.
  for (int n = 1; n <= 20000; ++n) {
    std::string records;
    AppendIndexRecord(&records, HashOf(n), n, (n + 1) / 2);
    batch->Append(storage::Family::kIndex, IndexBucketKey(HashOf(n)), records);
  }
  ASSERT_TRUE(store->Write(batch.get(), false).ok());
  size_t extra = 0;
  for (int n = 1; n <= 20000; ++n) {
    std::vector<IndexRecord> candidates;
    ASSERT_TRUE(IndexCandidates(store.get(), HashOf(n), &candidates).ok());
    bool found = false;
    for (const IndexRecord& record : candidates) {
      found |= record.position == static_cast<uint64_t>(n) &&
               record.height == static_cast<uint64_t>(n + 1) / 2;
      EXPECT_EQ(record.tag, IndexTag(HashOf(n)));
    }
    EXPECT_TRUE(found) << n;
    extra += candidates.size() - 1;
  }
  // 26 bits: among 20000 hashes, a shared tag in a bucket is rare.
  EXPECT_LT(extra, 10u);
  std::vector<IndexRecord> absent;
  ASSERT_TRUE(IndexCandidates(store.get(), HashOf(-1), &absent).ok());
  EXPECT_LE(absent.size(), 1u);
}

TEST(LogIndexTest, AMalformedBucketIsRefused) {
  std::string records;
  AppendIndexRecord(&records, HashOf(1), 300, 12);
  AppendIndexRecord(&records, HashOf(2), 301, 301);
  std::vector<IndexRecord> decoded;
  ASSERT_TRUE(DecodeIndexBucket(records, &decoded));
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[0].position, 300u);
  EXPECT_EQ(decoded[0].height, 12u);
  EXPECT_EQ(decoded[1].height, 301u);
  for (size_t cut = 1; cut < records.size(); ++cut) {
    decoded.clear();
    std::string prefix = records.substr(0, cut);
    bool whole = DecodeIndexBucket(prefix, &decoded);
    EXPECT_TRUE(!whole || decoded.size() == 1) << cut;
  }
  // Position 0, and a height of 0 (position - height = position).
  std::string zero = "\x01\x02";
  zero += '\0';
  zero += '\0';
  EXPECT_FALSE(DecodeIndexBucket(zero, &decoded));
  std::string no_height = "\x01\x02\x05\x05";
  EXPECT_FALSE(DecodeIndexBucket(no_height, &decoded));
  // A varint that never ends.
  EXPECT_FALSE(DecodeIndexBucket(
      std::string("\x01\x02") + std::string(11, '\xff'), &decoded));
}

TEST(LogIndexTest, SeqRangesAnswerEverySeqAndNothingElse) {
  auto store = storage::NewMemoryKvStore();
  ActorId a = ActorId::FromBytes(std::string(16, 'a'));
  ActorId b = ActorId::FromBytes(std::string(16, 'b'));
  ActorId c = ActorId::FromBytes(std::string(16, 'c'));
  // a: seqs 1-10 at 1-10, 11-12 at 21-22; b: 1-5 at 11-15, 6 at 30.
  auto batch = store->NewBatch();
  auto put = [&](const ActorId& actor, SeqRange range) {
    batch->Put(storage::Family::kSeqs, EncodeSeqKey(actor, range.first_seq),
               EncodeSeqRange(range));
  };
  put(a, {1, 1, 10});
  put(a, {11, 21, 2});
  put(b, {1, 11, 5});
  put(b, {6, 30, 1});
  ASSERT_TRUE(store->Write(batch.get(), false).ok());
  SeqRange range;
  ASSERT_TRUE(FindSeqRange(store.get(), a, 7, &range).ok());
  EXPECT_EQ(range.PositionOf(7), 7u);
  ASSERT_TRUE(FindSeqRange(store.get(), a, 12, &range).ok());
  EXPECT_EQ(range.PositionOf(12), 22u);
  ASSERT_TRUE(FindSeqRange(store.get(), b, 6, &range).ok());
  EXPECT_EQ(range.PositionOf(6), 30u);
  EXPECT_TRUE(FindSeqRange(store.get(), a, 13, &range).IsNotFound());
  EXPECT_TRUE(FindSeqRange(store.get(), b, 7, &range).IsNotFound());
  EXPECT_TRUE(FindSeqRange(store.get(), c, 1, &range).IsNotFound());
  EXPECT_TRUE(FindSeqRange(store.get(), a, 0, &range).IsNotFound());

  std::vector<uint64_t> positions;
  ASSERT_TRUE(PositionsOfSeqs(store.get(), false, a, 8, 12, &positions).ok());
  EXPECT_EQ(positions, (std::vector<uint64_t>{9, 10, 21, 22}));
  positions.clear();
  ASSERT_TRUE(PositionsOfSeqs(store.get(), false, b, 0, 6, &positions).ok());
  EXPECT_EQ(positions, (std::vector<uint64_t>{11, 12, 13, 14, 15, 30}));
  positions.clear();
  ASSERT_TRUE(PositionsOfSeqs(store.get(), false, b, 2, 3, &positions).ok());
  EXPECT_EQ(positions, (std::vector<uint64_t>{13}));
  positions.clear();
  ASSERT_TRUE(PositionsOfSeqs(store.get(), false, c, 0, 9, &positions).ok());
  EXPECT_TRUE(positions.empty());

  ActorId actor;
  EXPECT_FALSE(DecodeSeqRange(EncodeSeqKey(a, 1), "", &actor, &range));
  EXPECT_FALSE(DecodeSeqRange(EncodeSeqKey(a, 1), EncodeSeqRange({1, 1, 0}),
                              &actor, &range));
  EXPECT_FALSE(DecodeSeqRange(EncodeSeqKey(a, 0), EncodeSeqRange({0, 1, 1}),
                              &actor, &range));
  EXPECT_FALSE(DecodeSeqRange(EncodeSeqKey(a, 1),
                              EncodeSeqRange({1, 1, 1}) + "x", &actor, &range));
  EXPECT_FALSE(DecodeSeqRange(EncodeSeqKey(a, UINT64_MAX),
                              EncodeSeqRange({UINT64_MAX, 1, 2}), &actor,
                              &range));
}

}  // namespace
}  // namespace weft::engine
