#include "engine/sync/vectors.h"

#include <algorithm>

#include "dag/sha256.h"

namespace weft::engine::sync {

ActorIndex Index(const Summary& summary) {
  ActorIndex index;
  for (const ActorState& state : summary.actors) index[state.actor] = &state;
  return index;
}

bool HasMoreThan(const ActorIndex& holder, const ActorIndex& other) {
  for (const auto& [actor, state] : holder) {
    auto found = other.find(actor);
    if (state->seq > (found == other.end() ? 0 : found->second->seq)) {
      return true;
    }
  }
  return false;
}

std::string VectorDigest(std::vector<ActorState> vector) {
  std::sort(vector.begin(), vector.end(),
            [](const ActorState& a, const ActorState& b) {
              return a.actor < b.actor;
            });
  std::string bytes;
  for (const ActorState& state : vector) {
    bytes += state.actor.AsStringView();
    for (int shift = 56; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>(state.seq >> shift));
    }
    bytes += state.last_hash.AsStringView();
  }
  return std::string(dag::Sha256(bytes).AsStringView());
}

bool Delta(const std::vector<ActorState>& base,
           const std::vector<ActorState>& now,
           std::vector<const ActorState*>* changed) {
  ActorIndex before;
  for (const ActorState& state : base) before[state.actor] = &state;
  size_t kept = 0;
  for (const ActorState& state : now) {
    auto found = before.find(state.actor);
    if (found != before.end()) {
      ++kept;
      if (found->second->seq == state.seq &&
          found->second->last_hash == state.last_hash) {
        continue;
      }
    }
    changed->push_back(&state);
  }
  return kept == before.size();
}

void NoteHeld(std::map<ActorId, ActorState>* holds, const ActorState& state) {
  auto [it, inserted] = holds->emplace(state.actor, state);
  if (!inserted && it->second.seq < state.seq) it->second = state;
}

std::vector<ActorState> Union(const std::vector<ActorState>& first,
                              const std::vector<ActorState>& second) {
  std::map<ActorId, ActorState> merged;
  for (const ActorState& state : first) NoteHeld(&merged, state);
  for (const ActorState& state : second) NoteHeld(&merged, state);
  std::vector<ActorState> vector;
  for (auto& [actor, state] : merged) vector.push_back(state);
  return vector;
}

std::vector<ActorState> ApplyDelta(const std::vector<ActorState>& base,
                                   const std::vector<ActorState>& delta) {
  std::map<ActorId, ActorState> whole;
  for (const ActorState& state : base) whole[state.actor] = state;
  for (const ActorState& state : delta) whole[state.actor] = state;
  std::vector<ActorState> vector;
  for (auto& [actor, state] : whole) vector.push_back(state);
  return vector;
}

void Equivocations(const ActorIndex& mine, const ActorIndex& theirs,
                   std::vector<std::string>* found) {
  for (const auto& [actor, state] : theirs) {
    auto same = mine.find(actor);
    if (same != mine.end() && same->second->seq == state->seq &&
        same->second->last_hash != state->last_hash) {
      found->push_back("actor " + actor.ToHex() + " seq " +
                       std::to_string(state->seq) + ": " +
                       same->second->last_hash.Short() + " here, " +
                       state->last_hash.Short() + " on the peer");
    }
  }
}

}  // namespace weft::engine::sync
