// Kills a committing writer with SIGKILL at random moments; after each kill
// the database must open, verify, and hold every acknowledged change.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "engine/log/log_entries.h"
#include "storage/rocksdb_kv_store.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"
#include "weft/sync.h"

namespace weft {
namespace {

struct Writer {
  pid_t pid = -1;
  int out_fd = -1;
};

// Runs `argv` (argv[0] the binary), its stdout into a pipe and, if
// `stdin_path` is not empty, its stdin from that file; `quiet`: its stderr
// to /dev/null.
Writer Start(const std::vector<std::string>& argv,
             const std::string& stdin_path = "", bool quiet = false) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    if (quiet) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, STDERR_FILENO);
      close(null);
    }
    if (!stdin_path.empty()) {
      int in = open(stdin_path.c_str(), O_RDONLY);
      dup2(in, STDIN_FILENO);
      close(in);
    }
    std::vector<char*> args;
    for (const std::string& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  return Writer{pid, fds[0]};
}

Writer Start(const char* binary, const std::string& first,
             const std::string& second) {
  return Start({binary, first, second});
}

// The writers killed: each prints the hash of every commit it has been
// told succeeded, one per line, and commits until killed.
enum class WriterKind { kCpp, kC, kCli };

// The shell's script: `put` lines, each printing its change's hash.
std::string CliScript(const std::string& dir, uint64_t seed) {
  std::string path = dir + "/script" + std::to_string(seed % 2);
  std::ofstream script(path);
  std::mt19937_64 rng(seed);
  for (int line = 0; line < 3000; ++line) {
    script << "put items/" << rng() % 50 << " {\"n\": " << rng() % 1000
           << "}\n";
  }
  return path;
}

Writer StartWriter(WriterKind kind, const std::string& db_path, uint64_t seed,
                   const std::string& scratch) {
  switch (kind) {
    case WriterKind::kCpp:
      return Start(WEFT_CRASH_WRITER, db_path, std::to_string(seed));
    case WriterKind::kC:
      return Start(WEFT_CRASH_WRITER_C, db_path, std::to_string(seed));
    case WriterKind::kCli:
      break;
  }
  return Start({WEFT_BINARY, "--db", db_path}, CliScript(scratch, seed));
}

// Reads what the writer printed; returns false on timeout or early exit.
bool ReadLines(int fd, size_t lines_wanted, std::string* buffer,
               std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (static_cast<size_t>(std::count(buffer->begin(), buffer->end(), '\n')) <
         lines_wanted) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd poll_fd{fd, POLLIN, 0};
    if (poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got <= 0) return false;
    buffer->append(chunk, got);
  }
  return true;
}

void DrainAfterKill(int fd, std::string* buffer) {
  char chunk[4096];
  ssize_t got;
  while ((got = read(fd, chunk, sizeof(chunk))) > 0) buffer->append(chunk, got);
}

// Rounds: 24, or as many as fit in $WEFT_SOAK_SECONDS (tests/crash/soak.sh).
bool AnotherRound(int done, std::chrono::steady_clock::time_point started) {
  const char* soak = std::getenv("WEFT_SOAK_SECONDS");
  if (soak == nullptr) return done < 24;
  return std::chrono::steady_clock::now() - started <
         std::chrono::seconds(std::atoi(soak));
}

// Adds the whole lines of `output` (a torn last line is no
// acknowledgement) to `acknowledged`.
void AddLines(const std::string& output, std::set<std::string>* acknowledged) {
  size_t end = output.rfind('\n');
  if (end == std::string::npos) return;
  for (size_t start = 0; start < end;) {
    size_t newline = output.find('\n', start);
    acknowledged->insert(output.substr(start, newline - start));
    start = newline + 1;
  }
}

// After a kill: the database opens, verifies clean (its documents replay
// from the log to what is stored), and holds every acknowledged change.
void ExpectIntact(const std::string& db_path,
                  const std::set<std::string>& acknowledged, int kill_idx) {
  auto db = Database::Open(db_path, Options());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto report = (*db)->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const std::string& problem : report->problems) {
    ADD_FAILURE() << "after kill " << kill_idx << ": " << problem;
  }
  EXPECT_GE((*db)->LogLength(), acknowledged.size());
  for (const std::string& hex : acknowledged) {
    auto hash = Hash::FromHex(hex);
    ASSERT_TRUE(hash.ok()) << hex;
    EXPECT_TRUE((*db)->GetChange(*hash).ok())
        << "acknowledged change lost after kill " << kill_idx << ": " << hex;
  }
}

// Waits for `wait_for` acknowledgements of `writer`, then `sleep_us`
// more, kills it with SIGKILL and adds what it acknowledged. False (with a
// failure) if it printed too little or exited by itself.
bool KillAfter(Writer writer, size_t wait_for, uint64_t sleep_us, int kill_idx,
               std::set<std::string>* acknowledged) {
  std::string output;
  bool got =
      ReadLines(writer.out_fd, wait_for, &output, std::chrono::seconds(60));
  std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  kill(writer.pid, SIGKILL);
  int wait_status = 0;
  waitpid(writer.pid, &wait_status, 0);
  DrainAfterKill(writer.out_fd, &output);
  close(writer.out_fd);
  EXPECT_TRUE(got) << "writer printed fewer than " << wait_for
                   << " hashes within 60 s (kill " << kill_idx << ")";
  EXPECT_TRUE(WIFSIGNALED(wait_status))
      << "the writer exited by itself, status "
      << (WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1)
      << ", after printing: " << output.substr(0, 300);
  if (!got || !WIFSIGNALED(wait_status)) return false;
  AddLines(output, acknowledged);
  return true;
}

// Kills a writer of `kind` at random moments (after the first
// acknowledgements); returns the rounds.
int SoakWriter(WriterKind kind, const std::string& db_path,
               std::set<std::string>* acknowledged) {
  testing::TempDir scratch;
  std::mt19937_64 rng(20261123 + static_cast<int>(kind));
  auto started = std::chrono::steady_clock::now();
  int kill_idx = 0;
  for (; AnotherRound(kill_idx, started); ++kill_idx) {
    Writer writer = StartWriter(kind, db_path, rng(), scratch.path());
    if (!KillAfter(writer, 1 + rng() % 40, rng() % 3000, kill_idx,
                   acknowledged)) {
      break;
    }
    ExpectIntact(db_path, *acknowledged, kill_idx);
    if (::testing::Test::HasFailure()) break;
  }
  return kill_idx;
}

TEST(CrashTest, EveryAcknowledgedCommitOfTheCApiAndTheShellSurvivesSigkill) {
  for (WriterKind kind : {WriterKind::kC, WriterKind::kCli}) {
    const char* name = kind == WriterKind::kC ? "C API" : "shell";
    SCOPED_TRACE(name);
    testing::TempDir dir;
    std::set<std::string> acknowledged;
    int kills = SoakWriter(kind, dir.Sub("db"), &acknowledged);
    EXPECT_GE(acknowledged.size(), static_cast<size_t>(kills));
    std::printf(
        "soak (%s): %d kills, %zu acknowledged commits, every one "
        "found\n",
        name, kills, acknowledged.size());
  }
}

TEST(CrashTest, EveryAcknowledgedCommitSurvivesSigkill) {
  testing::TempDir dir;
  std::string db_path = dir.Sub("db");
  std::set<std::string> acknowledged;
  constexpr int kKills = 24;
  int kill_idx = SoakWriter(WriterKind::kCpp, db_path, &acknowledged);
  EXPECT_GE(acknowledged.size(), static_cast<size_t>(kKills));
  std::printf("soak: %d kills, %zu acknowledged commits, every one found\n",
              kill_idx, acknowledged.size());

  // Documents after the kills (snapshot plus the tail since it) equal the
  // same log applied afresh.
  testing::TempDir fresh_dir;
  auto killed = Database::Open(db_path, Options());
  auto fresh = Database::Open(fresh_dir.Sub("fresh"), Options());
  ASSERT_TRUE(killed.ok() && fresh.ok());
  for (uint64_t position = 1; position <= (*killed)->LogLength(); ++position) {
    auto stored = (*killed)->GetChangeAt(position);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    ASSERT_TRUE(
        (*fresh)
            ->Receive(stored->bytes, *(*killed)->ProveChange(stored->hash))
            .ok());
  }
  std::vector<std::string> docs;  // the crash writer's (RandomDraft)
  for (int idx = 0; idx < 10; ++idx)
    docs.push_back("notes/n" + std::to_string(idx));
  for (int idx = 0; idx < 100; ++idx)
    docs.push_back("todos/" + std::to_string(idx));
  for (const std::string& doc : docs) {
    auto want = (*fresh)->EncodedState(doc);
    auto got = (*killed)->EncodedState(doc);
    ASSERT_EQ(got.ok(), want.ok()) << doc;
    if (got.ok()) {
      EXPECT_EQ(*got, *want) << doc;
    }
  }
}

// The writer commits batches fast enough that the log packs a run of 256
// changes every few commits (a few milliseconds each, a fifth of its
// time), and closes and opens again every 5000 changes (packing whole
// runs): kills land inside packings. After each, nothing acknowledged is
// lost and verify (which rebuilds and re-hashes every packed change) is
// clean. (12 kills, about 20,000 changes, 6 under ASan: the checks after
// each kill read everything, and take most of the time.)
TEST(CrashTest, AKillDuringPackingLosesNothing) {
  testing::TempDir dir;
  std::string db_path = dir.Sub("db");
  std::set<std::string> acknowledged;
  std::mt19937_64 rng(20261203);
#if defined(__SANITIZE_ADDRESS__)
  constexpr int kKills = 6;  // everything runs several times slower
#else
  constexpr int kKills = 12;
#endif
  for (int kill_idx = 0; kill_idx < kKills; ++kill_idx) {
    Writer writer =
        Start({WEFT_CRASH_WRITER, db_path, std::to_string(rng()), "packing"});
    ASSERT_TRUE(KillAfter(writer, 300 + rng() % 3000, rng() % 5000, kill_idx,
                          &acknowledged));
    // As ExpectIntact, but reading the log in order: a read by hash inside
    // a packed run rebuilds the run, too slow for tens of thousands.
    auto db = Database::Open(db_path, Options());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto report = (*db)->Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    for (const std::string& problem : report->problems) {
      ADD_FAILURE() << "after kill " << kill_idx << ": " << problem;
    }
    std::set<std::string> stored;
    ASSERT_TRUE((*db)
                    ->ScanLog(1,
                              [&](uint64_t, const Hash& hash) {
                                stored.insert(hash.ToHex());
                                return true;
                              })
                    .ok());
    for (const std::string& hex : acknowledged) {
      ASSERT_EQ(stored.count(hex), 1u)
          << "acknowledged change lost after kill " << kill_idx << ": " << hex;
    }
  }
  // The log did pack: far fewer entries than changes.
  auto store = storage::OpenRocksDbKvStore(db_path, {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto it = (*store)->NewIterator(storage::Family::kLog);
  uint64_t entries = 0;
  uint64_t runs = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++entries;
    runs += engine::IsRunEntry(it->value());
  }
  EXPECT_GT(runs, 10u);
  EXPECT_LT(entries, acknowledged.size() / 4);
  std::printf(
      "packing: %d kills, %zu acknowledged changes, %llu log "
      "entries of which %llu runs\n",
      kKills, acknowledged.size(), static_cast<unsigned long long>(entries),
      static_cast<unsigned long long>(runs));
}

// The port of a `weft serve` that printed "serving on 127.0.0.1:PORT",
// or 0 if it did not within 10 s.
int ServePort(const Writer& server) {
  std::string banner;
  if (!ReadLines(server.out_fd, 1, &banner, std::chrono::seconds(10))) return 0;
  size_t at = banner.find("127.0.0.1:");
  return at == std::string::npos ? 0 : std::atoi(banner.c_str() + at + 10);
}

// A `weft serve` receiving syncs is killed at random moments, often in
// the middle of one: every change of a sync that ended well is there after
// the restart, and the database verifies.
TEST(CrashTest, AServerKilledWhileReceivingASyncKeepsWhatItAcknowledged) {
  testing::TempDir dir;
  std::string server_path = dir.Sub("server");
  auto client = Database::Open(dir.Sub("client"), Options());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  std::mt19937_64 rng(20261202);
  std::set<std::string> acknowledged;
  auto started = std::chrono::steady_clock::now();
  int kill_idx = 0, cut_mid_sync = 0;
  for (; AnotherRound(kill_idx, started); ++kill_idx) {
    Writer server = Start(
        {WEFT_BINARY, "--db", server_path, "serve", "--listen", "127.0.0.1:0"},
        "", /*quiet=*/true);  // not each session's line
    int port = ServePort(server);
    ASSERT_GT(port, 0) << "no banner from serve (kill " << kill_idx << ")";
    SyncOptions options;
    options.timeout_ms = 5000;
    // Each sync sends what the client committed since the last: a few
    // changes of a few documents, one of them large now and then.
    auto commit_and_sync = [&]() -> Status {
      for (int change = 0, count = 1 + rng() % 5; change < count; ++change) {
        auto txn = (*client)->Begin();
        std::string doc = "items/" + std::to_string(rng() % 20);
        std::string text(rng() % 8 == 0 ? 100000 : 10, 'x');
        WEFT_RETURN_IF_ERROR(
            txn->Set(doc, "n", int64_t(rng() % 1000)).status());
        WEFT_RETURN_IF_ERROR(txn->SpliceText(doc, "note", 0, 0, text).status());
        WEFT_RETURN_IF_ERROR(txn->Commit().status());
      }
      uint64_t held = (*client)->LogLength();
      Result<SyncStats> synced = SyncWith(**client, "127.0.0.1", port, options);
      if (!synced.ok()) return synced.status();
      for (uint64_t position = 1; position <= held; ++position) {
        acknowledged.insert((*client)->GetChangeAt(position)->hash.ToHex());
      }
      return Status::OK();
    };
    for (int sync = 0, count = rng() % 3; sync < count; ++sync) {
      Status status = commit_and_sync();
      ASSERT_TRUE(status.ok()) << status.ToString();
    }
    // The last one races the kill.
    Status last;
    std::thread syncing([&] { last = commit_and_sync(); });
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    kill(server.pid, SIGKILL);
    syncing.join();
    if (!last.ok()) ++cut_mid_sync;
    int wait_status = 0;
    waitpid(server.pid, &wait_status, 0);
    close(server.out_fd);
    ExpectIntact(server_path, acknowledged, kill_idx);
    if (HasFailure()) break;
  }
  EXPECT_GT(acknowledged.size(), 0u);
  std::printf(
      "soak (serve receiving syncs): %d kills (%d in a sync), %zu "
      "acknowledged changes, every one found\n",
      kill_idx, cut_mid_sync, acknowledged.size());
}

// 10^5 changes over 5000 documents of `items`: n (a number) and g (one
// of 7 letters), each set several times.
void FillItems(const std::string& db_path) {
  auto db = Database::Open(db_path, Options());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::vector<ChangeDraft> drafts;
  for (int64_t idx = 0; idx < 100000; ++idx) {
    ChangeDraft draft;
    draft.docs = {{"items", "d" + std::to_string(idx % 5000)}};
    Op op;
    op.action = OpAction::kMapSet;
    op.key = (idx / 5000) % 4 == 0 ? "g" : "n";
    op.value = op.key == "g" ? Scalar(std::string(1, 'a' + idx % 7))
                             : Scalar((idx * 7) % 1001 - 500);
    draft.ops.push_back(op);
    drafts.push_back(std::move(draft));
    if (drafts.size() == 1000) {
      ASSERT_TRUE((*db)->CommitBatch(drafts).ok());
      drafts.clear();
    }
  }
}

uint64_t CountRows(Database& db, const std::string& view) {
  uint64_t rows = 0;
  EXPECT_TRUE(db.ScanView(view, [&](const ViewRow&) {
                  ++rows;
                  return true;
                }).ok());
  return rows;
}

TEST(CrashTest, ViewBuildKilledMidwayResumesToTheRebuiltRows) {
  testing::TempDir dir;
  std::string db_path = dir.Sub("db");
  FillItems(db_path);
  std::mt19937_64 rng(20261124);
  std::optional<Hash> reference_index, reference_aggregate;
  constexpr int kKills = 12;
  int killed_mid_build = 0;
  for (int kill_idx = 0; kill_idx < kKills; ++kill_idx) {
    Writer builder = Start(WEFT_VIEW_BUILDER, db_path, "25");
    std::string output;
    // 5000 documents in steps of 25: two views, 400 steps in all.
    size_t wait_for = 2 + rng() % 380;
    bool got =
        ReadLines(builder.out_fd, wait_for, &output, std::chrono::seconds(120));
    kill(builder.pid, SIGKILL);
    int wait_status = 0;
    waitpid(builder.pid, &wait_status, 0);
    DrainAfterKill(builder.out_fd, &output);
    close(builder.out_fd);
    ASSERT_TRUE(got) << "builder printed fewer than " << wait_for
                     << " lines within 120 s (kill " << kill_idx << ")";
    if (WIFSIGNALED(wait_status) &&
        output.find("complete") == std::string::npos) {
      ++killed_mid_build;
    }

    // Opening resumes the cut build; the rows then equal a rebuild's.
    auto db = Database::Open(db_path, Options());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto status = (*db)->GetStatus();
    ASSERT_TRUE(status.ok());
    for (const ViewStatus& view : status->views) {
      EXPECT_FALSE(view.building) << view.definition.name;
      EXPECT_EQ(view.lag, 0u);
    }
    for (auto [name, reference] : {std::pair{"by_n", &reference_index},
                                   std::pair{"n_by_g", &reference_aggregate}}) {
      auto resumed = (*db)->ViewDigest(name);
      if (!resumed.ok()) continue;  // killed before it was declared
      if (!*reference) {            // the documents never change: rebuild once
        ASSERT_TRUE((*db)->RebuildView(name).ok());
        *reference = *(*db)->ViewDigest(name);
      }
      EXPECT_EQ(*resumed, **reference) << name << " after kill " << kill_idx;
    }
    if ((*db)->ViewDigest("by_n").ok()) {
      EXPECT_EQ(CountRows(**db, "by_n"), 5000u);
    }
    if ((*db)->ViewDigest("n_by_g").ok()) {
      EXPECT_EQ(CountRows(**db, "n_by_g"), 7u);
    }
  }
  EXPECT_GE(killed_mid_build, 10);
}

}  // namespace
}  // namespace weft
