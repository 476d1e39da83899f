// Sync over the secure channel, on real TCP on 127.0.0.1: identity keys and
// their files, pinned identities both ways, read and read-write grants,
// revocation, and a relay in the middle that reads and tampers with what
// passes. Every wait is bounded; every test stops by itself.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "tests/testutil/db.h"
#include "tests/testutil/loopback.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/wire.h"
#include "tls/spake2.h"
#include "weft/database.h"

namespace weft {
namespace {

using testing::OpenOrDie;
using testing::Put;
using testing::TempDir;

void WriteFile(const std::string& path, const std::string& text,
               mode_t mode = 0600) {
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

std::string IdentityOf(Database* db) {
  Result<std::string> id = ReplicaIdentity(*db, SyncOptions());
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : "";
}

SyncOptions Trusting(std::vector<std::string> identities,
                     bool may_write = true) {
  SyncOptions options;
  for (std::string& id : identities) {
    options.peers.push_back(PeerGrant{std::move(id), may_write, ""});
  }
  return options;
}

// A random text of `bytes` hex digits: what no compressor shrinks to
// nothing, so that its bytes cross the wire at length.
std::string RandomText(std::mt19937_64& rng, size_t bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text;
  for (size_t i = 0; i < bytes; ++i) text.push_back(kDigits[rng() % 16]);
  return text;
}

// A P-256 private key as PEM: a well-formed key of the wrong kind.
std::string EcKeyPem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(
      PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr),
      1);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

TEST(IdentityTest, MadeOnFirstUseOwnerOnlyAndStable) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  std::string id = IdentityOf(db.get());
  EXPECT_EQ(id.size(), 52u) << id;
  struct stat info;
  ASSERT_EQ(stat((dir.Sub("db") + "/identity.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(IdentityOf(db.get()), id) << "the key is kept, not remade";
  auto other = OpenOrDie(dir.Sub("other"));
  EXPECT_NE(IdentityOf(other.get()), id);
}

TEST(IdentityTest, KeyFilesThatCannotServeAreRefusedWithTheReason) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  auto refused = [&](const std::string& path) {
    SyncOptions options;
    options.identity_file = path;
    Result<std::string> id = ReplicaIdentity(*db, options);
    EXPECT_FALSE(id.ok()) << path;
    return id.status();
  };
  mkdir(dir.Sub("a_directory").c_str(), 0700);
  Status directory = refused(dir.Sub("a_directory"));
  EXPECT_TRUE(directory.IsInvalidArgument()) << directory.ToString();
  EXPECT_NE(directory.message().find("is a directory"), std::string::npos);

  WriteFile(dir.Sub("empty.key"), "");
  EXPECT_NE(refused(dir.Sub("empty.key")).message().find("is empty"),
            std::string::npos);

  WriteFile(dir.Sub("garbage.key"), "not a key at all\n");
  EXPECT_NE(refused(dir.Sub("garbage.key")).message().find("not a PEM"),
            std::string::npos);

  // A good key made readable by others is refused until chmod 600.
  SyncOptions made;
  made.identity_file = dir.Sub("mine.key");
  Result<std::string> mine = ReplicaIdentity(*db, made);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  chmod(made.identity_file.c_str(), 0644);
  Status shared = refused(made.identity_file);
  EXPECT_TRUE(shared.IsNotSupported()) << shared.ToString();
  EXPECT_NE(shared.message().find("readable by others (mode 644)"),
            std::string::npos)
      << shared.ToString();
  chmod(made.identity_file.c_str(), 0600);
  EXPECT_EQ(*ReplicaIdentity(*db, made), *mine);

  // An EC key is a key, but not an identity.
  WriteFile(dir.Sub("ec.key"), EcKeyPem());
  Status ec = refused(dir.Sub("ec.key"));
  EXPECT_TRUE(ec.IsInvalidArgument()) << ec.ToString();
  EXPECT_NE(ec.message().find("not an Ed25519 key"), std::string::npos)
      << ec.ToString();
}

TEST(PeersFileTest, ReadsGrantsAndNamesTheLineOfAMistake) {
  TempDir dir;
  auto a = OpenOrDie(dir.Sub("a"));
  auto b = OpenOrDie(dir.Sub("b"));
  std::string id_a = IdentityOf(a.get()), id_b = IdentityOf(b.get());
  std::string upper_b = id_b;
  for (char& c : upper_b) c = static_cast<char>(std::toupper(c));
  WriteFile(dir.Sub("peers"), "# the team\n\n" + id_a +
                                  " read-write Ana's laptop\n" + upper_b +
                                  "  read\n");
  Result<std::vector<PeerGrant>> peers = ReadPeersFile(dir.Sub("peers"));
  ASSERT_TRUE(peers.ok()) << peers.status().ToString();
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_EQ((*peers)[0].identity, id_a);
  EXPECT_TRUE((*peers)[0].may_write);
  EXPECT_EQ((*peers)[0].name, "Ana's laptop");
  EXPECT_EQ((*peers)[1].identity, id_b) << "canonical form";
  EXPECT_FALSE((*peers)[1].may_write);

  WriteFile(dir.Sub("bad"), id_a + " read\n" + id_b + " write\n");
  Status bad = ReadPeersFile(dir.Sub("bad")).status();
  EXPECT_TRUE(bad.IsInvalidArgument());
  EXPECT_NE(bad.message().find(":2: access is read or read-write"),
            std::string::npos)
      << bad.ToString();
  WriteFile(dir.Sub("short"), "abc read\n");
  EXPECT_NE(ReadPeersFile(dir.Sub("short")).status().message().find(":1:"),
            std::string::npos);
  EXPECT_TRUE(ReadPeersFile(dir.Sub("none")).status().IsNotFound());
  EXPECT_TRUE(ReadPeersFile(dir.path()).status().IsInvalidArgument());
}

class SecureSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_db_ = OpenOrDie(dir_.Sub("server"));
    a_ = OpenOrDie(dir_.Sub("a"));
    b_ = OpenOrDie(dir_.Sub("b"));
    server_id_ = IdentityOf(server_db_.get());
    a_id_ = IdentityOf(a_.get());
    b_id_ = IdentityOf(b_.get());
  }
  // The server goes first: its thread may still log a session as it stops.
  void TearDown() override { server_.reset(); }
  void StartServer(SyncOptions options) {
    options.timeout_ms = 2000;
    auto server =
        SyncServer::Start(server_db_.get(), "127.0.0.1", 0, options,
                          [this](const std::string& peer, const Status& outcome,
                                 const SyncStats&) {
                            std::lock_guard<std::mutex> lock(log_mutex_);
                            log_.push_back(peer + " " + outcome.ToString());
                          });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  Result<SyncStats> Sync(Database* db, uint16_t port, SyncOptions options) {
    options.timeout_ms = 2000;
    return SyncWith(*db, "127.0.0.1", port, options);
  }
  SyncOptions ToServer() { return Trusting({server_id_}); }
  void WaitForSessions(uint64_t count) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server_->sessions() < count &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // Waits (at most 10 s) until a logged session's line holds `text`: the
  // server logs once it has closed, after the client has seen the end.
  bool WaitForLog(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(log_mutex_);
        for (const std::string& line : log_) {
          if (line.find(text) != std::string::npos) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  std::string LastLogLine() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    return log_.empty() ? "" : log_.back();
  }

  TempDir dir_;
  std::unique_ptr<Database> server_db_, a_, b_;
  std::string server_id_, a_id_, b_id_;
  std::unique_ptr<SyncServer> server_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(SecureSyncTest, ListedPeersConvergeOverTls) {
  StartServer(Trusting({a_id_, b_id_}));
  Put(a_.get(), "notes/a", R"({"from": "a"})");
  Put(b_.get(), "notes/b", R"({"from": "b"})");
  Put(server_db_.get(), "notes/s", R"({"from": "server"})");
  for (Database* db : {a_.get(), b_.get(), a_.get()}) {
    Result<SyncStats> stats = Sync(db, server_->port(), ToServer());
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  }
  EXPECT_EQ(a_->Heads(), server_db_->Heads());
  EXPECT_EQ(b_->LogLength(), 3u);
  EXPECT_TRUE(a_->GetJson("notes/b").ok());
  WaitForSessions(3);
  EXPECT_TRUE(server_->failures().empty())
      << ::testing::PrintToString(server_->failures());
  EXPECT_NE(LastLogLine().find("127.0.0.1 ("), std::string::npos)
      << "the log names the peer by identity: " << LastLogLine();
}

TEST_F(SecureSyncTest, UnknownIdentitiesAreRefusedBothWays) {
  StartServer(Trusting({a_id_}));
  Put(b_.get(), "notes/b", R"({"from": "b"})");
  // b is not among the server's peers.
  Result<SyncStats> stranger = Sync(b_.get(), server_->port(), ToServer());
  EXPECT_FALSE(stranger.ok());
  EXPECT_TRUE(
      WaitForLog("identity " + b_id_ + " is not among this server's peers"))
      << LastLogLine();
  EXPECT_EQ(server_db_->LogLength(), 0u) << "nothing of b stored";
  // a expects another server (b's identity): it refuses this one.
  Put(a_.get(), "notes/a", R"({"from": "a"})");
  Result<SyncStats> wrong = Sync(a_.get(), server_->port(), Trusting({b_id_}));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().ToString().find("has identity " + server_id_),
            std::string::npos)
      << wrong.status().ToString();
  EXPECT_EQ(server_db_->LogLength(), 0u);
  // The server still serves its peer.
  ASSERT_TRUE(Sync(a_.get(), server_->port(), ToServer()).ok());
  EXPECT_EQ(server_db_->LogLength(), 1u);
}

TEST_F(SecureSyncTest, PlaintextIsRefusedWhereIdentitiesAreSet) {
  StartServer(Trusting({a_id_}));
  Put(a_.get(), "notes/a", R"({"from": "a"})");
  Result<SyncStats> plain = Sync(a_.get(), server_->port(), SyncOptions());
  EXPECT_FALSE(plain.ok());
  EXPECT_TRUE(WaitForLog("does not speak TLS")) << LastLogLine();
  EXPECT_EQ(server_db_->LogLength(), 0u);
  // And a client that expects an identity refuses a plaintext server.
  auto plain_server =
      SyncServer::Start(b_.get(), "127.0.0.1", 0, SyncOptions());
  ASSERT_TRUE(plain_server.ok());
  EXPECT_TRUE(
      (*plain_server)->SetPeers(Trusting({a_id_}).peers).IsInvalidArgument())
      << "a server in the clear cannot start checking identities";
  Result<SyncStats> to_plain =
      Sync(a_.get(), (*plain_server)->port(), Trusting({b_id_}));
  EXPECT_FALSE(to_plain.ok());
  EXPECT_EQ(b_->LogLength(), 0u);
}

TEST_F(SecureSyncTest, AReadPeerPullsButItsChangesAreNotTaken) {
  SyncOptions grants;
  grants.peers = {PeerGrant{a_id_, false, "reader"},
                  PeerGrant{b_id_, true, ""}};
  StartServer(grants);
  Put(server_db_.get(), "notes/s", R"({"from": "server"})");
  Put(a_.get(), "notes/a", R"({"from": "a"})");
  Result<SyncStats> read = Sync(a_.get(), server_->port(), ToServer());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->changes_received, 1u);
  EXPECT_EQ(read->changes_sent, 0u);
  EXPECT_TRUE(a_->GetJson("notes/s").ok());
  EXPECT_FALSE(server_db_->GetJson("notes/a").ok()) << "a may only read";
  // The writer's changes are taken.
  Put(b_.get(), "notes/b", R"({"from": "b"})");
  ASSERT_TRUE(Sync(b_.get(), server_->port(), ToServer()).ok());
  EXPECT_TRUE(server_db_->GetJson("notes/b").ok());
}

TEST(ReadOnlyGrantTest, ChangesPushedAnywayEndTheSessionAndStoreNothing) {
  // A hostile reader that ignores the Hello's read_only, played by hand on
  // the sans-I/O endpoint.
  TempDir dir;
  auto server = OpenOrDie(dir.Sub("server"));
  auto reader = OpenOrDie(dir.Sub("reader"));
  Put(reader.get(), "notes/r", R"({"from": "reader"})");
  SyncOptions options;
  options.accept_changes = false;
  auto responder = server->NewSyncEndpoint(false, options);
  ASSERT_TRUE(responder.ok());
  std::string said = (*responder)->TakeOutput();
  EXPECT_FALSE(said.empty()) << "the responder's Hello";
  std::string bytes = reader->GetChangeAt(1)->bytes;
  std::string frames = testing::HelloFrame(reader->local_actor()) +
                       testing::SummaryFrameOf(reader->Actors()) +
                       testing::ChangesFrame(testing::RunOf({bytes}), 1);
  Status pushed = (*responder)->Receive(frames);
  ASSERT_FALSE(pushed.ok());
  EXPECT_NE(pushed.message().find("may only read here"), std::string::npos)
      << pushed.ToString();
  EXPECT_EQ(server->LogLength(), 0u);
}

TEST_F(SecureSyncTest, RevokedPeersAreRefusedAfterTheListChanges) {
  StartServer(Trusting({a_id_, b_id_}));
  Put(a_.get(), "notes/a1", R"({"n": 1})");
  ASSERT_TRUE(Sync(a_.get(), server_->port(), ToServer()).ok());
  // A live session of a, ended by the revocation.
  std::atomic<bool> stop{false};
  SyncOptions live = ToServer();
  live.live = true;
  live.stop = &stop;
  Result<SyncStats> live_result = Status::IOError("not run");
  std::thread live_a(
      [&] { live_result = Sync(a_.get(), server_->port(), live); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server_db_->LogLength() < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    Put(a_.get(), "notes/a2", R"({"n": 2})");  // pushed once live
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(server_db_->LogLength(), 2u) << "the live session carried edits";
  ASSERT_TRUE(server_->SetPeers({PeerGrant{b_id_, true, ""}}).ok());
  live_a.join();  // ended by the server, not by stop
  EXPECT_FALSE(live_result.ok());
  uint64_t before = server_db_->LogLength();
  Put(a_.get(), "notes/a3", R"({"n": 3})");
  EXPECT_FALSE(Sync(a_.get(), server_->port(), ToServer()).ok());
  EXPECT_EQ(server_db_->LogLength(), before);
  EXPECT_TRUE(WaitForLog("grant was revoked")) << LastLogLine();
  EXPECT_TRUE(
      WaitForLog("identity " + a_id_ + " is not among this server's peers"))
      << LastLogLine();
  // The server still serves b.
  Put(b_.get(), "notes/b", R"({"from": "b"})");
  ASSERT_TRUE(Sync(b_.get(), server_->port(), ToServer()).ok());
  EXPECT_TRUE(server_db_->GetJson("notes/b").ok());
  EXPECT_TRUE(server_->SetPeers({PeerGrant{"not an identity", true, ""}})
                  .IsInvalidArgument());
}

// Sits between a client and the server on loopback: forwards what each
// side sends, records it all, and may tamper with the first chunk of at
// least `tamper_at` bytes that one direction carries.
class Relay {
 public:
  enum class Tamper { kNone, kFlip, kDrop, kInject, kReorder };

  Relay(uint16_t server_port, Tamper tamper, bool to_server,
        size_t tamper_at = 1000)
      : server_port_(server_port),
        tamper_(tamper),
        to_server_(to_server),
        tamper_at_(tamper_at) {
    listen_fd_ = testing::ListenLoopback(&port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~Relay() {
    done_ = true;
    thread_.join();
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  bool tampered() const { return tampered_; }
  // Everything that crossed, both ways.
  std::string seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  void Run() {
    pollfd listening{listen_fd_, POLLIN, 0};
    if (poll(&listening, 1, 10000) <= 0) return;
    int client = accept(listen_fd_, nullptr, nullptr);
    int server = testing::ConnectLoopback(server_port_);
    std::string held;  // kReorder: a chunk waiting to go after the next
    for (int turn = 0; turn < 100000 && !done_; ++turn) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      int ready = poll(fds, 2, 50);
      if (ready < 0) break;
      if (ready == 0) {
        if (!held.empty()) {  // nothing came after it: send it late
          send(to_server_ ? server : client, held.data(), held.size(),
               MSG_NOSIGNAL);
          held.clear();
        }
        continue;
      }
      bool closed = false;
      for (int side = 0; side < 2; ++side) {
        if (!(fds[side].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char chunk[4096];
        ssize_t got = read(fds[side].fd, chunk, sizeof(chunk));
        if (got <= 0) {
          closed = true;
          break;
        }
        std::string bytes(chunk, static_cast<size_t>(got));
        {
          std::lock_guard<std::mutex> lock(mutex_);
          seen_ += bytes;
        }
        bool toward_server = side == 0;
        int to = toward_server ? server : client;
        if (toward_server == to_server_ && !tampered_ &&
            tamper_ != Tamper::kNone && bytes.size() >= tamper_at_) {
          tampered_ = true;
          switch (tamper_) {
            case Tamper::kFlip:
              bytes[bytes.size() / 2] ^= 0x01;
              break;
            case Tamper::kDrop:
              bytes.clear();
              break;
            case Tamper::kInject:
              bytes.insert(0, std::string(64, '\x17'));
              break;
            case Tamper::kReorder:
              held = bytes;
              bytes.clear();
              break;
            case Tamper::kNone:
              break;
          }
        } else if (!held.empty() && toward_server == to_server_) {
          bytes += held;
          held.clear();
        }
        if (!bytes.empty() &&
            send(to, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
                static_cast<ssize_t>(bytes.size())) {
          closed = true;
          break;
        }
      }
      if (closed) break;
    }
    close(client);
    close(server);
  }

  uint16_t server_port_;
  Tamper tamper_;
  bool to_server_;
  size_t tamper_at_;
  int listen_fd_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<bool> tampered_{false};
  std::mutex mutex_;
  std::string seen_;
};

// What a's changes carry that anyone reading the wire would recognise: its
// replica id (in every Hello and every change) and a long random text.
struct Secret {
  std::string actor;
  std::string text;
};

Secret WriteSecrets(Database* db) {
  std::mt19937_64 rng(42);
  Secret secret{std::string(db->local_actor().AsStringView()),
                RandomText(rng, 64)};
  auto txn = db->Begin();
  txn->Set("notes/secret", "text", secret.text);
  for (int doc = 0; doc < 40; ++doc) {  // enough bytes to tamper with
    txn->Set("notes/n" + std::to_string(doc), "text", RandomText(rng, 400));
  }
  EXPECT_TRUE(txn->Commit().ok());
  return secret;
}

TEST_F(SecureSyncTest, ARelayReadsNothingOfTheSessionButPlaintextItCould) {
  Secret secret = WriteSecrets(a_.get());
  // The control: over plaintext on loopback, the relay sees a's id.
  auto plain_server =
      SyncServer::Start(b_.get(), "127.0.0.1", 0, SyncOptions());
  ASSERT_TRUE(plain_server.ok());
  {
    Relay relay((*plain_server)->port(), Relay::Tamper::kNone, true);
    ASSERT_TRUE(Sync(a_.get(), relay.port(), SyncOptions()).ok());
    EXPECT_NE(relay.seen().find(secret.actor), std::string::npos)
        << "the control: plaintext shows the replica id";
  }
  // Over TLS it sees neither the id nor the text.
  StartServer(Trusting({a_id_}));
  Relay relay(server_->port(), Relay::Tamper::kNone, true);
  Result<SyncStats> stats = Sync(a_.get(), relay.port(), ToServer());
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(server_db_->Heads(), a_->Heads());
  std::string seen = relay.seen();
  EXPECT_GT(seen.size(), 10000u) << "the changes went through the relay";
  EXPECT_EQ(seen.find(secret.actor), std::string::npos);
  EXPECT_EQ(seen.find(secret.text), std::string::npos);
}

TEST_F(SecureSyncTest, ARelayThatTampersEndsTheSessionOnBothSides) {
  Secret secret = WriteSecrets(a_.get());
  StartServer(Trusting({a_id_}));
  uint64_t sessions = 0;
  for (Relay::Tamper tamper :
       {Relay::Tamper::kFlip, Relay::Tamper::kDrop, Relay::Tamper::kInject,
        Relay::Tamper::kReorder}) {
    SCOPED_TRACE(static_cast<int>(tamper));
    Relay relay(server_->port(), tamper, true);
    Result<SyncStats> stats = Sync(a_.get(), relay.port(), ToServer());
    EXPECT_TRUE(relay.tampered());
    EXPECT_FALSE(stats.ok()) << "the client saw the session fail";
    WaitForSessions(++sessions);
    EXPECT_EQ(server_->failures().size(), sessions)
        << "the server saw it fail: " << LastLogLine();
    EXPECT_EQ(server_db_->LogLength(), 0u) << "nothing stored";
  }
  // Untouched, the same session goes through.
  Relay honest(server_->port(), Relay::Tamper::kNone, true);
  ASSERT_TRUE(Sync(a_.get(), honest.port(), ToServer()).ok());
  EXPECT_TRUE(server_db_->GetJson("notes/secret").ok());
}

TEST_F(SecureSyncTest, ARelayThatTampersWithALiveSessionEndsIt) {
  StartServer(Trusting({a_id_}));
  Put(server_db_.get(), "notes/first", R"({"n": 1})");
  // The relay spoils the first big record from the server: the push of
  // what the server commits once the session is live.
  Relay relay(server_->port(), Relay::Tamper::kFlip, false, 2000);
  std::atomic<bool> stop{false};
  SyncOptions live = ToServer();
  live.live = true;
  live.stop = &stop;
  Result<SyncStats> result = Status::IOError("not run");
  std::thread client([&] { result = Sync(a_.get(), relay.port(), live); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (a_->LogLength() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(a_->LogLength(), 1u) << "caught up before the tampering";
  WriteSecrets(server_db_.get());  // pushed live, tampered on the way
  client.join();                   // the session failed: no stop was needed
  stop = true;
  EXPECT_TRUE(relay.tampered());
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(a_->LogLength(), 1u) << "nothing of the spoiled push stored";
  WaitForSessions(1);
  EXPECT_EQ(server_->failures().size(), 1u) << LastLogLine();
}

// The pre-shared key's exchange, played by hand: what each side says and
// when. A recorded exchange holds two random points and two MACs keyed by
// a secret a key guess cannot give (see tls/spake2.h); the responder says
// nothing before the initiator's share, its share is fresh every time (so
// not a function of the key), and its confirmation only follows a correct
// one from the initiator: a wrong one gets 32 zero bytes.
TEST(Spake2Test, TheResponderSaysNothingCheckableBeforeTheInitiatorProves) {
  const std::string binding(32, 'b');
  auto a = tls::Spake2::New(true, "correct horse", binding);
  auto b = tls::Spake2::New(false, "correct horse", binding);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*b)->TakeOutput(), "") << "the responder waits for the share";
  std::string share_a = (*a)->TakeOutput();
  ASSERT_EQ(share_a.size(), 65u);
  ASSERT_TRUE((*b)->Feed(share_a).ok());
  std::string share_b = (*b)->TakeOutput();
  ASSERT_EQ(share_b.size(), 65u) << "its share, and no confirmation yet";
  ASSERT_TRUE((*a)->Feed(share_b).ok());
  std::string confirm_a = (*a)->TakeOutput();
  ASSERT_EQ(confirm_a.size(), 32u);
  EXPECT_FALSE((*b)->done());
  ASSERT_TRUE((*b)->Feed(confirm_a).ok());
  std::string confirm_b = (*b)->TakeOutput();
  EXPECT_EQ(confirm_b.size(), 32u);
  EXPECT_TRUE((*b)->done());
  Result<size_t> used = (*a)->Feed(confirm_b + "HELLO");
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, 32u) << "what follows the exchange is left for sync";
  EXPECT_TRUE((*a)->done());

  // The same key again: every value on the wire is new.
  auto a2 = tls::Spake2::New(true, "correct horse", binding);
  auto b2 = tls::Spake2::New(false, "correct horse", binding);
  std::string share_a2 = (*a2)->TakeOutput();
  EXPECT_NE(share_a2, share_a);
  ASSERT_TRUE((*b2)->Feed(share_a2).ok());
  EXPECT_NE((*b2)->TakeOutput(), share_b);

  // A wrong key: the initiator's confirmation fails, and the responder's
  // answer is a refusal that holds nothing of its key.
  auto wrong = tls::Spake2::New(true, "wrong guess", binding);
  auto c = tls::Spake2::New(false, "correct horse", binding);
  ASSERT_TRUE((*c)->Feed((*wrong)->TakeOutput()).ok());
  ASSERT_TRUE((*wrong)->Feed((*c)->TakeOutput()).ok());
  Status refused = (*c)->Feed((*wrong)->TakeOutput()).status();
  EXPECT_NE(refused.message().find("authentication failed"), std::string::npos);
  EXPECT_EQ((*c)->TakeOutput(), std::string(32, '\0'));
  EXPECT_FALSE((*c)->done());

  // Another channel (another exporter value): the confirmations differ, so
  // a relay between two TLS connections cannot pass them on.
  auto d = tls::Spake2::New(true, "correct horse", std::string(32, 'x'));
  auto e = tls::Spake2::New(false, "correct horse", binding);
  ASSERT_TRUE((*e)->Feed((*d)->TakeOutput()).ok());
  ASSERT_TRUE((*d)->Feed((*e)->TakeOutput()).ok());
  EXPECT_FALSE((*e)->Feed((*d)->TakeOutput()).ok());
  // Not a point: Corruption, no answer.
  auto f = tls::Spake2::New(false, "correct horse", binding);
  EXPECT_TRUE((*f)->Feed(std::string(65, '\x04')).status().IsCorruption());
  EXPECT_EQ((*f)->TakeOutput(), "");
}

TEST_F(SecureSyncTest, AKeyIsProvedInsideTlsAndAWrongOneStoresNothing) {
  SyncOptions keyed;
  keyed.key = "correct horse battery staple";
  StartServer(keyed);
  Secret secret = WriteSecrets(a_.get());
  SyncOptions wrong;
  wrong.key = "correct horse battery stapler";
  Result<SyncStats> failed = Sync(a_.get(), server_->port(), wrong);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().ToString().find("authentication failed"),
            std::string::npos)
      << failed.status().ToString();
  EXPECT_TRUE(WaitForLog("authentication failed")) << LastLogLine();
  EXPECT_FALSE(Sync(a_.get(), server_->port(), SyncOptions()).ok())
      << "plaintext refused";
  EXPECT_EQ(server_db_->LogLength(), 0u);
  Relay relay(server_->port(), Relay::Tamper::kNone, true);
  Result<SyncStats> stats = Sync(a_.get(), relay.port(), keyed);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(server_db_->Heads(), a_->Heads());
  std::string seen = relay.seen();
  EXPECT_EQ(seen.find(secret.actor), std::string::npos) << "encrypted";
  EXPECT_EQ(seen.find(secret.text), std::string::npos);
}

}  // namespace
}  // namespace weft
