// weft: the command-line shell. One command and exit, or a simple REPL.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "weft/database.h"

namespace {

using weft::cli::kExitError;
using weft::cli::kExitOk;
using weft::cli::kExitUsage;

struct Invocation {
  std::string db_path;
  bool json = false;
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
    } else if (arg.rfind("--", 0) == 0 && arg != "--help") {
      return false;
    } else {
      invocation->command.push_back(arg == "--help" ? "help" : arg);
    }
  }
  return true;
}

// Reads one command per line. On a terminal errors are shown and the loop
// goes on; from a pipe or file the first error stops it.
int RunRepl(weft::Database& db, const Invocation& invocation) {
  bool interactive = isatty(STDIN_FILENO);
  weft::cli::Output output{std::cout, std::cerr, invocation.json};
  if (interactive) {
    std::cout << "weft " << invocation.db_path << ": " << db.LogLength()
              << " changes, " << db.Heads().size()
              << " heads. Type help; Ctrl-D exits.\n";
  }
  std::string line;
  while (true) {
    if (interactive) std::cout << "weft> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    std::vector<std::string> words = weft::cli::SplitCommandLine(line);
    if (words.empty() || words[0][0] == '#') continue;
    if (words[0] == "exit" || words[0] == "quit") break;
    int code = weft::cli::RunCommand(db, words, output);
    if (code != kExitOk && !interactive) return code;
  }
  if (interactive) std::cout << "\n";
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Invocation invocation;
  if (!ParseArgs(argc, argv, &invocation)) {
    std::cerr << "usage: weft [--db PATH] [--json] [COMMAND ARGS...]"
                 " (weft help lists the commands)\n";
    return kExitUsage;
  }
  if (!invocation.command.empty() &&
      !weft::cli::IsKnownCommand(invocation.command[0])) {
    std::cerr << "usage: unknown command '" << invocation.command[0]
              << "' (weft help lists the commands)\n";
    return kExitUsage;
  }
  // A one-shot command never creates a database by accident; the shell does.
  weft::Options options;
  options.create_if_missing = invocation.command.empty();
  auto db = weft::Database::Open(invocation.db_path, options);
  if (!db.ok()) {
    std::cerr << "error: cannot open weft database '" << invocation.db_path
              << "': " << db.status().ToString() << "\n";
    return kExitError;
  }
  if (invocation.command.empty()) return RunRepl(**db, invocation);
  weft::cli::Output output{std::cout, std::cerr, invocation.json};
  return weft::cli::RunCommand(**db, weft::cli::JoinRawTail(invocation.command),
                               output);
}
