#include "line_reader.h"

#include <signal.h>
// clang-format off
#include <cstdio>
#include <editline/readline.h>
// clang-format on

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace weft::cli {
namespace {

// libedit's completion hooks are plain C callbacks: they reach the
// completer through this pointer (one LineReader at a time).
LineReader::Completer* active_completer = nullptr;
std::vector<std::string> pending_matches;
volatile sig_atomic_t sigint_seen = 0;

void OnInterrupt(int) { sigint_seen = 1; }

// libedit reads keys through this. An interrupted read (Ctrl-C) ends the
// line at once; ReadLine then drops it. (libedit's own reader retries an
// interrupted read, so relying on that would be racy.)
int ReadKey(FILE* /*stream*/) {
  unsigned char key;
  while (true) {
    if (sigint_seen) return '\n';
    ssize_t got = read(STDIN_FILENO, &key, 1);
    if (got == 1) return key;
    if (got == 0) return EOF;
    if (errno != EINTR) return EOF;
  }
}

char* NextMatch(const char* /*text*/, int state) {
  if (static_cast<size_t>(state) >= pending_matches.size()) return nullptr;
  return strdup(pending_matches[state].c_str());  // libedit frees it
}

char** Complete(const char* text, int /*start*/, int /*end*/) {
  rl_attempted_completion_over = 1;  // no file-name completion
  pending_matches.clear();
  if (active_completer != nullptr) {
    pending_matches = (*active_completer)(text, rl_line_buffer);
  }
  // "todos/" goes on with a key: no space after it.
  bool opens_a_path =
      pending_matches.size() == 1 && pending_matches[0].back() == '/';
  rl_completion_append_character = opens_a_path ? '\0' : ' ';
  return rl_completion_matches(text, NextMatch);
}

}  // namespace

LineReader::LineReader(std::string history_path, Completer completer)
    : history_path_(std::move(history_path)) {
  active_completer = new Completer(std::move(completer));
  rl_readline_name = "weft";
  rl_attempted_completion_function = Complete;
  rl_getc_function = ReadKey;
  rl_catch_signals = 0;
  using_history();
  if (!history_path_.empty()) read_history(history_path_.c_str());
  // Ctrl-C interrupts the read (no SA_RESTART) instead of ending weft.
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

LineReader::~LineReader() {
  if (!history_path_.empty()) write_history(history_path_.c_str());
  delete active_completer;
  active_completer = nullptr;
  signal(SIGINT, SIG_DFL);
}

std::optional<std::string> LineReader::ReadLine(const std::string& prompt) {
  sigint_seen = 0;
  interrupted_ = false;
  char* raw = readline(prompt.c_str());
  std::optional<std::string> line;
  if (raw != nullptr) {
    line = raw;
    std::free(raw);
  }
  if (sigint_seen) {  // Ctrl-C seen while reading: drop the line
    interrupted_ = true;
    std::fputs("^C\n", stdout);
    return std::string();
  }
  return line;
}

void LineReader::AddHistory(const std::string& entry) {
  if (entry.find_first_not_of(" \t") != std::string::npos) {
    add_history(entry.c_str());
  }
}

}  // namespace weft::cli
