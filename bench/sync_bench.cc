// Sync over TCP on 127.0.0.1 (SyncWith against a SyncServer):
//   Identical:   equal replicas of 10^5 changes: round trips and bytes.
//   Divergent:   10^5 shared + 100 new changes on each side: round trips,
//                bytes on the wire against the bytes of the missing changes.
//   Clone:       an empty replica takes 10^5 changes; baseline: the same
//                number of bytes copied over a loopback socket.
//   CloneTrace:  an empty replica takes the editing trace of
//                ../shared/data/traces committed one change per edit.
//   Peers16:     16 replicas with 1000 changes each sync with one server
//                at once, then once more: all converge.
// Identical, Clone and Peers16 run twice: /0 in plaintext on loopback, /1
// over TLS 1.3 between pinned identities (the ratio is the channel's cost).
// Sizes shrink under WEFT_BENCH_SMOKE=1.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/testutil/drafts.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/trace.h"
#include "weft/database.h"

namespace weft {
namespace {

bool Smoke() { return std::getenv("WEFT_BENCH_SMOKE") != nullptr; }
uint64_t SharedChanges() { return Smoke() ? 2000 : 100000; }

std::unique_ptr<Database> Open(const std::string& path) {
  auto db = Database::Open(path, Options());
  if (!db.ok()) std::abort();
  return std::move(db).value();
}

void CommitMany(Database* db, uint64_t first, uint64_t count) {
  std::vector<ChangeDraft> drafts;
  for (uint64_t idx = first; idx < first + count; ++idx) {
    drafts.push_back(testing::OneOpDraft(idx));
    if (drafts.size() == 1000 || idx + 1 == first + count) {
      if (!db->CommitBatch(drafts).ok()) std::abort();
      drafts.clear();
    }
  }
}

std::string IdentityOf(Database* db) {
  Result<std::string> id = ReplicaIdentity(*db, SyncOptions());
  if (!id.ok()) std::abort();
  return *id;
}

// A server; with `secure`, over TLS, letting in the replicas Trust names.
struct Served {
  std::unique_ptr<Database> db;
  std::unique_ptr<SyncServer> server;
  bool secure = false;
  std::vector<PeerGrant> trusted;
  // What a replica syncing with this server passes.
  SyncOptions ClientOptions() const {
    SyncOptions options;
    if (secure) options.peers = {PeerGrant{IdentityOf(db.get()), true, "hub"}};
    return options;
  }
  void Trust(Database* replica) {
    if (!secure) return;
    trusted.push_back(PeerGrant{IdentityOf(replica), true, ""});
    if (!server->SetPeers(trusted).ok()) std::abort();
  }
};

Served Serve(const std::string& path, bool secure = false) {
  Served served;
  served.db = Open(path);
  served.secure = secure;
  SyncOptions options;
  if (secure) {  // a placeholder peer until Trust names the real ones
    auto placeholder = Open(path + ".placeholder");
    options.peers = {PeerGrant{IdentityOf(placeholder.get()), true, ""}};
  }
  auto server = SyncServer::Start(served.db.get(), "127.0.0.1", 0, options);
  if (!server.ok()) std::abort();
  served.server = std::move(server).value();
  return served;
}

void Report(benchmark::State& state, const SyncStats& stats) {
  state.counters["round_trips"] = static_cast<double>(stats.round_trips);
  state.counters["bytes_out"] = static_cast<double>(stats.bytes_sent);
  state.counters["bytes_in"] = static_cast<double>(stats.bytes_received);
  state.counters["changes_in"] = static_cast<double>(stats.changes_received);
  state.counters["changes_out"] = static_cast<double>(stats.changes_sent);
  state.counters["seconds"] = stats.seconds;
}

SyncStats SyncOrDie(benchmark::State& state, Database* db, uint16_t port,
                    const SyncOptions& options = SyncOptions()) {
  auto stats = SyncWith(*db, "127.0.0.1", port, options);
  if (!stats.ok()) {
    state.SkipWithError(stats.status().ToString().c_str());
    return SyncStats();
  }
  return *stats;
}

// Bytes of the changes at log positions [first, last] of `db`.
uint64_t LogBytes(Database& db, uint64_t first, uint64_t last) {
  uint64_t bytes = 0;
  for (uint64_t position = first; position <= last; ++position) {
    bytes += db.GetChangeAt(position)->bytes.size();
  }
  return bytes;
}

void BM_Identical(benchmark::State& state) {
  testing::TempDir dir;
  Served hub = Serve(dir.Sub("hub"), state.range(0) == 1);
  CommitMany(hub.db.get(), 0, SharedChanges());
  auto replica = Open(dir.Sub("replica"));
  hub.Trust(replica.get());
  SyncOptions options = hub.ClientOptions();
  SyncOrDie(state, replica.get(), hub.server->port(), options);  // the clone
  SyncStats stats;
  for (auto _ : state)
    stats = SyncOrDie(state, replica.get(), hub.server->port(), options);
  Report(state, stats);
}
BENCHMARK(BM_Identical)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Divergent(benchmark::State& state) {
  testing::TempDir dir;
  Served hub = Serve(dir.Sub("hub"));
  CommitMany(hub.db.get(), 0, SharedChanges());
  auto replica = Open(dir.Sub("replica"));
  SyncOrDie(state, replica.get(), hub.server->port());
  uint64_t next = SharedChanges();
  SyncStats stats;
  uint64_t missing_bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    uint64_t hub_before = hub.db->LogLength();
    uint64_t replica_before = replica->LogLength();
    CommitMany(hub.db.get(), next, 100);
    CommitMany(replica.get(), next + 100, 100);
    next += 200;
    missing_bytes =
        LogBytes(*hub.db, hub_before + 1, hub.db->LogLength()) +
        LogBytes(*replica, replica_before + 1, replica->LogLength());
    state.ResumeTiming();
    stats = SyncOrDie(state, replica.get(), hub.server->port());
  }
  Report(state, stats);
  state.counters["missing_bytes"] = static_cast<double>(missing_bytes);
  state.counters["wire_over_missing"] =
      static_cast<double>(stats.bytes_sent + stats.bytes_received) /
      static_cast<double>(missing_bytes);
}
BENCHMARK(BM_Divergent)->Unit(benchmark::kMillisecond);

// Copies `bytes` bytes over a loopback TCP connection: the baseline.
double LoopbackCopySeconds(uint64_t bytes) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  listen(listener, 1);
  std::thread reader([listener, bytes] {
    int fd = accept(listener, nullptr, nullptr);
    std::vector<char> buffer(64 << 10);
    uint64_t got = 0;
    ssize_t chunk;
    while (got < bytes &&
           (chunk = read(fd, buffer.data(), buffer.size())) > 0) {
      got += chunk;
    }
    close(fd);
  });
  auto start = std::chrono::steady_clock::now();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  std::vector<char> buffer(64 << 10, 'x');
  for (uint64_t sent = 0; sent < bytes;) {
    ssize_t chunk =
        send(fd, buffer.data(), std::min<uint64_t>(buffer.size(), bytes - sent),
             MSG_NOSIGNAL);
    if (chunk <= 0) break;
    sent += chunk;
  }
  reader.join();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  close(fd);
  close(listener);
  return seconds;
}

void CloneInto(benchmark::State& state, Served& hub,
               const testing::TempDir& dir) {
  SyncStats stats;
  int clone = 0;
  for (auto _ : state) {
    auto replica = Open(dir.Sub("clone" + std::to_string(clone++)));
    hub.Trust(replica.get());
    stats = SyncOrDie(state, replica.get(), hub.server->port(),
                      hub.ClientOptions());
  }
  Report(state, stats);
  uint64_t log_bytes = LogBytes(*hub.db, 1, hub.db->LogLength());
  double baseline = LoopbackCopySeconds(log_bytes);
  state.counters["changes_per_s"] = stats.changes_received / stats.seconds;
  state.counters["log_mb"] = log_bytes / 1048576.0;
  state.counters["wire_mb"] = stats.bytes_received / 1048576.0;
  state.counters["mb_per_s"] = log_bytes / 1048576.0 / stats.seconds;
  state.counters["baseline_mb_per_s"] = log_bytes / 1048576.0 / baseline;
}

void BM_Clone(benchmark::State& state) {
  testing::TempDir dir;
  Served hub = Serve(dir.Sub("hub"), state.range(0) == 1);
  CommitMany(hub.db.get(), 0, SharedChanges());
  CloneInto(state, hub, dir);
}
BENCHMARK(BM_Clone)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_CloneTrace(benchmark::State& state) {
  testing::Trace trace;
  std::string error;
  if (Smoke() || !testing::LoadTrace(
                     testing::DataDir() + "/traces/automerge-paper.json.gz",
                     &trace, &error)) {
    return state.SkipWithError("trace not loaded (or a smoke run)");
  }
  testing::TempDir dir;
  Served hub = Serve(dir.Sub("hub"));
  for (const testing::TracePatch& patch : trace.patches) {
    auto txn = hub.db->Begin();
    if (!txn->SpliceText("paper/1", "text", patch.position, patch.delete_count,
                         testing::Utf32ToUtf8(patch.insert))
             .status()
             .ok() ||
        !txn->Commit().ok()) {
      return state.SkipWithError("trace replay failed");
    }
  }
  CloneInto(state, hub, dir);
}
BENCHMARK(BM_CloneTrace)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_Peers16(benchmark::State& state) {
  testing::TempDir dir;
  Served hub = Serve(dir.Sub("hub"), state.range(0) == 1);
  constexpr int kPeers = 16;
  uint64_t per_peer = Smoke() ? 50 : 1000;
  std::vector<std::unique_ptr<Database>> peers;
  for (int idx = 0; idx < kPeers; ++idx) {
    peers.push_back(Open(dir.Sub("p" + std::to_string(idx))));
    CommitMany(peers.back().get(), idx * per_peer, per_peer);
    hub.Trust(peers.back().get());
  }
  SyncOptions options = hub.ClientOptions();
  bool converged = false;
  for (auto _ : state) {
    for (int round = 0; round < 2; ++round) {  // push, then pull the rest
      std::vector<std::thread> threads;
      for (auto& peer : peers) {
        threads.emplace_back([&, db = peer.get()] {
          if (!SyncWith(*db, "127.0.0.1", hub.server->port(), options).ok()) {
            std::abort();
          }
        });
      }
      for (std::thread& thread : threads) thread.join();
    }
    converged = true;
    for (auto& peer : peers) converged &= peer->Heads() == hub.db->Heads();
  }
  state.counters["converged"] = converged;
  state.counters["changes"] = static_cast<double>(hub.db->LogLength());
}
BENCHMARK(BM_Peers16)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace weft

BENCHMARK_MAIN();
