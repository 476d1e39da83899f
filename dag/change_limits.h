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
// Lamport counters stay below 2^62 so that start_op + ops never overflows.
constexpr uint64_t kOpCounterMax = uint64_t{1} << 62;

static_assert(kOpsCountMax < kOpCounterMax);
static_assert(kChangeBytesCeiling < kOpCounterMax / 2);
static_assert(kParentsCountMax * 32 < kChangeBytesCeiling);

}  // namespace weft::limits
