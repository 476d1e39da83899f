#include "tests/testutil/drafts.h"

#include <string>

#include "tests/testutil/authors.h"

namespace weft::testing {

ActorId ActorFromSeed(uint64_t seed) { return AuthorFromSeed(seed).actor(); }

ChangeDraft RandomDraft(std::mt19937_64& rng, size_t op_count) {
  ChangeDraft draft;
  draft.docs.push_back({"todos", std::to_string(rng() % 100)});
  draft.docs.push_back({"notes", "n" + std::to_string(rng() % 10)});
  for (size_t op_idx = 0; op_idx < op_count; ++op_idx) {
    Op op;
    op.action = static_cast<OpAction>(rng() % (kOpActionMax + 1));
    op.doc = static_cast<uint32_t>(rng() % 2);
    op.key = "field" + std::to_string(rng() % 8);
    switch (rng() % 6) {
      case 0:
        op.value = std::monostate();
        break;
      case 1:
        op.value = rng() % 2 == 0;
        break;
      case 2:
        op.value = static_cast<int64_t>(rng());
        break;
      case 3:
        op.value = static_cast<double>(rng() % 1000) / 7.0;
        break;
      case 4:
        op.value = std::string("text ") + std::to_string(rng());
        break;
      default:
        op.value = Bytes{std::string("\0\x01\xff", 3)};
        break;
    }
    if (op.action == OpAction::kCounterAdd) op.delta = 1 + rng() % 10;
    if (op.action == OpAction::kListDelete ||
        op.action == OpAction::kTextDelete) {
      op.count = 1 + rng() % 3;
    }
    if (op.action == OpAction::kTextInsert) op.text = "héllo";
    draft.ops.push_back(std::move(op));
  }
  draft.message = "random " + std::to_string(rng() % 1000);
  return draft;
}

ChangeDraft OneOpDraft(uint64_t index) {
  ChangeDraft draft;
  // A fresh field each time, 64 to a document: records being appended.
  draft.docs.push_back({"bench", "d" + std::to_string(index / 64)});
  Op op;
  op.action = OpAction::kMapSet;
  op.key = "k" + std::to_string(index % 64);
  op.value = std::string("value ") + std::to_string(index);
  draft.ops.push_back(std::move(op));
  return draft;
}

Change SampleChange() {
  Change change;
  change.actor = ActorFromSeed(1);
  ActorId other = ActorFromSeed(2);
  change.parents.push_back(Hash());
  change.parents.back().bytes.fill(0xab);
  change.seq = 3;
  change.start_op = 100;
  change.time_ms = 1'700'000'000'000;
  change.message = "sample: every op";
  change.docs = {{"todos", "42"}, {"notes", "ünïcode"}};
  for (uint8_t action = 0; action <= kOpActionMax; ++action) {
    Op op;
    op.action = static_cast<OpAction>(action);
    op.doc = action % 2;
    op.obj = action % 3 == 0 ? OpId() : OpId{50, other};
    op.key = "key" + std::to_string(action);
    op.elem = action % 4 == 0 ? OpId() : OpId{60u + action, change.actor};
    op.value = static_cast<int64_t>(-1) * action;
    op.delta = action == 9 ? -7 : 0;
    op.count = action >= 13 ? 2 : 0;
    op.text = action == 14 ? "héllo wörld" : "";
    op.pred = {OpId{99, other}};
    change.ops.push_back(op);
  }
  change.ops[2].value = std::string("a string");
  change.ops[3].value = Bytes{std::string("\0\x01\x02", 3)};
  change.ops[4].value = 2.5;
  change.ops[5].value = true;
  change.ops[6].value = std::monostate();
  change.ops[7].flavour = Flavour::kGrowOnly;    // make_counter
  change.ops[8].flavour = Flavour::kTwoPhase;    // make_set
  change.ops[2].flavour = Flavour::kMultiValue;  // map_set
  return change;
}

Change NestedMaps(size_t levels, uint64_t seed) {
  Change change;
  change.actor = ActorFromSeed(seed);
  change.author_key = AuthorFromSeed(seed).public_key();
  change.seq = 1;
  change.start_op = 1;
  change.docs = {{"t", "deep"}};
  OpId parent;  // the root
  for (size_t level = 0; level < levels; ++level) {
    Op op;
    op.action = OpAction::kMakeMap;
    op.obj = parent;
    op.key = "k";
    change.ops.push_back(op);
    parent = OpId{change.start_op + level, change.actor};
  }
  return change;
}

}  // namespace weft::testing
