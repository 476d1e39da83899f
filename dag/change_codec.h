// Encoding and verifying decoding of changes (format: dag/FORMAT.md).
//
// Bytes from disk or a peer are untrusted: DecodeChange runs the FlatBuffers
// verifier first, then checks every structural invariant and limit, and only
// then builds a Change. It never crashes on any input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dag/change_limits.h"
#include "weft/change.h"
#include "weft/hash.h"
#include "weft/status.h"

namespace weft::dag {

// An encoded change whose bytes re-hash to `hash` (a pair made together).
struct EncodedChange {
  Hash hash;
  std::string bytes;
};

// REQUIRES: change passes ValidateChange (asserted in debug builds).
EncodedChange EncodeChange(const Change& change);

// Checks the limits and structural invariants of a change built in memory
// (the same rules DecodeChange applies to bytes).
Status ValidateChange(const Change& change,
                      size_t change_bytes_max = limits::kChangeBytesCeiling);

// Verifies and decodes untrusted bytes. Errors are Corruption (malformed
// bytes) or InvalidArgument (well-formed but over a limit).
Result<Change> DecodeChange(
    std::string_view bytes,
    size_t change_bytes_max = limits::kChangeBytesCeiling);

// DecodeChange, and the bytes must be the change's canonical form: what
// EncodeChange makes of the fields they decode to (InvalidArgument if not).
// Every change from outside is taken in this form, so every stored change
// can be rebuilt from its fields and travel in a run (change_run.h).
Result<Change> DecodeCanonicalChange(
    std::string_view bytes,
    size_t change_bytes_max = limits::kChangeBytesCeiling);

// The author and seq of encoded change bytes, after the FlatBuffers
// verifier only (for bytes checked when stored, read back to send them).
Status PeekAuthor(std::string_view bytes, ActorId* actor, uint64_t* seq);

// True if `flavour` may be given to an op of `action`.
bool FlavourFits(OpAction action, Flavour flavour);

// True if `text` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace weft::dag
