// Merges that sync settles: counters past int64, strings turned into
// texts on both sides at once, and what each side notes of its peer.
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "tests/testutil/db.h"
#include "tests/testutil/sync_pair.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using testing::ExpectVerified;
using testing::OpenOrDie;
using testing::PumpResult;
using testing::Put;
using testing::SyncPair;
using testing::TempDir;

// A counter stays within int64 locally; concurrent increments that pass it
// together wrap around on merge, identically on both replicas whichever
// arrives first.
TEST(SyncTest, CountersRefuseOverflowLocallyAndWrapAlikeWhenMerged) {
  TempDir dir;
  auto a = OpenOrDie(dir.Sub("a"));
  auto b = OpenOrDie(dir.Sub("b"));
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto increment = [](Database* db, int64_t delta) {
    auto txn = db->Begin();
    txn->Increment("t/1", "c", delta);
    return txn->Commit().status();
  };
  ASSERT_TRUE(increment(a.get(), kMax - 10).ok());
  Status refused = increment(a.get(), 11);
  EXPECT_TRUE(refused.IsInvalidArgument()) << refused.ToString();
  EXPECT_NE(refused.ToString().find("int64"), std::string::npos);
  auto twice = a->Begin();  // within one transaction too
  twice->Increment("t/1", "c", 6);
  twice->Increment("t/1", "c", 6);
  EXPECT_TRUE(twice->Commit().status().IsInvalidArgument());
  EXPECT_EQ(*a->GetPathJson("t/1", "c"), std::to_string(kMax - 10));
  ASSERT_TRUE(SyncPair(a.get(), b.get()).a.ok());
  // Each side adds 10: each fits alone, together they pass int64.
  ASSERT_TRUE(increment(a.get(), 10).ok());
  ASSERT_TRUE(increment(b.get(), 10).ok());
  PumpResult merged = SyncPair(a.get(), b.get());
  ASSERT_TRUE(merged.a.ok() && merged.b.ok());
  EXPECT_EQ(a->Heads(), b->Heads());
  int64_t wrapped = static_cast<int64_t>(static_cast<uint64_t>(kMax) + 10);
  EXPECT_EQ(*a->GetPathJson("t/1", "c"), std::to_string(wrapped));
  EXPECT_EQ(*b->GetPathJson("t/1", "c"), std::to_string(wrapped));
  EXPECT_EQ(*a->EncodedState("t/1"), *b->EncodedState("t/1"));
  ExpectVerified(*a);
  ExpectVerified(*b);
}

// Splicing a string makes it a text holding its characters. Two replicas
// that do so concurrently made two texts at one key: like two sets, one
// wins on both, the other stays among the key's conflicts.
TEST(SyncTest, ASplicedStringBecomesATextAndConcurrentConversionsConverge) {
  TempDir dir;
  auto a = OpenOrDie(dir.Sub("a"));
  auto b = OpenOrDie(dir.Sub("b"));
  Put(a.get(), "doc/t", R"({"s": "abc", "n": 1})");
  std::string doc = "doc/t";
  auto splice = [&doc](Database* db, uint64_t position, const char* text) {
    auto txn = db->Begin();
    txn->SpliceText(doc, "s", position, 0, text);
    return txn->Commit().status();
  };
  ASSERT_TRUE(splice(a.get(), 3, "d").ok());
  EXPECT_EQ(*a->GetPathJson("doc/t", "s"), "\"abcd\"");
  EXPECT_EQ(*a->ReadText("doc/t", "s", 1, 2), "bc");  // a text now
  ASSERT_TRUE(splice(a.get(), 0, ">").ok());          // and spliced as one
  EXPECT_EQ(*a->GetPathJson("doc/t", "s"), "\">abcd\"");

  Put(a.get(), "doc/u", R"({"s": "xy"})");
  doc = "doc/u";
  ASSERT_TRUE(SyncPair(a.get(), b.get()).a.ok());
  ASSERT_TRUE(splice(a.get(), 2, "A").ok());
  ASSERT_TRUE(splice(b.get(), 0, "B").ok());
  EXPECT_EQ(*a->GetPathJson("doc/u", "s"), "\"xyA\"");
  EXPECT_EQ(*b->GetPathJson("doc/u", "s"), "\"Bxy\"");
  PumpResult merged = SyncPair(a.get(), b.get());
  ASSERT_TRUE(merged.a.ok() && merged.b.ok());
  EXPECT_EQ(a->Heads(), b->Heads());
  std::string winner = *a->GetPathJson("doc/u", "s");
  EXPECT_EQ(winner, *b->GetPathJson("doc/u", "s"));
  EXPECT_TRUE(winner == "\"xyA\"" || winner == "\"Bxy\"") << winner;
  auto conflicts = nlohmann::json::parse(*a->GetConflictsJson("doc/u", "s"));
  EXPECT_EQ(conflicts.size(), 2u) << conflicts.dump();
  EXPECT_EQ(*a->EncodedState("doc/u"), *b->EncodedState("doc/u"));
  ExpectVerified(*a);
  ExpectVerified(*b);
}

// Each side notes how its last session with the other went (after the
// handshake): outcome, reason, changes and bytes each way; and counts what
// the peer lacks from the vector it remembers.
TEST(SyncTest, PeersShowTheirLastSessionAndWhatTheyLack) {
  TempDir dir;
  auto a = OpenOrDie(dir.Sub("a"));
  auto b = OpenOrDie(dir.Sub("b"));
  Put(a.get(), "t/1", R"({"n": 1})");
  Put(a.get(), "t/2", R"({"n": 2})");
  Put(b.get(), "t/3", R"({"n": 3})");
  ASSERT_TRUE(SyncPair(a.get(), b.get()).a.ok());
  Put(a.get(), "t/4", R"({"n": 4})");
  auto peers = a->ListPeers();
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->size(), 1u);
  const PeerInfo& of_b = peers->front();
  EXPECT_TRUE(of_b.last_session_ok);
  EXPECT_EQ(of_b.last_session_reason, "");
  EXPECT_GT(of_b.last_session_ms, 0);
  EXPECT_EQ(of_b.changes_sent, 2u);
  EXPECT_EQ(of_b.changes_received, 1u);
  EXPECT_GT(of_b.bytes_sent, 0u);
  EXPECT_GT(of_b.bytes_received, 0u);
  EXPECT_EQ(of_b.lacks, 1u);  // t/4, committed after the session
  auto status = b->GetStatus();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->peers.size(), 1u);
  EXPECT_EQ(status->peers[0].changes_sent, 1u);
  EXPECT_EQ(status->peers[0].lacks, 0u);

  // A session that fails past the handshake is noted with its reason.
  auto from_a = a->NewSyncEndpoint(true);
  auto at_b = b->NewSyncEndpoint(false);
  ASSERT_TRUE(from_a.ok() && at_b.ok());
  ASSERT_TRUE((*at_b)->Receive((*from_a)->TakeOutput()).ok());  // Hello
  ASSERT_TRUE((*at_b)->past_handshake());
  EXPECT_FALSE((*at_b)->Receive(std::string("\0\0\0\5junk!", 9)).ok());
  peers = b->ListPeers();
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->size(), 1u);
  EXPECT_FALSE(peers->front().last_session_ok);
  EXPECT_FALSE(peers->front().last_session_reason.empty());
  EXPECT_GT(peers->front().last_sync_ms, 0);  // the good one is remembered
  ASSERT_TRUE(b->ForgetAllPeers().ok());
  EXPECT_TRUE(b->ListPeers()->empty());
}

}  // namespace
}  // namespace weft
