// Bundles: a replica's changes in causal order plus its heads, in one
// self-verifying byte string (format below and in engine/FORMAT.md).
//
//   bundle  := magic "WEFTBNDL", version u32 little-endian (= 2),
//              varint change_count, change_count × (varint size, bytes),
//              varint head_count, head_count × 32-byte hash,
//              varint view_count, view_count × (varint size, definition
//              JSON)  (version 2 only; version 1 is read too),
//              SHA-256 of everything before it (32 bytes)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "weft/hash.h"
#include "weft/status.h"

namespace weft::engine {

struct Bundle {
  std::vector<std::string> changes;  // exact change bytes, causal order
  std::vector<Hash> heads;
  std::vector<std::string> views;  // ViewDefinition::ToJson of each view
};

std::string EncodeBundle(const Bundle& bundle);
// Verifies the trailing checksum first, then the framing. Corruption on
// any mismatch, truncation or trailing byte; nothing is returned then.
Result<Bundle> DecodeBundle(std::string_view bytes);

}  // namespace weft::engine
