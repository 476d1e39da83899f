// Sequence: the list/text CRDT (RGA) with run-length storage.
//
// Every element has an id (counter, actor). An insert names the element it
// goes after (`ref`, or the start); concurrent inserts after the same ref
// are ordered by descending id, and an element's descendants follow it.
// Integration is the classic RGA rule: from ref, skip every element whose id
// is greater than the new one. Deleted elements stay as tombstones so later
// inserts can still name them. Equal sets of operations give equal
// sequences, whatever their order (causal delivery assumed).
//
// Storage: consecutive ids of one actor, adjacent and alike (all visible or
// all deleted), share one run. Runs sit in the leaves of a B-tree that
// counts visible and total elements per subtree, so finding a position and
// updating after an edit are O(log n); a per-actor map from first counter
// to leaf finds an element by id in O(log n) (after a load, it is built by
// the first lookup: reading needs none).
//
// Content is one char32_t per element: a code point for text, a handle into
// the owner's value table for lists. Deleted elements keep no content.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/change.h"
#include "weft/status.h"

namespace weft::engine {

// A run of consecutive ids of one actor: (counter + i, actor), i < length.
struct IdRun {
  OpId first;
  uint64_t length = 0;
};

class Sequence {
 public:
  Sequence();
  ~Sequence();
  Sequence(const Sequence&) = delete;
  Sequence& operator=(const Sequence&) = delete;
  Sequence(Sequence&&) = default;
  Sequence& operator=(Sequence&&) = default;

  uint64_t size() const;        // visible elements
  uint64_t total_size() const;  // visible and deleted

  // Inserts `content` (one element per char32_t, ids first, first + 1, ...)
  // after the element `ref` (root: at the start). Every id must be new.
  // NotFound if ref is unknown; AlreadyExists if `first` is present.
  Status Insert(const OpId& ref, const OpId& first,
                const std::u32string& content);
  // Deletes the elements of `ids`; already deleted ones stay deleted.
  // NotFound if any id is unknown (then nothing is deleted).
  Status Delete(const IdRun& ids);

  // The id of the visible element at `pos`. REQUIRES: pos < size().
  OpId IdAt(uint64_t pos) const;
  // The id runs covering visible positions [pos, pos + count), in order.
  // REQUIRES: pos + count <= size().
  std::vector<IdRun> IdRunsAt(uint64_t pos, uint64_t count) const;
  // Visible content of [pos, pos + count), clipped to size().
  std::u32string Read(uint64_t pos, uint64_t count) const;
  // The same content in pieces, in order, without copying it whole.
  void ForEachVisible(
      uint64_t pos, uint64_t count,
      const std::function<void(std::u32string_view)>& visit) const;
  std::u32string ReadAll() const { return Read(0, size()); }
  bool Contains(const OpId& id) const;

  // Calls visit(first_id, length, visible, content) for each maximal run
  // in order; content is empty for deleted runs. Canonical: two sequences
  // with equal elements visit equal runs, however they were built.
  using RunVisitor =
      std::function<void(const OpId& first, uint64_t length, bool visible,
                         const std::u32string& content)>;
  void ForEachRun(const RunVisitor& visit) const;

  // Appends a run at the end with no RGA integration: for rebuilding a
  // sequence from its canonical runs (ForEachRun order) when loading.
  // REQUIRES: the ids are new; content.size() == length when visible.
  void AppendLoadedRun(const OpId& first, uint64_t length, bool visible,
                       std::u32string content);

  // Runs stored (not merged across leaves); for benchmarks and tests.
  size_t StoredRunCount() const;

 private:
  struct Run {
    uint32_t actor;    // index into actors_
    uint64_t counter;  // the first element's counter
    uint64_t length;
    bool visible;
    std::u32string content;  // `length` chars when visible, else empty
  };
  struct Node {
    Node* parent = nullptr;
    bool leaf = true;
    uint64_t visible = 0;
    uint64_t total = 0;
    std::vector<std::unique_ptr<Node>> children;  // internal nodes
    std::vector<Run> runs;                        // leaves
  };
  // An element: runs[run] of `leaf`, `offset` into it. run == runs.size()
  // of the last leaf means the end of the sequence.
  struct Cursor {
    Node* leaf = nullptr;
    size_t run = 0;
    uint64_t offset = 0;
  };

  uint32_t ActorIndex(const ActorId& actor);
  bool FindActor(const ActorId& actor, uint32_t* index) const;
  bool IdLess(uint32_t actor_a, uint64_t counter_a, uint32_t actor_b,
              uint64_t counter_b) const;
  bool Find(const OpId& id, Cursor* cursor) const;
  Cursor LocateVisible(uint64_t pos) const;
  Cursor Begin() const;
  bool AtEnd(const Cursor& cursor) const;
  // Moves to the first element of the next run (or the end).
  void NextRun(Cursor* cursor) const;
  Cursor InsertionPoint(Cursor start, uint32_t actor, uint64_t counter) const;
  // `at_end`: see SplitIfFull.
  void InsertRunAt(Cursor at, Run run, bool at_end = false);
  void SplitRun(Node* leaf, size_t run_idx, uint64_t offset);
  bool MergeRuns(Node* leaf, size_t run_idx);  // runs[run_idx] and the next
  // Splits a node over its bound in half; `at_end` (appending while
  // loading): moves only the last entry into the new sibling.
  void SplitIfFull(Node* node, bool at_end = false);
  void AddCounts(Node* node, int64_t visible, int64_t total);
  void IndexRun(const Run& run, Node* leaf) const;
  // Indexes every run (after loading left the index stale).
  void RebuildRunIndex() const;
  void ForEachStoredRun(const Node* node,
                        const std::function<void(const Run&)>& visit) const;

  std::unique_ptr<Node> root_;
  std::vector<ActorId> actors_;  // by actor index
  std::map<ActorId, uint32_t> actor_index_;
  // Per actor index: first counter of each run -> its leaf. Built lazily
  // after loading (`run_index_stale_`); mutable for that.
  mutable std::vector<std::map<uint64_t, Node*>> run_starts_;
  mutable bool run_index_stale_ = false;
};

}  // namespace weft::engine
