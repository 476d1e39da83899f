// weft: the command-line shell. One command and exit, or a simple REPL.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "line_reader.h"
#include "weft/database.h"
#include "weft/version.h"

namespace {

using weft::cli::kExitError;
using weft::cli::kExitOk;
using weft::cli::kExitUsage;

struct Invocation {
  std::string db_path;
  bool json = false;
  bool keep_going = false;  // scripts: go on after an error
  bool read_only = false;
  bool version = false;
  std::vector<std::string> command;
};

// Reads the shell's own options, before or after the command: --db PATH
// (or --db=PATH), --json, --read-only, --keep-going, --help or -h (help,
// or the command's), --version or -V. Any other option before the command
// is a usage error; after it, the command's own options are its to check.
// Returns what is wrong, or "".
std::string ParseArgs(int argc, char** argv, Invocation* invocation) {
  const char* env_db = std::getenv("WEFT_DB");
  invocation->db_path = env_db != nullptr && *env_db ? env_db : "weft.db";
  bool help = false;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::string arg = argv[arg_idx];
    if (arg == "--db") {
      if (++arg_idx >= argc) return "--db needs a PATH";
      invocation->db_path = argv[arg_idx];
    } else if (arg.rfind("--db=", 0) == 0) {
      invocation->db_path = arg.substr(5);
    } else if (arg == "--json") {
      invocation->json = true;
    } else if (arg == "--read-only") {
      invocation->read_only = true;
    } else if (arg == "--keep-going") {
      invocation->keep_going = true;
    } else if (arg == "--help" || arg == "-h") {
      help = true;
    } else if (arg == "--version" || arg == "-V") {
      invocation->version = true;
    } else if (!invocation->command.empty()) {
      invocation->command.push_back(arg);
    } else if (arg.size() > 1 && arg[0] == '-') {
      return "unknown option '" + arg + "'";
    } else {
      invocation->command.push_back(arg);
    }
  }
  if (invocation->db_path.empty()) return "--db needs a PATH";
  if (help) {
    std::vector<std::string> command = {"help"};
    if (!invocation->command.empty() && invocation->command[0] != "help") {
      command.push_back(invocation->command[0]);
    }
    invocation->command = command;
  }
  return "";
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
      entry = line ? std::optional(weft::cli::JoinContinued(*entry, *line))
                   : std::nullopt;
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
      entry = weft::cli::JoinContinued(entry, line);
    }
    int code = RunLine(db, entry, output, &quit);
    if (code == kExitOk) continue;
    std::cerr << "  (line " << first_line << ")\n";
    if (!invocation.keep_going) return code;
    worst = kExitError;
  }
  return worst;
}

// weft's and its storage engine's versions.
int PrintVersion(const Invocation& invocation) {
  if (invocation.json) {
    std::cout << nlohmann::json{{"weft", weft::Version()},
                                {"storage", weft::StorageVersion()}}
                     .dump()
              << "\n";
  } else {
    std::cout << "weft " << weft::Version() << " (" << weft::StorageVersion()
              << ")\n";
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Invocation invocation;
  std::string problem = ParseArgs(argc, argv, &invocation);
  weft::cli::Output output = MakeOutput(invocation);
  if (!problem.empty()) {
    return weft::cli::PrintUsage(
        output, problem +
                    "; weft [--db PATH] [--json] [--read-only] [--keep-going] "
                    "[COMMAND ARGS...] (weft help lists the commands)");
  }
  if (invocation.version) return PrintVersion(invocation);
  if (!invocation.command.empty() &&
      !weft::cli::IsKnownCommand(invocation.command[0])) {
    return weft::cli::PrintUsage(
        output, weft::cli::UnknownCommandMessage(invocation.command[0]));
  }
  // Help needs no database, and opens none.
  if (!invocation.command.empty() && invocation.command[0] == "help") {
    return weft::cli::RunHelp(invocation.command, output);
  }
  // Reading commands never create a database by accident; the shell and
  // writing commands do.
  weft::Options options;
  options.read_only = invocation.read_only ||
                      (!invocation.command.empty() &&
                       weft::cli::CommandOpensReadOnly(invocation.command[0]));
  options.create_if_missing =
      !options.read_only &&
      (invocation.command.empty() ||
       weft::cli::CommandCreatesDatabase(invocation.command[0]));
  bool only_reads = weft::cli::CommandOnlyReads(invocation.command);
  std::error_code exists_error;
  bool existed = std::filesystem::exists(invocation.db_path, exists_error);
  auto db = weft::Database::Open(invocation.db_path, options);
  // A reader reads beside the process that holds the database for writing
  // (a serve, a live sync): read-only, it sees what that process had
  // committed when it opened.
  if (!db.ok() && db.status().IsBusy() && only_reads) {
    options.read_only = true;
    db = weft::Database::Open(invocation.db_path, options);
  }
  // A reader still reads where a writable open cannot write (a full disk:
  // RocksDB starts a new MANIFEST and log at every writable open).
  if (!db.ok() && db.status().IsIOError() && only_reads) {
    options.read_only = true;
    auto read_only = weft::Database::Open(invocation.db_path, options);
    if (read_only.ok()) {
      std::cerr << "note: opened read-only: " << db.status().ToString() << "\n";
      db = std::move(read_only);
    }
  }
  if (!db.ok()) {
    std::string message = "cannot open weft database '" + invocation.db_path +
                          "': " + db.status().ToString();
    if (db.status().IsBusy()) {
      message += " (reading commands work beside it; this one writes)";
    }
    if (invocation.json) {
      std::cerr << nlohmann::json{{"error",
                                   weft::StatusCodeName(db.status().code())},
                                  {"message", message}}
                       .dump()
                << "\n";
    } else {
      std::cerr << "error: " << message << "\n";
    }
    return kExitError;
  }
  if (invocation.command.empty()) {
    return isatty(STDIN_FILENO) ? RunInteractive(**db, invocation)
                                : RunScript(**db, invocation);
  }
  int code =
      RunGuarded(**db, weft::cli::JoinRawTail(invocation.command), output);
  // A failed command leaves nothing behind: not a database it made for
  // itself (a serve that could not listen, a put of bad JSON).
  if (code != kExitOk && !existed && (*db)->LogLength() == 0) {
    db->reset();
    std::filesystem::remove_all(invocation.db_path, exists_error);
  }
  return code;
}
