#include "weft/version.h"

#include "storage/rocksdb_kv_store.h"

namespace weft {

std::string Version() { return WEFT_VERSION; }

std::string StorageVersion() { return "RocksDB " + storage::RocksDbVersion(); }

}  // namespace weft
