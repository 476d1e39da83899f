// The versions of weft and of the storage engine it was built with.
#pragma once

#include <string>

namespace weft {

// weft's version, as "MAJOR.MINOR.PATCH".
std::string Version();
// The storage engine's name and version, as "RocksDB MAJOR.MINOR.PATCH".
std::string StorageVersion();

}  // namespace weft
