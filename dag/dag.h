// DAG algorithms over an abstract source of nodes: heads, ancestry,
// topological order and difference. Pure: the source may be RocksDB, memory
// or a test model.
#pragma once

#include <unordered_set>
#include <vector>

#include "weft/hash.h"
#include "weft/status.h"

namespace weft::dag {

using HashSet = std::unordered_set<Hash, HashHasher>;

// Where the algorithms read the DAG from.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // Fills the parents of `node`; NotFound if the source does not hold it.
  virtual Status GetParents(const Hash& node, std::vector<Hash>* parents) = 0;
};

// Heads after adding `node` with `parents`: the parents stop being heads
// (those that were), the node becomes one.
void AddToHeads(HashSet* heads, const Hash& node,
                const std::vector<Hash>& parents);

// True if `ancestor` is reachable from `descendant` by parent links (a node
// is its own ancestor).
Result<bool> IsAncestor(NodeSource* source, const Hash& ancestor,
                        const Hash& descendant);

// Orders `nodes` so that every node comes after those of its parents that
// are in the set; parents outside the set are ignored. Ties are broken by
// hash so the order is deterministic. Corruption if the links form a cycle.
Result<std::vector<Hash>> TopologicalOrder(NodeSource* source,
                                           const std::vector<Hash>& nodes);

// The nodes reachable from `heads_a` but not from `heads_b`, in topological
// order. Heads in `heads_b` that the source does not hold are ignored (the
// other side may know changes we lack).
Result<std::vector<Hash>> Difference(NodeSource* source,
                                     const std::vector<Hash>& heads_a,
                                     const std::vector<Hash>& heads_b);

// Every node reachable from `heads` (the heads included).
Result<HashSet> Ancestors(NodeSource* source, const std::vector<Hash>& heads);

}  // namespace weft::dag
