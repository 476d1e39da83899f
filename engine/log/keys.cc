#include "engine/log/keys.h"

#include <cstring>

namespace weft::engine {
namespace {

void PutFixed64BigEndian(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>(value >> shift & 0xff));
  }
}

uint64_t GetFixed64BigEndian(const char* data) {
  uint64_t value = 0;
  for (int byte_idx = 0; byte_idx < 8; ++byte_idx) {
    value = value << 8 | static_cast<uint8_t>(data[byte_idx]);
  }
  return value;
}

}  // namespace

std::string EncodePosition(uint64_t position) {
  std::string key;
  key.reserve(8);
  PutFixed64BigEndian(&key, position);
  return key;
}

bool DecodePosition(std::string_view key, uint64_t* position) {
  if (key.size() != 8) return false;
  *position = GetFixed64BigEndian(key.data());
  return true;
}

std::string EncodeIndexEntry(const IndexEntry& entry) {
  std::string value;
  value.reserve(24);
  PutFixed64BigEndian(&value, entry.position);
  PutFixed64BigEndian(&value, entry.height);
  PutFixed64BigEndian(&value, entry.end_op);
  return value;
}

bool DecodeIndexEntry(std::string_view value, IndexEntry* entry) {
  if (value.size() != 24) return false;
  entry->position = GetFixed64BigEndian(value.data());
  entry->height = GetFixed64BigEndian(value.data() + 8);
  entry->end_op = GetFixed64BigEndian(value.data() + 16);
  return true;
}

std::string EncodeHeads(const std::vector<HeadEntry>& heads) {
  std::string value;
  value.reserve(heads.size() * (Hash::kSize + 24));
  for (const HeadEntry& head : heads) {
    value.append(head.hash.AsStringView());
    value.append(EncodeIndexEntry(head.entry));
  }
  return value;
}

bool DecodeHeads(std::string_view value, std::vector<HeadEntry>* heads) {
  constexpr size_t kEntrySize = Hash::kSize + 24;
  if (value.size() % kEntrySize != 0) return false;
  heads->clear();
  for (size_t at = 0; at < value.size(); at += kEntrySize) {
    HeadEntry head;
    head.hash = Hash::FromBytes(value.substr(at, Hash::kSize));
    if (!DecodeIndexEntry(value.substr(at + Hash::kSize, 24), &head.entry) ||
        (!heads->empty() && !(heads->back().hash < head.hash))) {
      return false;
    }
    heads->push_back(head);
  }
  return true;
}

constexpr size_t kActorKeySize = 32;
constexpr size_t kActorEntrySize = 48 + Hash::kSize + kActorKeySize;

std::string EncodeActorEntry(const ActorEntry& entry) {
  std::string value;
  value.reserve(kActorEntrySize);
  PutFixed64BigEndian(&value, entry.seq);
  value.append(entry.last_hash.AsStringView());
  PutFixed64BigEndian(&value, entry.end_op);
  value.append(entry.chain.AsStringView());
  value.append(entry.key);
  value.resize(kActorEntrySize);
  return value;
}

bool DecodeActorEntry(std::string_view value, ActorEntry* entry) {
  if (value.size() != kActorEntrySize) return false;
  entry->seq = GetFixed64BigEndian(value.data());
  entry->last_hash = Hash::FromBytes(value.substr(8, Hash::kSize));
  entry->end_op = GetFixed64BigEndian(value.data() + 40);
  entry->chain = Hash::FromBytes(value.substr(48, Hash::kSize));
  entry->key = std::string(value.substr(48 + Hash::kSize));
  return true;
}

std::string EncodeProofKey(const ActorId& actor, uint64_t seq) {
  std::string key(kMetaProof);
  key.append(actor.AsStringView());
  PutFixed64BigEndian(&key, seq);
  return key;
}

bool DecodeProofKey(std::string_view key, ActorId* actor, uint64_t* seq) {
  if (key.size() != kMetaProof.size() + ActorId::kSize + 8 ||
      key.substr(0, kMetaProof.size()) != kMetaProof) {
    return false;
  }
  key.remove_prefix(kMetaProof.size());
  std::memcpy(actor->bytes.data(), key.data(), ActorId::kSize);
  *seq = GetFixed64BigEndian(key.data() + ActorId::kSize);
  return true;
}

std::string EncodeSeqKey(const ActorId& actor, uint64_t seq) {
  return std::string(actor.AsStringView()) + EncodePosition(seq);
}

void AppendEscaped(std::string* out, std::string_view text) {
  for (char c : text) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

bool ReadEscaped(std::string_view* in, std::string* out) {
  out->clear();
  while (in->size() >= 2) {
    if ((*in)[0] != '\0') {
      out->push_back((*in)[0]);
      in->remove_prefix(1);
    } else if ((*in)[1] == '\x01') {
      in->remove_prefix(2);
      return true;
    } else if ((*in)[1] == '\xff') {
      out->push_back('\0');
      in->remove_prefix(2);
    } else {
      return false;
    }
  }
  return false;
}

}  // namespace weft::engine
