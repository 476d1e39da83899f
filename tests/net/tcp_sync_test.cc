// Sync over real TCP on 127.0.0.1: convergence of several replicas through
// a server, interrupted transfers, and hostile peers against a running
// server. Every wait is bounded; every test stops by itself.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "dag/authorship.h"
#include "dag/change_codec.h"
#include "tests/testutil/authors.h"
#include "tests/testutil/db.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/loopback.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wire.h"
#include "weft/database.h"

namespace weft {
namespace {

using testing::ExpectVerified;
using testing::OpenOrDie;
using testing::Put;
using testing::TempDir;

// One random edit of every CRDT kind, by turns.
void RandomEdit(Database* db, std::mt19937_64& rng) {
  auto txn = db->Begin();
  std::string doc = "todo/" + std::to_string(rng() % 5);
  Status status;
  switch (rng() % 6) {
    case 0:
      status =
          txn->Set(doc, "title", "t" + std::to_string(rng() % 100)).status();
      break;
    case 1:
      status = txn->Increment(doc, "votes", 1).status();
      break;
    case 2:
      status =
          txn->SetAdd(doc, "tags", static_cast<int64_t>(rng() % 4)).status();
      break;
    case 3:
      status = txn->SpliceText(doc, "note", 0, 0, "ab").status();
      break;
    case 4:
      status = txn->ListInsert(doc, "steps", 0, static_cast<int64_t>(rng()))
                   .status();
      if (status.IsInvalidArgument()) {  // no list yet
        txn->Abort();
        txn = db->Begin();
        status = txn->Make(doc, "steps", ObjectType::kList).status();
      }
      break;
    default:
      status = txn->Set(doc, "address.city", "c" + std::to_string(rng() % 3))
                   .status();
  }
  if (status.ok()) {
    ASSERT_TRUE(txn->Commit().ok());
  } else {
    txn->Abort();
  }
}

// A raw client socket to 127.0.0.1:port.
int Connect(uint16_t port) {
  int fd = testing::ConnectLoopback(port);
  EXPECT_GE(fd, 0);
  return fd;
}

using testing::ReadUntilClosed;

void ExpectSameState(Database& a, Database& b) {
  ASSERT_EQ(a.Heads(), b.Heads());
  for (int doc = 0; doc < 5; ++doc) {
    std::string name = "todo/" + std::to_string(doc);
    EXPECT_EQ(*a.EncodedState(name), *b.EncodedState(name)) << name;
  }
}

class TcpSyncTest : public ::testing::Test {
 protected:
  void StartServer() { StartServer(defaults_); }
  void StartServer(SyncOptions options) {
    server_db_ = OpenOrDie(dir_.Sub("server"));
    auto server = SyncServer::Start(server_db_.get(), "127.0.0.1", 0, options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  Result<SyncStats> Sync(Database* db) { return Sync(db, defaults_); }
  Result<SyncStats> Sync(Database* db, SyncOptions options) {
    return SyncWith(*db, "127.0.0.1", server_->port(), options);
  }
  // Plays a peer that sends `bytes` at once, then waits until the server
  // closes and has counted the session (its `sessions()`-th); returns the
  // server's last failure ("" if none).
  std::string SendAsPeer(const std::string& bytes, uint64_t session) {
    int fd = Connect(server_->port());
    EXPECT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    ReadUntilClosed(fd);
    close(fd);
    WaitForSessions(session);
    std::vector<std::string> failures = server_->failures();
    return failures.empty() ? "" : failures.back();
  }
  void WaitForSessions(uint64_t count) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server_->sessions() < count &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Three replicas edit concurrently and sync through the server in random
  // order; all converge (state and views), then sync in one round trip.
  void ConvergeThroughTheServer();
  // Two live clients and the server push edits both ways over held
  // connections that only pings keep up while quiet.
  void PushLiveBothWays();

  // What StartServer() and Sync(db) use: plaintext on loopback, unless a
  // test sets a key (TLS 1.3 with SPAKE2).
  SyncOptions defaults_;
  TempDir dir_;
  std::unique_ptr<Database> server_db_;
  std::unique_ptr<SyncServer> server_;
};

// Waits (at most 10 s) until every database has the heads of the first.
bool WaitUntilConverged(const std::vector<Database*>& dbs) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto converged = [&] {
    for (Database* db : dbs) {
      if (db->Heads() != dbs[0]->Heads()) return false;
    }
    return true;
  };
  while (!converged() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return converged();
}

TEST_F(TcpSyncTest, ReplicasEditingConcurrentlyConvergeThroughTheServer) {
  ConvergeThroughTheServer();
}

TEST_F(TcpSyncTest, ReplicasConvergeThroughTheServerOverTlsWithAKey) {
  defaults_.key = "a shared key of the replicas";
  ConvergeThroughTheServer();
}

void TcpSyncTest::ConvergeThroughTheServer() {
  StartServer();
  std::vector<std::unique_ptr<Database>> replicas;
  for (int idx = 0; idx < 3; ++idx) {
    replicas.push_back(OpenOrDie(dir_.Sub("r" + std::to_string(idx))));
  }
  ViewDefinition by_city;
  by_city.name = "by_city";
  by_city.collection = "todo";
  by_city.fields = {"address.city"};
  ASSERT_TRUE(replicas[0]->CreateView(by_city).ok());
  ASSERT_TRUE(server_db_->CreateView(by_city).ok());
  std::mt19937_64 rng(42);
  // Replicas edit on their own threads while syncing in random order.
  std::vector<std::thread> editors;
  for (int idx = 0; idx < 3; ++idx) {
    editors.emplace_back([&, idx] {
      std::mt19937_64 local(idx);
      for (int edit = 0; edit < 60; ++edit)
        RandomEdit(replicas[idx].get(), local);
    });
  }
  for (int round = 0; round < 20; ++round) {
    auto stats = Sync(replicas[rng() % 3].get());
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  }
  for (std::thread& editor : editors) editor.join();
  // A replica killed (closed) and reopened catches up too.
  replicas[2].reset();
  replicas[2] = OpenOrDie(dir_.Sub("r2"));
  for (int round = 0; round < 2; ++round) {
    for (auto& replica : replicas) ASSERT_TRUE(Sync(replica.get()).ok());
  }
  for (auto& replica : replicas) ExpectSameState(*replica, *server_db_);
  EXPECT_EQ(*replicas[0]->ViewDigest("by_city"),
            *server_db_->ViewDigest("by_city"));
  auto again = Sync(replicas[0].get());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->changes_sent + again->changes_received, 0u);
  EXPECT_EQ(again->round_trips, 1u);
  EXPECT_TRUE(server_->failures().empty());
}

// No hub: four replicas each serve, edit on their own threads and sync in
// random pairs, one-shot or live (a live link stays up across the rounds
// and carries what either end stores, including what reached it from the
// others); one replica is closed and reopened midway.
TEST_F(TcpSyncTest,
       ReplicasServingEachOtherConvergeInRandomLiveAndOneShotPairs) {
  constexpr int kReplicas = 4;
  ViewDefinition by_city;
  by_city.name = "by_city";
  by_city.collection = "todo";
  by_city.fields = {"address.city"};
  std::vector<std::unique_ptr<Database>> dbs;
  std::vector<std::unique_ptr<SyncServer>> servers;
  auto serve = [&](int idx) {
    auto server = SyncServer::Start(dbs[idx].get(), "127.0.0.1", 0, {});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    servers[idx] = std::move(server).value();
  };
  for (int idx = 0; idx < kReplicas; ++idx) {
    dbs.push_back(OpenOrDie(dir_.Sub("r" + std::to_string(idx))));
    ASSERT_TRUE(dbs[idx]->CreateView(by_city).ok());
    servers.emplace_back();
    serve(idx);
  }
  auto sync = [&](int from, int to, const SyncOptions& options) {
    return SyncWith(*dbs[from], "127.0.0.1", servers[to]->port(), options);
  };

  // Live links: 0 -> 1 for the whole test, 2 -> 3 started in the rounds.
  struct LiveLink {
    std::atomic<bool> stop{false};
    Result<SyncStats> stats = Status::IOError("not run");
    std::thread thread;
  };
  std::mt19937_64 rng(7);
  LiveLink first, second;
  auto start_live = [&](LiveLink& link, int from, int to) {
    SyncOptions live;
    live.live = true;
    live.stop = &link.stop;
    link.thread =
        std::thread([&, from, to, live] { link.stats = sync(from, to, live); });
  };
  start_live(first, 0, 1);
  std::vector<std::thread> editors;
  for (int idx = 0; idx < kReplicas; ++idx) {
    editors.emplace_back([&, idx] {
      std::mt19937_64 local(100 + idx);
      for (int edit = 0; edit < 50; ++edit) RandomEdit(dbs[idx].get(), local);
    });
  }
  for (int round = 0; round < 24; ++round) {
    if (round == 6) start_live(second, 2, 3);
    int from = static_cast<int>(rng() % kReplicas);
    int to = static_cast<int>((from + 1 + rng() % (kReplicas - 1)) % kReplicas);
    auto stats = sync(from, to, {});
    ASSERT_TRUE(stats.ok())
        << from << " -> " << to << ": " << stats.status().ToString();
  }
  for (std::thread& editor : editors) editor.join();
  // Replica 2 goes down (its live link ends with it) and comes back.
  second.stop = true;
  second.thread.join();
  ASSERT_TRUE(second.stats.ok()) << second.stats.status().ToString();
  servers[2].reset();
  dbs[2].reset();
  dbs[2] = OpenOrDie(dir_.Sub("r2"));
  serve(2);
  for (int edit = 0; edit < 10; ++edit) {
    RandomEdit(dbs[2].get(), rng);  // reaches the others only by the ring
    RandomEdit(dbs[0].get(), rng);  // and by the live link
  }
  // Heal: a ring of one-shot syncs, twice round, reaches everyone; the
  // live link between 0 and 1 must have kept them equal meanwhile.
  for (int lap = 0; lap < 2; ++lap) {
    for (int idx = 0; idx < kReplicas; ++idx) {
      auto stats = sync(idx, (idx + 1) % kReplicas, {});
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    }
  }
  EXPECT_TRUE(WaitUntilConverged(
      {dbs[0].get(), dbs[1].get(), dbs[2].get(), dbs[3].get()}));
  first.stop = true;
  first.thread.join();
  ASSERT_TRUE(first.stats.ok()) << first.stats.status().ToString();
  EXPECT_GT(first.stats->changes_sent, 0u);
  EXPECT_GT(first.stats->changes_received, 0u);
  for (int idx = 1; idx < kReplicas; ++idx) {
    ExpectSameState(*dbs[idx], *dbs[0]);
    EXPECT_EQ(*dbs[idx]->ViewDigest("by_city"), *dbs[0]->ViewDigest("by_city"));
  }
  for (int idx = 0; idx < kReplicas; ++idx) {
    ExpectVerified(*dbs[idx]);
    EXPECT_TRUE(servers[idx]->failures().empty())
        << idx << ": " << ::testing::PrintToString(servers[idx]->failures());
  }
}

TEST_F(TcpSyncTest, LiveSyncPushesEditsBothWaysOverOneHeldConnection) {
  PushLiveBothWays();
}

TEST_F(TcpSyncTest, LiveSyncPushesEditsBothWaysOverTlsWithAKey) {
  defaults_.key = "a shared key of the replicas";
  PushLiveBothWays();
}

void TcpSyncTest::PushLiveBothWays() {
  // Short timeouts: a quiet live connection survives only by its pings.
  SyncOptions options = defaults_;
  options.timeout_ms = 300;
  StartServer(options);
  auto a = OpenOrDie(dir_.Sub("a"));
  auto b = OpenOrDie(dir_.Sub("b"));
  std::mt19937_64 rng(11);
  RandomEdit(a.get(), rng);  // something to catch up on first
  std::atomic<bool> stop{false};
  SyncOptions live = options;
  live.live = true;
  live.stop = &stop;
  Result<SyncStats> stats_a = Status::IOError("not run"),
                    stats_b = Status::IOError("not run");
  std::thread sync_a([&] { stats_a = Sync(a.get(), live); });
  std::thread sync_b([&] { stats_b = Sync(b.get(), live); });
  // Edits on both clients travel through the server to the other one;
  // nothing here starts a sync.
  for (int edit = 0; edit < 40; ++edit) {
    RandomEdit(edit % 2 ? a.get() : b.get(), rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(WaitUntilConverged({a.get(), b.get(), server_db_.get()}));
  // Quiet for over three timeouts: pings keep both connections up.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(server_->sessions(), 0u) << "a live session ended early";
  // A change committed on the server itself is pushed to both.
  Put(server_db_.get(), "todo/9", R"({"title": "from the server"})");
  EXPECT_TRUE(WaitUntilConverged({server_db_.get(), a.get(), b.get()}));
  stop = true;
  sync_a.join();
  sync_b.join();
  ASSERT_TRUE(stats_a.ok()) << stats_a.status().ToString();
  ASSERT_TRUE(stats_b.ok()) << stats_b.status().ToString();
  ExpectSameState(*a, *b);
  ExpectSameState(*a, *server_db_);
  EXPECT_GT(stats_a->changes_sent, 0u);
  EXPECT_GT(stats_a->changes_received, 0u);
  EXPECT_GT(stats_b->changes_received, 0u);
  // What kept them up in the quiet second: Pings each way, one about every
  // timeout / 3 (100 ms; at least 3 each way, allowing for a slow machine).
  for (const SyncStats* stats : {&*stats_a, &*stats_b}) {
    EXPECT_GE(stats->pings_sent, 3u);
    EXPECT_GE(stats->pings_received, 3u);
  }
  // One connection each, from catching up to the stop, both ended well.
  WaitForSessions(2);
  EXPECT_EQ(server_->sessions(), 2u);
  EXPECT_TRUE(server_->failures().empty())
      << ::testing::PrintToString(server_->failures());
}

// Forwards bytes between a client and the server, cutting both sides
// after `cut_after` bytes from the server.
class CuttingProxy {
 public:
  CuttingProxy(uint16_t server_port, size_t cut_after)
      : server_port_(server_port), cut_after_(cut_after) {
    listen_fd_ = testing::ListenLoopback(&port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~CuttingProxy() {
    thread_.join();
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }

 private:
  void Run() {
    int client = accept(listen_fd_, nullptr, nullptr);
    int server = Connect(server_port_);
    size_t forwarded = 0;
    for (int turn = 0; turn < 10000 && forwarded < cut_after_; ++turn) {
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(client, &fds);
      FD_SET(server, &fds);
      timeval wait{2, 0};
      if (select(std::max(client, server) + 1, &fds, nullptr, nullptr, &wait) <=
          0) {
        break;
      }
      char chunk[1024];
      if (FD_ISSET(client, &fds)) {
        ssize_t got = read(client, chunk, sizeof(chunk));
        if (got <= 0 || send(server, chunk, got, MSG_NOSIGNAL) != got) break;
      }
      if (FD_ISSET(server, &fds)) {
        ssize_t got = read(server, chunk,
                           std::min(sizeof(chunk), cut_after_ - forwarded));
        if (got <= 0 || send(client, chunk, got, MSG_NOSIGNAL) != got) break;
        forwarded += got;
      }
    }
    close(client);
    close(server);
  }

  uint16_t server_port_;
  size_t cut_after_;
  int listen_fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Two replicas with one actor id (a database copied and then used in two
// places) write different changes at the same (actor, seq). Over TCP the
// equivocation is reported on both sides and neither stores the other's
// version; the rest still syncs, and both verify.
TEST_F(TcpSyncTest, EquivocationIsReportedAndNotMerged) {
  StartServer();
  Put(server_db_.get(), "todo/1", R"({"a": 1})");
  ASSERT_TRUE(server_db_->Checkpoint(dir_.Sub("twin")).ok());
  auto twin = OpenOrDie(dir_.Sub("twin"));
  Put(server_db_.get(), "todo/1", R"({"a": "server"})");  // seq 2 here
  Put(twin.get(), "todo/1", R"({"a": "twin"})");          // seq 2 there
  auto other = OpenOrDie(dir_.Sub("other"));
  Put(other.get(), "todo/2", R"({"b": 2})");
  ASSERT_TRUE(Sync(other.get()).ok());  // the server also holds todo/2 now

  auto stats = Sync(twin.get());
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->equivocations.size(), 1u);
  EXPECT_NE(stats->equivocations[0].find("seq 2"), std::string::npos)
      << stats->equivocations[0];
  EXPECT_EQ(stats->changes_sent, 0u);      // its seq 2 is not offered
  EXPECT_EQ(stats->changes_received, 1u);  // todo/2 still arrives
  EXPECT_EQ(*twin->GetPathJson("todo/1", "a"), "\"twin\"");
  EXPECT_EQ(*server_db_->GetPathJson("todo/1", "a"), "\"server\"");
  EXPECT_EQ(*twin->GetPathJson("todo/2", "b"), "2");
  ExpectVerified(*twin);
  ExpectVerified(*server_db_);
}

// A clone reports its progress as batches arrive: counts only grow and end
// at the session's final figures.
TEST_F(TcpSyncTest, CloneReportsProgressAsBatchesArrive) {
  StartServer();
  std::mt19937_64 rng(11);
  // Enough that the compressed batches take several reads.
  for (int edit = 0; edit < 20000; ++edit) RandomEdit(server_db_.get(), rng);
  auto client = OpenOrDie(dir_.Sub("client"));
  std::vector<SyncStats> reports;
  SyncOptions options;
  options.progress = [&](const SyncStats& so_far) {
    reports.push_back(so_far);
  };
  auto stats = Sync(client.get(), options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_GE(reports.size(), 3u) << stats->bytes_received;
  for (size_t idx = 1; idx < reports.size(); ++idx) {
    EXPECT_GE(reports[idx].changes_received, reports[idx - 1].changes_received);
    EXPECT_GE(reports[idx].bytes_received, reports[idx - 1].bytes_received);
  }
  EXPECT_LT(reports.front().changes_received, stats->changes_received);
  EXPECT_EQ(reports.back().changes_received, stats->changes_received);
  EXPECT_EQ(stats->changes_received, server_db_->LogLength());
}

TEST_F(TcpSyncTest, InterruptedTransfersLeaveBothSidesValidAndFinishLater) {
  StartServer();
  std::mt19937_64 rng(7);
  for (int edit = 0; edit < 3000; ++edit) RandomEdit(server_db_.get(), rng);
  auto client = OpenOrDie(dir_.Sub("client"));
  SyncOptions quick;
  quick.timeout_ms = 2000;
  int interrupted = 0;
  for (int attempt = 0; attempt < 24; ++attempt) {
    // New changes on the server each time, so that there is always a
    // transfer to cut: in the summary, or in the middle of a batch.
    for (int edit = 0; edit < 500; ++edit) RandomEdit(server_db_.get(), rng);
    CuttingProxy proxy(server_->port(), 50 + rng() % 1500);
    auto stats = SyncWith(*client, "127.0.0.1", proxy.port(), quick);
    if (!stats.ok()) ++interrupted;
    {
      SCOPED_TRACE("attempt " + std::to_string(attempt));
      ExpectVerified(*client);
    }
    RandomEdit(client.get(), rng);  // the client goes on working meanwhile
  }
  EXPECT_GE(interrupted, 20);
  ASSERT_TRUE(Sync(client.get()).ok());
  ASSERT_TRUE(Sync(client.get()).ok());
  ExpectSameState(*client, *server_db_);
  ExpectVerified(*server_db_);
}

TEST_F(TcpSyncTest, HostilePeersAreDroppedWithAReasonAndOthersStillServed) {
  SyncOptions options;
  options.timeout_ms = 400;
  options.session_timeout_ms = 1500;
  StartServer(options);
  std::mt19937_64 rng(9);
  for (int edit = 0; edit < 20; ++edit) RandomEdit(server_db_.get(), rng);
  uint64_t log_length = server_db_->LogLength();
  auto good = OpenOrDie(dir_.Sub("good"));

  // A Hello of a protocol version from the future.
  std::string future = testing::HelloFrame(ActorId(), 99);

  struct Case {
    const char* name;
    std::string bytes;     // sent at once
    bool trickle = false;  // one byte every 100 ms instead
    const char* reason;    // in the server's failure
  };
  std::string garbage(300, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  garbage.replace(0, 4, std::string("\x00\x00\x01\x00", 4));  // 256 bytes
                                                              // of junk
  const Case cases[] = {
      {"garbage", garbage, false, "verification"},
      {"oversized frame", std::string("\x7f\xff\xff\xff", 4), false, "limit"},
      {"truncated frame then close",
       std::string("\x00\x00\x01\x00"
                   "abc",
                   7),
       false, "closed the connection"},
      {"wrong version", future, false, "protocol version 99"},
      {"silent", "", false, "sent nothing"},
      {"one byte at a time",
       std::string("\x00\x00\x01\x00", 4) + std::string(46, 'x'), true,
       "too long"},
  };
  uint64_t sessions = 0;
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    int fd = Connect(server_->port());
    if (test.trickle) {
      for (char byte : test.bytes) {
        if (send(fd, &byte, 1, MSG_NOSIGNAL) != 1) break;  // dropped: stop
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    } else if (!test.bytes.empty()) {
      ASSERT_EQ(send(fd, test.bytes.data(), test.bytes.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(test.bytes.size()));
      if (std::string(test.name).find("close") != std::string::npos) {
        shutdown(fd, SHUT_WR);
      }
    }
    ReadUntilClosed(fd);  // the server closes (or the 5 s read limit)
    close(fd);
    WaitForSessions(++sessions);
    std::vector<std::string> failures = server_->failures();
    ASSERT_FALSE(failures.empty());
    EXPECT_NE(failures.back().find(test.reason), std::string::npos)
        << failures.back();
    // The server still serves a good peer, and stored nothing invalid.
    auto stats = Sync(good.get());
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    WaitForSessions(++sessions);
    EXPECT_EQ(server_db_->LogLength(), log_length);
  }
  ExpectVerified(*server_db_);
}

// A peer that claims two changes, then sends only the second (its parent
// never arrives), or sends garbage where a batch should be.
TEST_F(TcpSyncTest, BatchesThatCannotBeStoredWholeAreRefusedByTheServer) {
  StartServer();
  auto source = OpenOrDie(dir_.Sub("source"));
  std::mt19937_64 rng(13);
  RandomEdit(source.get(), rng);
  RandomEdit(source.get(), rng);
  ActorState claimed = source->Actors()[0];
  ASSERT_EQ(claimed.seq, 2u);
  std::string handshake =
      testing::HelloFrame(claimed.actor) + testing::SummaryFrame(claimed);
  struct Case {
    const char* name;
    std::string payload;
    const char* reason;
  };
  const Case cases[] = {
      {"parent never arrives", testing::RunOf({source->GetChangeAt(2)->bytes}),
       "change 1 of 1"},
      {"not a run", "definitely not a run", "not a run of changes"},
  };
  uint64_t sessions = 0;
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    std::string failure = SendAsPeer(
        handshake + testing::ChangesFrame(test.payload, 1), ++sessions);
    EXPECT_NE(failure.find(test.reason), std::string::npos) << failure;
    EXPECT_EQ(server_db_->LogLength(), 0u);  // nothing half-stored
  }
  ExpectVerified(*server_db_);
  // The same replica, honestly, is served afterwards.
  ASSERT_TRUE(Sync(source.get()).ok());
  EXPECT_EQ(server_db_->LogLength(), 2u);
}

// A change built by hand, as a hostile peer would: one map_set on `doc`.
dag::EncodedChange HandMadeChange(const ActorId& actor, uint64_t seq,
                                  uint64_t start_op,
                                  std::vector<Hash> parents) {
  Change change;
  change.actor = actor;
  change.seq = seq;
  change.start_op = start_op;
  change.parents = std::move(parents);
  change.docs = {{"t", "poison"}};
  if (actor == testing::ActorFromSeed(77) && seq == 1) {
    change.author_key = testing::AuthorFromSeed(77).public_key();
  }
  Op op;
  op.action = OpAction::kMapSet;
  op.key = "x";
  op.value = int64_t{1};
  change.ops.push_back(op);
  return dag::EncodeChange(change);
}

// Items 2 and 5 of the hostile-input issue: a change whose op counters
// start near the top of the range (it left no room for any later commit
// on every replica it reached), and a change under the server's own actor
// (its next commit reused the seq). Both are refused with a reason, nothing
// is stored, and the server's own commits go on.
TEST_F(TcpSyncTest, ChangesThatWouldPoisonTheReplicaAreRefused) {
  StartServer();
  Put(server_db_.get(), "t/1", R"({"n": 1})");
  ActorState own = server_db_->Actors()[0];
  ActorId stranger = testing::ActorFromSeed(77);
  auto poison = HandMadeChange(
      stranger, 1, limits::kOpCounterMax - limits::kChangeBytesCeiling - 8,
      server_db_->Heads());
  auto forged = HandMadeChange(
      own.actor, own.seq + 1, server_db_->NextOpCounter(), server_db_->Heads());
  struct Case {
    const char* name;
    ActorState claimed;
    dag::EncodedChange change;
    const char* reason;
  };
  const Case cases[] = {
      {"counters near the top", ActorState{stranger, 1, poison.hash, 0}, poison,
       "jump past the parents"},
      {"the server's own actor",
       ActorState{own.actor, own.seq + 1, forged.hash, 0}, forged, "own actor"},
  };
  uint64_t sessions = 0;
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    std::string failure = SendAsPeer(
        testing::HelloFrame(testing::ActorFromSeed(78)) +
            testing::SummaryFrame(test.claimed) +
            testing::ChangesFrame(testing::RunOf({test.change.bytes}), 1),
        ++sessions);
    EXPECT_NE(failure.find(test.reason), std::string::npos) << failure;
    EXPECT_EQ(server_db_->LogLength(), 1u);
    // Through the API too: the same bytes are refused the same way.
    auto received = server_db_->Receive(
        test.change.bytes, testing::EncodedProofsOf(test.change.bytes));
    EXPECT_TRUE(received.status().IsInvalidArgument())
        << received.status().ToString();
  }
  // The server still commits, under the next seq of its own actor.
  Put(server_db_.get(), "t/2", R"({"n": 2})");
  EXPECT_EQ(server_db_->Actors()[0].seq, own.seq + 1);
  EXPECT_NE(server_db_->GetChangeAt(2)->hash, forged.hash);
  ExpectVerified(*server_db_);
}

// Issue 17, forged authorship over TCP: another replica's changes sent
// without its proof, with its signature altered, with another key's
// signature, or with its genuine proof over changed bytes are refused with
// the reason and nothing is stored; with the genuine proof they are taken.
TEST_F(TcpSyncTest, ChangesNotSignedByTheirActorAreRefused) {
  StartServer();
  auto author = OpenOrDie(dir_.Sub("author"));
  Put(author.get(), "t/1", R"({"n": 1})");
  Put(author.get(), "t/2", R"({"n": 2})");
  auto first = author->GetChangeAt(1);
  auto second = author->GetChangeAt(2);
  ASSERT_TRUE(first.ok() && second.ok());
  auto genuine = author->ProveChange(second->hash);
  ASSERT_TRUE(genuine.ok()) << genuine.status().ToString();
  auto proofs = dag::DecodeProofs(*genuine, 4);
  ASSERT_TRUE(proofs.ok());
  ASSERT_EQ(proofs->size(), 1u);
  ASSERT_EQ((*proofs)[0].seq, 2u);

  auto flipped = *proofs;
  flipped[0].signature[7] ^= 0x01;
  auto other_key = *proofs;  // a stranger signs the author's chain
  Hash chain =
      dag::ExtendChain(dag::ExtendChain(Hash(), first->hash), second->hash);
  other_key[0].signature = testing::AuthorFromSeed(77).Sign(2, chain);
  Change altered = second->change;
  altered.message = "not what the author wrote";
  std::string altered_bytes = dag::EncodeChange(altered).bytes;

  struct Case {
    const char* name;
    std::vector<std::string> changes;
    std::string proofs;
    const char* reason;
  };
  const Case cases[] = {
      {"no proof", {first->bytes, second->bytes}, "", "without a proof"},
      {"altered signature",
       {first->bytes, second->bytes},
       dag::EncodeProofs(flipped),
       "does not verify"},
      {"another key's signature",
       {first->bytes, second->bytes},
       dag::EncodeProofs(other_key),
       "does not verify"},
      {"the genuine proof over other bytes",
       {first->bytes, altered_bytes},
       *genuine,
       "does not verify"},
  };
  ActorState claimed{author->local_actor(), 2, second->hash, 0};
  uint64_t sessions = 0;
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    std::string failure = SendAsPeer(
        testing::HelloFrame(testing::ActorFromSeed(78)) +
            testing::SummaryFrame(claimed) +
            testing::ChangesFrame(testing::RunOf(test.changes), 2, test.proofs),
        ++sessions);
    EXPECT_NE(failure.find(test.reason), std::string::npos) << failure;
    EXPECT_EQ(server_db_->LogLength(), 0u);
  }
  SendAsPeer(
      testing::HelloFrame(testing::ActorFromSeed(78)) +
          testing::SummaryFrame(claimed) +
          testing::ChangesFrame(testing::RunOf({first->bytes, second->bytes}),
                                2, *genuine),
      ++sessions);
  EXPECT_EQ(server_db_->LogLength(), 2u);
  EXPECT_EQ(*server_db_->GetJson("t/2"), *author->GetJson("t/2"));
  ExpectVerified(*server_db_);
}

// Item 11: a peer's Error reason reaches the server's log capped and with
// its control bytes escaped, so it can neither forge log lines nor fill the
// disk.
TEST_F(TcpSyncTest, APeersReasonCannotForgeOrFloodTheLog) {
  server_db_ = OpenOrDie(dir_.Sub("server"));
  std::mutex mutex;
  std::vector<std::string> logged;
  auto server = SyncServer::Start(
      server_db_.get(), "127.0.0.1", 0, SyncOptions(),
      [&](const std::string&, const Status& status, const SyncStats&) {
        std::lock_guard<std::mutex> lock(mutex);
        logged.push_back(status.ToString());
      });
  ASSERT_TRUE(server.ok());
  server_ = std::move(server).value();
  std::string forged = "bye\nsync with 10.0.0.1: sent 9 changes\x1b[2J" +
                       std::string(1 << 20, 'x');
  std::string bytes = testing::HelloFrame(testing::ActorFromSeed(3)) +
                      testing::ErrorFrame(forged);
  int fd = Connect(server_->port());
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
  ReadUntilClosed(fd);
  close(fd);
  WaitForSessions(1);
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(logged.size(), 1u);
  const std::string& line = logged[0];
  EXPECT_NE(line.find("bye\\x0async with"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_LT(line.size(), 1024u);
}

// Item 10: five sessions under fresh replica ids, each claiming 150,000
// actors that never come, grew the database by 86 MB of peer records (here
// 30,000 each, to stay quick under the sanitizers). A record naming over
// kUnheldActorsMax actors this replica lacks after the session is not kept.
TEST_F(TcpSyncTest, SummariesOfFakeActorsLeaveNoPeerRecords) {
  StartServer();
  Put(server_db_.get(), "t/1", R"({"n": 1})");
  uint64_t size_before = server_db_->ApproximateSizeBytes();
  std::vector<ActorState> fakes;
  for (uint64_t actor = 0; actor < 30000; ++actor) {
    fakes.push_back(
        ActorState{testing::ActorFromSeed(1000 + actor), 7, Hash(), 0});
  }
  std::string claim = testing::SummaryFrameOf(fakes);
  for (int session = 0; session < 5; ++session) {
    SendAsPeer(testing::HelloFrame(testing::ActorFromSeed(session)) + claim +
                   testing::ChangesFrame("", 0) + testing::AckFrame(),
               session + 1);
  }
  EXPECT_TRUE(server_->failures().empty())
      << server_->failures().front();  // the sessions themselves succeed
  auto peers = server_db_->ListPeers();
  ASSERT_TRUE(peers.ok());
  EXPECT_TRUE(peers->empty()) << peers->size() << " peer records";
  uint64_t growth = server_db_->ApproximateSizeBytes() - size_before;
  EXPECT_LT(growth, 4u << 20) << growth << " bytes";
  RecordProperty("growth_bytes", std::to_string(growth));
  // An honest peer is remembered, listed, and can be forgotten.
  auto client = OpenOrDie(dir_.Sub("client"));
  Put(client.get(), "t/2", R"({"n": 2})");
  ASSERT_TRUE(Sync(client.get()).ok());
  // The server notes the peer when its side of the session ends, which can
  // be after the client's: wait for it (the test failed under ASan so).
  WaitForSessions(6);
  ASSERT_EQ(server_->sessions(), 6u);
  peers = server_db_->ListPeers();
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->size(), 1u);
  EXPECT_EQ((*peers)[0].replica, client->local_actor());
  EXPECT_EQ((*peers)[0].actors, 2u);
  auto client_peers = client->ListPeers();
  ASSERT_TRUE(client_peers.ok() && client_peers->size() == 1);
  EXPECT_EQ(
      (*client_peers)[0].addresses,
      std::vector<std::string>{"127.0.0.1:" + std::to_string(server_->port())});
  EXPECT_TRUE(server_db_->ForgetPeer(client->local_actor()).ok());
  EXPECT_TRUE(server_db_->ForgetPeer(client->local_actor()).IsNotFound());
  EXPECT_TRUE(client->ForgetAllPeers().ok());
  EXPECT_TRUE(client->ListPeers()->empty());
  ASSERT_TRUE(Sync(client.get()).ok());  // full summaries again: still fine
}

TEST_F(TcpSyncTest, KeysGuardTheServerAndNonLoopbackNeedsOne) {
  SyncOptions keyed;
  keyed.key = "correct horse battery staple";
  StartServer(keyed);
  auto client = OpenOrDie(dir_.Sub("client"));
  std::mt19937_64 rng(5);
  RandomEdit(client.get(), rng);
  SyncOptions wrong;
  wrong.key = "wrong";
  auto failed = Sync(client.get(), wrong);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().ToString().find("authentication failed"),
            std::string::npos)
      << failed.status().ToString();
  EXPECT_FALSE(Sync(client.get()).ok());  // no key at all
  EXPECT_EQ(server_db_->LogLength(), 0u);
  auto stats = Sync(client.get(), keyed);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(server_db_->LogLength(), 1u);

  auto open = SyncServer::Start(server_db_.get(), "0.0.0.0", 0, SyncOptions());
  EXPECT_TRUE(open.status().IsInvalidArgument()) << open.status().ToString();
}

}  // namespace
}  // namespace weft
