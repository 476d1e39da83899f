// The RocksDB adapter of the storage port. This header includes no RocksDB
// header: only rocksdb_kv_store.cc sees RocksDB.
#pragma once

#include <memory>
#include <string>

#include "storage/fault_plan.h"
#include "storage/kv_store.h"
#include "weft/status.h"

namespace weft::storage {

struct RocksDbStoreOptions {
  bool create_if_missing = true;
  bool error_if_exists = false;
  // Reads only: nothing is written to the folder (no log, no metadata),
  // no lock is taken, and Write returns NotSupported.
  bool read_only = false;
  // Bounds RocksDB's memory: memtables a quarter (one write buffer
  // manager, charged to the block cache), the block cache an eighth
  // (weft::Options::memory_budget_bytes; at least 4 MiB is used).
  size_t memory_budget_bytes = 256u << 20;
  // Tests only: faults injected into every write, sync, rename and file
  // creation (storage/fault_plan.h). Null: none.
  std::shared_ptr<FaultPlan> faults;
};

// Opens (or creates) the store in folder `path` with every family of
// DESIGN.md §5. Busy if another process holds the database open (unless
// read-only: then it reads the database as it was when opened).
Result<std::unique_ptr<KvStore>> OpenRocksDbKvStore(
    const std::string& path, const RocksDbStoreOptions& options);

// The version of the RocksDB library linked, as "MAJOR.MINOR.PATCH".
std::string RocksDbVersion();

}  // namespace weft::storage
