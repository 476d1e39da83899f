// The pending area: remote changes that arrived before their parents, held
// in memory under a bound until the parents are stored. It is not persisted:
// after a restart a peer simply sends them again.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dag/authorship.h"
#include "weft/change.h"
#include "weft/hash.h"
#include "weft/status.h"

namespace weft::engine {

struct PendingChange {
  Hash hash;
  std::string bytes;
  Change change;
  std::vector<dag::AuthorshipProof> proofs;  // offered with it

  // What it holds against the area's bytes bound.
  size_t Size() const {
    size_t size = bytes.size();
    for (const auto& proof : proofs) size += 96 + 32 * proof.tail.size();
    return size;
  }
};

class PendingArea {
 public:
  PendingArea(size_t changes_max, size_t bytes_max)
      : changes_max_(changes_max), bytes_max_(bytes_max) {}

  bool Contains(const Hash& hash) const { return waiting_.count(hash) != 0; }
  size_t size() const { return waiting_.size(); }
  size_t bytes() const { return bytes_; }

  // Parks `pending` until every hash in `missing` (non-empty) is stored.
  // Busy if the area is full.
  Status Add(PendingChange pending, const std::vector<Hash>& missing);

  // Records that `stored` is now stored; moves the changes that no longer
  // miss any parent to *ready (in arrival order).
  void MarkStored(const Hash& stored, std::vector<PendingChange>* ready);

  // Drops every change that waits, directly or transitively, on `rejected`
  // (which will never be stored). Returns how many were dropped.
  size_t DropWaitersOf(const Hash& rejected);

 private:
  struct Waiting {
    PendingChange pending;
    size_t missing_count;
  };
  size_t changes_max_;
  size_t bytes_max_;
  size_t bytes_ = 0;
  std::unordered_map<Hash, Waiting, HashHasher> waiting_;
  // missing parent -> the pending changes that wait for it
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> waiters_;
};

}  // namespace weft::engine
