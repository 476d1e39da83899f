// Version vectors, as the sync protocol compares them (PROTOCOL.md): who
// holds more, the digest that names a vector, deltas between two, and what
// a peer is known to hold. Pure functions of their arguments, so both sides
// of a session compute the same results from the same summaries.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/sync/session.h"

namespace weft::engine::sync {

using ActorIndex = std::map<ActorId, const ActorState*>;

// The summary's entries by actor (pointers into `summary`).
ActorIndex Index(const Summary& summary);

// True if `holder` has changes of some actor beyond what `other` holds:
// then `holder` sends a final Changes message (maybe empty), and `other`
// waits for it.
bool HasMoreThan(const ActorIndex& holder, const ActorIndex& other);

// Names a vector: SHA-256 of its entries in actor order.
std::string VectorDigest(std::vector<ActorState> vector);

// The entries of `now` that differ from `base`; false if `base` has an
// actor that `now` lacks (a replica restored from an older backup), which
// a delta cannot say: then the summary goes in full.
bool Delta(const std::vector<ActorState>& base,
           const std::vector<ActorState>& now,
           std::vector<const ActorState*>* changed);

// A vector received as a delta made whole: `base` with `delta`'s entries
// replacing or adding to it, in actor order.
std::vector<ActorState> ApplyDelta(const std::vector<ActorState>& base,
                                   const std::vector<ActorState>& delta);

// Records that the peer holds `state`'s actor up to its seq.
void NoteHeld(std::map<ActorId, ActorState>* holds, const ActorState& state);

// Per actor, the entry of the higher seq; `first`'s on a tie (equal
// unless the two replicas equivocate).
std::vector<ActorState> Union(const std::vector<ActorState>& first,
                              const std::vector<ActorState>& second);

// Same last seq, different change: appends one line per such actor. (When
// the seqs differ, the side holding more finds it in SyncHost::MissingFor.)
void Equivocations(const ActorIndex& mine, const ActorIndex& theirs,
                   std::vector<std::string>* found);

}  // namespace weft::engine::sync
