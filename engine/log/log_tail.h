// The log's tail: the changes after `indexed_through` (engine/FORMAT.md,
// "Index and seqs"), which have no index record nor seqs range yet and are
// found through memory instead. Positions are dense: the tail holds
// first() .. first() + size() - 1.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "weft/change.h"
#include "weft/hash.h"

namespace weft::engine {

struct TailEntry {
  Hash hash;
  uint64_t height = 0;
  uint64_t end_op = 0;
  ActorId actor;
  uint64_t seq = 0;
};

class LogTail {
 public:
  // Empties the tail; the next change added is at `first`.
  void Reset(uint64_t first);
  // The change at position first() + size(); an actor's seqs come in
  // increasing order.
  void Add(const TailEntry& entry);
  // Forgets the changes through `last`.
  void DropThrough(uint64_t last);

  uint64_t first() const { return first_; }
  size_t size() const { return entries_.size(); }
  // Null if `position` is not in the tail.
  const TailEntry* At(uint64_t position) const;
  bool PositionOf(const Hash& hash, uint64_t* position) const;
  bool PositionOfSeq(const ActorId& actor, uint64_t seq,
                     uint64_t* position) const;
  // Appends the positions of `actor`'s seqs after..last that it holds.
  void PositionsOfSeqs(const ActorId& actor, uint64_t after, uint64_t last,
                       std::vector<uint64_t>* positions) const;

 private:
  uint64_t first_ = 1;
  std::deque<TailEntry> entries_;  // entries_[i] is at first_ + i
  std::unordered_map<Hash, uint64_t, HashHasher> positions_;
  // Each actor's (seq, position) pairs, in increasing order of both.
  std::map<ActorId, std::deque<std::pair<uint64_t, uint64_t>>> seqs_;
};

}  // namespace weft::engine
