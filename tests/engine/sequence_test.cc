// The sequence CRDT against a naive reference implementation of the same
// RGA rule, on random histories of several replicas.
#include "engine/crdt/sequence.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "tests/testutil/drafts.h"

namespace weft::engine {
namespace {

using testing::ActorFromSeed;

// The reference: a flat vector, O(n) everything, obviously RGA.
class NaiveSequence {
 public:
  Status Insert(const OpId& ref, const OpId& first,
                const std::u32string& content) {
    size_t at = 0;
    if (!ref.IsRoot()) {
      auto it = std::find_if(elements_.begin(), elements_.end(),
                             [&](const Element& e) { return e.id == ref; });
      if (it == elements_.end()) return Status::NotFound("ref");
      at = it - elements_.begin() + 1;
    }
    while (at < elements_.size() && first < elements_[at].id) ++at;
    for (size_t idx = 0; idx < content.size(); ++idx) {
      elements_.insert(
          elements_.begin() + at + idx,
          Element{OpId{first.counter + idx, first.actor}, true, content[idx]});
    }
    return Status::OK();
  }
  void Delete(const IdRun& ids) {
    for (Element& element : elements_) {
      if (element.id.actor == ids.first.actor &&
          element.id.counter >= ids.first.counter &&
          element.id.counter < ids.first.counter + ids.length) {
        element.visible = false;
      }
    }
  }
  std::u32string Text() const {
    std::u32string out;
    for (const Element& element : elements_) {
      if (element.visible) out.push_back(element.value);
    }
    return out;
  }
  // Every element with its visibility, for an exact comparison.
  std::vector<std::pair<OpId, bool>> Ids() const {
    std::vector<std::pair<OpId, bool>> ids;
    for (const Element& element : elements_) {
      ids.emplace_back(element.id, element.visible);
    }
    return ids;
  }

 private:
  struct Element {
    OpId id;
    bool visible;
    char32_t value;
  };
  std::vector<Element> elements_;
};

std::vector<std::pair<OpId, bool>> IdsOf(const Sequence& sequence) {
  std::vector<std::pair<OpId, bool>> ids;
  sequence.ForEachRun([&](const OpId& first, uint64_t length, bool visible,
                          const std::u32string&) {
    for (uint64_t idx = 0; idx < length; ++idx) {
      ids.emplace_back(OpId{first.counter + idx, first.actor}, visible);
    }
  });
  return ids;
}

struct SeqOp {
  ActorId origin;       // the replica that made it, and its number there:
  uint64_t number = 0;  // a unique key for "already applied"
  bool is_insert;
  OpId ref;
  OpId first;
  std::u32string content;
  IdRun deleted;
};

struct Replica {
  ActorId actor;
  Sequence sequence;
  NaiveSequence naive;
  uint64_t max_counter = 0;
  uint64_t ops_made = 0;
  std::vector<SeqOp> applied;  // in the order applied: a causal order
  std::set<std::pair<uint64_t, ActorId>> seen;

  void Apply(const SeqOp& op) {
    if (!seen.insert({op.number, op.origin}).second) return;
    if (op.is_insert) {
      ASSERT_TRUE(sequence.Insert(op.ref, op.first, op.content).ok());
      ASSERT_TRUE(naive.Insert(op.ref, op.first, op.content).ok());
      max_counter = std::max(max_counter, op.first.counter + op.content.size());
    } else {
      ASSERT_TRUE(sequence.Delete(op.deleted).ok());
      naive.Delete(op.deleted);
    }
    applied.push_back(op);
  }
};

// A random local edit, expressed as ops the way an editor makes them.
void LocalEdit(Replica* replica, std::mt19937_64& rng) {
  uint64_t size = replica->sequence.size();
  if (size > 0 && rng() % 3 == 0) {
    uint64_t pos = rng() % size;
    uint64_t count = 1 + rng() % std::min<uint64_t>(size - pos, 4);
    for (const IdRun& run : replica->sequence.IdRunsAt(pos, count)) {
      SeqOp op{
          replica->actor, ++replica->ops_made, false, OpId(), OpId(), U"", run};
      replica->Apply(op);
    }
    return;
  }
  uint64_t pos = size == 0 ? 0 : rng() % (size + 1);
  std::u32string content;
  for (int idx = 1 + rng() % 3; idx > 0; --idx) {
    content.push_back(U'a' + rng() % 26);
  }
  OpId ref = pos == 0 ? OpId() : replica->sequence.IdAt(pos - 1);
  SeqOp op{replica->actor,
           ++replica->ops_made,
           true,
           ref,
           OpId{replica->max_counter + 1, replica->actor},
           content,
           {}};
  replica->Apply(op);
  ASSERT_EQ(replica->sequence.Read(pos, content.size()), content);
}

// `steps` random local edits; stops at the first fatal failure.
void LocalEdits(Replica* replica, std::mt19937_64& rng, int steps) {
  for (int step = 0; step < steps; ++step) {
    LocalEdit(replica, rng);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(SequenceTest, MatchesTheNaiveModelAndConvergesAcrossReplicas) {
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::unique_ptr<Replica>> replicas;
    for (uint64_t idx = 0; idx < 3 + seed % 3; ++idx) {
      replicas.push_back(std::make_unique<Replica>());
      replicas.back()->actor = ActorFromSeed(seed * 100 + idx);
    }
    for (int step = 0; step < 1500; ++step) {
      Replica& replica = *replicas[rng() % replicas.size()];
      if (rng() % 8 == 0) {
        const Replica& from = *replicas[rng() % replicas.size()];
        for (const SeqOp& op : std::vector<SeqOp>(from.applied)) {
          replica.Apply(op);
        }
      } else {
        LocalEdit(&replica, rng);
      }
      if (::testing::Test::HasFatalFailure()) return;
      ASSERT_EQ(replica.sequence.ReadAll(), replica.naive.Text())
          << "seed " << seed << " step " << step;
    }
    for (auto& to : replicas) {  // heal: everyone gets everything
      for (auto& from : replicas) {
        for (const SeqOp& op : std::vector<SeqOp>(from->applied)) {
          to->Apply(op);
        }
      }
    }
    for (auto& replica : replicas) {
      EXPECT_EQ(replica->sequence.ReadAll(), replicas[0]->sequence.ReadAll())
          << "seed " << seed;
      EXPECT_EQ(IdsOf(replica->sequence), replica->naive.Ids());
      EXPECT_EQ(IdsOf(replica->sequence), IdsOf(replicas[0]->sequence));
    }
  }
}

TEST(SequenceTest, ConcurrentRunsAtOnePlaceDoNotInterleave) {
  Sequence a, b;
  ActorId alice = ActorFromSeed(1), bob = ActorFromSeed(2);
  ASSERT_TRUE(a.Insert(OpId(), OpId{1, alice}, U"X").ok());
  ASSERT_TRUE(b.Insert(OpId(), OpId{1, alice}, U"X").ok());
  // Both type a word after X, char by char, concurrently.
  for (uint64_t idx = 0; idx < 5; ++idx) {
    OpId ref = idx == 0 ? OpId{1, alice} : OpId{2 + idx - 1, alice};
    ASSERT_TRUE(
        a.Insert(ref, OpId{2 + idx, alice}, std::u32string(1, U"hello"[idx]))
            .ok());
    OpId bob_ref = idx == 0 ? OpId{1, alice} : OpId{2 + idx - 1, bob};
    ASSERT_TRUE(
        b.Insert(bob_ref, OpId{2 + idx, bob}, std::u32string(1, U"world"[idx]))
            .ok());
  }
  // Exchange, in each other's order.
  for (uint64_t idx = 0; idx < 5; ++idx) {
    OpId bob_ref = idx == 0 ? OpId{1, alice} : OpId{2 + idx - 1, bob};
    ASSERT_TRUE(
        a.Insert(bob_ref, OpId{2 + idx, bob}, std::u32string(1, U"world"[idx]))
            .ok());
    OpId ref = idx == 0 ? OpId{1, alice} : OpId{2 + idx - 1, alice};
    ASSERT_TRUE(
        b.Insert(ref, OpId{2 + idx, alice}, std::u32string(1, U"hello"[idx]))
            .ok());
  }
  EXPECT_EQ(a.ReadAll(), b.ReadAll());
  std::u32string text = a.ReadAll();
  EXPECT_TRUE(text == U"Xhelloworld" || text == U"Xworldhello");
}

TEST(SequenceTest, LargeSequencesSplitTheTreeAndStayConsistent) {
  std::mt19937_64 rng(99);
  Replica replica;
  replica.actor = ActorFromSeed(5);
  LocalEdits(&replica, rng, 6000);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_EQ(replica.sequence.ReadAll(), replica.naive.Text());
  EXPECT_EQ(IdsOf(replica.sequence), replica.naive.Ids());
  EXPECT_GT(replica.sequence.StoredRunCount(), 64u * 8);  // several levels
  // Random reads agree with the model too.
  std::u32string text = replica.naive.Text();
  for (int probe = 0; probe < 200; ++probe) {
    uint64_t pos = rng() % (text.size() + 1);
    EXPECT_EQ(replica.sequence.Read(pos, 17), text.substr(pos, 17));
  }
}

// A sequence rebuilt from its runs (as a document load does) has no id
// index until the first lookup builds it: edits by id after a reload must
// land exactly where they land in the original.
TEST(SequenceTest, ReloadedFromItsRunsItTakesEditsLikeTheOriginal) {
  std::mt19937_64 rng(17);
  Replica replica;
  replica.actor = ActorFromSeed(6);
  LocalEdits(&replica, rng, 3000);
  if (::testing::Test::HasFatalFailure()) return;
  for (int reload = 0; reload < 3; ++reload) {
    Sequence loaded;
    replica.sequence.ForEachRun([&](const OpId& first, uint64_t length,
                                    bool visible,
                                    const std::u32string& content) {
      loaded.AppendLoadedRun(first, length, visible, content);
    });
    ASSERT_EQ(loaded.ReadAll(), replica.naive.Text());
    replica.sequence = std::move(loaded);
    LocalEdits(&replica, rng, 500);
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_EQ(replica.sequence.ReadAll(), replica.naive.Text());
    EXPECT_EQ(IdsOf(replica.sequence), replica.naive.Ids());
    EXPECT_FALSE(replica.sequence.Contains(OpId{1u << 30, replica.actor}));
  }
}

TEST(SequenceTest, BadReferencesChangeNothing) {
  Sequence sequence;
  ActorId actor = ActorFromSeed(1);
  ASSERT_TRUE(sequence.Insert(OpId(), OpId{1, actor}, U"abc").ok());
  EXPECT_TRUE(
      sequence.Insert(OpId{9, actor}, OpId{10, actor}, U"x").IsNotFound());
  EXPECT_TRUE(sequence.Insert(OpId(), OpId{2, actor}, U"x").IsAlreadyExists());
  EXPECT_TRUE(sequence.Delete(IdRun{OpId{2, actor}, 5}).IsNotFound());
  EXPECT_TRUE(
      sequence.Insert(OpId(), OpId{20, actor}, U"").IsInvalidArgument());
  EXPECT_EQ(sequence.ReadAll(), U"abc");
  ASSERT_TRUE(sequence.Delete(IdRun{OpId{2, actor}, 1}).ok());
  ASSERT_TRUE(sequence.Delete(IdRun{OpId{2, actor}, 1}).ok());  // idempotent
  EXPECT_EQ(sequence.ReadAll(), U"ac");
  EXPECT_EQ(sequence.total_size(), 3u);
}

}  // namespace
}  // namespace weft::engine
