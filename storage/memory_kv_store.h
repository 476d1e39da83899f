// An in-memory KvStore for unit tests of the core. Never used by DB::Open.
#pragma once

#include <memory>

#include "storage/kv_store.h"

namespace weft::storage {

std::unique_ptr<KvStore> NewMemoryKvStore();

}  // namespace weft::storage
