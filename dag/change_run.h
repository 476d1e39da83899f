// Runs: consecutive changes packed as columns and compressed, the form in
// which changes are sent and bundled (format: dag/FORMAT.md, "Runs").
//
// A change's identity stays its canonical FlatBuffers bytes (EncodeChange):
// a run carries the fields, the receiver rebuilds each change's exact bytes
// and re-hashes them, and the run's digest (SHA-256 over every rebuilt hash,
// in order) must match, or nothing of the run is returned. Decoding is
// bounded in every dimension: a hostile run cannot make it allocate more
// than its limits allow.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dag/change_codec.h"
#include "dag/change_limits.h"
#include "weft/change.h"
#include "weft/hash.h"
#include "weft/status.h"

namespace weft::dag {

struct RunLimits {
  size_t changes_max = 1u << 16;  // changes in one run
  // Each change's canonical bytes, and all of them together once rebuilt.
  size_t change_bytes_max = limits::kChangeBytesCeiling;
  size_t bytes_max = 64u << 20;
  // Ops in the whole run: each costs memory while the run is rebuilt, and a
  // column may repeat a value at almost no cost in bytes.
  size_t ops_max = limits::kOpsCountMax;
  size_t columns_bytes_max = 32u << 20;  // the decompressed columns
};

// One change of a decoded run: its canonical bytes, their hash, its fields.
struct RunChange {
  Hash hash;
  std::string bytes;
  Change change;
};

// Packs `changes` (each valid; `hashes[i]` the hash of EncodeChange of
// changes[i]) into a run. REQUIRES: 1 <= changes.size() and the sizes match.
std::string EncodeRun(const std::vector<Change>& changes,
                      const std::vector<Hash>& hashes);

// Decodes change bytes into a change of a run. InvalidArgument if they are
// not canonical (not what EncodeChange makes of their fields: they cannot
// be rebuilt, so cannot travel in a run); the errors of DecodeChange.
Result<RunChange> RunChangeOf(
    std::string bytes, size_t change_bytes_max = limits::kChangeBytesCeiling);

// Packs change bytes into a run (errors as RunChangeOf).
Result<std::string> EncodeRunOfBytes(const std::vector<std::string>& changes);

// Packs changes (as DecodeRun returns them) into a run.
std::string EncodeRunOf(const std::vector<RunChange>& changes);
std::string EncodeRunOf(const std::vector<const RunChange*>& changes);

// How many changes a run holds, from its header only. Corruption if the
// bytes do not start as a run.
Result<size_t> PeekRunCount(std::string_view run);

// Verifies and decodes an untrusted run: every change rebuilt, validated
// and re-hashed, and the digest checked. Corruption (malformed, damaged,
// not matching its digest) or InvalidArgument (over a limit); on any error
// nothing is returned.
Result<std::vector<RunChange>> DecodeRun(std::string_view run,
                                         const RunLimits& limits = {});

}  // namespace weft::dag
