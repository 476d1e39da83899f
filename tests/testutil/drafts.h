// Seeded generators of valid change drafts and changes, for tests and
// benchmarks that must run without external data.
#pragma once

#include <cstdint>
#include <random>

#include "weft/change.h"

namespace weft::testing {

// A draft of `op_count` ops of every kind, touching one or two documents.
// Ops refer only to the root or the sequence start, so any draft is valid
// whatever op counter it gets.
ChangeDraft RandomDraft(std::mt19937_64& rng, size_t op_count);

// A draft with one map_set of a short string: the smallest useful change.
// Draft i sets field i % 64 of document bench/d<i / 64>.
ChangeDraft OneOpDraft(uint64_t index);

// A complete, valid change (every op kind, refs to earlier ops, several
// actors), for codec tests.
Change SampleChange();

// The actor of test key `seed` (tests/testutil/authors.h).
ActorId ActorFromSeed(uint64_t seed);

// One change of document t/deep making `levels` maps, each at key "k" of
// the one before.
Change NestedMaps(size_t levels, uint64_t seed = 5);

}  // namespace weft::testing
