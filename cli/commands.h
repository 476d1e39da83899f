// The commands of the weft shell, shared by one-shot use and the REPL.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "weft/database.h"

namespace weft::cli {

// Process exit codes: success, an error, a usage mistake.
enum ExitCode { kExitOk = 0, kExitError = 1, kExitUsage = 2 };

struct Output {
  std::ostream& out;
  std::ostream& err;
  bool json = false;
  // Long work draws a progress line on `err` (a terminal, not --json).
  bool progress = false;
};

// Prints "error: <status>" to output.err; returns kExitError.
int PrintError(const Output& output, const Status& status);
// Prints "usage: <form>" to output.err; returns kExitUsage.
int PrintUsage(const Output& output, const std::string& form);

bool IsKnownCommand(const std::string& name);
// Splits a shell line into arguments on blanks, except that a command's
// JSON or text argument keeps the rest of the line whole.
std::vector<std::string> SplitCommandLine(const std::string& line);
// True while `text` opens more JSON objects or arrays ({, [) than it
// closes, outside strings: the shell then reads the next line as more of
// the same command (multi-line JSON values).
bool OpensMoreThanItCloses(const std::string& text);
// `entry` continued by the next `line`: joined by a space, or, when the
// entry ends inside a JSON string, by an escaped newline (\n), so that a
// newline typed inside a string is kept.
std::string JoinContinued(const std::string& entry, const std::string& line);
// The same for arguments that came split (argv): the tail is re-joined.
std::vector<std::string> JoinRawTail(std::vector<std::string> args);
// Runs one command (args[0] is its name) on `db`.
int RunCommand(Database& db, const std::vector<std::string>& args,
               const Output& output);
std::string HelpText();
// The help command (args[0] is "help"): needs no database.
int RunHelp(const std::vector<std::string>& args, const Output& output);
// "unknown command 'x'; did you mean 'y'?" when one is close.
std::string UnknownCommandMessage(const std::string& name);
std::vector<std::string> CommandNames();
// True for commands that write new content (put, set, incr, splice, sadd,
// linsert, import, sync, serve): they create a missing database, as the
// shell does; readers never do.
bool CommandCreatesDatabase(const std::string& name);
// True for a command line that only reads (get, find, status, verify,
// export, view rows, ...): if the database cannot be opened for writing
// (a full disk), it is opened read-only instead.
bool CommandOnlyReads(const std::vector<std::string>& args);
// True for a command that always opens the database read-only, so as
// never to keep a writer out (watch).
bool CommandOpensReadOnly(const std::string& name);

}  // namespace weft::cli
