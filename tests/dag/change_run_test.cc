#include "dag/change_run.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>

#include "base/varint.h"
#include "dag/sha256.h"
#include "tests/testutil/authors.h"
#include "tests/testutil/drafts.h"

namespace weft::dag {
namespace {

// A history of three actors: each one's first change carries its key, most
// changes follow the one before, some merge or name a parent from before
// the run, ops of every kind.
std::vector<EncodedChange> History(size_t length, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<EncodedChange> history;
  std::vector<Hash> before_run(2);
  before_run[0].bytes.fill(0x11);
  before_run[1].bytes.fill(0x22);
  uint64_t seqs[3] = {0, 0, 0};
  uint64_t next_op = 1;
  for (size_t index = 0; index < length; ++index) {
    Change change;
    size_t author = rng() % 3;
    if (index % 5 == 4) {
      change = testing::SampleChange();  // refs to other actors, every kind
      change.start_op = next_op + 200;
    } else {
      ChangeDraft draft = testing::RandomDraft(rng, 1 + rng() % 4);
      change.docs = draft.docs;
      change.ops = draft.ops;
      change.message = index % 7 == 0 ? "change " + std::to_string(index) : "";
      change.start_op = next_op + rng() % 3;
    }
    change.seq = ++seqs[author];
    change.time_ms = 1'700'000'000'000 + static_cast<int64_t>(rng() % 5000);
    change.parents.clear();
    if (index > 0) change.parents.push_back(history[index - 1].hash);
    if (index > 2 && index % 6 == 0) {
      change.parents.push_back(history[index - 3].hash);
    }
    if (index % 9 == 1) change.parents.push_back(before_run[index % 2]);
    history.push_back(testing::MakeSigned(100 + author, change));
    next_op = DecodeChange(history.back().bytes)->EndOp() + 1;
  }
  return history;
}

std::vector<std::string> BytesOf(const std::vector<EncodedChange>& changes) {
  std::vector<std::string> bytes;
  for (const EncodedChange& change : changes) bytes.push_back(change.bytes);
  return bytes;
}

std::string RunOf(const std::vector<EncodedChange>& changes) {
  Result<std::string> run = EncodeRunOfBytes(BytesOf(changes));
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  return run.ok() ? *run : std::string();
}

// The run's columns, decompressed, and a way to put others in their place.
struct OpenedRun {
  std::string header;  // magic, count, digest
  std::string columns;

  static OpenedRun Of(const std::string& run) {
    std::string_view rest(run);
    rest.remove_prefix(4);
    uint64_t count;
    EXPECT_TRUE(GetVarint(&rest, &count));
    rest.remove_prefix(Hash::kSize);
    OpenedRun opened;
    opened.header = run.substr(0, run.size() - rest.size());
    opened.columns.resize(ZSTD_getFrameContentSize(rest.data(), rest.size()));
    EXPECT_EQ(ZSTD_decompress(opened.columns.data(), opened.columns.size(),
                              rest.data(), rest.size()),
              opened.columns.size());
    return opened;
  }
  std::string Packed() const {
    std::string frame(ZSTD_compressBound(columns.size()), '\0');
    frame.resize(ZSTD_compress(frame.data(), frame.size(), columns.data(),
                               columns.size(), 1));
    return header + frame;
  }
};

void ExpectRejected(const std::string& run, const char* why) {
  Result<std::vector<RunChange>> decoded = DecodeRun(run);
  EXPECT_FALSE(decoded.ok()) << why;
}

TEST(ChangeRunTest, RebuildsTheExactBytesOfEveryChange) {
  std::vector<EncodedChange> history = History(200);
  std::string run = RunOf(history);
  Result<std::vector<RunChange>> decoded = DecodeRun(run);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), history.size());
  for (size_t index = 0; index < history.size(); ++index) {
    EXPECT_EQ((*decoded)[index].bytes, history[index].bytes) << index;
    EXPECT_EQ((*decoded)[index].hash, history[index].hash) << index;
    EXPECT_EQ(EncodeChange((*decoded)[index].change).bytes,
              history[index].bytes);
  }
  EXPECT_EQ(*PeekRunCount(run), history.size());
  size_t verbatim = 0;
  for (const EncodedChange& change : history) verbatim += change.bytes.size();
  EXPECT_LT(run.size(), verbatim / 4) << "a run is a compact form";
}

TEST(ChangeRunTest, OneChangeAndEveryValueKindRoundTrip) {
  Change change = testing::SampleChange();
  change.ops[4].value = -0.0;
  change.ops[10].value = std::numeric_limits<double>::quiet_NaN();
  change.ops[11].value = std::numeric_limits<int64_t>::min();
  change.ops[12].value = Bytes{};
  change.ops[9].delta = std::numeric_limits<int64_t>::max();
  change.time_ms = -5;
  EncodedChange encoded = EncodeChange(change);
  Result<std::string> run = EncodeRunOfBytes({encoded.bytes});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  Result<std::vector<RunChange>> decoded = DecodeRun(*run);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->at(0).bytes, encoded.bytes);
}

TEST(ChangeRunTest, BytesNotInCanonicalFormCannotBePacked) {
  EncodedChange encoded = EncodeChange(testing::SampleChange());
  // The same fields followed by padding: other bytes for the same change,
  // which the canonical encoder never makes.
  std::string padded = encoded.bytes + std::string(8, '\0');
  ASSERT_TRUE(DecodeChange(padded).ok());
  Result<std::string> run = EncodeRunOfBytes({padded});
  EXPECT_TRUE(run.status().IsInvalidArgument()) << run.status().ToString();
  EXPECT_TRUE(DecodeCanonicalChange(padded).status().IsInvalidArgument());
  EXPECT_TRUE(DecodeCanonicalChange(encoded.bytes).ok());
}

TEST(ChangeRunTest, EveryTruncationIsRejected) {
  std::string run = RunOf(History(12));
  for (size_t length = 0; length < run.size(); ++length) {
    EXPECT_FALSE(DecodeRun(run.substr(0, length)).ok()) << length;
  }
  ExpectRejected(run + "x", "a byte after the frame");
}

TEST(ChangeRunTest, EveryBitFlipIsRejectedOrChangesNothing) {
  std::vector<EncodedChange> history = History(12);
  std::string run = RunOf(history);
  size_t rejected = 0;
  for (size_t byte_idx = 0; byte_idx < run.size(); ++byte_idx) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = run;
      flipped[byte_idx] ^= static_cast<char>(1 << bit);
      Result<std::vector<RunChange>> decoded = DecodeRun(flipped);
      if (!decoded.ok()) {
        ++rejected;
        continue;
      }
      // A flip zstd ignores (a frame header bit) may decode the same
      // changes; never other ones.
      ASSERT_EQ(decoded->size(), history.size());
      for (size_t index = 0; index < history.size(); ++index) {
        ASSERT_EQ((*decoded)[index].hash, history[index].hash);
      }
    }
  }
  EXPECT_GT(rejected, run.size() * 8 * 9 / 10);
}

TEST(ChangeRunTest, EveryDamagedColumnByteIsRejectedOrChangesNothing) {
  // Damage inside the decompressed columns, re-framed so that zstd cannot
  // notice: only the run's own checks stand between it and the store.
  std::vector<EncodedChange> history = History(12);
  OpenedRun opened = OpenedRun::Of(RunOf(history));
  size_t rejected = 0;
  for (size_t byte_idx = 0; byte_idx < opened.columns.size(); ++byte_idx) {
    OpenedRun damaged = opened;
    damaged.columns[byte_idx] ^= 0x5a;
    Result<std::vector<RunChange>> decoded = DecodeRun(damaged.Packed());
    if (!decoded.ok()) {
      ++rejected;
      continue;
    }
    for (size_t index = 0; index < history.size(); ++index) {
      ASSERT_EQ((*decoded)[index].hash, history[index].hash) << byte_idx;
    }
  }
  EXPECT_EQ(rejected, opened.columns.size());
}

TEST(ChangeRunTest, AWrongBackReferenceIsRejected) {
  // Three changes, each on the one before. Told the first two hashes
  // swapped, the encoder points the third change's parent at the first
  // change: rebuilt, it hashes to something else than the digest says.
  std::vector<EncodedChange> history = History(3);
  std::vector<Change> changes;
  for (const EncodedChange& change : history) {
    changes.push_back(*DecodeChange(change.bytes));
  }
  std::string run =
      EncodeRun(changes, {history[1].hash, history[0].hash, history[2].hash});
  Result<std::vector<RunChange>> decoded = DecodeRun(run);
  EXPECT_TRUE(decoded.status().IsCorruption()) << decoded.status().ToString();
}

TEST(ChangeRunTest, AHashTheRunDoesNotRebuildIsRejected) {
  std::vector<EncodedChange> history = History(5);
  std::vector<Change> changes;
  for (const EncodedChange& change : history) {
    changes.push_back(*DecodeChange(change.bytes));
  }
  std::vector<Hash> claimed;
  for (const EncodedChange& change : history) claimed.push_back(change.hash);
  claimed.back().bytes[0] ^= 1;  // the last hash is not what it rebuilds
  Result<std::vector<RunChange>> decoded =
      DecodeRun(EncodeRun(changes, claimed));
  EXPECT_TRUE(decoded.status().IsCorruption());
  EXPECT_NE(decoded.status().message().find("digest"), std::string::npos)
      << decoded.status().ToString();
}

TEST(ChangeRunTest, ARunClaimingMoreOrFewerChangesThanItHoldsIsRejected) {
  std::string run = RunOf(History(6));
  for (uint8_t count : {5, 7, 100}) {
    std::string claimed = run;
    claimed[4] = static_cast<char>(count);  // the count is one varint byte
    ExpectRejected(claimed, "a wrong change count");
  }
  std::string none = run;
  none[4] = 0;
  EXPECT_TRUE(DecodeRun(none).status().IsCorruption());
}

TEST(ChangeRunTest, ColumnsLongerThanTheirChangesAreRejected) {
  OpenedRun opened = OpenedRun::Of(RunOf(History(6)));
  // The last column (doubles) gains 8 bytes no op reads.
  OpenedRun longer = opened;
  std::string_view rest(opened.columns);
  size_t last_start = 0;
  while (!rest.empty()) {
    last_start = opened.columns.size() - rest.size();
    uint64_t length;
    ASSERT_TRUE(GetVarint(&rest, &length));
    rest.remove_prefix(length);
  }
  std::string_view last(opened.columns);
  last.remove_prefix(last_start);
  uint64_t length;
  ASSERT_TRUE(GetVarint(&last, &length));
  std::string grown;
  PutVarint(&grown, length + 8);
  grown.append(last);
  grown.append(8, '\x7f');
  longer.columns = opened.columns.substr(0, last_start) + grown;
  Result<std::vector<RunChange>> decoded = DecodeRun(longer.Packed());
  EXPECT_TRUE(decoded.status().IsCorruption()) << decoded.status().ToString();
}

TEST(ChangeRunTest, DecompressionBombsAreRefusedBeforeAnythingIsAllocated) {
  std::string run = RunOf(History(2));
  OpenedRun opened = OpenedRun::Of(run);
  // 64 MiB of zeros compress to a few kilobytes.
  OpenedRun bomb = opened;
  bomb.columns = std::string(64u << 20, '\0');
  std::string packed = bomb.Packed();
  EXPECT_LT(packed.size(), 64u << 10);
  Result<std::vector<RunChange>> decoded = DecodeRun(packed);
  EXPECT_TRUE(decoded.status().IsInvalidArgument())
      << decoded.status().ToString();

  // A frame that does not say its size is refused too.
  ZSTD_CCtx* context = ZSTD_createCCtx();
  std::string frame(ZSTD_compressBound(opened.columns.size()) + 64, '\0');
  ZSTD_outBuffer out{frame.data(), frame.size(), 0};
  ZSTD_inBuffer in{opened.columns.data(), opened.columns.size(), 0};
  ASSERT_EQ(ZSTD_compressStream2(context, &out, &in, ZSTD_e_continue), 0u);
  ASSERT_EQ(ZSTD_compressStream2(context, &out, &in, ZSTD_e_end), 0u);
  ZSTD_freeCCtx(context);
  frame.resize(out.pos);
  decoded = DecodeRun(opened.header + frame);
  EXPECT_TRUE(decoded.status().IsCorruption()) << decoded.status().ToString();
}

TEST(ChangeRunTest, LimitsBoundWhatARunMayHold) {
  std::vector<EncodedChange> history = History(40);
  std::string run = RunOf(history);
  size_t ops = 0;
  for (const EncodedChange& change : history) {
    ops += DecodeChange(change.bytes)->ops.size();
  }
  RunLimits limits;
  limits.changes_max = 39;
  EXPECT_TRUE(DecodeRun(run, limits).status().IsInvalidArgument());
  limits = RunLimits();
  limits.ops_max = ops - 1;
  EXPECT_TRUE(DecodeRun(run, limits).status().IsInvalidArgument());
  limits.ops_max = ops;
  EXPECT_TRUE(DecodeRun(run, limits).ok());
  limits = RunLimits();
  limits.bytes_max = 1000;
  EXPECT_TRUE(DecodeRun(run, limits).status().IsInvalidArgument());
  limits = RunLimits();
  limits.columns_bytes_max = 100;
  EXPECT_TRUE(DecodeRun(run, limits).status().IsInvalidArgument());
}

TEST(ChangeRunTest, RandomBytesAfterTheMagicNeverCrash) {
  std::mt19937_64 rng(99);
  std::string run = RunOf(History(4));
  for (int round = 0; round < 5000; ++round) {
    std::string bytes = run.substr(0, 4 + rng() % (run.size() - 4));
    size_t junk = rng() % 64;
    for (size_t idx = 0; idx < junk; ++idx) bytes.push_back(char(rng()));
    EXPECT_FALSE(DecodeRun(bytes).ok());
  }
}

}  // namespace
}  // namespace weft::dag
