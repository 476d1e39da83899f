#include "dag/dag.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "dag/sha256.h"

namespace weft::dag {
namespace {

// A random DAG held in memory, with a brute-force reachability model.
class RandomDag : public NodeSource {
 public:
  RandomDag(uint64_t seed, size_t node_count) {
    std::mt19937_64 rng(seed);
    for (size_t node_idx = 0; node_idx < node_count; ++node_idx) {
      std::vector<Hash> parents;
      size_t parent_count = node_idx == 0 ? 0 : 1 + rng() % 3;
      std::set<size_t> chosen;
      for (size_t pick = 0; pick < parent_count; ++pick) {
        // Mostly recent parents, as real histories have.
        size_t back = 1 + rng() % std::min<size_t>(node_idx, 6);
        chosen.insert(node_idx - back);
      }
      for (size_t parent_idx : chosen) parents.push_back(nodes_[parent_idx]);
      Hash hash = Sha256("node " + std::to_string(seed) + "/" +
                         std::to_string(node_idx));
      nodes_.push_back(hash);
      parents_[hash] = parents;
    }
  }

  Status GetParents(const Hash& node, std::vector<Hash>* parents) override {
    auto it = parents_.find(node);
    if (it == parents_.end()) return Status::NotFound("node", node.ToHex());
    *parents = it->second;
    return Status::OK();
  }

  // Brute force: the set reachable from `starts` (inclusive).
  std::set<Hash> Reachable(const std::vector<Hash>& starts) const {
    std::set<Hash> seen(starts.begin(), starts.end());
    bool grew = true;
    while (grew) {
      grew = false;
      for (const Hash& node : std::set<Hash>(seen)) {
        for (const Hash& parent : parents_.at(node)) {
          grew |= seen.insert(parent).second;
        }
      }
    }
    return seen;
  }

  const std::vector<Hash>& nodes() const { return nodes_; }
  const std::vector<Hash>& parents_of(const Hash& node) const {
    return parents_.at(node);
  }

 private:
  std::vector<Hash> nodes_;  // in creation (topological) order
  std::map<Hash, std::vector<Hash>> parents_;
};

TEST(DagTest, HeadsMatchNodesWithoutChildren) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    RandomDag dag(seed, 60);
    HashSet heads;
    for (const Hash& node : dag.nodes()) {
      AddToHeads(&heads, node, dag.parents_of(node));
    }
    std::set<Hash> has_child;
    for (const Hash& node : dag.nodes()) {
      for (const Hash& parent : dag.parents_of(node)) has_child.insert(parent);
    }
    std::set<Hash> expected;
    for (const Hash& node : dag.nodes()) {
      if (!has_child.count(node)) expected.insert(node);
    }
    EXPECT_EQ(std::set<Hash>(heads.begin(), heads.end()), expected)
        << "seed " << seed;
  }
}

TEST(DagTest, AncestryMatchesBruteForce) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    RandomDag dag(seed, 40);
    for (const Hash& a : dag.nodes()) {
      std::set<Hash> reachable = dag.Reachable({a});
      for (const Hash& b : dag.nodes()) {
        Result<bool> is_ancestor = IsAncestor(&dag, b, a);
        ASSERT_TRUE(is_ancestor.ok());
        EXPECT_EQ(*is_ancestor, reachable.count(b) == 1) << "seed " << seed;
      }
    }
  }
}

void ExpectTopological(RandomDag& dag, const std::vector<Hash>& order,
                       const std::set<Hash>& expected_members) {
  EXPECT_EQ(std::set<Hash>(order.begin(), order.end()), expected_members);
  EXPECT_EQ(order.size(), expected_members.size());
  std::map<Hash, size_t> place;
  for (size_t idx = 0; idx < order.size(); ++idx) place[order[idx]] = idx;
  for (const Hash& node : order) {
    for (const Hash& parent : dag.parents_of(node)) {
      if (place.count(parent)) {
        EXPECT_LT(place[parent], place[node]);
      }
    }
  }
}

TEST(DagTest, TopologicalOrderOfRandomSubsets) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    RandomDag dag(seed, 80);
    std::mt19937_64 rng(seed);
    std::vector<Hash> subset;
    for (const Hash& node : dag.nodes()) {
      if (rng() % 2) subset.push_back(node);
    }
    std::shuffle(subset.begin(), subset.end(), rng);
    Result<std::vector<Hash>> order = TopologicalOrder(&dag, subset);
    ASSERT_TRUE(order.ok());
    ExpectTopological(dag, *order,
                      std::set<Hash>(subset.begin(), subset.end()));
    // Deterministic: the input order does not matter.
    std::shuffle(subset.begin(), subset.end(), rng);
    EXPECT_EQ(*TopologicalOrder(&dag, subset), *order);
  }
}

TEST(DagTest, DifferenceMatchesBruteForce) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    RandomDag dag(seed, 100);
    std::mt19937_64 rng(seed * 7);
    auto pick_heads = [&] {
      std::vector<Hash> heads;
      for (int pick = 0; pick < 1 + static_cast<int>(rng() % 3); ++pick) {
        heads.push_back(dag.nodes()[rng() % dag.nodes().size()]);
      }
      return heads;
    };
    std::vector<Hash> heads_a = pick_heads();
    std::vector<Hash> heads_b = pick_heads();
    std::set<Hash> expected = dag.Reachable(heads_a);
    for (const Hash& known : dag.Reachable(heads_b)) expected.erase(known);
    Result<std::vector<Hash>> diff = Difference(&dag, heads_a, heads_b);
    ASSERT_TRUE(diff.ok());
    ExpectTopological(dag, *diff, expected);
  }
}

TEST(DagTest, DifferenceIgnoresHeadsTheSourceLacks) {
  RandomDag dag(3, 30);
  Hash unknown = Sha256("not in the dag");
  Result<std::vector<Hash>> diff =
      Difference(&dag, {dag.nodes().back()}, {unknown});
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->size(), dag.Reachable({dag.nodes().back()}).size());
  // But a missing node on the side being walked is an error.
  EXPECT_TRUE(Difference(&dag, {unknown}, {}).status().IsNotFound());
}

class CycleSource : public NodeSource {
 public:
  Status GetParents(const Hash& node, std::vector<Hash>* parents) override {
    *parents = {node == a ? b : a};
    return Status::OK();
  }
  Hash a = Sha256("a");
  Hash b = Sha256("b");
};

TEST(DagTest, CycleFromAHostileSourceIsCorruption) {
  CycleSource source;
  EXPECT_TRUE(
      TopologicalOrder(&source, {source.a, source.b}).status().IsCorruption());
}

}  // namespace
}  // namespace weft::dag
