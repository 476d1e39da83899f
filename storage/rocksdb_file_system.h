// The file system weft gives RocksDB: the default one, without RocksDB's
// OPTIONS file, with the write-ahead log written through a shared memory
// map, and (tests only) with a FaultPlan consulted by every write, sync,
// rename and file creation. Part of the RocksDB adapter.
#pragma once

#include <memory>
#include <string_view>

#include "rocksdb/file_system.h"
#include "storage/fault_plan.h"

namespace weft::storage {

// `base` wrapped as above; `faults` may be null (no faults).
std::shared_ptr<rocksdb::FileSystem> NewWeftFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base,
    std::shared_ptr<FaultPlan> faults);

// True for the name (or path) of a RocksDB OPTIONS file.
bool IsOptionsFile(std::string_view name);

}  // namespace weft::storage
