// What a replica remembers of its peers (the peers family): per peer, the
// two vectors of its last good session, so that the next summary can be a
// delta; per address, the peer that answered there. Bounded, because a
// peer's summary is its own claim: at most kPeerRecordsMax records (the
// least recently synced goes), none older than kPeerRecordAgeMaxMs, and
// none that names more than kUnheldActorsMax actors this replica does not
// hold once the session is over (fake actors cost nothing to claim: 150,000
// of them grew a database by 86 MB in 5 sessions).
#pragma once

#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "engine/sync/session.h"
#include "storage/kv_store.h"
#include "weft/records.h"

namespace weft::engine::sync {

constexpr size_t kPeerRecordsMax = 1024;
constexpr size_t kUnheldActorsMax = 1024;
constexpr int64_t kPeerRecordAgeMaxMs = int64_t{180} * 24 * 3600 * 1000;

// Writes `record` for `peer` (and `address` -> `peer` if not empty), then
// drops what is over the bounds. `held`: the actors this replica holds.
// Best effort: a record only shortens summaries, safety never needs it.
void RememberPeer(storage::KvStore* store, const ActorId& peer,
                  std::string_view address, const PeerRecord& record,
                  const std::set<ActorId>& held, int64_t now_ms);
// Notes how a session with `peer` ended (`reason` empty: well) and what
// went each way, for ListPeers. At most kPeerRecordsMax peers without a
// record are noted; a record's drop takes its note along.
void NoteSession(storage::KvStore* store, const ActorId& peer,
                 std::string_view address, const std::string& reason,
                 const SyncStats& stats, int64_t now_ms);
std::optional<PeerRecord> RecallPeer(storage::KvStore* store,
                                     const ActorId& peer);
std::optional<ActorId> PeerAtAddress(storage::KvStore* store,
                                     std::string_view address);

// Most recently seen first. `ours`: this replica's vector now (what each
// peer lacks is counted against it).
Result<std::vector<PeerInfo>> ListPeers(storage::KvStore* store,
                                        const std::vector<ActorState>& ours);
// `peer` null: every peer. NotFound if `peer` is not remembered.
Status ForgetPeers(storage::KvStore* store, const ActorId* peer);

}  // namespace weft::engine::sync
