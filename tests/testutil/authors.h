// Test actors that sign like replicas: changes made by hand under a seeded
// key, and the proofs of authorship a replica would send with them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dag/authorship.h"
#include "dag/change_codec.h"

namespace weft::testing {

// The key of test actor `seed` (the same one for every call).
const dag::AuthorKey& AuthorFromSeed(uint64_t seed);

// Encodes `change` as test actor `seed`'s: its actor is set, and at seq 1
// its key. The change is remembered as that actor's at its seq.
dag::EncodedChange MakeSigned(uint64_t seed, Change change);

// Proofs for the change `bytes` (made by MakeSigned): the actor's signature
// over its chain of the changes last made at seqs 1..seq.
std::vector<dag::AuthorshipProof> ProofsOf(std::string_view bytes);
std::string EncodedProofsOf(std::string_view bytes);

}  // namespace weft::testing
