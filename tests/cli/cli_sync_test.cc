// Replicas synced through the shell: `weft serve` and `weft sync` in
// child processes on 127.0.0.1, a clone killed midway, live sync.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/cli/cli_fixture.h"
#include "tests/cli/weft_child.h"

namespace weft {
namespace {

using testing::CliTest;
using testing::RunResult;
using testing::ServeChild;
using testing::StoredBytes;
using testing::WeftChild;

// `weft serve` in a child process; two other databases sync through it.
TEST_F(CliTest, ServeAndSyncBetweenThreeDatabases) {
  ServeChild hub(dir_.Sub("hub"));
  const std::string& address = hub.address();
  ASSERT_FALSE(address.empty()) << hub.banner();
  EXPECT_NE(hub.banner().find("loopback peers only"), std::string::npos)
      << hub.banner();

  std::string a = "--db " + dir_.Sub("a"), b = "--db " + dir_.Sub("b");
  ASSERT_EQ(Weft(a + " put notes/1 '{\"text\": \"from a\"}'").exit_code, 0);
  RunResult run = Weft(a + " --json sync " + address);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto stats = nlohmann::json::parse(run.out);
  EXPECT_EQ(stats["changes_sent"], 1);
  EXPECT_GE(stats["round_trips"], 1);
  run = Weft(b + " sync " + address);  // a new database clones the hub
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("received 1"), std::string::npos) << run.out;
  EXPECT_EQ(Weft(b + " get notes/1 text").out, "\"from a\"\n");
  run = Weft(b + " sync 127.0.0.1:1");  // nobody there
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("cannot connect"), std::string::npos) << run.err;
  EXPECT_EQ(Weft(b + " sync nowhere").exit_code, 2);

  int status = -1;
  std::string rest = hub.Stop(&status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(rest.find("stopped after 2 sessions, 0 of them failed"),
            std::string::npos)
      << rest;
}

// A replica killed (SIGKILL) while it clones a large history stays a valid
// database, and a restarted sync finishes the job: equal heads, documents,
// views. Killed at several points of the transfer.
TEST_F(CliTest, ReplicaKilledMidCloneCatchesUpAfterRestart) {
  std::string hub_path = dir_.Sub("hub");
  {
    auto hub = Database::Open(hub_path, Options());
    ASSERT_TRUE(hub.ok());
    ViewDefinition by_n;
    by_n.name = "by_n";
    by_n.kind = ViewKind::kIndex;
    by_n.collection = "items";
    by_n.fields = {"n"};
    ASSERT_TRUE((*hub)->CreateView(by_n).ok());
    for (int commit = 0; commit < 20000; ++commit) {
      auto txn = (*hub)->Begin();
      std::string doc = "items/" + std::to_string(commit % 500);
      ASSERT_TRUE(txn->Set(doc, "n", int64_t{commit}).status().ok());
      ASSERT_TRUE(txn->SpliceText(doc, "log", 0, 0, "x").status().ok());
      ASSERT_TRUE(txn->Commit().ok());
    }
  }
  ServeChild hub(hub_path);
  ASSERT_FALSE(hub.address().empty()) << hub.banner();
  std::string clone = dir_.Sub("clone");
  auto make_clone = [&] {
    std::filesystem::remove_all(clone);
    ASSERT_EQ(Weft("--db " + clone, "").exit_code, 0);  // the shell makes it
    ASSERT_EQ(Weft("--db " + clone +
                   " view create '{\"name\": \"by_n\", "
                   "\"kind\": \"index\", \"collection\": \"items\", "
                   "\"fields\": [\"n\"]}'")
                  .exit_code,
              0);
  };
  make_clone();
  // Kills each sync once the clone's files have grown (batches are being
  // stored), a little later each time, so kills land at several points of
  // the transfer. A machine fast enough to finish the clone before a kill
  // gets a fresh clone to kill again (at most 8 attempts in all).
  int killed_mid_way = 0, partial_clones = 0;
  for (int attempt = 0; attempt < 8 && partial_clones < 3; ++attempt) {
    uint64_t stored_before = StoredBytes(clone);
    pid_t child = fork();
    if (child == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
      execl(WEFT_BINARY, "weft", "--db", clone.c_str(), "sync",
            hub.address().c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    bool exited = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(child, &status, WNOHANG) == child) {
        exited = true;
        break;
      }
      if (StoredBytes(clone) > stored_before + 16 * 1024) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5 * (attempt % 3)));
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
    }
    killed_mid_way += WIFSIGNALED(status) ? 1 : 0;
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    RunResult verify = Weft("--db " + clone + " verify");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    auto status_json =
        nlohmann::json::parse(Weft("--db " + clone + " --json status").out);
    uint64_t held = status_json["log_length"];
    partial_clones += held > 0 && held < 20000 ? 1 : 0;
    if (held == 20000 && partial_clones < 2) make_clone();
    if (held == 20000 && partial_clones >= 2) break;
  }
  EXPECT_GE(killed_mid_way, 2);
  EXPECT_GE(partial_clones, 2);  // killed with part of the history in
  RunResult run = Weft("--db " + clone + " sync " + hub.address());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  hub.Stop(nullptr);
  auto hub_db = Database::Open(hub_path, Options());
  auto clone_db = Database::Open(clone, Options());
  ASSERT_TRUE(hub_db.ok() && clone_db.ok());
  EXPECT_EQ((*clone_db)->Heads(), (*hub_db)->Heads());
  EXPECT_EQ((*clone_db)->LogLength(), 20000u);
  for (int doc = 0; doc < 500; doc += 37) {
    std::string name = "items/" + std::to_string(doc);
    EXPECT_EQ(*(*clone_db)->EncodedState(name), *(*hub_db)->EncodedState(name));
  }
  EXPECT_EQ(*(*clone_db)->ViewDigest("by_n"), *(*hub_db)->ViewDigest("by_n"));
}

// `weft sync --live` holds one connection: what another replica syncs to
// the hub reaches the live replica without it syncing again, and SIGTERM
// ends it with its totals and exit code 0.
TEST_F(CliTest, LiveSyncReceivesWhatOthersSyncUntilStopped) {
  ServeChild hub(dir_.Sub("hub"));
  ASSERT_FALSE(hub.address().empty()) << hub.banner();
  std::string live_db = dir_.Sub("live"), other = "--db " + dir_.Sub("other");
  ASSERT_EQ(
      Weft("--db " + live_db + " put notes/1 '{\"text\": \"live\"}'").exit_code,
      0);
  WeftChild live(live_db, {"--json", "sync", "--live", hub.address()},
                 "syncing live with");
  ASSERT_NE(live.banner().find("Ctrl-C stops"), std::string::npos)
      << live.banner();
  // The other replica gets the live one's note through the hub...
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  RunResult got;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(Weft(other + " sync " + hub.address()).exit_code, 0);
    got = Weft(other + " get notes/1 text");
  } while (got.exit_code != 0 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(got.out, "\"live\"\n");
  // ...and its own edits, synced to the hub, are pushed to the live one.
  ASSERT_EQ(Weft(other + " put notes/2 '{\"text\": \"pushed\"}'").exit_code, 0);
  ASSERT_EQ(Weft(other + " sync " + hub.address()).exit_code, 0);
  EXPECT_TRUE(live.WaitForLine("received 1 change"));
  int status = -1;
  std::string rest = live.Stop(&status);
  EXPECT_EQ(status, 0) << rest;
  size_t brace = rest.find('{');
  ASSERT_NE(brace, std::string::npos) << rest;
  auto stats =
      nlohmann::json::parse(rest.substr(brace, rest.find('\n', brace) - brace));
  EXPECT_EQ(stats["changes_sent"], 1);
  EXPECT_EQ(stats["changes_received"], 1);
  EXPECT_EQ(Weft("--db " + live_db + " get notes/2 text").out, "\"pushed\"\n");
  hub.Stop(nullptr);
}

// Identities through the shell: `weft identity`, a server that lets in
// the peers its file lists (over TLS), `sync --peer`, and the file reread
// on SIGHUP (a bad one keeps the list it had).
TEST_F(CliTest, ServeLetsInThePeersItsFileListsAndRereadsItOnHangup) {
  std::string hub = "--db " + dir_.Sub("hub"), a = "--db " + dir_.Sub("a"),
              b = "--db " + dir_.Sub("b");
  auto identity = [&](const std::string& db) {
    RunResult run = Weft(db + " identity");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run.out.substr(0, run.out.find('\n'));
  };
  std::string hub_id = identity(hub), a_id = identity(a), b_id = identity(b);
  EXPECT_EQ(hub_id.size(), 52u) << hub_id;
  EXPECT_EQ(identity(hub), hub_id) << "kept, not remade";
  auto json = nlohmann::json::parse(Weft(a + " --json identity").out);
  EXPECT_EQ(json["identity"], a_id);
  EXPECT_EQ(json["key_file"], dir_.Sub("a") + "/identity.key");
  RunResult bad_key = Weft(a + " identity --identity " + dir_.path());
  EXPECT_EQ(bad_key.exit_code, 1);
  EXPECT_NE(bad_key.err.find("is a directory"), std::string::npos)
      << bad_key.err;

  std::string peers = dir_.Sub("peers.txt");
  std::ofstream(peers) << "# who may sync\n" << a_id << " read-write laptop\n";
  ServeChild server(dir_.Sub("hub"), {"--peers", peers});
  ASSERT_FALSE(server.address().empty()) << server.banner();
  EXPECT_NE(server.banner().find("TLS; identity " + hub_id), std::string::npos)
      << server.banner();
  std::string to_hub = " sync " + server.address() + " --peer " + hub_id;

  ASSERT_EQ(Weft(a + " put notes/a '{\"from\": \"a\"}'").exit_code, 0);
  RunResult run = Weft(a + to_hub);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("sent 1 change"), std::string::npos) << run.out;
  run = Weft(a + " sync " + server.address());  // plaintext: refused
  EXPECT_EQ(run.exit_code, 1) << run.out;
  ASSERT_EQ(Weft(b + " put notes/b '{\"from\": \"b\"}'").exit_code, 0);
  run = Weft(b + to_hub);  // not listed
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_TRUE(server.WaitForLine("is not among this server's peers"))
      << server.OutputSoFar();

  // b is added as a reader: after SIGHUP it pulls, and its change stays.
  std::ofstream(peers, std::ios::app) << b_id << " read\n";
  kill(server.pid(), SIGHUP);
  EXPECT_TRUE(server.WaitForLine("peers file reread: 2 peers"))
      << server.OutputSoFar();
  run = Weft(b + to_hub);
  ASSERT_EQ(run.exit_code, 0) << run.err << server.OutputSoFar();
  EXPECT_EQ(Weft(b + " get notes/a from").out, "\"a\"\n");

  // A file that no longer reads keeps the list as it was.
  std::ofstream(peers, std::ios::trunc) << a_id << " write\n";
  kill(server.pid(), SIGHUP);
  EXPECT_TRUE(server.WaitForLine("peers file not reread"))
      << server.OutputSoFar();
  run = Weft(b + to_hub);
  EXPECT_EQ(run.exit_code, 0) << run.err;

  RunResult listed = Weft(a + " peers --file " + peers);
  EXPECT_EQ(listed.exit_code, 1) << "the broken file is reported";
  int status = -1;
  server.Stop(&status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(Weft(hub + " get notes/a from").out, "\"a\"\n");
  RunResult readers_change = Weft(hub + " get notes/b");
  EXPECT_NE(readers_change.exit_code, 0) << "a reader's change is not taken";
  EXPECT_NE(readers_change.err.find("NotFound: no document"), std::string::npos)
      << readers_change.err;
}

}  // namespace
}  // namespace weft
