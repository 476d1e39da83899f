// The read side of ChangeLog: changes by hash or position, the log, heads,
// the version vector.
#include <algorithm>

#include "dag/change_codec.h"
#include "dag/sha256.h"
#include "engine/log/change_log.h"

namespace weft::engine {

using storage::Family;

namespace {

std::string At(uint64_t position) {
  return "log position " + std::to_string(position);
}

}  // namespace

Status ReadLoggedChange(storage::KvStore* store, RunCache* cache,
                        uint64_t position, Hash* hash, std::string* bytes,
                        Change* change) {
  return ReadLogEntry(store, cache, position, hash, bytes, change);
}

Result<StoredChange> ChangeLog::ReadAt(uint64_t position,
                                       const Hash* expected_hash) const {
  StoredChange stored;
  WEFT_RETURN_IF_ERROR(ReadLoggedChange(store_, &run_cache_, position,
                                        &stored.hash, &stored.bytes, nullptr));
  if (expected_hash != nullptr && *expected_hash != stored.hash) {
    return Status::Corruption("stored change fails its hash at", At(position));
  }
  uint64_t height = 0;
  if (legacy_index_) {
    IndexEntry entry;
    Status index_status;
    {
      std::lock_guard<std::mutex> lock(mutex_);  // LookupIndex reads heads_
      index_status = LookupIndex(stored.hash, Batch(), &entry);
    }
    if (index_status.ok() && entry.position == position) height = entry.height;
  } else {
    {
      std::lock_guard<std::mutex> lock(mutex_);  // the tail
      if (const TailEntry* tail = tail_.At(position);
          tail != nullptr && tail->hash == stored.hash) {
        height = tail->height;
      }
    }
    std::vector<IndexRecord> candidates;
    if (height == 0) {
      WEFT_RETURN_IF_ERROR(IndexCandidates(store_, stored.hash, &candidates));
    }
    for (const IndexRecord& candidate : candidates) {
      if (candidate.position == position) height = candidate.height;
    }
  }
  if (height == 0) {
    return Status::Corruption("index entry missing or wrong for", At(position));
  }
  Result<Change> change = dag::DecodeChange(stored.bytes);
  if (!change.ok()) {
    return Status::Corruption(At(position) + " does not decode",
                              change.status().message());
  }
  stored.change = std::move(change).value();
  stored.position = position;
  stored.height = height;
  return stored;
}

Result<StoredChange> ChangeLog::GetChange(const Hash& hash) const {
  IndexEntry entry;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Status status = LookupIndex(hash, Batch(), &entry);
    if (status.IsNotFound()) return Status::NotFound("no change", hash.ToHex());
    WEFT_RETURN_IF_ERROR(status);
  }
  return ReadAt(entry.position, &hash);
}

Result<StoredChange> ChangeLog::GetChangeAt(uint64_t position) const {
  return ReadAt(position, nullptr);
}

// The stored hashes that start with `prefix` (and then `trailing_nibble`,
// if >= 0), at most two: all in one bucket, since an abbreviation has at
// least 16 bits. Records whose 26 known bits disagree are skipped; the
// others are read.
Status ChangeLog::MatchIndexed(const std::string& prefix, int trailing_nibble,
                               std::vector<Hash>* matches) const {
  Hash target;
  std::copy(prefix.begin(), prefix.end(), target.bytes.begin());
  if (trailing_nibble >= 0) {
    target.bytes[prefix.size()] = static_cast<uint8_t>(trailing_nibble << 4);
  }
  size_t known_bits = prefix.size() * 8 + (trailing_nibble >= 0 ? 4 : 0);
  auto starts_with_target = [&](const Hash& hash) {
    size_t whole = known_bits / 8;
    if (!std::equal(target.bytes.begin(), target.bytes.begin() + whole,
                    hash.bytes.begin())) {
      return false;
    }
    return known_bits % 8 == 0 ||
           (hash.bytes[whole] >> 4) == (target.bytes[whole] >> 4);
  };
  {
    std::lock_guard<std::mutex> lock(mutex_);  // the tail
    for (uint64_t position = tail_.first();
         position < tail_.first() + tail_.size(); ++position) {
      const Hash& hash = tail_.At(position)->hash;
      if (starts_with_target(hash)) matches->push_back(hash);
      if (matches->size() == 2) return Status::OK();
    }
  }
  std::string value;
  Status status = store_->Get(Family::kIndex, IndexBucketKey(target), &value);
  if (status.IsNotFound()) return Status::OK();
  WEFT_RETURN_IF_ERROR(status);
  std::vector<IndexRecord> records;
  if (!DecodeIndexBucket(value, &records)) {
    return Status::Corruption("index: malformed bucket");
  }
  // The tag holds the bits after the bucket's: compare those that are known.
  int tag_bits =
      static_cast<int>(std::min<size_t>(known_bits, kIndexedBitCount)) -
      kIndexBucketBits;
  uint16_t tag_mask = static_cast<uint16_t>(0xffff << (16 - tag_bits));
  uint16_t target_tag = IndexTag(target) & tag_mask;
  for (const IndexRecord& record : records) {
    if ((record.tag & tag_mask) != target_tag) continue;
    Hash hash;
    std::string bytes;
    WEFT_RETURN_IF_ERROR(ReadLoggedChange(store_, &run_cache_, record.position,
                                          &hash, &bytes, nullptr));
    if (IndexedBits(hash) != IndexedBits(IndexBucketKey(target), record.tag)) {
      return Status::Corruption("stored change fails its hash at",
                                At(record.position));
    }
    if (!starts_with_target(hash)) continue;
    if (std::find(matches->begin(), matches->end(), hash) == matches->end()) {
      matches->push_back(hash);
    }
    if (matches->size() == 2) break;
  }
  return Status::OK();
}

Result<Hash> ChangeLog::ResolveHashPrefix(std::string_view hex_prefix) const {
  if (hex_prefix.size() < 4) {
    return Status::InvalidArgument("a hash abbreviation needs 4+ hex digits");
  }
  std::string prefix;
  int trailing_nibble;
  WEFT_RETURN_IF_ERROR(ParseHexPrefix(hex_prefix, &prefix, &trailing_nibble));
  // An odd digit count leaves a high nibble: start at the first key with it.
  std::string target = prefix;
  if (trailing_nibble >= 0)
    target.push_back(static_cast<char>(trailing_nibble << 4));
  std::vector<Hash> matches;
  if (legacy_index_) {
    auto it = store_->NewIterator(Family::kIndex);
    for (it->Seek(target); it->Valid() && matches.size() < 2; it->Next()) {
      std::string_view key = it->key();
      if (key.size() != Hash::kSize || key.substr(0, prefix.size()) != prefix) {
        break;
      }
      uint8_t next_byte = static_cast<uint8_t>(key[prefix.size()]);
      if (trailing_nibble >= 0 && next_byte >> 4 != trailing_nibble) break;
      matches.push_back(Hash::FromBytes(key));
    }
    WEFT_RETURN_IF_ERROR(it->status());
  } else {
    WEFT_RETURN_IF_ERROR(MatchIndexed(prefix, trailing_nibble, &matches));
  }
  if (matches.empty()) {
    return Status::NotFound("no change matches", hex_prefix);
  }
  if (matches.size() > 1) {
    return Status::InvalidArgument("ambiguous hash abbreviation", hex_prefix);
  }
  return matches[0];
}

Status ChangeLog::WalkLog(
    uint64_t first_position,
    const std::function<bool(uint64_t, const Hash&, std::string_view)>& visit)
    const {
  return WalkLogEntries(
      store_, &run_cache_, first_position,
      [&](uint64_t position, const Hash& hash, std::string_view bytes,
          const Change*) { return visit(position, hash, bytes); });
}

Status ChangeLog::ScanLog(
    uint64_t first_position,
    const std::function<bool(uint64_t, const Hash&)>& visit) const {
  return WalkLog(first_position,
                 [&](uint64_t position, const Hash& hash, std::string_view) {
                   return visit(position, hash);
                 });
}

Status ChangeLog::ForEachLogged(
    const std::function<bool(uint64_t, const Hash&, std::string_view)>& visit)
    const {
  return WalkLog(1, visit);
}

uint64_t ChangeLog::LogLength() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return log_length_;
}

std::vector<Hash> ChangeLog::Heads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Hash> heads;
  for (const auto& [head, entry] : heads_) heads.push_back(head);
  std::sort(heads.begin(), heads.end());
  return heads;
}

std::vector<ActorState> ChangeLog::Actors() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ActorState> actors;
  for (const auto& [actor, entry] : actors_) {
    actors.push_back({actor, entry.seq, entry.last_hash, entry.end_op});
  }
  return actors;
}

size_t ChangeLog::PendingCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size();
}

}  // namespace weft::engine
