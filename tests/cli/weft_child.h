// The real weft binary in a child process, for tests that need it running
// (a server, a live sync) while they act on it.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace weft::testing {

// The real weft binary in a child process; its stdout and stderr come
// back through one pipe.
class WeftChild {
 public:
  // Runs `weft --db DB ARGS...` and waits (at most 10 s) for a whole line
  // holding `ready`.
  // `open_files_max` (if not 0): the child's limit of file descriptors.
  WeftChild(const std::string& db_path, const std::vector<std::string>& args,
            const std::string& ready, rlim_t open_files_max = 0) {
    int out_pipe[2];
    EXPECT_EQ(pipe(out_pipe), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out_pipe[1], STDOUT_FILENO);
      dup2(out_pipe[1], STDERR_FILENO);
      close(out_pipe[0]);
      close(out_pipe[1]);
      if (open_files_max != 0) {
        rlimit limit{open_files_max, open_files_max};
        setrlimit(RLIMIT_NOFILE, &limit);
      }
      std::vector<const char*> argv = {"weft", "--db", db_path.c_str()};
      for (const std::string& arg : args) argv.push_back(arg.c_str());
      argv.push_back(nullptr);
      execv(WEFT_BINARY, const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    close(out_pipe[1]);
    out_ = out_pipe[0];
    WaitForLine(ready);
    banner_ = output_;
  }
  // Waits (at most 10 s) until the output has a whole line holding `text`.
  bool WaitForLine(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto has_line = [&] {
      size_t at = output_.find(text);
      return at != std::string::npos &&
             output_.find('\n', at) != std::string::npos;
    };
    while (!has_line() && std::chrono::steady_clock::now() < deadline) {
      pollfd poll_fd{out_, POLLIN, 0};
      if (poll(&poll_fd, 1, 200) <= 0) continue;
      char chunk[256];
      ssize_t got = read(out_, chunk, sizeof(chunk));
      if (got <= 0) break;
      output_.append(chunk, got);
    }
    return has_line();
  }
  ~WeftChild() {
    if (pid_ > 0) Stop(nullptr);
    if (out_ >= 0) close(out_);
  }
  // Stops it (SIGTERM); returns what it printed after the banner.
  std::string Stop(int* exit_status) {
    if (!reaped_) {
      kill(pid_, SIGTERM);
      waitpid(pid_, &status_, 0);
    }
    pid_ = -1;
    if (exit_status != nullptr) {
      *exit_status = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    }
    char chunk[256];
    ssize_t got;
    while ((got = read(out_, chunk, sizeof(chunk))) > 0)
      output_.append(chunk, got);
    return output_.substr(banner_.size());
  }
  // True while the process has not exited.
  bool Running() {
    if (pid_ > 0 && !reaped_ && waitpid(pid_, &status_, WNOHANG) == pid_) {
      reaped_ = true;
    }
    return pid_ > 0 && !reaped_;
  }
  pid_t pid() const { return pid_; }
  // Everything it printed so far (reads until 100 ms pass without output).
  const std::string& OutputSoFar() {
    pollfd poll_fd{out_, POLLIN, 0};
    char chunk[4096];
    while (poll(&poll_fd, 1, 100) > 0) {
      ssize_t got = read(out_, chunk, sizeof(chunk));
      if (got <= 0) break;
      output_.append(chunk, got);
    }
    return output_;
  }
  // What it printed up to the ready line.
  const std::string& banner() const { return banner_; }

 protected:
  pid_t pid_ = -1;
  bool reaped_ = false;  // exited, and its status is in status_
  int status_ = 0;
  int out_ = -1;
  std::string output_, banner_;
};

// `weft serve` on 127.0.0.1 (any free port) in a child process.
class ServeChild : public WeftChild {
 public:
  // `extra`: more serve flags (--peers FILE, ...).
  explicit ServeChild(const std::string& db_path,
                      const std::vector<std::string>& extra = {})
      : WeftChild(db_path, Args(extra), "serving on 127.0.0.1:") {
    size_t colon = banner().find("127.0.0.1:");
    if (colon != std::string::npos) {
      address_ =
          "127.0.0.1:" + std::to_string(std::stoi(banner().substr(colon + 10)));
    }
  }
  const std::string& address() const { return address_; }  // "" on failure
  pid_t pid() const { return pid_; }

 private:
  static std::vector<std::string> Args(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::string address_;
};

}  // namespace weft::testing
