// Kills a committing writer with SIGKILL at random moments; after each kill
// the database must open, verify, and hold every acknowledged change.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

struct Writer {
  pid_t pid = -1;
  int out_fd = -1;
};

Writer StartWriter(const std::string& db_path, uint64_t seed) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::string seed_text = std::to_string(seed);
    execl(WEFT_CRASH_WRITER, "crash_writer", db_path.c_str(), seed_text.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  return Writer{pid, fds[0]};
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

TEST(CrashTest, EveryAcknowledgedCommitSurvivesSigkill) {
  testing::TempDir dir;
  std::string db_path = dir.Sub("db");
  std::mt19937_64 rng(20261123);
  std::set<std::string> acknowledged;
  constexpr int kKills = 24;
  for (int kill_idx = 0; kill_idx < kKills; ++kill_idx) {
    Writer writer = StartWriter(db_path, rng());
    std::string output;
    size_t wait_for = 1 + rng() % 40;
    bool got =
        ReadLines(writer.out_fd, wait_for, &output, std::chrono::seconds(60));
    // Kill at a random moment after the first acknowledgements.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    kill(writer.pid, SIGKILL);
    int wait_status = 0;
    waitpid(writer.pid, &wait_status, 0);
    DrainAfterKill(writer.out_fd, &output);
    close(writer.out_fd);
    ASSERT_TRUE(got) << "writer printed fewer than " << wait_for
                     << " hashes within 60 s (kill " << kill_idx << ")";
    ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the writer exited by itself";
    // Only whole lines are acknowledgements; a torn last line is not.
    size_t end = output.rfind('\n');
    for (size_t start = 0; start < end;) {
      size_t newline = output.find('\n', start);
      acknowledged.insert(output.substr(start, newline - start));
      start = newline + 1;
    }

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
  EXPECT_GE(acknowledged.size(), static_cast<size_t>(kKills));
}

}  // namespace
}  // namespace weft
