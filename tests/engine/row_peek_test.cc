// RootMapPeek and MatchesPeek, the check a scan makes of a row without
// decoding it: wherever it decides, it decides as Matches on the decoded
// document does, and it decides for plain rows; damaged bytes never crash
// it.
#include <gtest/gtest.h>

#include <random>

#include "engine/crdt/document.h"
#include "engine/views/predicate.h"
#include "tests/testutil/drafts.h"

namespace weft {
namespace {

using engine::Document;
using engine::RootMapPeek;

Scalar RandomScalar(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return std::monostate();
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<int64_t>(rng() % 5);
    case 3:
      return static_cast<double>(rng() % 5) / 2.0;
    case 4:
      return std::string(1, static_cast<char>('a' + rng() % 3));
    default:
      return Bytes{std::string("\0\x01", 2)};
  }
}

// A document of root-map sets and deletes by three actors: some keys with
// one value, some with concurrent ones (an op that did not see the other),
// some deleted; with `nested`, some values are maps.
Document RandomRow(std::mt19937_64& rng, bool nested) {
  Document document;
  uint64_t counter = 1;
  for (int change_idx = 0; change_idx < 1 + static_cast<int>(rng() % 6);
       ++change_idx) {
    Change change;
    change.actor = testing::ActorFromSeed(1 + rng() % 3);
    change.seq = 1;
    change.start_op = counter;
    change.docs.push_back({"t", "d"});
    for (int op_idx = 0; op_idx < 1 + static_cast<int>(rng() % 3); ++op_idx) {
      Op op;
      op.key = "k" + std::to_string(rng() % 4);
      uint64_t pick = rng() % 8;
      op.action = pick == 0             ? OpAction::kMapDelete
                  : nested && pick == 1 ? OpAction::kMakeMap
                  : nested && pick == 2 ? OpAction::kMakeList
                                        : OpAction::kMapSet;
      if (op.action == OpAction::kMapSet) op.value = RandomScalar(rng);
      if (rng() % 3 != 0) {  // usually it saw what is there
        for (const engine::MapEntry* entry :
             document.Entries(document.root(), op.key)) {
          op.pred.push_back(entry->id);
        }
      }
      if (rng() % 10 == 0) op.flavour = Flavour::kMultiValue;
      change.ops.push_back(std::move(op));
    }
    for (const Op& op : change.ops) counter += OpWidth(op);
    document.ApplyChange(change, 0);
  }
  return document;
}

std::vector<Predicate> Predicates(std::mt19937_64& rng) {
  std::vector<Predicate> predicates;
  for (const char* path : {"k0", "k1", "k2", "k3", "absent", "k1.x"}) {
    predicates.push_back(Predicate::Equals(path, RandomScalar(rng)));
    predicates.push_back(Predicate::Exists(path, rng() % 2 == 0));
    Scalar lower = RandomScalar(rng), upper = RandomScalar(rng);
    predicates.push_back(
        Predicate::Range(path, &lower, rng() % 2 == 0, &upper, rng() % 2 == 0));
    predicates.push_back(Predicate::Range(path, &lower, true, nullptr, false));
  }
  predicates.push_back(
      Predicate::And({predicates[0], predicates[4], predicates[7]}));
  predicates.push_back(Predicate::All());
  return predicates;
}

TEST(RowPeekTest, DecidesAsTheDecodedDocumentDoes) {
  size_t parsed = 0, decided = 0, checked = 0;
  for (uint64_t seed = 1; seed <= 600; ++seed) {
    std::mt19937_64 rng(seed);
    Document document = RandomRow(rng, /*nested=*/seed % 3 == 0);
    std::string state = document.Serialize();
    RootMapPeek peek;
    if (!peek.Parse(state)) continue;
    ++parsed;
    EXPECT_EQ(peek.exists(), document.Exists()) << seed;
    for (const Predicate& predicate : Predicates(rng)) {
      ++checked;
      std::optional<bool> peeked = engine::MatchesPeek(predicate, peek);
      if (!peeked) continue;
      ++decided;
      EXPECT_EQ(*peeked, engine::Matches(predicate, document))
          << "seed " << seed << ": " << document.ToJson();
    }
  }
  // Not vacuous: most rows parse and most checks are decided in place.
  EXPECT_GT(parsed, 300u);
  EXPECT_GT(decided, checked / 2);
}

TEST(RowPeekTest, ANestedObjectIsLeftToTheDecoder) {
  Document document;
  document.ApplyChange(testing::NestedMaps(2), 0);
  RootMapPeek peek;
  EXPECT_FALSE(peek.Parse(document.Serialize()));
}

TEST(RowPeekTest, DamagedStatesNeverCrashIt) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::mt19937_64 rng(seed);
    std::string state = RandomRow(rng, false).Serialize();
    std::vector<Predicate> predicates = Predicates(rng);
    for (size_t cut = 0; cut <= state.size(); ++cut) {
      for (int flip = 0; flip < 2; ++flip) {
        std::string damaged = state.substr(0, cut);
        if (flip == 1 && cut > 0) damaged[cut - 1] ^= 0x5a;
        RootMapPeek peek;
        if (!peek.Parse(damaged)) continue;
        for (const Predicate& predicate : predicates) {
          engine::MatchesPeek(predicate, peek);  // decided or not: no crash
        }
      }
    }
  }
}

}  // namespace
}  // namespace weft
