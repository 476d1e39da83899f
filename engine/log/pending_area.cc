#include "engine/log/pending_area.h"

#include <cassert>

namespace weft::engine {

Status PendingArea::Add(PendingChange pending,
                        const std::vector<Hash>& missing) {
  assert(!missing.empty());
  if (waiting_.size() + 1 > changes_max_ ||
      bytes_ + pending.Size() > bytes_max_) {
    return Status::Busy("pending area full: " + std::to_string(size()) +
                        " changes (" + std::to_string(bytes_) +
                        " bytes) already wait for missing parents");
  }
  Hash hash = pending.hash;
  for (const Hash& parent : missing) waiters_[parent].push_back(hash);
  bytes_ += pending.Size();
  waiting_.emplace(hash, Waiting{std::move(pending), missing.size()});
  return Status::OK();
}

void PendingArea::MarkStored(const Hash& stored,
                             std::vector<PendingChange>* ready) {
  auto waiters = waiters_.find(stored);
  if (waiters == waiters_.end()) return;
  std::vector<Hash> children = std::move(waiters->second);
  waiters_.erase(waiters);
  for (const Hash& child : children) {
    auto it = waiting_.find(child);
    if (it == waiting_.end()) continue;  // dropped by DropWaitersOf
    assert(it->second.missing_count > 0);
    if (--it->second.missing_count > 0) continue;
    bytes_ -= it->second.pending.Size();
    ready->push_back(std::move(it->second.pending));
    waiting_.erase(it);
  }
}

size_t PendingArea::DropWaitersOf(const Hash& rejected) {
  size_t dropped = 0;
  std::vector<Hash> gone{rejected};
  while (!gone.empty()) {
    Hash hash = gone.back();
    gone.pop_back();
    auto waiters = waiters_.find(hash);
    if (waiters == waiters_.end()) continue;
    std::vector<Hash> children = std::move(waiters->second);
    waiters_.erase(waiters);
    for (const Hash& child : children) {
      auto it = waiting_.find(child);
      if (it == waiting_.end()) continue;  // dropped through another parent
      bytes_ -= it->second.pending.Size();
      waiting_.erase(it);
      ++dropped;
      gone.push_back(child);
    }
  }
  return dropped;
}

}  // namespace weft::engine
