// Hard limits of the change format. Every decoder enforces them on untrusted
// bytes (InvalidArgument / Corruption); the core asserts they hold.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::limits {

// No change, local or remote, is ever larger than this (Options may lower it).
constexpr size_t kChangeBytesCeiling = 64u << 20;
constexpr size_t kParentsCountMax = 1024;
constexpr size_t kActorsCountMax = 4096;
constexpr size_t kOpsCountMax = 1u << 20;
constexpr size_t kDocsCountMax = 1u << 16;
constexpr size_t kPredCountMax = 1024;
constexpr size_t kKeyBytesMax = 4096;  // collection, key or map key
constexpr size_t kMessageBytesMax = 64u << 10;
// How deeply a document's objects nest: a value at a key of the root is at
// depth 1. Every walk of a document (rendering, views, queries) may then
// recurse; deeper JSON, a deeper path and a change that would make a
// deeper object are refused (InvalidArgument), local or received. The same
// limit as MongoDB's documents.
constexpr size_t kDocumentDepthMax = 100;
// Lamport counters stay below 2^62 so that start_op + ops never overflows.
constexpr uint64_t kOpCounterMax = uint64_t{1} << 62;

// How far past its parents' last op counter a change may start. A replica
// starts each commit right after the highest counter it holds, which is its
// parents' (the heads), so an honest change skips nothing; the slack is for
// other writers. Without a bound, one received change starting near
// kOpCounterMax left no room for any later commit on every replica it
// reached. With it, climbing to the ceiling takes over 2^40 chained
// changes.
constexpr uint64_t kOpCounterGapMax = uint64_t{1} << 20;

static_assert(kOpsCountMax < kOpCounterMax);
static_assert(kChangeBytesCeiling < kOpCounterMax / 2);
static_assert(kParentsCountMax * 32 < kChangeBytesCeiling);

}  // namespace weft::limits
