#include "dag/dag.h"

#include <algorithm>
#include <cassert>
#include <queue>
#include <unordered_map>

namespace weft::dag {
namespace {

// Walks parent links from `starts`, skipping nodes in `stop` and nodes the
// source does not hold when `skip_missing` is set.
Result<HashSet> Walk(NodeSource* source, const std::vector<Hash>& starts,
                     const HashSet& stop, bool skip_missing) {
  HashSet seen;
  std::vector<Hash> stack;
  for (const Hash& start : starts) {
    if (!stop.count(start) && seen.insert(start).second) stack.push_back(start);
  }
  std::vector<Hash> parents;
  while (!stack.empty()) {
    Hash node = stack.back();
    stack.pop_back();
    Status status = source->GetParents(node, &parents);
    if (status.IsNotFound() && skip_missing) {
      seen.erase(node);
      continue;
    }
    WEFT_RETURN_IF_ERROR(status);
    for (const Hash& parent : parents) {
      if (!stop.count(parent) && seen.insert(parent).second) {
        stack.push_back(parent);
      }
    }
  }
  return seen;
}

}  // namespace

void AddToHeads(HashSet* heads, const Hash& node,
                const std::vector<Hash>& parents) {
  for (const Hash& parent : parents) heads->erase(parent);
  heads->insert(node);
}

Result<bool> IsAncestor(NodeSource* source, const Hash& ancestor,
                        const Hash& descendant) {
  HashSet seen{descendant};
  std::vector<Hash> stack{descendant};
  std::vector<Hash> parents;
  while (!stack.empty()) {
    Hash node = stack.back();
    stack.pop_back();
    if (node == ancestor) return true;
    WEFT_RETURN_IF_ERROR(source->GetParents(node, &parents));
    for (const Hash& parent : parents) {
      if (seen.insert(parent).second) stack.push_back(parent);
    }
  }
  return false;
}

Result<std::vector<Hash>> TopologicalOrder(NodeSource* source,
                                           const std::vector<Hash>& nodes) {
  HashSet members(nodes.begin(), nodes.end());
  std::unordered_map<Hash, size_t, HashHasher> waiting_on;  // parents left
  std::unordered_map<Hash, std::vector<Hash>, HashHasher> children;
  std::vector<Hash> parents;
  for (const Hash& node : members) {
    WEFT_RETURN_IF_ERROR(source->GetParents(node, &parents));
    size_t inside = 0;
    for (const Hash& parent : parents) {
      if (members.count(parent)) {
        ++inside;
        children[parent].push_back(node);
      }
    }
    waiting_on[node] = inside;
  }
  // A min-heap by hash makes the order independent of set iteration order.
  std::priority_queue<Hash, std::vector<Hash>, std::greater<Hash>> ready;
  for (const auto& [node, count] : waiting_on) {
    if (count == 0) ready.push(node);
  }
  std::vector<Hash> order;
  order.reserve(members.size());
  while (!ready.empty()) {
    Hash node = ready.top();
    ready.pop();
    order.push_back(node);
    for (const Hash& child : children[node]) {
      if (--waiting_on[child] == 0) ready.push(child);
    }
  }
  if (order.size() != members.size()) {
    return Status::Corruption("parent links form a cycle");
  }
  return order;
}

Result<HashSet> Ancestors(NodeSource* source, const std::vector<Hash>& heads) {
  return Walk(source, heads, HashSet(), /*skip_missing=*/false);
}

Result<std::vector<Hash>> Difference(NodeSource* source,
                                     const std::vector<Hash>& heads_a,
                                     const std::vector<Hash>& heads_b) {
  WEFT_ASSIGN_OR_RETURN(HashSet known, Walk(source, heads_b, HashSet(), true));
  WEFT_ASSIGN_OR_RETURN(HashSet missing, Walk(source, heads_a, known, false));
  return TopologicalOrder(source,
                          std::vector<Hash>(missing.begin(), missing.end()));
}

}  // namespace weft::dag
