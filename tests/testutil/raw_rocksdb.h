// A plain RocksDB database (only the default family, default options), as
// another program would make one: for tests of what weft refuses and for
// baselines in the benchmarks.
#pragma once

#include <memory>
#include <string>

#include "rocksdb/db.h"

namespace weft::testing {

// Null if it cannot be opened.
inline std::unique_ptr<rocksdb::DB> OpenRawRocksDb(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(options, path, &raw).ok()) return nullptr;
  return std::unique_ptr<rocksdb::DB>(raw);
}

}  // namespace weft::testing
