// The records a database reports: changes as stored, what receiving one did,
// the version vector, verification, status and peers. Plain values, shared
// by the front end (weft/database.h) and the engine, which includes nothing
// of the front end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "weft/change.h"
#include "weft/hash.h"
#include "weft/view.h"

namespace weft {

// A change as stored: its hash, its place in this replica's log, its exact
// bytes (verified against the hash when read) and their decoded form.
struct StoredChange {
  Hash hash;
  uint64_t position = 0;  // 1-based log position (local to this replica)
  uint64_t height = 0;    // 1 + the largest parent height; roots have 1
  std::string bytes;
  Change change;
};

// What receiving one remote change did.
struct ReceiveOutcome {
  Hash hash;
  // False when the change waits in the pending area for missing parents.
  bool stored = false;
  // Changes stored by this call: this one plus pending ones it completed.
  size_t stored_count = 0;
  // Pending changes dropped because they proved invalid once their parents
  // arrived (for example a seq gap), with the first reason.
  size_t rejected_count = 0;
  std::string first_rejection;
};

// An actor's entry in the version vector.
struct ActorState {
  ActorId actor;
  uint64_t seq = 0;  // last seq stored
  Hash last_hash;    // the change with that seq
  uint64_t end_op = 0;
};

struct VerifyReport {
  uint64_t changes_checked = 0;
  // Stored signatures of authorship verified against the log's chains.
  uint64_t proofs_checked = 0;
  uint64_t document_touches = 0;  // (change, document) pairs in the log
  // Unless VerifyOptions::quick: the documents whose stored state, and the
  // view rows whose stored bytes, equal what a replay of the log makes.
  uint64_t documents_checked = 0;
  uint64_t view_rows_checked = 0;
  std::vector<std::string> problems;  // empty when the database is sound
  bool ok() const { return problems.empty(); }
};

struct VerifyOptions {
  // Checks the stored bytes and the log only: no replay of each document's
  // history, no recomputation of view rows (which read every document).
  bool quick = false;
};

// A replica this one has synced with, as the peers family remembers it
// (what makes the next summary to it short).
struct PeerInfo {
  ActorId replica;
  std::vector<std::string> addresses;  // where it answered (initiator side)
  int64_t last_sync_ms = 0;            // end of the last good session
  uint64_t actors = 0;                 // entries in the remembered vector
  uint64_t bytes = 0;                  // what the record takes
  // The last session past its handshake, good or failed (0: none noted):
  // when it ended, how, and what went each way.
  int64_t last_session_ms = 0;
  bool last_session_ok = false;
  std::string last_session_reason;  // why it failed; empty when it did not
  std::string last_session_address;
  uint64_t changes_sent = 0;
  uint64_t changes_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  // Changes this replica holds that the peer lacked once its last good
  // session caught it up, as the remembered vector tells (Database::
  // ListPeers counts them against this replica's vector now).
  uint64_t lacks = 0;
};

// How the database stands (DESIGN.md §8), recomputed from persisted state
// each time it is asked.
struct DatabaseStatus {
  uint64_t log_length = 0;
  std::vector<Hash> heads;
  std::vector<ActorState> actors;  // with each one's last seq
  size_t pending = 0;              // changes waiting for missing parents
  std::vector<ViewStatus> views;
  uint64_t size_bytes = 0;
  std::vector<PeerInfo> peers;  // Database::ListPeers
};

}  // namespace weft
