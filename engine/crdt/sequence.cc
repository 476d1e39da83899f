#include "engine/crdt/sequence.h"

#include <algorithm>
#include <cassert>

namespace weft::engine {
namespace {

// Fan-out of the B-tree. A leaf may briefly hold two runs more while an
// insert splits a run; SplitIfFull restores the bound.
constexpr size_t kRunsPerLeafMax = 64;
constexpr size_t kChildrenMax = 64;

}  // namespace

Sequence::Sequence() : root_(std::make_unique<Node>()) {}
Sequence::~Sequence() = default;

uint64_t Sequence::size() const { return root_->visible; }
uint64_t Sequence::total_size() const { return root_->total; }

uint32_t Sequence::ActorIndex(const ActorId& actor) {
  auto [it, inserted] =
      actor_index_.try_emplace(actor, static_cast<uint32_t>(actors_.size()));
  if (inserted) {
    actors_.push_back(actor);
    run_starts_.emplace_back();
  }
  return it->second;
}

bool Sequence::FindActor(const ActorId& actor, uint32_t* index) const {
  auto it = actor_index_.find(actor);
  if (it == actor_index_.end()) return false;
  *index = it->second;
  return true;
}

bool Sequence::IdLess(uint32_t actor_a, uint64_t counter_a, uint32_t actor_b,
                      uint64_t counter_b) const {
  if (counter_a != counter_b) return counter_a < counter_b;
  return actors_[actor_a] < actors_[actor_b];
}

bool Sequence::Find(const OpId& id, Cursor* cursor) const {
  uint32_t actor;
  if (id.IsRoot() || !FindActor(id.actor, &actor)) return false;
  if (run_index_stale_) RebuildRunIndex();
  const auto& starts = run_starts_[actor];
  auto it = starts.upper_bound(id.counter);
  if (it == starts.begin()) return false;
  Node* leaf = std::prev(it)->second;
  for (size_t run_idx = 0; run_idx < leaf->runs.size(); ++run_idx) {
    const Run& run = leaf->runs[run_idx];
    if (run.actor == actor && id.counter >= run.counter &&
        id.counter < run.counter + run.length) {
      *cursor = Cursor{leaf, run_idx, id.counter - run.counter};
      return true;
    }
  }
  return false;
}

bool Sequence::Contains(const OpId& id) const {
  Cursor cursor;
  return Find(id, &cursor);
}

Sequence::Cursor Sequence::Begin() const {
  Node* node = root_.get();
  while (!node->leaf) node = node->children.front().get();
  return Cursor{node, 0, 0};
}

bool Sequence::AtEnd(const Cursor& cursor) const {
  return cursor.run >= cursor.leaf->runs.size();
}

void Sequence::NextRun(Cursor* cursor) const {
  cursor->offset = 0;
  if (++cursor->run < cursor->leaf->runs.size()) return;
  // Climb to the first ancestor with a next sibling, then go down-left.
  Node* node = cursor->leaf;
  while (node->parent != nullptr) {
    Node* parent = node->parent;
    size_t child_idx = 0;
    while (parent->children[child_idx].get() != node) ++child_idx;
    if (child_idx + 1 < parent->children.size()) {
      node = parent->children[child_idx + 1].get();
      while (!node->leaf) node = node->children.front().get();
      *cursor = Cursor{node, 0, 0};  // only an empty root leaf has no runs
      return;
    }
    node = parent;
  }
  // The end: past the last run of the last leaf (cursor already there).
}

Sequence::Cursor Sequence::LocateVisible(uint64_t pos) const {
  assert(pos < size());
  const Node* node = root_.get();
  while (!node->leaf) {
    for (const auto& child : node->children) {
      if (pos < child->visible) {
        node = child.get();
        break;
      }
      pos -= child->visible;
    }
  }
  for (size_t run_idx = 0; run_idx < node->runs.size(); ++run_idx) {
    const Run& run = node->runs[run_idx];
    if (!run.visible) continue;
    if (pos < run.length) return Cursor{const_cast<Node*>(node), run_idx, pos};
    pos -= run.length;
  }
  assert(false && "visible counts out of step with runs");
  return Cursor{};
}

// RGA: from just after ref, skip every element with a greater id. Ids rise
// along a run, so a run whose current element is greater is skipped whole.
Sequence::Cursor Sequence::InsertionPoint(Cursor cursor, uint32_t actor,
                                          uint64_t counter) const {
  while (!AtEnd(cursor)) {
    const Run& run = cursor.leaf->runs[cursor.run];
    if (IdLess(run.actor, run.counter + cursor.offset, actor, counter)) {
      return cursor;
    }
    NextRun(&cursor);
  }
  return cursor;
}

Status Sequence::Insert(const OpId& ref, const OpId& first,
                        const std::u32string& content) {
  if (content.empty()) return Status::InvalidArgument("empty sequence insert");
  if (first.IsRoot()) return Status::InvalidArgument("element id 0");
  Cursor start;
  if (ref.IsRoot()) {
    start = Begin();
  } else {
    if (!Find(ref, &start)) {
      return Status::NotFound("sequence insert after an unknown element");
    }
    // Just after ref.
    if (start.offset + 1 < start.leaf->runs[start.run].length) {
      ++start.offset;
    } else {
      NextRun(&start);
    }
  }
  if (Contains(first)) {
    return Status::AlreadyExists("sequence element id already present");
  }
  uint32_t actor = ActorIndex(first.actor);
  Cursor at = InsertionPoint(start, actor, first.counter);
  InsertRunAt(at, Run{actor, first.counter, content.size(), true, content});
  return Status::OK();
}

void Sequence::InsertRunAt(Cursor at, Run run, bool at_end) {
  Node* leaf = at.leaf;
  size_t index = at.run;
  if (at.offset > 0) {
    SplitRun(leaf, at.run, at.offset);
    index = at.run + 1;
  }
  int64_t visible = run.visible ? static_cast<int64_t>(run.length) : 0;
  int64_t total = static_cast<int64_t>(run.length);
  leaf->runs.insert(leaf->runs.begin() + index, std::move(run));
  IndexRun(leaf->runs[index], leaf);
  AddCounts(leaf, visible, total);
  // Typing extends the previous run instead of adding one.
  if (index > 0) MergeRuns(leaf, index - 1);
  SplitIfFull(leaf, at_end);
}

void Sequence::SplitRun(Node* leaf, size_t run_idx, uint64_t offset) {
  Run& run = leaf->runs[run_idx];
  assert(offset > 0 && offset < run.length);
  Run tail{run.actor, run.counter + offset, run.length - offset, run.visible,
           run.visible ? run.content.substr(offset) : std::u32string()};
  run.length = offset;
  if (run.visible) run.content.resize(offset);
  leaf->runs.insert(leaf->runs.begin() + run_idx + 1, std::move(tail));
  IndexRun(leaf->runs[run_idx + 1], leaf);
}

bool Sequence::MergeRuns(Node* leaf, size_t run_idx) {
  if (run_idx + 1 >= leaf->runs.size()) return false;
  Run& left = leaf->runs[run_idx];
  Run& right = leaf->runs[run_idx + 1];
  if (left.actor != right.actor || left.visible != right.visible ||
      left.counter + left.length != right.counter) {
    return false;
  }
  if (!run_index_stale_) run_starts_[right.actor].erase(right.counter);
  left.length += right.length;
  left.content += right.content;
  leaf->runs.erase(leaf->runs.begin() + run_idx + 1);
  return true;
}

void Sequence::IndexRun(const Run& run, Node* leaf) const {
  if (run_index_stale_) return;  // RebuildRunIndex will see it
  std::map<uint64_t, Node*>& starts = run_starts_[run.actor];
  // Typing and loading mostly add counters above all others: no search.
  if (starts.empty() || std::prev(starts.end())->first < run.counter) {
    starts.emplace_hint(starts.end(), run.counter, leaf);
  } else {
    starts[run.counter] = leaf;
  }
}

void Sequence::AddCounts(Node* node, int64_t visible, int64_t total) {
  for (; node != nullptr; node = node->parent) {
    node->visible += visible;
    node->total += total;
  }
}

void Sequence::SplitIfFull(Node* node, bool at_end) {
  size_t count = node->leaf ? node->runs.size() : node->children.size();
  if (count <= (node->leaf ? kRunsPerLeafMax : kChildrenMax)) return;
  auto sibling = std::make_unique<Node>();
  sibling->leaf = node->leaf;
  size_t keep = at_end ? count - 1 : count / 2;
  if (node->leaf) {
    if (at_end) sibling->runs.reserve(kRunsPerLeafMax + 1);  // to be filled
    sibling->runs.assign(std::make_move_iterator(node->runs.begin() + keep),
                         std::make_move_iterator(node->runs.end()));
    node->runs.resize(keep);
    for (const Run& run : sibling->runs) {
      IndexRun(run, sibling.get());
      sibling->visible += run.visible ? run.length : 0;
      sibling->total += run.length;
    }
  } else {
    for (size_t child_idx = keep; child_idx < count; ++child_idx) {
      auto& child = node->children[child_idx];
      child->parent = sibling.get();
      sibling->visible += child->visible;
      sibling->total += child->total;
      sibling->children.push_back(std::move(child));
    }
    node->children.resize(keep);
  }
  node->visible -= sibling->visible;
  node->total -= sibling->total;

  if (node->parent == nullptr) {  // the root splits: the tree grows
    auto new_root = std::make_unique<Node>();
    new_root->leaf = false;
    new_root->visible = node->visible + sibling->visible;
    new_root->total = node->total + sibling->total;
    node->parent = new_root.get();
    sibling->parent = new_root.get();
    new_root->children.push_back(std::move(root_));
    new_root->children.push_back(std::move(sibling));
    root_ = std::move(new_root);
    return;
  }
  Node* parent = node->parent;
  sibling->parent = parent;
  size_t child_idx = 0;
  while (parent->children[child_idx].get() != node) ++child_idx;
  parent->children.insert(parent->children.begin() + child_idx + 1,
                          std::move(sibling));
  SplitIfFull(parent, at_end);
}

Status Sequence::Delete(const IdRun& ids) {
  if (ids.length == 0) return Status::OK();
  // Check every id first so that a bad delete changes nothing.
  Cursor cursor;
  for (uint64_t done = 0; done < ids.length;) {
    OpId id{ids.first.counter + done, ids.first.actor};
    if (!Find(id, &cursor)) {
      return Status::NotFound("sequence delete of an unknown element");
    }
    done += cursor.leaf->runs[cursor.run].length - cursor.offset;
  }
  for (uint64_t done = 0; done < ids.length;) {
    Find(OpId{ids.first.counter + done, ids.first.actor}, &cursor);
    Node* leaf = cursor.leaf;
    size_t run_idx = cursor.run;
    uint64_t available = leaf->runs[run_idx].length - cursor.offset;
    uint64_t count = std::min(available, ids.length - done);
    done += count;
    if (!leaf->runs[run_idx].visible) continue;
    if (cursor.offset > 0) {
      SplitRun(leaf, run_idx, cursor.offset);
      ++run_idx;
    }
    if (count < leaf->runs[run_idx].length) {
      SplitRun(leaf, run_idx, count);
    }
    Run& run = leaf->runs[run_idx];
    run.visible = false;
    run.content.clear();
    run.content.shrink_to_fit();
    AddCounts(leaf, -static_cast<int64_t>(count), 0);
    // Adjacent tombstones of one typing run coalesce again.
    MergeRuns(leaf, run_idx);
    if (run_idx > 0) MergeRuns(leaf, run_idx - 1);
    SplitIfFull(leaf);
  }
  return Status::OK();
}

OpId Sequence::IdAt(uint64_t pos) const {
  Cursor cursor = LocateVisible(pos);
  const Run& run = cursor.leaf->runs[cursor.run];
  return OpId{run.counter + cursor.offset, actors_[run.actor]};
}

std::vector<IdRun> Sequence::IdRunsAt(uint64_t pos, uint64_t count) const {
  assert(pos + count <= size());
  std::vector<IdRun> result;
  if (count == 0) return result;
  Cursor cursor = LocateVisible(pos);
  while (count > 0) {
    const Run& run = cursor.leaf->runs[cursor.run];
    if (run.visible) {
      uint64_t take = std::min(count, run.length - cursor.offset);
      OpId first{run.counter + cursor.offset, actors_[run.actor]};
      if (!result.empty() && result.back().first.actor == first.actor &&
          result.back().first.counter + result.back().length == first.counter) {
        result.back().length += take;
      } else {
        result.push_back(IdRun{first, take});
      }
      count -= take;
    }
    NextRun(&cursor);
  }
  return result;
}

std::u32string Sequence::Read(uint64_t pos, uint64_t count) const {
  std::u32string out;
  if (pos < size()) out.reserve(std::min(count, size() - pos));
  ForEachVisible(pos, count,
                 [&](std::u32string_view piece) { out.append(piece); });
  return out;
}

void Sequence::ForEachVisible(
    uint64_t pos, uint64_t count,
    const std::function<void(std::u32string_view)>& visit) const {
  if (pos >= size()) return;
  count = std::min(count, size() - pos);
  Cursor cursor = LocateVisible(pos);
  while (count > 0) {
    const Run& run = cursor.leaf->runs[cursor.run];
    if (run.visible) {
      uint64_t take = std::min(count, run.length - cursor.offset);
      visit(std::u32string_view(run.content).substr(cursor.offset, take));
      count -= take;
    }
    NextRun(&cursor);
  }
}

void Sequence::ForEachStoredRun(
    const Node* node, const std::function<void(const Run&)>& visit) const {
  if (node->leaf) {
    for (const Run& run : node->runs) visit(run);
    return;
  }
  for (const auto& child : node->children) ForEachStoredRun(child.get(), visit);
}

void Sequence::ForEachRun(const RunVisitor& visit) const {
  // Stored runs may be split where another replica's are not: merge every
  // adjacent pair that could be one run, so the output is canonical.
  bool have = false;
  Run pending{};
  ForEachStoredRun(root_.get(), [&](const Run& run) {
    if (have && pending.actor == run.actor && pending.visible == run.visible &&
        pending.counter + pending.length == run.counter) {
      pending.length += run.length;
      pending.content += run.content;
      return;
    }
    if (have) {
      visit(OpId{pending.counter, actors_[pending.actor]}, pending.length,
            pending.visible, pending.content);
    }
    pending = run;
    have = true;
  });
  if (have) {
    visit(OpId{pending.counter, actors_[pending.actor]}, pending.length,
          pending.visible, pending.content);
  }
}

void Sequence::RebuildRunIndex() const {
  for (auto& starts : run_starts_) starts.clear();
  run_index_stale_ = false;
  std::vector<Node*> stack{root_.get()};
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    if (!node->leaf) {  // children in reverse: leaves come out in order
      for (auto child = node->children.rbegin(); child != node->children.rend();
           ++child) {
        stack.push_back(child->get());
      }
      continue;
    }
    for (const Run& run : node->runs) IndexRun(run, node);
  }
}

void Sequence::AppendLoadedRun(const OpId& first, uint64_t length, bool visible,
                               std::u32string content) {
  assert(!visible || content.size() == length);
  // Reading a loaded sequence needs no lookup by id: the index is built by
  // the first lookup (an edit), not here. A quarter of reading a long text
  // after opening went into it.
  run_index_stale_ = true;
  Node* leaf = root_.get();
  while (!leaf->leaf) leaf = leaf->children.back().get();
  // Loaded leaves end up full (see below): give each its room at once.
  if (leaf->runs.empty()) leaf->runs.reserve(kRunsPerLeafMax + 1);
  // A full leaf keeps its runs and the next one starts a new leaf: loaded
  // leaves end up full, and no run is moved and indexed twice.
  if (!visible) content.clear();
  InsertRunAt(Cursor{leaf, leaf->runs.size(), 0},
              Run{ActorIndex(first.actor), first.counter, length, visible,
                  std::move(content)},
              /*at_end=*/true);
}

size_t Sequence::StoredRunCount() const {
  size_t count = 0;
  ForEachStoredRun(root_.get(), [&](const Run&) { ++count; });
  return count;
}

}  // namespace weft::engine
