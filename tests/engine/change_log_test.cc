// The append path on the in-memory store: commits, remote changes, the
// pending area, and every kind of bad change.
#include "engine/log/change_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "dag/change_codec.h"
#include "engine/log/keys.h"
#include "storage/memory_kv_store.h"
#include "tests/testutil/authors.h"
#include "tests/testutil/counting_kv_store.h"
#include "tests/testutil/drafts.h"

namespace weft::engine {
namespace {

using testing::ActorFromSeed;
using testing::RandomDraft;

struct Replica {
  explicit Replica(uint64_t seed, Options options = Options())
      : store(storage::NewMemoryKvStore()) {
    auto opened =
        ChangeLog::Open(store.get(), options, &testing::AuthorFromSeed(seed),
                        [] { return int64_t{1'700'000'000'000}; });
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    log = std::move(opened).value();
  }
  std::unique_ptr<storage::KvStore> store;
  std::unique_ptr<ChangeLog> log;
};

dag::EncodedChange MakeChange(uint64_t actor_seed, uint64_t seq,
                              uint64_t start_op, std::vector<Hash> parents,
                              const std::string& message = "") {
  Change change;
  change.seq = seq;
  change.start_op = start_op;
  change.parents = std::move(parents);
  change.message = message;
  return testing::MakeSigned(actor_seed, change);
}

// Copies every change of `from` that `to` lacks, in `from`'s log order.
void Pull(const ChangeLog& from, ChangeLog* to) {
  for (uint64_t pos = 1; pos <= from.LogLength(); ++pos) {
    auto stored = from.GetChangeAt(pos);
    ASSERT_TRUE(stored.ok());
    auto proofs = from.ProofsFor({stored->bytes});
    ASSERT_TRUE(proofs.ok()) << proofs.status().ToString();
    auto outcome = to->Receive(&stored->hash, stored->bytes, *proofs);
    ASSERT_TRUE(outcome.ok() || outcome.status().IsAlreadyExists())
        << outcome.status().ToString();
  }
}

void ExpectVerified(const ChangeLog& log) {
  auto report = log.Verify();
  ASSERT_TRUE(report.ok());
  for (const std::string& problem : report->problems) ADD_FAILURE() << problem;
}

TEST(ChangeLogTest, CommitsChainOnTheHeads) {
  Replica replica(1);
  std::mt19937_64 rng(1);
  std::vector<Hash> hashes;
  for (int commit = 0; commit < 5; ++commit) {
    auto hash = replica.log->Commit({RandomDraft(rng, 3)});
    ASSERT_TRUE(hash.ok()) << hash.status().ToString();
    hashes.push_back((*hash)[0]);
  }
  EXPECT_EQ(replica.log->LogLength(), 5u);
  EXPECT_EQ(replica.log->Heads(), std::vector<Hash>{hashes.back()});
  auto actors = replica.log->Actors();
  ASSERT_EQ(actors.size(), 1u);
  EXPECT_EQ(actors[0].actor, ActorFromSeed(1));
  EXPECT_EQ(actors[0].seq, 5u);
  uint64_t end_op = 0;  // each change starts right after the previous one
  for (uint64_t pos = 1; pos <= 5; ++pos) {
    auto stored = replica.log->GetChangeAt(pos);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->hash, hashes[pos - 1]);
    EXPECT_EQ(stored->height, pos);
    EXPECT_EQ(stored->change.seq, pos);
    EXPECT_EQ(stored->change.start_op, end_op + 1);
    EXPECT_GE(stored->change.EndOp(), end_op + 3);
    end_op = stored->change.EndOp();
    if (pos > 1) {
      EXPECT_EQ(stored->change.parents, std::vector<Hash>{hashes[pos - 2]});
    }
  }
  EXPECT_EQ(actors[0].end_op, end_op);
  EXPECT_EQ(replica.log->NextOpCounter(), end_op + 1);
  ExpectVerified(*replica.log);
}

TEST(ChangeLogTest, BatchWithAnInvalidDraftCommitsNothing) {
  Replica replica(1);
  std::mt19937_64 rng(2);
  ASSERT_TRUE(replica.log->Commit({RandomDraft(rng, 2)}).ok());
  std::vector<ChangeDraft> drafts{RandomDraft(rng, 2), RandomDraft(rng, 2)};
  drafts.push_back(RandomDraft(rng, 2));
  drafts.back().ops[0].doc = 99;  // names no document
  auto result = replica.log->Commit(drafts);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsInvalidArgument());
  EXPECT_EQ(replica.log->LogLength(), 1u);
  EXPECT_EQ(replica.log->Actors()[0].seq, 1u);
  drafts.pop_back();
  auto hashes = replica.log->Commit(drafts);
  ASSERT_TRUE(hashes.ok());
  EXPECT_EQ(replica.log->LogLength(), 3u);
  EXPECT_EQ(replica.log->Heads(), std::vector<Hash>{(*hashes)[1]});
  ExpectVerified(*replica.log);
}

TEST(ChangeLogTest, OversizedLocalChangeIsRejected) {
  Options options;
  options.change_bytes_max = 1024;
  Replica replica(1, options);
  ChangeDraft draft = testing::OneOpDraft(1);
  draft.ops[0].value = std::string(2000, 'x');
  auto result = replica.log->Commit({draft});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("over the limit"),
            std::string::npos);
  EXPECT_EQ(replica.log->LogLength(), 0u);
}

// Two writers that sometimes exchange changes, so the DAG has forks and
// merges; then fresh replicas receive everything in two different orders.
TEST(ChangeLogTest, RandomDeliveryOrderConvergesWithInOrderDelivery) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    std::mt19937_64 rng(seed);
    Replica a(100), b(200);
    for (int step = 0; step < 60; ++step) {
      Replica& writer = rng() % 2 ? a : b;
      ASSERT_TRUE(writer.log->Commit({RandomDraft(rng, 1 + rng() % 3)}).ok());
      if (rng() % 5 == 0) Pull(*a.log, b.log.get());
      if (rng() % 5 == 0) Pull(*b.log, a.log.get());
    }
    Pull(*b.log, a.log.get());  // a now holds everything
    ASSERT_GT(a.log->LogLength(), 60u - 1);

    std::vector<StoredChange> all;
    for (uint64_t pos = 1; pos <= a.log->LogLength(); ++pos) {
      all.push_back(*a.log->GetChangeAt(pos));
    }
    Replica in_order(300), shuffled(400);
    Pull(*a.log, in_order.log.get());
    std::shuffle(all.begin(), all.end(), rng);
    for (const StoredChange& stored : all) {
      auto proofs = a.log->ProofsFor({stored.bytes});
      ASSERT_TRUE(proofs.ok()) << proofs.status().ToString();
      auto outcome = shuffled.log->Receive(nullptr, stored.bytes, *proofs);
      ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    }
    EXPECT_EQ(shuffled.log->PendingCount(), 0u);
    EXPECT_EQ(shuffled.log->LogLength(), all.size());
    EXPECT_EQ(shuffled.log->Heads(), a.log->Heads()) << "seed " << seed;
    EXPECT_EQ(in_order.log->Heads(), a.log->Heads());
    EXPECT_EQ(shuffled.log->Actors().size(), 2u);
    ExpectVerified(*shuffled.log);
    ExpectVerified(*in_order.log);
  }
}

TEST(ChangeLogTest, PendingChangesApplyInCausalOrder) {
  Replica replica(1);
  auto root = MakeChange(7, 1, 1, {});
  auto child = MakeChange(7, 2, 2, {root.hash});
  auto grandchild = MakeChange(7, 3, 3, {child.hash});
  auto outcome = replica.log->Receive(nullptr, grandchild.bytes,
                                      testing::ProofsOf(grandchild.bytes));
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->stored);
  ASSERT_TRUE(
      replica.log->Receive(nullptr, child.bytes, testing::ProofsOf(child.bytes))
          .ok());
  EXPECT_EQ(replica.log->PendingCount(), 2u);
  EXPECT_EQ(replica.log->LogLength(), 0u);
  EXPECT_TRUE(
      replica.log->Receive(nullptr, child.bytes, testing::ProofsOf(child.bytes))
          .status()
          .IsAlreadyExists());
  outcome =
      replica.log->Receive(nullptr, root.bytes, testing::ProofsOf(root.bytes));
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->stored);
  EXPECT_EQ(outcome->stored_count, 3u);
  EXPECT_EQ(replica.log->PendingCount(), 0u);
  EXPECT_EQ(replica.log->GetChangeAt(3)->hash, grandchild.hash);
  ExpectVerified(*replica.log);
}

TEST(ChangeLogTest, PendingChangeThatProvesInvalidIsDroppedWithItsChildren) {
  Replica replica(1);
  auto root = MakeChange(7, 1, 1, {});
  auto gap = MakeChange(7, 3, 2, {root.hash});  // seq 2 skipped
  auto after_gap = MakeChange(7, 4, 3, {gap.hash});
  ASSERT_TRUE(replica.log
                  ->Receive(nullptr, after_gap.bytes,
                            testing::ProofsOf(after_gap.bytes))
                  .ok());
  ASSERT_TRUE(
      replica.log->Receive(nullptr, gap.bytes, testing::ProofsOf(gap.bytes))
          .ok());
  auto outcome =
      replica.log->Receive(nullptr, root.bytes, testing::ProofsOf(root.bytes));
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->stored_count, 1u);
  EXPECT_EQ(outcome->rejected_count, 2u);
  EXPECT_NE(outcome->first_rejection.find("seq gap"), std::string::npos);
  EXPECT_EQ(replica.log->PendingCount(), 0u);
  EXPECT_EQ(replica.log->LogLength(), 1u);
  ExpectVerified(*replica.log);
}

// Each bad change gets a clear error and leaves the log exactly as it was.
TEST(ChangeLogTest, BadChangesAreRejectedAndNothingIsStored) {
  Options options;
  options.pending_changes_max = 2;
  options.change_bytes_max = 4096;
  Replica replica(1, options);
  auto root = MakeChange(7, 1, 1, {});
  ASSERT_TRUE(
      replica.log->Receive(nullptr, root.bytes, testing::ProofsOf(root.bytes))
          .ok());
  auto second = MakeChange(7, 2, 5, {root.hash});
  ASSERT_TRUE(
      replica.log
          ->Receive(nullptr, second.bytes, testing::ProofsOf(second.bytes))
          .ok());
  Hash unknown_parent = MakeChange(9, 1, 1, {}).hash;

  struct Case {
    const char* name;
    std::string bytes;
    const Hash* claimed;
    Status::Code code;
    const char* message_part;
  };
  auto equivocation = MakeChange(7, 2, 6, {root.hash}, "another seq 2");
  auto gap = MakeChange(7, 4, 10, {second.hash});
  auto lamport = MakeChange(8, 1, 3, {second.hash});
  auto backwards = MakeChange(7, 3, 4, {root.hash});
  auto oversized = MakeChange(7, 3, 9, {second.hash}, std::string(5000, 'm'));
  // Near the top of the counter range: it would leave no room for commits.
  auto poison =
      MakeChange(7, 3, limits::kOpCounterMax - limits::kChangeBytesCeiling - 1,
                 {second.hash});
  auto jump = MakeChange(8, 1, limits::kOpCounterGapMax + 6, {second.hash});
  std::string random_bytes(200, '\0');
  std::mt19937_64 rng(5);
  for (char& byte : random_bytes) byte = static_cast<char>(rng());
  Hash wrong = root.hash;
  const Case cases[] = {
      {"truncated", second.bytes.substr(0, second.bytes.size() / 2), nullptr,
       Status::Code::kCorruption, "change"},
      {"random", random_bytes, nullptr, Status::Code::kCorruption, ""},
      {"hash mismatch", gap.bytes, &wrong, Status::Code::kCorruption,
       "not to the claimed"},
      {"duplicate", second.bytes, nullptr, Status::Code::kAlreadyExists,
       "already stored"},
      {"equivocation", equivocation.bytes, nullptr,
       Status::Code::kInvalidArgument, "equivocation"},
      {"seq gap", gap.bytes, nullptr, Status::Code::kInvalidArgument,
       "seq gap"},
      {"lamport", lamport.bytes, nullptr, Status::Code::kInvalidArgument,
       "do not follow the parents"},
      {"backwards", backwards.bytes, nullptr, Status::Code::kInvalidArgument,
       "go backwards"},
      {"oversized", oversized.bytes, nullptr, Status::Code::kInvalidArgument,
       "over the limit"},
      {"poison counters", poison.bytes, nullptr, Status::Code::kInvalidArgument,
       "jump past the parents"},
      {"counter jump", jump.bytes, nullptr, Status::Code::kInvalidArgument,
       "jump past the parents"},
  };
  for (const Case& bad : cases) {
    auto outcome = replica.log->Receive(bad.claimed, bad.bytes,
                                        testing::ProofsOf(bad.bytes));
    ASSERT_FALSE(outcome.ok()) << bad.name;
    EXPECT_EQ(outcome.status().code(), bad.code)
        << bad.name << ": " << outcome.status().ToString();
    EXPECT_NE(outcome.status().message().find(bad.message_part),
              std::string::npos)
        << bad.name << ": " << outcome.status().ToString();
    EXPECT_EQ(replica.log->LogLength(), 2u) << bad.name;
    EXPECT_EQ(replica.log->PendingCount(), 0u) << bad.name;
  }

  // Unknown parents: parked up to the bound, then Busy.
  for (uint64_t seq = 2; seq <= 3; ++seq) {
    auto orphan = MakeChange(9, seq, 10 * seq, {unknown_parent});
    auto outcome = replica.log->Receive(nullptr, orphan.bytes,
                                        testing::ProofsOf(orphan.bytes));
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_FALSE(outcome->stored);
  }
  auto one_too_many = MakeChange(9, 4, 40, {unknown_parent});
  auto outcome = replica.log->Receive(nullptr, one_too_many.bytes,
                                      testing::ProofsOf(one_too_many.bytes));
  EXPECT_TRUE(outcome.status().IsBusy()) << outcome.status().ToString();
  EXPECT_EQ(replica.log->PendingCount(), 2u);
  EXPECT_EQ(replica.log->LogLength(), 2u);
  ExpectVerified(*replica.log);
}

// A log stored before received op counters were bounded may hold a change
// that starts near the ceiling, leaving (almost) no room for commits:
// verify says so instead of "ok".
TEST(ChangeLogTest, VerifyReportsOpCountersLeftWithoutRoom) {
  auto store = storage::NewMemoryKvStore();
  {
    auto opened =
        ChangeLog::Open(store.get(), Options(), &testing::AuthorFromSeed(1),
                        [] { return int64_t{1}; });
    ASSERT_TRUE(opened.ok());
  }
  // Written as such a database holds it (no ChangeLog would store it now).
  auto poison = MakeChange(
      7, 1, limits::kOpCounterMax - limits::kChangeBytesCeiling - 1, {});
  ActorId actor = ActorFromSeed(7);
  IndexEntry entry{1, 1,
                   limits::kOpCounterMax - limits::kChangeBytesCeiling - 2};
  auto batch = store->NewBatch();
  batch->Put(storage::Family::kLog, EncodePosition(1), poison.bytes);
  std::string bucket;
  AppendIndexRecord(&bucket, poison.hash, 1, 1);
  batch->Put(storage::Family::kIndex, IndexBucketKey(poison.hash), bucket);
  batch->Put(storage::Family::kSeqs, EncodeSeqKey(actor, 1),
             EncodeSeqRange(SeqRange{1, 1, 1}));
  batch->Put(
      storage::Family::kActors, actor.AsStringView(),
      EncodeActorEntry(ActorEntry{1, poison.hash, entry.end_op,
                                  dag::ExtendChain(Hash(), poison.hash),
                                  testing::AuthorFromSeed(7).public_key()}));
  batch->Put(storage::Family::kMeta, kMetaHeads,
             EncodeHeads({HeadEntry{poison.hash, entry}}));
  batch->Put(storage::Family::kMeta, kMetaHeadsAt, EncodePosition(1));
  ASSERT_TRUE(store->Write(batch.get(), false).ok());
  auto log =
      ChangeLog::Open(store.get(), Options(), &testing::AuthorFromSeed(1),
                      [] { return int64_t{1}; });
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto report = (*log)->Verify();
  ASSERT_TRUE(report.ok());
  std::string problems;
  for (const std::string& problem : report->problems)
    problems += problem + "\n";
  EXPECT_NE(problems.find("jump"), std::string::npos) << problems;
  EXPECT_NE(problems.find("for later local commits"), std::string::npos)
      << problems;
}

// Reads of the log family that opening `store` makes (a clean close before:
// no tail past the checkpoint to replay).
uint64_t LogReadsOfOpen(storage::KvStore* store, const dag::AuthorKey& author) {
  testing::CountingKvStore counting(store);
  auto log =
      ChangeLog::Open(&counting, Options(), &author, [] { return int64_t{0}; });
  EXPECT_TRUE(log.ok());
  return counting.reads(storage::Family::kLog);
}

TEST(ChangeLogTest, ReopenRestoresStateWithoutTheLog) {
  auto store = storage::NewMemoryKvStore();
  std::mt19937_64 rng(3);
  Hash last;
  {
    auto log =
        ChangeLog::Open(store.get(), Options(), &testing::AuthorFromSeed(1),
                        [] { return int64_t{0}; });
    ASSERT_TRUE(log.ok());
    auto hashes = (*log)->Commit({RandomDraft(rng, 2), RandomDraft(rng, 2)});
    ASSERT_TRUE(hashes.ok());
    last = (*hashes)[1];
  }
  // Another database's key is refused. The open is watched: it reads
  // heads and the version vector, and of the log only its last key (the
  // length) and the empty tail past the checkpoint.
  auto other =
      ChangeLog::Open(store.get(), Options(), &testing::AuthorFromSeed(2),
                      [] { return int64_t{0}; });
  EXPECT_TRUE(other.status().IsInvalidArgument()) << other.status().ToString();
  EXPECT_NE(other.status().ToString().find("another database's key"),
            std::string::npos);
  testing::CountingKvStore counting(store.get());
  auto log = ChangeLog::Open(&counting, Options(), &testing::AuthorFromSeed(1),
                             [] { return int64_t{0}; });
  ASSERT_TRUE(log.ok());
  uint64_t log_reads = counting.reads(storage::Family::kLog);
  EXPECT_LE(log_reads, 2u);
  EXPECT_GT(counting.reads(storage::Family::kMeta), 0u);
  EXPECT_EQ((*log)->local_actor(), ActorFromSeed(1));
  EXPECT_EQ((*log)->LogLength(), 2u);
  EXPECT_EQ((*log)->Heads(), std::vector<Hash>{last});
  EXPECT_EQ((*log)->NextOpCounter(), 5u);
  auto next = (*log)->Commit({RandomDraft(rng, 1)});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*log)->GetChange((*next)[0])->change.seq, 3u);
  // The counter sees a read of the log when there is one.
  EXPECT_GT(counting.reads(storage::Family::kLog), log_reads);

  // 100 more changes: opening reads the log no more than before.
  std::vector<ChangeDraft> drafts;
  for (int draft = 0; draft < 100; ++draft) {
    drafts.push_back(RandomDraft(rng, 1));
  }
  ASSERT_TRUE((*log)->Commit(drafts).ok());
  log->reset();
  EXPECT_EQ(LogReadsOfOpen(store.get(), testing::AuthorFromSeed(1)), log_reads);
}

// Changes are indexed 4096 at a time, with the run that packs the last of
// them, and the rest on a clean close: an open while the writer still runs
// (or after a crash) finds the newest ones from the log's tail, by hash
// and by seq.
TEST(ChangeLogTest, TheUnindexedTailIsFoundByHashAndSeq) {
  Replica writer(1);
  std::mt19937_64 rng(11);
  std::vector<Hash> hashes;
  for (int commit = 0; commit < 4700; ++commit) {
    auto committed = writer.log->Commit({RandomDraft(rng, 1)});
    ASSERT_TRUE(committed.ok());
    hashes.push_back((*committed)[0]);
  }
  const ActorId actor = writer.log->local_actor();
  auto check = [&](const ChangeLog& log) {
    ASSERT_EQ(log.LogLength(), hashes.size());
    for (size_t at = 0; at < hashes.size(); ++at) {
      auto stored = log.GetChange(hashes[at]);
      ASSERT_TRUE(stored.ok()) << "change " << at + 1;
      EXPECT_EQ(stored->position, at + 1);
      uint64_t position = 0;
      ASSERT_TRUE(log.PositionOfSeq(actor, at + 1, &position).ok());
      EXPECT_EQ(position, at + 1);
    }
    std::vector<uint64_t> positions;
    ASSERT_TRUE(log.PositionsOfSeqs(actor, 0, 4700, &positions).ok());
    ASSERT_EQ(positions.size(), 4700u);
    for (size_t at = 0; at < positions.size(); ++at) {
      EXPECT_EQ(positions[at], at + 1);
    }
    ExpectVerified(log);
  };
  std::string indexed;
  ASSERT_TRUE(
      writer.store->Get(storage::Family::kMeta, kMetaIndexedThrough, &indexed)
          .ok());
  uint64_t indexed_through = 0;
  ASSERT_TRUE(DecodePosition(indexed, &indexed_through));
  EXPECT_GT(indexed_through, 0u) << "nothing was indexed";
  EXPECT_LT(indexed_through, 4700u) << "no tail is left unindexed";

  Options read_only;
  read_only.read_only = true;
  auto reader = ChangeLog::Open(writer.store.get(), read_only, nullptr,
                                [] { return int64_t{0}; });
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  check(**reader);
  reader->reset();

  writer.log.reset();  // a clean close indexes the tail
  ASSERT_TRUE(
      writer.store->Get(storage::Family::kMeta, kMetaIndexedThrough, &indexed)
          .ok());
  ASSERT_TRUE(DecodePosition(indexed, &indexed_through));
  EXPECT_EQ(indexed_through, 4700u);
  auto reopened =
      ChangeLog::Open(writer.store.get(), Options(),
                      &testing::AuthorFromSeed(1), [] { return int64_t{0}; });
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  check(**reopened);
}

std::string HeadsAt(storage::KvStore* store) {
  std::string value;
  uint64_t position = UINT64_MAX;
  EXPECT_TRUE(store->Get(storage::Family::kMeta, kMetaHeadsAt, &value).ok());
  EXPECT_TRUE(DecodePosition(value, &position));
  return std::to_string(position);
}

// Three one-op changes, one commit each.
void CommitThree(ChangeLog* log, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int commit = 0; commit < 3; ++commit) {
    ASSERT_TRUE(log->Commit({RandomDraft(rng, 1)}).ok());
  }
}

void ExpectSameState(const ChangeLog& expected, const ChangeLog& actual) {
  EXPECT_EQ(actual.LogLength(), expected.LogLength());
  EXPECT_EQ(actual.Heads(), expected.Heads());
  EXPECT_EQ(actual.NextOpCounter(), expected.NextOpCounter());
  auto want = expected.Actors();
  auto got = actual.Actors();
  ASSERT_EQ(got.size(), want.size());
  for (size_t actor_idx = 0; actor_idx < want.size(); ++actor_idx) {
    EXPECT_EQ(got[actor_idx].actor, want[actor_idx].actor);
    EXPECT_EQ(got[actor_idx].seq, want[actor_idx].seq);
    EXPECT_EQ(got[actor_idx].last_hash, want[actor_idx].last_hash);
    EXPECT_EQ(got[actor_idx].end_op, want[actor_idx].end_op);
  }
}

// Heads and actors are stored every few hundred changes, not per commit: a
// log opened after a crash (here: beside the live one, which never wrote
// its last checkpoint) replays the changes since the last one.
TEST(ChangeLogTest, OpenReplaysTheChangesSinceTheLastCheckpoint) {
  std::mt19937_64 rng(7);
  Replica a(1), b(2), c(3);
  for (int step = 0; step < 700; ++step) {
    Replica& writer = step % 3 == 0 ? a : (step % 3 == 1 ? b : c);
    ASSERT_TRUE(writer.log->Commit({RandomDraft(rng, 1 + rng() % 3)}).ok());
    if (rng() % 7 == 0) Pull(*b.log, a.log.get());
    if (rng() % 11 == 0) Pull(*c.log, a.log.get());
    if (rng() % 13 == 0) Pull(*a.log, b.log.get());
  }
  ASSERT_EQ(a.log->Actors().size(), 3u);
  uint64_t heads_at = std::stoull(HeadsAt(a.store.get()));
  ASSERT_GT(heads_at, 0u) << "no checkpoint was written";
  ASSERT_LT(heads_at, a.log->LogLength()) << "no tail to replay";

  auto reopened =
      ChangeLog::Open(a.store.get(), Options(), &testing::AuthorFromSeed(1),
                      [] { return int64_t{0}; });
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ExpectSameState(*a.log, **reopened);
  ExpectVerified(**reopened);

  // The replayed state takes new changes, local and remote. (From here on
  // only `reopened` commits; `a` closes last and writes its checkpoint at
  // its own, earlier, length: older than the log's end, still consistent.)
  Pull(*b.log, reopened->get());
  ASSERT_TRUE((*reopened)->Commit({RandomDraft(rng, 2)}).ok());
  uint64_t length = (*reopened)->LogLength();
  reopened->reset();  // a clean close writes the checkpoint
  EXPECT_EQ(HeadsAt(a.store.get()), std::to_string(length));
  auto again =
      ChangeLog::Open(a.store.get(), Options(), &testing::AuthorFromSeed(1),
                      [] { return int64_t{0}; });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->LogLength(), length);
  ExpectVerified(**again);
}

// Verify checks every stored proof: one altered on disk, or gone, is
// reported; the received actor's changes are then vouched for by nothing.
TEST(ChangeLogTest, VerifyChecksEveryStoredProof) {
  Replica a(1), b(2);
  std::mt19937_64 rng(4);
  for (int commit = 0; commit < 300; ++commit) {
    ASSERT_TRUE(a.log->Commit({RandomDraft(rng, 1)}).ok());
  }
  auto proofs = a.log->ProofsFor({a.log->GetChangeAt(1)->bytes});
  ASSERT_TRUE(proofs.ok());
  // Change 1 is vouched for by the proof the commit of 256 signed, whose
  // tail holds the hashes of 2..256.
  ASSERT_EQ(proofs->size(), 1u);
  EXPECT_EQ((*proofs)[0].seq, 256u);
  EXPECT_EQ((*proofs)[0].tail.size(), 255u);
  Pull(*a.log, b.log.get());
  auto report = b.log->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_GE(report->proofs_checked, 2u);

  ActorId author = a.log->local_actor();
  std::string value;
  ASSERT_TRUE(
      b.store->Get(storage::Family::kMeta, EncodeProofKey(author, 256), &value)
          .ok());
  value[3] ^= 0x10;
  auto batch = b.store->NewBatch();
  batch->Put(storage::Family::kMeta, EncodeProofKey(author, 256), value);
  ASSERT_TRUE(b.store->Write(batch.get(), false).ok());
  report = b.log->Verify();
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->problems.empty());
  EXPECT_NE(report->problems[0].find("at seq 256: the signature does not "
                                     "verify"),
            std::string::npos)
      << report->problems[0];

  batch = b.store->NewBatch();
  auto it = b.store->NewIterator(storage::Family::kMeta);
  for (it->Seek(kMetaProof); it->Valid() && it->key().starts_with(kMetaProof);
       it->Next()) {
    batch->Delete(storage::Family::kMeta, it->key());
  }
  ASSERT_TRUE(b.store->Write(batch.get(), false).ok());
  report = b.log->Verify();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_NE(report->problems[0].find("have no stored proof of authorship"),
            std::string::npos)
      << report->problems[0];
}

// Formats 3 and 4 hold unsigned changes: refused, saying why.
TEST(ChangeLogTest, FormatsBeforeSignedAuthorshipAreRefused) {
  for (const char* version : {"3", "4"}) {
    Replica replica(1);
    CommitThree(replica.log.get(), 5);
    replica.log.reset();
    auto batch = replica.store->NewBatch();
    batch->Put(storage::Family::kMeta, kMetaFormatVersion, version);
    ASSERT_TRUE(replica.store->Write(batch.get(), false).ok());
    auto log =
        ChangeLog::Open(replica.store.get(), Options(),
                        &testing::AuthorFromSeed(1), [] { return int64_t{0}; });
    EXPECT_TRUE(log.status().IsNotSupported()) << log.status().ToString();
    EXPECT_NE(log.status().ToString().find("before signed authorship"),
              std::string::npos)
        << log.status().ToString();
  }
}

TEST(ChangeLogTest, ACheckpointThatDisagreesWithTheLogIsReported) {
  Replica replica(1);
  CommitThree(replica.log.get(), 6);
  replica.log.reset();
  auto set_heads_at = [&](uint64_t position) {
    auto batch = replica.store->NewBatch();
    batch->Put(storage::Family::kMeta, kMetaHeadsAt, EncodePosition(position));
    ASSERT_TRUE(replica.store->Write(batch.get(), false).ok());
  };
  auto open = [&] {
    return ChangeLog::Open(replica.store.get(), Options(),
                           &testing::AuthorFromSeed(1),
                           [] { return int64_t{0}; });
  };
  // Heads stored for position 3, claimed for 1: the log says otherwise.
  set_heads_at(1);
  auto log = open();
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto report = (*log)->Verify();
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->problems.empty());
  EXPECT_EQ(report->problems[0].rfind("heads:", 0), 0u) << report->problems[0];
  log->reset();

  set_heads_at(4);  // beyond the log
  auto beyond = open();
  EXPECT_TRUE(beyond.status().IsCorruption()) << beyond.status().ToString();
}

TEST(ChangeLogTest, UnknownFormatVersionIsNotSupported) {
  auto store = storage::NewMemoryKvStore();
  auto batch = store->NewBatch();
  batch->Put(storage::Family::kMeta, kMetaFormatVersion, "99");
  ASSERT_TRUE(store->Write(batch.get(), false).ok());
  auto log =
      ChangeLog::Open(store.get(), Options(), &testing::AuthorFromSeed(1),
                      [] { return int64_t{0}; });
  EXPECT_TRUE(log.status().IsNotSupported()) << log.status().ToString();
  EXPECT_NE(log.status().ToString().find("format version 99 (this build "
                                         "reads version " +
                                         std::string(kFormatVersion) + ")"),
            std::string::npos)
      << log.status().ToString();
}

TEST(ChangeLogTest, ResolvesAbbreviatedHashes) {
  Replica replica(1);
  std::mt19937_64 rng(4);
  std::vector<Hash> hashes;
  for (int commit = 0; commit < 40; ++commit) {
    hashes.push_back((*replica.log->Commit({RandomDraft(rng, 1)}))[0]);
  }
  for (const Hash& hash : hashes) {
    for (size_t digits : {5, 8, 64}) {
      auto resolved =
          replica.log->ResolveHashPrefix(hash.ToHex().substr(0, digits));
      ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
      EXPECT_EQ(*resolved, hash);
    }
  }
  EXPECT_TRUE(
      replica.log->ResolveHashPrefix("abc").status().IsInvalidArgument());
  // The first 4-digit prefix no hash has is NotFound.
  for (int candidate = 0;; ++candidate) {
    char absent[16];
    std::snprintf(absent, sizeof(absent), "%04x", candidate);
    bool taken = std::any_of(hashes.begin(), hashes.end(), [&](const Hash& h) {
      return h.ToHex().rfind(absent, 0) == 0;
    });
    if (taken) continue;
    EXPECT_TRUE(replica.log->ResolveHashPrefix(absent).status().IsNotFound());
    break;
  }
  // More commits until two hashes share their first 4 digits (16 bits:
  // a few hundred commits): those digits are ambiguous, and the digits
  // that tell the two apart resolve each.
  std::map<std::string, Hash> by_prefix;
  for (const Hash& hash : hashes) by_prefix[hash.ToHex().substr(0, 4)] = hash;
  std::pair<Hash, Hash> twins;
  for (int commit = 0; commit < 3000; ++commit) {
    Hash hash = (*replica.log->Commit({RandomDraft(rng, 1)}))[0];
    auto [earlier, added] = by_prefix.emplace(hash.ToHex().substr(0, 4), hash);
    if (!added) {
      twins = {earlier->second, hash};
      break;
    }
  }
  std::string first = twins.first.ToHex(), second = twins.second.ToHex();
  ASSERT_NE(first, second) << "no two hashes share 4 digits";
  auto ambiguous = replica.log->ResolveHashPrefix(first.substr(0, 4));
  EXPECT_TRUE(ambiguous.status().IsInvalidArgument());
  EXPECT_NE(ambiguous.status().message().find("ambiguous"), std::string::npos);
  size_t apart =
      std::mismatch(first.begin(), first.end(), second.begin()).first -
      first.begin() + 1;
  EXPECT_EQ(*replica.log->ResolveHashPrefix(first.substr(0, apart)),
            twins.first);
  EXPECT_EQ(*replica.log->ResolveHashPrefix(second.substr(0, apart)),
            twins.second);
}

}  // namespace
}  // namespace weft::engine
