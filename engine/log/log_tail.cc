#include "engine/log/log_tail.h"

#include <algorithm>

namespace weft::engine {

void LogTail::Reset(uint64_t first) {
  first_ = first;
  entries_.clear();
  positions_.clear();
  seqs_.clear();
}

void LogTail::Add(const TailEntry& entry) {
  uint64_t position = first_ + entries_.size();
  entries_.push_back(entry);
  positions_[entry.hash] = position;
  seqs_[entry.actor].emplace_back(entry.seq, position);
}

void LogTail::DropThrough(uint64_t last) {
  while (!entries_.empty() && first_ <= last) {
    const TailEntry& entry = entries_.front();
    positions_.erase(entry.hash);
    auto seqs = seqs_.find(entry.actor);
    seqs->second.pop_front();  // the actor's oldest in the tail
    if (seqs->second.empty()) seqs_.erase(seqs);
    entries_.pop_front();
    ++first_;
  }
  if (entries_.empty()) first_ = std::max(first_, last + 1);
}

const TailEntry* LogTail::At(uint64_t position) const {
  if (position < first_ || position - first_ >= entries_.size()) {
    return nullptr;
  }
  return &entries_[position - first_];
}

bool LogTail::PositionOf(const Hash& hash, uint64_t* position) const {
  auto found = positions_.find(hash);
  if (found == positions_.end()) return false;
  *position = found->second;
  return true;
}

bool LogTail::PositionOfSeq(const ActorId& actor, uint64_t seq,
                            uint64_t* position) const {
  auto seqs = seqs_.find(actor);
  if (seqs == seqs_.end()) return false;
  auto it = std::lower_bound(seqs->second.begin(), seqs->second.end(),
                             std::make_pair(seq, uint64_t{0}));
  if (it == seqs->second.end() || it->first != seq) return false;
  *position = it->second;
  return true;
}

void LogTail::PositionsOfSeqs(const ActorId& actor, uint64_t after,
                              uint64_t last,
                              std::vector<uint64_t>* positions) const {
  auto seqs = seqs_.find(actor);
  if (seqs == seqs_.end()) return;
  for (auto it = std::lower_bound(seqs->second.begin(), seqs->second.end(),
                                  std::make_pair(after + 1, uint64_t{0}));
       it != seqs->second.end() && it->first <= last; ++it) {
    positions->push_back(it->second);
  }
}

}  // namespace weft::engine
