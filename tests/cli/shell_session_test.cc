// The shell as a person meets it: an interactive session on a
// pseudo-terminal (history, completion, Ctrl-C, multi-line entries) and
// scripts that stop at the first error.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/cli/cli_fixture.h"

namespace weft {
namespace {

using testing::CliTest;
using testing::Lines;
using testing::ReadFile;
using testing::RunResult;

// Drives weft on a pseudo-terminal like a person: waits (bounded) for the
// screen to show something, then types.
class PtySession {
 public:
  PtySession(const std::string& db_path, const std::string& history_path) {
    pid_ = forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      setenv("WEFT_HISTORY", history_path.c_str(), 1);
      setenv("TERM", "dumb", 1);
      execl(WEFT_BINARY, "weft", "--db", db_path.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~PtySession() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  // True once `text` has appeared on the screen since the last call.
  bool WaitFor(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (screen_.find(text, seen_) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd poll_fd{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&poll_fd, 1, left.count()) <= 0) {
        return false;
      }
      char chunk[4096];
      ssize_t got = read(fd_, chunk, sizeof(chunk));
      if (got <= 0) return false;
      screen_.append(chunk, got);
    }
    seen_ = screen_.find(text, seen_) + text.size();
    return true;
  }
  // Types once the line editor holds the terminal in raw mode (bounded):
  // keys typed while it is still cooked are read differently (a Ctrl-D
  // would become a NUL in the next line).
  void Type(const std::string& keys) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    termios mode{};
    while (tcgetattr(fd_, &mode) == 0 && (mode.c_lflag & ICANON) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(write(fd_, keys.data(), keys.size()),
              static_cast<ssize_t>(keys.size()));
  }
  // Types `keys` (e.g. Ctrl-D) and waits at most 10 s for the shell to exit
  // (closing the database flushes it: that takes a moment), reading what
  // it prints meanwhile so it never blocks on a full terminal.
  int ExitWith(const std::string& keys) {
    Type(keys);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      pollfd poll_fd{fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, 10) > 0 && (poll_fd.revents & POLLIN)) {
        char chunk[4096];
        ssize_t got = read(fd_, chunk, sizeof(chunk));
        if (got > 0) screen_.append(chunk, got);
      } else {
        // Closed terminal (POLLHUP) returns at once: do not spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    return -1;
  }
  const std::string& screen() const { return screen_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string screen_;
  size_t seen_ = 0;
};

TEST_F(CliTest, InteractiveShellWithHistoryCompletionAndCtrlC) {
  ASSERT_EQ(Weft("--db " + db_path_ + " put todos/7 '{\"a\": 1}'").exit_code,
            0);
  std::string history = dir_.Sub("history");
  std::string bundle = dir_.Sub("all.weftbundle");
  std::string prompt = "weft:" + db_path_ + "> ";
  {
    PtySession shell(db_path_, history);
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("ke\t");  // completes the command
    ASSERT_TRUE(shell.WaitFor("keys ")) << shell.screen();
    shell.Type("to\t");  // completes the collection, no space after '/'
    ASSERT_TRUE(shell.WaitFor("todos/")) << shell.screen();
    shell.Type("\x15keys todos\r");  // ^U clears the line; then a command
    ASSERT_TRUE(shell.WaitFor("7")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("get todos/7 a and a half typed line");
    ASSERT_TRUE(shell.WaitFor("half typed line")) << shell.screen();
    shell.Type("\x03");  // Ctrl-C cancels the line, the shell goes on
    ASSERT_TRUE(shell.WaitFor("^C")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("verfy\r");
    ASSERT_TRUE(shell.WaitFor("did you mean")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    // Multi-line JSON: an open object continues under a "...> " prompt;
    // Ctrl-C there cancels the whole entry.
    shell.Type("put todos/8 {\"a\":\r");
    ASSERT_TRUE(shell.WaitFor("...> ")) << shell.screen();
    shell.Type("\x03");
    ASSERT_TRUE(shell.WaitFor("^C")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("put todos/9 {\r");
    ASSERT_TRUE(shell.WaitFor("...> ")) << shell.screen();
    shell.Type("\"b\": [1,\r");
    ASSERT_TRUE(shell.WaitFor("...> ")) << shell.screen();
    shell.Type("2]}\r");
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("keys todos\r");
    ASSERT_TRUE(shell.WaitFor("9")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    // Long work draws a progress line on the terminal.
    shell.Type("export " + bundle + "\r");
    ASSERT_TRUE(shell.WaitFor("exporting: 7/7 changes (100%)"))
        << shell.screen();
    ASSERT_TRUE(shell.WaitFor("exported 7 changes")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("import " + bundle + "\r");
    ASSERT_TRUE(shell.WaitFor("checking: 7/7 changes (100%)"))
        << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type(
        "view create {\"name\": \"v\", \"kind\": \"index\", "
        "\"collection\": \"todos\", \"fields\": [\"a\"]}\r");
    ASSERT_TRUE(shell.WaitFor("building v: 7/7 documents")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    EXPECT_EQ(shell.ExitWith("\x04"), 0);  // Ctrl-D exits cleanly
  }
  // History persisted; the cancelled line is not in it.
  std::string saved = ReadFile(history);
  EXPECT_NE(saved.find("keys\\040todos"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("half"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("todos/8"), std::string::npos) << saved;
  // A multi-line entry is one history line.
  EXPECT_NE(saved.find("put\\040todos/9\\040{\\040\"b\":\\040[1,\\0402]}"),
            std::string::npos)
      << saved;
  auto keys = Weft("--db " + db_path_ + " keys todos");
  EXPECT_EQ(Lines(keys.out), (std::vector<std::string>{"7", "9"})) << keys.out;
  {
    PtySession shell(db_path_, history);
    ASSERT_TRUE(shell.WaitFor(prompt));
    shell.Type("\x1b[A");  // up arrow: the previous session's last command
    ASSERT_TRUE(shell.WaitFor("view create")) << shell.screen();
    shell.Type("\x04");
  }
}

TEST_F(CliTest, ScriptsStopAtTheFirstErrorUnlessKeepGoing) {
  std::string script = "heads\nnope\nheads\n";
  RunResult run = Weft("--db " + db_path_, script);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(Lines(run.out).size(), 1u);
  EXPECT_NE(run.err.find("(line 2)"), std::string::npos) << run.err;
  run = Weft("--db " + db_path_ + " --keep-going", script);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(Lines(run.out).size(), 2u);
  run = Weft("--db " + db_path_ + " help splice");
  EXPECT_NE(run.out.find("example: splice"), std::string::npos) << run.out;
  run = Weft("--db " + db_path_ + " --json help splice");
  EXPECT_EQ(nlohmann::json::parse(run.out)["usage"],
            "splice COLL/KEY FIELD POS DELETE_COUNT TEXT");
  run = Weft("--db " + db_path_ + " --json help");
  auto commands = Lines(run.out);
  ASSERT_GT(commands.size(), 20u);
  for (const std::string& line : commands) {
    EXPECT_TRUE(nlohmann::json::parse(line).contains("example")) << line;
  }
  run = Weft("--db " + db_path_ + " gett todos/1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("did you mean 'get'"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace weft
