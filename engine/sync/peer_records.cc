#include "engine/sync/peer_records.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace weft::engine::sync {
namespace {

using storage::Family;

// peers family: replica id (16 bytes) -> JSON {last_sync_ms, sent,
// received: [[actor, seq, last hash] ...]}; "@" + address -> the replica
// id (hex) that answered there; "#" + replica id -> JSON {ms, reason,
// address, changes_sent, changes_received, bytes_sent, bytes_received}:
// how its last session ended.
std::string AddressKey(std::string_view address) {
  return "@" + std::string(address);
}

std::string SessionKey(const ActorId& replica) {
  return "#" + std::string(replica.AsStringView());
}

bool IsSessionKey(std::string_view key) {
  return key.size() == 1 + ActorId::kSize && key[0] == '#';
}

nlohmann::json VectorJson(const std::vector<ActorState>& vector) {
  nlohmann::json entries = nlohmann::json::array();
  for (const ActorState& state : vector) {
    entries.push_back(
        {state.actor.ToHex(), state.seq, state.last_hash.ToHex()});
  }
  return entries;
}

bool VectorFromJson(const nlohmann::json& entries,
                    std::vector<ActorState>* vector) {
  if (!entries.is_array()) return false;
  for (const nlohmann::json& entry : entries) {
    if (!entry.is_array() || entry.size() != 3 || !entry[0].is_string() ||
        !entry[1].is_number_unsigned() || !entry[2].is_string()) {
      return false;
    }
    Result<ActorId> actor = ActorId::FromHex(entry[0].get<std::string>());
    Result<Hash> last = Hash::FromHex(entry[2].get<std::string>());
    if (!actor.ok() || !last.ok()) return false;
    vector->push_back(ActorState{*actor, entry[1].get<uint64_t>(), *last, 0});
  }
  return true;
}

// The record's last_sync_ms without parsing all of it: the writer's JSON
// sorts its keys, so it comes first. 0 (the oldest) if it cannot be read.
int64_t LastSyncMs(std::string_view value) {
  constexpr std::string_view kPrefix = "{\"last_sync_ms\":";
  if (value.substr(0, kPrefix.size()) != kPrefix) return 0;
  int64_t ms = 0;
  for (char c : value.substr(kPrefix.size())) {
    if (c < '0' || c > '9' || ms > INT64_MAX / 10) break;
    ms = ms * 10 + (c - '0');
  }
  return ms;
}

// What pruning needs of a record, read without copying or parsing it.
struct Stored {
  ActorId replica;
  int64_t last_sync_ms = 0;
  uint64_t bytes = 0;
};

// Every record, every address with the replica it names, and (if
// `sessions` is not null) every session note.
Status ReadAll(
    storage::KvStore* store, std::vector<Stored>* records,
    std::vector<std::pair<std::string, std::string>>* addresses,
    std::vector<std::pair<ActorId, std::string>>* sessions = nullptr) {
  auto it = store->NewIterator(Family::kPeers);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key = it->key();
    if (IsSessionKey(key)) {
      if (sessions != nullptr) {
        sessions->emplace_back(ActorId::FromBytes(key.substr(1)),
                               std::string(it->value()));
      }
    } else if (!key.empty() && key[0] == '@') {
      addresses->emplace_back(std::string(key), std::string(it->value()));
    } else if (key.size() == ActorId::kSize) {
      records->push_back(Stored{ActorId::FromBytes(key),
                                LastSyncMs(it->value()), it->value().size()});
    }
  }
  return it->status();
}

// Adds to *records the peers noted but never recorded (no good session
// yet), so that they are listed and forgotten too.
void AddNotedOnly(const std::vector<std::pair<ActorId, std::string>>& sessions,
                  std::vector<Stored>* records) {
  for (const auto& session : sessions) {
    const ActorId& replica = session.first;
    bool recorded = std::any_of(
        records->begin(), records->end(),
        [&](const Stored& record) { return record.replica == replica; });
    if (!recorded) records->push_back(Stored{replica, 0, 0});
  }
}

// Adds to `writes` the deletion of `replica`'s record and its addresses.
void Drop(const ActorId& replica,
          const std::vector<std::pair<std::string, std::string>>& addresses,
          storage::WriteBatch* writes) {
  writes->Delete(Family::kPeers, replica.AsStringView());
  writes->Delete(Family::kPeers, SessionKey(replica));
  std::string hex = replica.ToHex();
  for (const auto& [key, named] : addresses) {
    if (named == hex) writes->Delete(Family::kPeers, key);
  }
}

size_t Unheld(const std::vector<ActorState>& vector,
              const std::set<ActorId>& held) {
  return std::count_if(vector.begin(), vector.end(), [&](const ActorState& s) {
    return held.count(s.actor) == 0;
  });
}

}  // namespace

void RememberPeer(storage::KvStore* store, const ActorId& peer,
                  std::string_view address, const PeerRecord& record,
                  const std::set<ActorId>& held, int64_t now_ms) {
  std::vector<Stored> records;
  std::vector<std::pair<std::string, std::string>> addresses;
  if (!ReadAll(store, &records, &addresses).ok()) return;
  auto writes = store->NewBatch();
  bool kept = Unheld(record.received, held) <= kUnheldActorsMax &&
              Unheld(record.sent, held) <= kUnheldActorsMax;
  if (kept) {
    nlohmann::json state = {{"last_sync_ms", now_ms},
                            {"sent", VectorJson(record.sent)},
                            {"received", VectorJson(record.received)}};
    writes->Put(Family::kPeers, peer.AsStringView(), state.dump());
    if (!address.empty()) {
      writes->Put(Family::kPeers, AddressKey(address), peer.ToHex());
    }
  } else {
    Drop(peer, addresses, writes.get());  // its next summary goes in full
  }
  // The others: the expired, then the least recently synced over the cap.
  std::erase_if(records, [&](const Stored& other) {
    bool expired = now_ms - other.last_sync_ms > kPeerRecordAgeMaxMs;
    if (expired && other.replica != peer) {
      Drop(other.replica, addresses, writes.get());
    }
    return expired || other.replica == peer;
  });
  std::sort(records.begin(), records.end(),
            [](const Stored& a, const Stored& b) {
              return a.last_sync_ms > b.last_sync_ms;
            });
  size_t room = kPeerRecordsMax - (kept ? 1 : 0);
  for (size_t index = room; index < records.size(); ++index) {
    Drop(records[index].replica, addresses, writes.get());
  }
  store->Write(writes.get(), false).PermitUncheckedError();
}

void NoteSession(storage::KvStore* store, const ActorId& peer,
                 std::string_view address, const std::string& reason,
                 const SyncStats& stats, int64_t now_ms) {
  std::string ignored;
  bool recorded =
      store->Get(Family::kPeers, peer.AsStringView(), &ignored).ok();
  // A good session leaves a record, unless the record was refused (a
  // summary naming too many actors this replica lacks): then no note
  // either.
  if (!recorded && reason.empty()) return;
  if (!recorded &&
      !store->Get(Family::kPeers, SessionKey(peer), &ignored).ok()) {
    // A failing peer without a record: bounded like the records.
    std::vector<Stored> records;
    std::vector<std::pair<std::string, std::string>> addresses;
    std::vector<std::pair<ActorId, std::string>> sessions;
    if (!ReadAll(store, &records, &addresses, &sessions).ok() ||
        sessions.size() >= kPeerRecordsMax) {
      return;
    }
  }
  nlohmann::json note = {{"ms", now_ms},
                         {"reason", reason},
                         {"address", std::string(address)},
                         {"changes_sent", stats.changes_sent},
                         {"changes_received", stats.changes_received},
                         {"bytes_sent", stats.bytes_sent},
                         {"bytes_received", stats.bytes_received}};
  auto writes = store->NewBatch();
  writes->Put(
      Family::kPeers, SessionKey(peer),
      note.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  store->Write(writes.get(), false).PermitUncheckedError();
}

std::optional<PeerRecord> RecallPeer(storage::KvStore* store,
                                     const ActorId& peer) {
  std::string value;
  if (!store->Get(Family::kPeers, peer.AsStringView(), &value).ok()) {
    return std::nullopt;
  }
  auto json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/
                                    false);
  PeerRecord record;
  if (!json.is_object() ||
      !VectorFromJson(json.value("sent", nlohmann::json()), &record.sent) ||
      !VectorFromJson(json.value("received", nlohmann::json()),
                      &record.received)) {
    return std::nullopt;  // an older or damaged record: summarise in full
  }
  return record;
}

std::optional<ActorId> PeerAtAddress(storage::KvStore* store,
                                     std::string_view address) {
  std::string hex;
  if (!store->Get(Family::kPeers, AddressKey(address), &hex).ok()) {
    return std::nullopt;
  }
  Result<ActorId> peer = ActorId::FromHex(hex);
  if (!peer.ok()) return std::nullopt;
  return *peer;
}

// Fills the last session's fields of *info from a note (damaged: left
// as they were).
void ReadSessionNote(const std::string& value, PeerInfo* info) {
  auto note = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/
                                    false);
  if (!note.is_object()) return;
  auto number = [&](const char* name) -> uint64_t {
    auto found = note.find(name);
    return found != note.end() && found->is_number_unsigned()
               ? found->get<uint64_t>()
               : 0;
  };
  auto text = [&](const char* name) -> std::string {
    auto found = note.find(name);
    return found != note.end() && found->is_string() ? found->get<std::string>()
                                                     : "";
  };
  info->last_session_ms = static_cast<int64_t>(number("ms"));
  info->last_session_reason = text("reason");
  info->last_session_ok = info->last_session_reason.empty();
  info->last_session_address = text("address");
  info->changes_sent = number("changes_sent");
  info->changes_received = number("changes_received");
  info->bytes_sent = number("bytes_sent");
  info->bytes_received = number("bytes_received");
}

Result<std::vector<PeerInfo>> ListPeers(storage::KvStore* store,
                                        const std::vector<ActorState>& ours) {
  std::vector<Stored> records;
  std::vector<std::pair<std::string, std::string>> addresses;
  std::vector<std::pair<ActorId, std::string>> sessions;
  WEFT_RETURN_IF_ERROR(ReadAll(store, &records, &addresses, &sessions));
  AddNotedOnly(sessions, &records);
  std::vector<PeerInfo> peers;
  for (const Stored& record : records) {
    PeerInfo info;
    info.replica = record.replica;
    info.last_sync_ms = record.last_sync_ms;
    info.bytes = record.bytes;
    if (std::optional<PeerRecord> noted = RecallPeer(store, record.replica)) {
      info.actors = noted->received.size();
      std::map<ActorId, uint64_t> theirs;
      for (const ActorState& state : noted->received) {
        theirs[state.actor] = state.seq;
      }
      for (const ActorState& state : ours) {
        uint64_t held = theirs.count(state.actor) ? theirs[state.actor] : 0;
        if (state.seq > held) info.lacks += state.seq - held;
      }
    }
    std::string hex = record.replica.ToHex();
    for (const auto& [key, named] : addresses) {
      if (named == hex) info.addresses.push_back(key.substr(1));
    }
    for (const auto& [replica, note] : sessions) {
      if (replica == record.replica) ReadSessionNote(note, &info);
    }
    peers.push_back(std::move(info));
  }
  std::sort(peers.begin(), peers.end(),
            [](const PeerInfo& a, const PeerInfo& b) {
              return std::max(a.last_sync_ms, a.last_session_ms) >
                     std::max(b.last_sync_ms, b.last_session_ms);
            });
  return peers;
}

Status ForgetPeers(storage::KvStore* store, const ActorId* peer) {
  std::vector<Stored> records;
  std::vector<std::pair<std::string, std::string>> addresses;
  std::vector<std::pair<ActorId, std::string>> sessions;
  WEFT_RETURN_IF_ERROR(ReadAll(store, &records, &addresses, &sessions));
  AddNotedOnly(sessions, &records);
  auto writes = store->NewBatch();
  bool found = false;
  for (const Stored& record : records) {
    if (peer != nullptr && record.replica != *peer) continue;
    found = true;
    Drop(record.replica, addresses, writes.get());
  }
  if (peer == nullptr) {  // addresses and notes of records gone, too
    for (const auto& [key, named] : addresses) {
      writes->Delete(Family::kPeers, key);
    }
    for (const auto& [replica, note] : sessions) {
      writes->Delete(Family::kPeers, SessionKey(replica));
    }
  } else if (!found) {
    return Status::NotFound("no remembered peer", peer->ToHex());
  }
  return store->Write(writes.get(), false);
}

}  // namespace weft::engine::sync
