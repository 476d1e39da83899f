// Bundles: a replica's changes in causal order plus its heads, in one
// self-verifying byte string (format below and in engine/FORMAT.md).
//
//   bundle  := magic "WEFTBNDL", version u32 little-endian (= 4),
//              varint change_count, varint run_count,
//              run_count × (varint size, run (dag/change_run.h)),
//              varint head_count, head_count × 32-byte hash,
//              varint view_count, view_count × (varint size, definition
//              JSON),
//              varint proofs_size, proofs (dag/authorship.h EncodeProofs:
//              who wrote the changes),
//              SHA-256 of everything before it (32 bytes)
//
// The runs hold change_count changes in all, each run at most 65536 of
// them. Version 3 (the same, but each change's bytes as they are:
// change_count × (varint size, bytes) instead of the runs; 70 MB for the
// editing trace) is still read. Versions 1 and 2 (without views, without
// proofs) are refused: their changes are unsigned.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dag/change_run.h"
#include "dag/sha256.h"
#include "weft/hash.h"
#include "weft/status.h"

namespace weft::engine {

struct Bundle {
  // Causal order; once decoded, each rebuilt from its run and re-hashed.
  std::vector<dag::RunChange> changes;
  std::vector<Hash> heads;
  std::vector<std::string> views;  // ViewDefinition::ToJson of each view
  std::string proofs;              // encoded proofs of the changes
};

std::string EncodeBundle(const Bundle& bundle);

// Checks a bundle's magic and trailing checksum from its bytes given piece
// by piece, holding only 32 bytes of them: a file that is not a bundle, or
// is damaged, is refused before it is read whole (a 1 GiB junk file took
// 2.1 GB and 12 s to be refused).
class BundleChecksum {
 public:
  void Update(std::string_view piece);
  // True once the first bytes show it is no bundle: reading on is useless.
  bool BadMagic() const;
  // Corruption for a bad magic, a short file or a checksum mismatch.
  Status Finish();

 private:
  dag::Sha256Stream hash_;
  std::string head_;  // the first bytes, until the magic is checked
  std::string tail_;  // the last 32 bytes seen: the checksum, at the end
  uint64_t size_ = 0;
};
// Verifies the trailing checksum first, then the framing, then every run.
// Corruption on any mismatch, truncation or trailing byte; InvalidArgument
// when its changes, rebuilt, would take more than `changes_bytes_max`;
// nothing is returned then.
constexpr size_t kBundleChangesBytesMax = size_t{1} << 30;
Result<Bundle> DecodeBundle(std::string_view bytes,
                            size_t changes_bytes_max = kBundleChangesBytesMax);

}  // namespace weft::engine
