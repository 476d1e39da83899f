// The entries of the `log` family (engine/FORMAT.md, "Packed log"). A
// value is either one change's exact bytes, under its position, or a run
// of the changes at positions last - count + 1 .. last (dag/change_run.h),
// under `last`. Recent changes are single entries (cheap to append); the
// log packs older ones into runs (ChangeLog::PackLog).
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dag/change_run.h"
#include "storage/kv_store.h"
#include "weft/change.h"
#include "weft/hash.h"
#include "weft/status.h"

namespace weft::engine {

// True if a log value is a run (a change's bytes never start so).
bool IsRunEntry(std::string_view value);

using DecodedRun = std::vector<dag::RunChange>;

// The runs decoded last, shared by every reader (thread-safe): a read
// inside a run decodes the whole run once, not once per change. It keeps
// about kBytesKept of decoded runs (a replay of each document's history in
// turn, as verify does, then decodes each run once while the log's runs
// fit).
class RunCache {
 public:
  static constexpr size_t kBytesKept = 32u << 20;  // the default
  explicit RunCache(size_t bytes_kept = kBytesKept) : bytes_kept_(bytes_kept) {}
  // The run stored under position `last`, whose value is `value`.
  Result<std::shared_ptr<const DecodedRun>> Decode(uint64_t last,
                                                   std::string_view value);

 private:
  struct Cached {
    uint64_t last;
    std::shared_ptr<const DecodedRun> run;
    size_t bytes;  // an estimate of what it holds in memory
  };
  const size_t bytes_kept_;
  std::mutex mutex_;
  std::list<Cached> runs_;
  std::unordered_map<uint64_t, std::list<Cached>::iterator> by_last_;
  size_t bytes_ = 0;
};

// Calls visit(position, hash, bytes, change) for each change of the entry
// under `key_position` (one, or all of a run's, in order); `change` is
// always null for now (the fields are not kept: decode the bytes).
// Corruption if the run does not decode or does not end at its key;
// `cache` may be null.
using LoggedVisitor =
    std::function<bool(uint64_t, const Hash&, std::string_view, const Change*)>;
Status ExpandLogEntry(uint64_t key_position, std::string_view value,
                      RunCache* cache, const LoggedVisitor& visit,
                      bool* stopped);

// Reads the change at `position`, a single entry or inside a run: its
// hash (computed from the bytes), its bytes and, if `change` is not null,
// its fields. Needs no lock (an entry only ever becomes part of a run,
// atomically). NotFound if there is none.
Status ReadLogEntry(storage::KvStore* store, RunCache* cache, uint64_t position,
                    Hash* hash, std::string* bytes, Change* change);

// Visits the changes from `first` on, in log order, until visit returns
// false.
Status WalkLogEntries(storage::KvStore* store, RunCache* cache, uint64_t first,
                      const LoggedVisitor& visit);

}  // namespace weft::engine
