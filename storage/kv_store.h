// The storage port: the few things the engine needs from a key-value store.
// It knows nothing of changes or views; the engine knows nothing of RocksDB.
//
// Implementations: rocksdb_kv_store (the real one) and memory_kv_store (unit
// tests of the core). Both must give a Write all-or-nothing atomicity.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::storage {

// The column families of DESIGN.md §5, except that a change's bytes live in
// its log entry rather than in a separate hash-keyed family (see
// engine/FORMAT.md for why). Keys in different families never collide; each
// family may be tuned on its own.
enum class Family : uint8_t {
  kLog = 0,  // log position (big-endian u64) -> a change, or a run of them
  kIndex,    // hash bucket -> log positions and heights of its hashes
  kActors,   // actor -> last seq, last hash, end op
  kDocs,     // collection/key -> document state
  kViews,    // view rows and definitions
  kPeers,    // peer id -> last sync state
  kMeta,     // format version, actor id, heads, ...
  kSeqs,     // actor, first seq -> log positions of a range of its seqs
};
constexpr int kFamilyCount = 8;
const char* FamilyName(Family family);

// A set of writes applied atomically by KvStore::Write. Not thread-safe.
class WriteBatch {
 public:
  virtual ~WriteBatch() = default;
  virtual void Put(Family family, std::string_view key,
                   std::string_view value) = 0;
  virtual void Delete(Family family, std::string_view key) = 0;
  // Appends `bytes` to the key's value (an absent key's value is empty)
  // without reading it: many small appends to one key cost what the
  // bytes do (the index's buckets, engine/FORMAT.md).
  virtual void Append(Family family, std::string_view key,
                      std::string_view bytes) = 0;
  // Deletes every key in [begin, end), atomically with the rest.
  virtual void DeleteRange(Family family, std::string_view begin,
                           std::string_view end) = 0;
  virtual size_t Count() const = 0;
  virtual void Clear() = 0;
};

// A forward/backward cursor over one family in key order. It sees a
// consistent snapshot taken when it was created.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  // Not OK if the iteration stopped on an error rather than at the end.
  virtual Status status() const = 0;
};

// Thread-safe: all methods may be called concurrently.
class KvStore {
 public:
  virtual ~KvStore() = default;

  // Fills *value; NotFound if the key is absent (value left unchanged).
  virtual Status Get(Family family, std::string_view key,
                     std::string* value) = 0;
  virtual std::unique_ptr<WriteBatch> NewBatch() = 0;
  // Applies every write of `batch` or none. With `sync`, returns only once
  // the writes are durable on stable storage.
  virtual Status Write(WriteBatch* batch, bool sync) = 0;
  virtual std::unique_ptr<Iterator> NewIterator(Family family) = 0;
  // Writes a consistent, openable copy of the store to the new folder `dir`.
  virtual Status Checkpoint(const std::string& dir) = 0;
  // Bytes the store occupies on disk (0 for a memory store).
  virtual uint64_t ApproximateSizeBytes() = 0;
  // Reads every stored block of every family and checks its checksum:
  // Corruption naming the first damaged file.
  virtual Status VerifyChecksums() = 0;
  // OK, or the failure every write returns since one failed on the disk
  // (until the store is opened again).
  virtual Status WriteFailure() = 0;
};

}  // namespace weft::storage
