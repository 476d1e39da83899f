// A batch of changes as sent in one Changes message, compressed with zstd.
// A change's bytes go as they are, except that a parent hash that is the
// hash of an earlier change of the same batch (the usual case: the
// previous one) is cut out and replaced by a reference: the receiver
// computes that hash anyway, and 32 random bytes per change are what zstd
// cannot shrink. The receiver restores the exact bytes. Decoding is
// bounded: a hostile payload cannot make it allocate more than the limits
// allow.
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
