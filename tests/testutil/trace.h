// The editing traces of ../shared/data/traces (format in their README).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/utf.h"

namespace weft::testing {

struct TracePatch {
  uint64_t position;  // in code points
  uint64_t delete_count;
  std::u32string insert;
};

struct Trace {
  std::u32string end_content;
  std::vector<TracePatch> patches;  // in order (one txn may hold several)
};

// The folder of shared test data: $WEFT_DATA_DIR, else ../shared/data
// relative to the source tree.
std::string DataDir();

// Loads a gzipped JSON trace. Returns false with *error set when the file
// is absent or malformed.
bool LoadTrace(const std::string& path, Trace* trace, std::string* error);

using ::weft::Utf32ToUtf8;
using ::weft::Utf8ToUtf32;

}  // namespace weft::testing
