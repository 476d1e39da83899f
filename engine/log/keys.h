// Keys and values of the log's families (format: engine/FORMAT.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weft/change.h"
#include "weft/hash.h"

namespace weft::engine {

constexpr std::string_view kMetaFormatVersion = "format_version";
constexpr std::string_view kMetaActor = "actor";
constexpr std::string_view kMetaHeads = "heads";
// The log position that `heads` and the `actors` family reflect (u64
// big-endian); the changes after it are replayed on open.
constexpr std::string_view kMetaHeadsAt = "heads_at";
// The log position through which the log is packed into runs.
constexpr std::string_view kMetaPackedThrough = "packed_through";
// The log position through which the index and seqs families hold the
// log's changes (format 7; absent: 0).
constexpr std::string_view kMetaIndexedThrough = "indexed_through";
// 2: the seqs family; 3: heads in meta, log values without their hash;
// 4: heads and actors written at checkpoints (`heads_at`), not per commit;
// 5: signed authorship (actors named by keys, chains, proofs); 6: a log
// that may hold runs; 7: the index in hash buckets, seqs as ranges
// (log_index.h); 8: small documents' states as rows (doc_store.cc).
constexpr std::string_view kFormatVersion = "8";
// Format 7: no rows, and a document may have no state entry. Read as it is
// by a read-only open; a writable open rewrites the docs family's states
// and records 8 (DocStore::MoveToRows).
constexpr std::string_view kFormatVersionBeforeRows = "7";
// Format 6: an index entry per hash and a seqs entry per seq. Format 5:
// that, and every log entry one change's bytes (no runs). Both are read as
// they are by a read-only open; a writable open rebuilds the index and
// seqs families and records 7 (ChangeLog::MoveToCompactIndex), then moves
// on to 8.
constexpr std::string_view kFormatVersionBeforeCompactIndex = "6";
constexpr std::string_view kFormatVersionBeforeRuns = "5";
constexpr std::string_view kMetaIdempotency = "idempotency/";
// proof/ actor (16) seq (u64 big-endian) -> signature (64) || tail hashes.
constexpr std::string_view kMetaProof = "proof/";
std::string EncodeProofKey(const ActorId& actor, uint64_t seq);
// The actor and seq of a proof key; false if `key` is not one.
bool DecodeProofKey(std::string_view key, ActorId* actor, uint64_t* seq);

// log key: position as 8 big-endian bytes, so key order is log order.
std::string EncodePosition(uint64_t position);
bool DecodePosition(std::string_view key, uint64_t* position);

// seqs key: actor (16 bytes) then seq (u64 big-endian): of a seq range
// (log_index.h), its first seq.
std::string EncodeSeqKey(const ActorId& actor, uint64_t seq);

// A string inside a composite key: 0x00 escaped as 0x00 0xFF, ended by
// 0x00 0x01, so that keys sort by their parts and no part is a prefix of
// another. ReadEscaped returns false if malformed.
void AppendEscaped(std::string* out, std::string_view text);
bool ReadEscaped(std::string_view* in, std::string* out);

// index value: position, height, end_op as three big-endian u64.
// (ReadLoggedChange, below, reads a log entry without the log's lock.)
struct IndexEntry {
  uint64_t position = 0;
  uint64_t height = 0;
  uint64_t end_op = 0;
};
std::string EncodeIndexEntry(const IndexEntry& entry);
bool DecodeIndexEntry(std::string_view value, IndexEntry* entry);

// meta `heads` value: each head's hash (32 bytes) and index entry, in hash
// order.
struct HeadEntry {
  Hash hash;
  IndexEntry entry;
};
std::string EncodeHeads(const std::vector<HeadEntry>& heads);
bool DecodeHeads(std::string_view value, std::vector<HeadEntry>* heads);

// actors value: seq (u64), last hash (32 bytes), end_op (u64), chain
// digest after seq (32, dag/authorship.h), the actor's key (32).
struct ActorEntry {
  uint64_t seq = 0;
  Hash last_hash;
  uint64_t end_op = 0;
  Hash chain;
  std::string key;
};
std::string EncodeActorEntry(const ActorEntry& entry);
bool DecodeActorEntry(std::string_view value, ActorEntry* entry);

}  // namespace weft::engine
