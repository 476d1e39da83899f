// weft: the command-line shell. One command and exit, or a simple REPL.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "line_reader.h"
#include "weft/database.h"

namespace {

using weft::cli::kExitError;
using weft::cli::kExitOk;
using weft::cli::kExitUsage;

struct Invocation {
  std::string db_path;
  bool json = false;
  bool keep_going = false;  // scripts: go on after an error
  std::vector<std::string> command;
};

bool ParseArgs(int argc, char** argv, Invocation* invocation) {
  const char* env_db = std::getenv("WEFT_DB");
  invocation->db_path = env_db != nullptr && *env_db ? env_db : "weft.db";
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string arg = argv[arg_idx];
    if (!invocation->command.empty()) {
      if (arg == "--json") {
        invocation->json = true;  // accepted after the command too
      } else {
        invocation->command.push_back(arg);
      }
    } else if (arg == "--db") {
      if (++arg_idx >= argc) return false;
      invocation->db_path = argv[arg_idx];
    } else if (arg == "--json") {
      invocation->json = true;
    } else if (arg == "--keep-going") {
      invocation->keep_going = true;
    } else if (arg.rfind("--", 0) == 0 && arg != "--help") {
      return false;
    } else {
      invocation->command.push_back(arg == "--help" ? "help" : arg);
    }
  }
  return true;
}

weft::cli::Output MakeOutput(const Invocation& invocation) {
  return weft::cli::Output{std::cout, std::cerr, invocation.json,
                           !invocation.json && isatty(STDERR_FILENO)};
}

// The last line of defence: a command that throws (a bug; the parser fuzz
// test hunts them) reports it instead of ending the shell.
int RunGuarded(weft::Database& db, const std::vector<std::string>& words,
               const weft::cli::Output& output) {
  try {
    return weft::cli::RunCommand(db, words, output);
  } catch (const std::exception& error) {
    output.err << "error: internal error in '" << words[0]
               << "': " << error.what() << "\n";
  } catch (...) {
    output.err << "error: internal error in '" << words[0] << "'\n";
  }
  return kExitError;
}

bool IsComment(const std::string& line) {
  size_t first = line.find_first_not_of(" \t");
  return first != std::string::npos && line[first] == '#';
}

// Runs one shell line; returns its exit code (kExitOk for blank lines).
int RunLine(weft::Database& db, const std::string& line,
            const weft::cli::Output& output, bool* quit) {
  std::vector<std::string> words = weft::cli::SplitCommandLine(line);
  if (words.empty() || words[0][0] == '#') return kExitOk;
  if (words[0] == "exit" || words[0] == "quit") {
    *quit = true;
    return kExitOk;
  }
  int code = RunGuarded(db, words, output);
  // A server that could not reopen the database after a failed write
  // leaves nothing to run the next line on.
  if (!db.is_open()) *quit = true;
  return code;
}

std::string HistoryPath() {
  const char* path = std::getenv("WEFT_HISTORY");
  if (path != nullptr) return path;  // "" turns history off
  const char* home = std::getenv("HOME");
  return home != nullptr ? std::string(home) + "/.weft_history" : "";
}

// Completes command names first, then collection names (COLL/...).
std::vector<std::string> Complete(weft::Database& db, const std::string& word,
                                  const std::string& line) {
  std::vector<std::string> matches;
  bool first_word = line.find_first_not_of(" \t") == line.size() - word.size();
  std::vector<std::string> candidates;
  if (first_word) {
    candidates = weft::cli::CommandNames();
  } else if (auto collections = db.ListCollections(); collections.ok()) {
    for (const std::string& name : *collections)
      candidates.push_back(name + "/");
  }
  for (const std::string& candidate : candidates) {
    if (candidate.rfind(word, 0) == 0) matches.push_back(candidate);
  }
  return matches;
}

// The interactive shell: errors are shown and the session goes on.
int RunInteractive(weft::Database& db, const Invocation& invocation) {
  weft::cli::Output output = MakeOutput(invocation);
  std::cout << "weft " << invocation.db_path << ": " << db.LogLength()
            << " changes, " << db.Heads().size()
            << " heads. help lists the commands; Ctrl-D exits.\n";
  weft::cli::LineReader reader(
      HistoryPath(), [&db](const std::string& word, const std::string& line) {
        return Complete(db, word, line);
      });
  std::string prompt = "weft:" + invocation.db_path + "> ";
  // Lines that leave a JSON object or array open continue on the next.
  std::string more(prompt.size() > 5 ? prompt.size() - 5 : 0, ' ');
  more += "...> ";
  bool quit = false;
  while (!quit) {
    std::optional<std::string> entry = reader.ReadLine(prompt);
    while (entry && !reader.interrupted() && !IsComment(*entry) &&
           weft::cli::OpensMoreThanItCloses(*entry)) {
      std::optional<std::string> line = reader.ReadLine(more);
      entry = line ? std::optional(*entry + " " + *line) : std::nullopt;
    }
    if (!entry) break;  // Ctrl-D (an unfinished entry is dropped)
    if (reader.interrupted()) continue;  // Ctrl-C cancels the whole entry
    reader.AddHistory(*entry);
    std::cout << std::flush;
    RunLine(db, *entry, output, &quit);
  }
  std::cout << "\n";
  return kExitOk;
}

// A script from a pipe or a file: stops at the first error (its exit code)
// unless --keep-going, then exits 1 if any line failed.
int RunScript(weft::Database& db, const Invocation& invocation) {
  weft::cli::Output output = MakeOutput(invocation);
  int worst = kExitOk;
  bool quit = false;
  std::string line;
  size_t line_no = 0;
  while (!quit && std::getline(std::cin, line)) {
    size_t first_line = ++line_no;
    // A JSON object or array left open goes on over the next lines; at the
    // end of input the command runs as it is and says what is missing.
    std::string entry = line;
    while (!IsComment(entry) && weft::cli::OpensMoreThanItCloses(entry) &&
           std::getline(std::cin, line)) {
      ++line_no;
      entry += " " + line;
    }
    int code = RunLine(db, entry, output, &quit);
    if (code == kExitOk) continue;
    std::cerr << "  (line " << first_line << ")\n";
    if (!invocation.keep_going) return code;
    worst = kExitError;
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  Invocation invocation;
  if (!ParseArgs(argc, argv, &invocation)) {
    std::cerr << "usage: weft [--db PATH] [--json] [--keep-going] "
                 "[COMMAND ARGS...]"
                 " (weft help lists the commands)\n";
    return kExitUsage;
  }
  if (!invocation.command.empty() &&
      !weft::cli::IsKnownCommand(invocation.command[0])) {
    std::cerr << "usage: "
              << weft::cli::UnknownCommandMessage(invocation.command[0])
              << "\n";
    return kExitUsage;
  }
  // Reading commands never create a database by accident; the shell and
  // writing commands do.
  weft::Options options;
  options.create_if_missing =
      invocation.command.empty() ||
      weft::cli::CommandCreatesDatabase(invocation.command[0]);
  auto db = weft::Database::Open(invocation.db_path, options);
  // A reader still reads where a writable open cannot write (a full disk:
  // RocksDB starts a new MANIFEST and log at every writable open).
  if (!db.ok() && db.status().IsIOError() &&
      weft::cli::CommandOnlyReads(invocation.command)) {
    options.read_only = true;
    auto read_only = weft::Database::Open(invocation.db_path, options);
    if (read_only.ok()) {
      std::cerr << "note: opened read-only: " << db.status().ToString() << "\n";
      db = std::move(read_only);
    }
  }
  if (!db.ok()) {
    std::cerr << "error: cannot open weft database '" << invocation.db_path
              << "': " << db.status().ToString() << "\n";
    return kExitError;
  }
  if (invocation.command.empty()) {
    return isatty(STDIN_FILENO) ? RunInteractive(**db, invocation)
                                : RunScript(**db, invocation);
  }
  weft::cli::Output output = MakeOutput(invocation);
  return RunGuarded(**db, weft::cli::JoinRawTail(invocation.command), output);
}
