// Sync between replicas (DESIGN.md §7; protocol: engine/sync/PROTOCOL.md).
//
// The protocol is a state machine that knows no sockets: a SyncEndpoint
// takes the bytes that arrived and gives the bytes to send, so it runs over
// any transport. SyncWith and SyncServer run it over TCP.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft {

class Database;
struct SyncStats;

// A peer this replica syncs with over the secure channel, named by its
// identity (what `weft identity` prints: 52 characters of base32 naming
// its Ed25519 key), and what it may do here.
struct PeerGrant {
  std::string identity;
  bool may_write = true;  // false: it may read; its changes are refused
  std::string name;       // for people and logs; may be empty
};

struct SyncOptions {
  // Pre-shared key. Over TCP: sessions run over TLS 1.3, and both sides
  // prove they hold the key by SPAKE2 inside the channel (tls/spake2.h:
  // nothing on the wire can be checked against a guess offline) before
  // either reads or writes anything; plaintext is refused. A bare
  // SyncEndpoint (no transport) proves it by HMAC challenge-response.
  // Empty: none; a server without a key or peers accepts loopback peers
  // only.
  std::string key;
  // The secure channel (README "Securing sync"). Non-empty: sessions run
  // over TLS 1.3, both ends proving their identity key, and only these
  // peers are accepted (an initiator lists the server it expects; a server
  // the peers it lets in). Plaintext is then refused both ways.
  std::vector<PeerGrant> peers;
  // This replica's identity key file. Empty: "identity.key" in the
  // database's folder, made on first use.
  std::string identity_file;
  // Responder side of one session: the peer's changes are refused (a
  // peer granted reading only). Its Hello says so, so that an honest
  // initiator sends none; one that sends some anyway ends the session.
  bool accept_changes = true;
  // Every read waits at most this long; a peer silent for longer (or too
  // slow) is dropped.
  uint32_t timeout_ms = 10000;
  // A whole session ends by then: a peer trickling bytes (one per second
  // keeps every read alive) is dropped.
  uint32_t session_timeout_ms = 600000;
  // The peer's Hello (and, with a key, its proof) must have arrived this
  // long after the connection opened.
  uint32_t handshake_timeout_ms = 5000;
  // Once a message's first byte arrived, the whole message must arrive
  // within this: a peer trickling bytes cannot stretch it.
  uint32_t message_timeout_ms = 30000;
  // Servers only: connections held at once, in all and from one address
  // (a connection over either limit is closed at once, and the refusal
  // logged), and the bytes all sessions together may hold of messages not
  // yet whole (a session that would go over is ended as Busy).
  uint32_t max_connections = 128;
  uint32_t max_connections_per_address = 16;
  size_t buffered_bytes_max = 256u << 20;
  // SyncWith only: after catching up, hold the connection open until
  // *stop becomes true (or the connection fails): each side pushes what it
  // commits or receives as soon as it is stored, and the peer acknowledges
  // it. A quiet connection carries a Ping every timeout_ms / 3.
  bool live = false;
  const std::atomic<bool>* stop = nullptr;
  // SyncWith only (may be null): told, after each read from the server,
  // what the session has exchanged so far (a clone's progress).
  std::function<void(const SyncStats&)> progress;
};

// Told of every session a server ends: the peer's address, how it ended
// (the reason when it failed) and what was exchanged. Called on the
// server's thread.
using SessionLog = std::function<void(
    const std::string& peer, const Status& outcome, const SyncStats& stats)>;

// `text` fit for one log line: every byte outside printable ASCII (a
// newline, a terminal escape), and the backslash, written as \xNN, and at
// most about `bytes_max` bytes of it, then "... (N bytes)". What a peer
// says can then neither forge log lines nor fill the disk.
std::string EscapeForLog(std::string_view text, size_t bytes_max);

struct SyncStats {
  uint64_t round_trips = 0;  // waits for the peer after sending
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t changes_sent = 0;
  uint64_t changes_received = 0;  // new to this replica
  // Live sessions: the Pings that kept a quiet connection up.
  uint64_t pings_sent = 0;
  uint64_t pings_received = 0;
  double seconds = 0;
  // (actor, seq) the two replicas hold different changes for: reported,
  // never merged.
  std::vector<std::string> equivocations;
};

// The stats as one JSON object, a member per field above (what the shell's
// `sync --json` prints and the C API's weft_sync returns). Invalid UTF-8
// is replaced (U+FFFD), never thrown on.
std::string SyncStatsToJson(const SyncStats& stats);

// One side of one sync session, sans I/O. Feed it what the peer sent
// (any chunking) with Receive; send what TakeOutput returns; stop when
// finished() or on an error (the output then holds an Error message for
// the peer).
class SyncEndpoint {
 public:
  virtual ~SyncEndpoint() = default;
  virtual Status Receive(std::string_view bytes) = 0;
  virtual std::string TakeOutput() = 0;
  // Both sides have sent and received everything.
  virtual bool finished() const = 0;
  // A live session that caught up: it stays open, never finished().
  virtual bool live() const = 0;
  // More output will follow TakeOutput's (a long transfer is encoded a
  // batch at a time as the transport asks): send it before reading on.
  virtual bool has_more_output() const = 0;
  // The peer's Hello (and, with a key, its proof) was accepted.
  virtual bool past_handshake() const = 0;
  // Bytes received and held for a frame not yet whole.
  virtual size_t buffered_bytes() const = 0;
  // Live only: queue what this replica holds and the peer lacks (call it
  // when the database changed); after the peer acknowledged the previous
  // push, or at once. Outside the live phase, does nothing.
  virtual Status Push() = 0;
  // Live only: queue a Ping (a frame that says "still here").
  virtual void Ping() = 0;
  virtual const SyncStats& stats() const = 0;
};

// This replica's identity (what peers list to accept it), from
// options.identity_file or the database folder's identity.key, which is
// made if missing. Errors name the key file's problem (README "Securing
// sync": a key readable by others is refused).
Result<std::string> ReplicaIdentity(const Database& db,
                                    const SyncOptions& options);

// Reads a peers file: one peer per line, `IDENTITY read|read-write [NAME]`;
// blank lines and lines starting with '#' are skipped. InvalidArgument
// naming the line of a malformed one; at most 10000 peers, 1 MiB.
Result<std::vector<PeerGrant>> ReadPeersFile(const std::string& path);

// OK if every grant names a well-formed identity (52 characters of base32;
// either case, dashes ignored), else InvalidArgument naming the first bad.
Status CheckPeers(const std::vector<PeerGrant>& peers);

// Syncs `db` with the server at host:port once; returns what was exchanged.
Result<SyncStats> SyncWith(Database& db, const std::string& host, uint16_t port,
                           const SyncOptions& options);

// Serves sync to many peers at once on its own thread.
class SyncServer {
 public:
  // Listens on address:port (port 0: any free one). Without a key only a
  // loopback address is accepted (InvalidArgument otherwise). `db` must
  // outlive the server (stop or destroy the server first).
  static Result<std::unique_ptr<SyncServer>> Start(Database* db,
                                                   const std::string& address,
                                                   uint16_t port,
                                                   const SyncOptions& options,
                                                   SessionLog log = nullptr);
  virtual ~SyncServer() = default;
  virtual uint16_t port() const = 0;
  // Sessions served so far, and those that ended on an error (with the
  // reason, most recent last).
  virtual uint64_t sessions() const = 0;
  virtual std::vector<std::string> failures() const = 0;
  // Replaces the peers let in (a reread peers file): sessions from then on
  // see the new list; running sessions of a peer no longer listed, or no
  // longer allowed to write, are ended.
  virtual Status SetPeers(std::vector<PeerGrant> peers) = 0;
  virtual void Stop() = 0;
};

}  // namespace weft
