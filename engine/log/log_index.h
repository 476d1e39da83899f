// The index and seqs families of format 7 (engine/FORMAT.md, "Index and
// seqs"): what finds a change by its hash, and an actor's changes by seq,
// in a few bytes a change.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/kv_store.h"
#include "weft/change.h"
#include "weft/hash.h"
#include "weft/status.h"

namespace weft::engine {

// index: hashes in 1024 buckets. A bucket's key is the first 10 bits of
// its hashes (2 bytes, big-endian); its value, the records of its hashes,
// appended in log order (WriteBatch::Append), each
//   tag (hash bits 10..25, 2 bytes big-endian) || varint position ||
//   varint (position - height).
// A record names a position, not a hash: a reader checks the full hash of
// the change it reads there.
constexpr int kIndexBucketBits = 10;
constexpr int kIndexedBitCount = kIndexBucketBits + 16;  // bucket and tag
std::string IndexBucketKey(const Hash& hash);
uint16_t IndexTag(const Hash& hash);
// The kIndexedBitCount bits of a hash that its bucket and tag hold.
uint32_t IndexedBits(const Hash& hash);
uint32_t IndexedBits(std::string_view bucket_key, uint16_t tag);
void AppendIndexRecord(std::string* bucket, const Hash& hash, uint64_t position,
                       uint64_t height);

struct IndexRecord {
  uint16_t tag = 0;
  uint64_t position = 0;
  uint64_t height = 0;
};
// False if `value` is not a bucket's records.
bool DecodeIndexBucket(std::string_view value,
                       std::vector<IndexRecord>* records);
// The records of `hash`'s bucket whose tag is its tag: every position that
// may hold it (usually one; none if it is not stored).
Status IndexCandidates(storage::KvStore* store, const Hash& hash,
                       std::vector<IndexRecord>* candidates);

// seqs: an actor's changes as ranges of consecutive seqs at consecutive
// log positions. key: actor (16) || first seq (u64 big-endian); value:
// varint first position || varint count (>= 1).
struct SeqRange {
  uint64_t first_seq = 0;
  uint64_t first_position = 0;
  uint64_t count = 0;
  bool Holds(uint64_t seq) const {
    return seq >= first_seq && seq - first_seq < count;
  }
  uint64_t PositionOf(uint64_t seq) const {
    return first_position + (seq - first_seq);
  }
  // Takes `seq` at `position` if they follow the range's last; false (the
  // range unchanged) otherwise.
  bool Extend(uint64_t seq, uint64_t position) {
    if (count == 0 || first_seq + count != seq ||
        first_position + count != position) {
      return false;
    }
    ++count;
    return true;
  }
};
std::string EncodeSeqRange(const SeqRange& range);
// False if the key and value are not a range's.
bool DecodeSeqRange(std::string_view key, std::string_view value,
                    ActorId* actor, SeqRange* range);
// The range holding `actor`'s `seq`; NotFound if none does.
Status FindSeqRange(storage::KvStore* store, const ActorId& actor, uint64_t seq,
                    SeqRange* range);

// Formats 5 and 6 (read as they are by a read-only open): an index entry
// per hash (keys.h, IndexEntry) and a seqs entry per seq (value: the
// position, 8 bytes big-endian).
Status LegacySeqPosition(storage::KvStore* store, const ActorId& actor,
                         uint64_t seq, uint64_t* position);

// The log positions of `actor`'s seqs after..last, in seq order.
Status PositionsOfSeqs(storage::KvStore* store, bool legacy,
                       const ActorId& actor, uint64_t after, uint64_t last,
                       std::vector<uint64_t>* positions);

}  // namespace weft::engine
