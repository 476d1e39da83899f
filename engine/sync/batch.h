// A batch of changes as sent in one Changes message: their exact bytes,
// length-prefixed, compressed with zstd. Decoding is bounded: a hostile
// payload cannot make it allocate more than the limits allow.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft::engine::sync {

constexpr size_t kBatchChangesMax = 4096;
constexpr size_t kBatchBytesMax = 8u << 20;  // uncompressed

std::string EncodeBatch(const std::vector<std::string>& changes);
// Corruption for anything malformed, over a limit, or not `count` changes.
Result<std::vector<std::string>> DecodeBatch(std::string_view payload,
                                             size_t count);

}  // namespace weft::engine::sync
