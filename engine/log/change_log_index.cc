// The index side of ChangeLog (engine/FORMAT.md, "Index and seqs"):
// finding a change by its hash and an actor's changes by seq, the log's
// tail that is not indexed yet, writing its records, and the move from
// formats 5 and 6.
#include <algorithm>

#include "engine/log/change_log.h"

namespace weft::engine {

using storage::Family;

Status ChangeLog::MoveToCompactIndex(storage::KvStore* store) {
  struct Indexed {
    uint64_t position;
    Hash hash;
    uint64_t height;
  };
  std::vector<Indexed> indexed;
  auto it = store->NewIterator(Family::kIndex);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    IndexEntry entry;
    if (it->key().size() != Hash::kSize ||
        !DecodeIndexEntry(it->value(), &entry) || entry.position == 0 ||
        entry.height == 0 || entry.height > entry.position) {
      return Status::Corruption("index: malformed entry (format 6)");
    }
    indexed.push_back(
        {entry.position, Hash::FromBytes(it->key()), entry.height});
  }
  WEFT_RETURN_IF_ERROR(it->status());
  // Records go into their buckets in log order.
  std::sort(indexed.begin(), indexed.end(),
            [](const Indexed& a, const Indexed& b) {
              return a.position < b.position;
            });
  std::map<std::string, std::string> buckets;
  for (const Indexed& entry : indexed) {
    AppendIndexRecord(&buckets[IndexBucketKey(entry.hash)], entry.hash,
                      entry.position, entry.height);
  }
  std::map<std::pair<ActorId, uint64_t>, SeqRange> ranges;
  std::map<ActorId, uint64_t> last_range;
  it = store->NewIterator(Family::kSeqs);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t seq;
    uint64_t position;
    if (it->key().size() != ActorId::kSize + 8 ||
        !DecodePosition(it->key().substr(ActorId::kSize), &seq) ||
        !DecodePosition(it->value(), &position)) {
      return Status::Corruption("seqs: malformed entry (format 6)");
    }
    ActorId actor = ActorId::FromBytes(it->key().substr(0, ActorId::kSize));
    auto last = last_range.find(actor);
    if (last != last_range.end()) {
      if (ranges[{actor, last->second}].Extend(seq, position)) continue;
    }
    ranges[{actor, seq}] = SeqRange{seq, position, 1};
    last_range[actor] = seq;
  }
  WEFT_RETURN_IF_ERROR(it->status());
  // One atomic write: a move cut short leaves format 6 as it was. The old
  // keys are at most 32 (index) and 24 (seqs) bytes long.
  auto batch = store->NewBatch();
  batch->DeleteRange(Family::kIndex, "", std::string(Hash::kSize + 1, '\xff'));
  batch->DeleteRange(Family::kSeqs, "",
                     std::string(ActorId::kSize + 9, '\xff'));
  for (const auto& [key, records] : buckets) {
    batch->Put(Family::kIndex, key, records);
  }
  for (const auto& [key, range] : ranges) {
    batch->Put(Family::kSeqs, EncodeSeqKey(key.first, key.second),
               EncodeSeqRange(range));
  }
  batch->Put(Family::kMeta, kMetaIndexedThrough,
             EncodePosition(indexed.empty() ? 0 : indexed.back().position));
  batch->Put(Family::kMeta, kMetaFormatVersion, kFormatVersionBeforeRows);
  return store->Write(batch.get(), /*sync=*/true);
}

Status ChangeLog::LoadTail() {
  tail_.Reset(indexed_through_ + 1);
  if (indexed_through_ == log_length_) return Status::OK();  // a clean close
  return WalkStored(
      indexed_through_ + 1, [&](uint64_t position, const Hash& hash,
                                const Change& change, uint64_t height) {
        if (position != tail_.first() + tail_.size()) {
          return Status::Corruption(
              "the log has no change at position",
              std::to_string(tail_.first() + tail_.size()));
        }
        tail_.Add(
            TailEntry{hash, height, change.EndOp(), change.actor, change.seq});
        return Status::OK();
      });
}

Status ChangeLog::StageIndexThrough(storage::WriteBatch* writes, uint64_t last,
                                    std::map<ActorId, SeqRange>* last_of,
                                    const std::vector<TailEntry>* beyond,
                                    uint64_t beyond_first) const {
  if (last <= indexed_through_) return Status::OK();
  auto entry_at = [&](uint64_t position) -> const TailEntry* {
    if (const TailEntry* entry = tail_.At(position)) return entry;
    if (beyond == nullptr || position < beyond_first ||
        position - beyond_first >= beyond->size()) {
      return nullptr;
    }
    return &(*beyond)[position - beyond_first];
  };
  std::map<std::string, std::string> buckets;
  std::map<std::pair<ActorId, uint64_t>, SeqRange> ranges;
  uint64_t position = indexed_through_ + 1;
  for (; position <= last && entry_at(position) != nullptr; ++position) {
    const TailEntry& entry = *entry_at(position);
    AppendIndexRecord(&buckets[IndexBucketKey(entry.hash)], entry.hash,
                      position, entry.height);
    SeqRange range;
    if (auto known = last_of->find(entry.actor); known != last_of->end()) {
      range = known->second;
    } else if (auto stored = last_ranges_.find(entry.actor);
               stored != last_ranges_.end()) {
      range = stored->second;
    } else if (entry.seq > 1) {
      Status found = FindSeqRange(store_, entry.actor, entry.seq - 1, &range);
      if (!found.ok() && !found.IsNotFound()) return found;
    }
    if (!range.Extend(entry.seq, position)) {
      range = SeqRange{entry.seq, position, 1};
    }
    ranges[{entry.actor, range.first_seq}] = range;
    (*last_of)[entry.actor] = range;
  }
  if (position != last + 1) {
    return Status::Corruption("the log's tail misses position",
                              std::to_string(position));
  }
  for (const auto& [key, records] : buckets) {
    writes->Append(Family::kIndex, key, records);
  }
  for (const auto& [key, range] : ranges) {
    writes->Put(Family::kSeqs, EncodeSeqKey(key.first, key.second),
                EncodeSeqRange(range));
  }
  writes->Put(Family::kMeta, kMetaIndexedThrough, EncodePosition(last));
  return Status::OK();
}

Status ChangeLog::LookupIndex(const Hash& hash, const Batch& batch,
                              IndexEntry* entry) const {
  if (auto staged = batch.staged.find(hash); staged != batch.staged.end()) {
    *entry = staged->second;
    return Status::OK();
  }
  if (auto head = heads_.find(hash); head != heads_.end()) {
    *entry = head->second;
    return Status::OK();
  }
  if (uint64_t position; tail_.PositionOf(hash, &position)) {
    const TailEntry& found = *tail_.At(position);
    *entry = IndexEntry{position, found.height, found.end_op};
    return Status::OK();
  }
  if (legacy_index_) {
    std::string value;
    Status status = store_->Get(Family::kIndex, hash.AsStringView(), &value);
    if (status.IsNotFound()) return Status::NotFound("change", hash.ToHex());
    WEFT_RETURN_IF_ERROR(status);
    if (!DecodeIndexEntry(value, entry)) {
      return Status::Corruption("index: malformed entry for", hash.ToHex());
    }
    return Status::OK();
  }
  // A record names a position: the change there must have this hash.
  std::vector<IndexRecord> candidates;
  WEFT_RETURN_IF_ERROR(IndexCandidates(store_, hash, &candidates));
  for (const IndexRecord& candidate : candidates) {
    Hash stored;
    std::string bytes;
    Status read = ReadLoggedChange(store_, &run_cache_, candidate.position,
                                   &stored, &bytes, nullptr);
    if (read.IsNotFound()) continue;
    WEFT_RETURN_IF_ERROR(read);
    // Another change whose hash shares the 26 bits is as recorded; bytes
    // that hash to other bits are damaged.
    if (stored != hash && IndexedBits(stored) == IndexedBits(hash)) continue;
    if (stored != hash) {
      return Status::Corruption("stored change fails its hash at log position",
                                std::to_string(candidate.position));
    }
    Result<Change> change = dag::DecodeChange(bytes);
    if (!change.ok()) {
      return Status::Corruption("log position " +
                                    std::to_string(candidate.position) +
                                    " does not decode",
                                change.status().message());
    }
    *entry = IndexEntry{candidate.position, candidate.height, change->EndOp()};
    return Status::OK();
  }
  return Status::NotFound("change", hash.ToHex());
}

Status ChangeLog::PositionOfSeq(const ActorId& actor, uint64_t seq,
                                uint64_t* position) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return PositionOfSeqLocked(actor, seq, position);
}

Status ChangeLog::PositionOfSeqLocked(const ActorId& actor, uint64_t seq,
                                      uint64_t* position) const {
  if (tail_.PositionOfSeq(actor, seq, position)) return Status::OK();
  if (legacy_index_) return LegacySeqPosition(store_, actor, seq, position);
  SeqRange range;
  WEFT_RETURN_IF_ERROR(FindSeqRange(store_, actor, seq, &range));
  *position = range.PositionOf(seq);
  return Status::OK();
}

Status ChangeLog::PositionsOfSeqs(const ActorId& actor, uint64_t after,
                                  uint64_t last,
                                  std::vector<uint64_t>* positions) const {
  std::lock_guard<std::mutex> lock(mutex_);
  // An actor's seqs are in log order: the indexed ones come first.
  WEFT_RETURN_IF_ERROR(engine::PositionsOfSeqs(store_, legacy_index_, actor,
                                               after, last, positions));
  tail_.PositionsOfSeqs(actor, after, last, positions);
  return Status::OK();
}

bool ChangeLog::IsStored(const Hash& hash) const {
  IndexEntry entry;
  return LookupIndex(hash, Batch(), &entry).ok();
}

Status ChangeLog::IndexThrough(uint64_t last,
                               const std::vector<TailEntry>* beyond,
                               uint64_t beyond_first) {
  auto writes = store_->NewBatch();
  std::map<ActorId, SeqRange> ranges;
  WEFT_RETURN_IF_ERROR(
      StageIndexThrough(writes.get(), last, &ranges, beyond, beyond_first));
  WEFT_RETURN_IF_ERROR(store_->Write(writes.get(), /*sync=*/false));
  NoteIndexed(last, ranges);
  return Status::OK();
}

void ChangeLog::NoteIndexed(uint64_t last,
                            const std::map<ActorId, SeqRange>& ranges) {
  indexed_through_ = last;
  tail_.DropThrough(last);
  for (const auto& [actor, range] : ranges) last_ranges_[actor] = range;
}

}  // namespace weft::engine
