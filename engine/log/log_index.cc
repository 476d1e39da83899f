#include "engine/log/log_index.h"

#include <algorithm>

#include "base/varint.h"
#include "engine/log/keys.h"

namespace weft::engine {

using storage::Family;

namespace {

uint32_t HashBits(const Hash& hash) {  // the hash's first 32 bits
  const uint8_t* bytes = hash.bytes.data();
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 |
         uint32_t{bytes[2]} << 8 | bytes[3];
}

// Positions `it` at the last entry with a key <= `target`, if any.
void SeekAtOrBefore(storage::Iterator* it, std::string_view target) {
  it->Seek(target);
  if (!it->Valid()) {
    it->SeekToLast();
  } else if (it->key() != target) {
    it->Prev();
  }
}

}  // namespace

std::string IndexBucketKey(const Hash& hash) {
  uint32_t bucket = HashBits(hash) >> (32 - kIndexBucketBits);
  return {static_cast<char>(bucket >> 8), static_cast<char>(bucket & 0xff)};
}

uint16_t IndexTag(const Hash& hash) {
  return static_cast<uint16_t>(HashBits(hash) >> (16 - kIndexBucketBits));
}

uint32_t IndexedBits(const Hash& hash) {
  return HashBits(hash) >> (32 - kIndexedBitCount);
}

uint32_t IndexedBits(std::string_view bucket_key, uint16_t tag) {
  uint32_t bucket = static_cast<uint8_t>(bucket_key[0]) << 8 |
                    static_cast<uint8_t>(bucket_key[1]);
  return bucket << 16 | tag;
}

void AppendIndexRecord(std::string* bucket, const Hash& hash, uint64_t position,
                       uint64_t height) {
  uint16_t tag = IndexTag(hash);
  bucket->push_back(static_cast<char>(tag >> 8));
  bucket->push_back(static_cast<char>(tag & 0xff));
  PutVarint(bucket, position);
  PutVarint(bucket, position - height);
}

bool DecodeIndexBucket(std::string_view value,
                       std::vector<IndexRecord>* records) {
  while (!value.empty()) {
    if (value.size() < 2) return false;
    IndexRecord record;
    record.tag = static_cast<uint16_t>(static_cast<uint8_t>(value[0]) << 8 |
                                       static_cast<uint8_t>(value[1]));
    value.remove_prefix(2);
    uint64_t below;
    if (!GetVarint(&value, &record.position) || !GetVarint(&value, &below) ||
        record.position == 0 || below >= record.position) {
      return false;  // heights start at 1 and never pass the position
    }
    record.height = record.position - below;
    records->push_back(record);
  }
  return true;
}

Status IndexCandidates(storage::KvStore* store, const Hash& hash,
                       std::vector<IndexRecord>* candidates) {
  std::string value;
  Status status = store->Get(Family::kIndex, IndexBucketKey(hash), &value);
  if (status.IsNotFound()) return Status::OK();
  WEFT_RETURN_IF_ERROR(status);
  std::vector<IndexRecord> records;
  if (!DecodeIndexBucket(value, &records)) {
    return Status::Corruption("index: malformed bucket of", hash.ToHex());
  }
  uint16_t tag = IndexTag(hash);
  for (const IndexRecord& record : records) {
    if (record.tag == tag) candidates->push_back(record);
  }
  return Status::OK();
}

std::string EncodeSeqRange(const SeqRange& range) {
  std::string value;
  PutVarint(&value, range.first_position);
  PutVarint(&value, range.count);
  return value;
}

bool DecodeSeqRange(std::string_view key, std::string_view value,
                    ActorId* actor, SeqRange* range) {
  if (key.size() != ActorId::kSize + 8 ||
      !DecodePosition(key.substr(ActorId::kSize), &range->first_seq) ||
      !GetVarint(&value, &range->first_position) ||
      !GetVarint(&value, &range->count) || !value.empty() ||
      range->count == 0 || range->first_seq == 0 ||
      range->first_position == 0 ||
      range->count > UINT64_MAX - range->first_seq ||
      range->count > UINT64_MAX - range->first_position) {
    return false;
  }
  *actor = ActorId::FromBytes(key.substr(0, ActorId::kSize));
  return true;
}

Status FindSeqRange(storage::KvStore* store, const ActorId& actor, uint64_t seq,
                    SeqRange* range) {
  auto it = store->NewIterator(Family::kSeqs);
  SeekAtOrBefore(it.get(), EncodeSeqKey(actor, seq));
  WEFT_RETURN_IF_ERROR(it->status());
  ActorId found;
  if (!it->Valid() || !it->key().starts_with(actor.AsStringView())) {
    return Status::NotFound("seqs: no range holds seq", std::to_string(seq));
  }
  if (!DecodeSeqRange(it->key(), it->value(), &found, range)) {
    return Status::Corruption("seqs: malformed range");
  }
  if (!range->Holds(seq)) {
    return Status::NotFound("seqs: no range holds seq", std::to_string(seq));
  }
  return Status::OK();
}

Status LegacySeqPosition(storage::KvStore* store, const ActorId& actor,
                         uint64_t seq, uint64_t* position) {
  std::string value;
  WEFT_RETURN_IF_ERROR(
      store->Get(Family::kSeqs, EncodeSeqKey(actor, seq), &value));
  if (!DecodePosition(value, position)) {
    return Status::Corruption("seqs: malformed entry");
  }
  return Status::OK();
}

Status PositionsOfSeqs(storage::KvStore* store, bool legacy,
                       const ActorId& actor, uint64_t after, uint64_t last,
                       std::vector<uint64_t>* positions) {
  if (after >= last) return Status::OK();
  auto it = store->NewIterator(Family::kSeqs);
  std::string end = EncodeSeqKey(actor, last);
  if (legacy) {
    for (it->Seek(EncodeSeqKey(actor, after + 1));
         it->Valid() && it->key() <= end; it->Next()) {
      uint64_t position;
      if (!DecodePosition(it->value(), &position)) {
        return Status::Corruption("seqs: malformed entry");
      }
      positions->push_back(position);
    }
    return it->status();
  }
  // From the range holding after + 1 (which may start before it) on.
  SeekAtOrBefore(it.get(), EncodeSeqKey(actor, after + 1));
  if (!it->Valid() || !it->key().starts_with(actor.AsStringView())) {
    it->Seek(EncodeSeqKey(actor, after + 1));
  }
  for (; it->Valid() && it->key() <= end; it->Next()) {
    ActorId found;
    SeqRange range;
    if (!DecodeSeqRange(it->key(), it->value(), &found, &range)) {
      return Status::Corruption("seqs: malformed range");
    }
    if (found != actor) continue;
    uint64_t from = std::max(range.first_seq, after + 1);
    uint64_t to = std::min(range.first_seq + range.count - 1, last);
    for (uint64_t seq = from; seq <= to; ++seq) {
      positions->push_back(range.PositionOf(seq));
    }
  }
  return it->status();
}

}  // namespace weft::engine
