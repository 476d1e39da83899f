// The shell's parsing: a line split into arguments, multi-line detection,
// the where clause, and the commands that only read or edit documents run
// on a real database (commands that touch files or the network are left
// out: a fuzzer must not write where it likes). Edits are undone by
// nothing: the shared database grows, which is fine.
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "cli/where_clause.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::set<std::string> kRunnable = {
      "get",  "put",     "set",  "del",   "incr",    "splice", "sadd",
      "srem", "linsert", "ldel", "find",  "explain", "keys",   "collections",
      "log",  "heads",   "show", "views", "help"};
  std::string line(reinterpret_cast<const char*>(data), size);
  weft::cli::OpensMoreThanItCloses(line);
  std::vector<std::string> args = weft::cli::SplitCommandLine(line);
  args = weft::cli::JoinRawTail(std::move(args));
  weft::Predicate predicate = weft::Predicate::All();
  weft::FindOptions options;
  weft::cli::ParseWhereClause(line, &predicate, &options)
      .PermitUncheckedError();
  if (args.empty() || kRunnable.count(args[0]) == 0) return 0;
  std::ostringstream out, err;
  weft::cli::Output output{out, err, (size & 1) != 0, false};
  int code = weft::cli::RunCommand(*weft::fuzz::SharedDatabase(), args, output);
  if (code != 0 && err.str().empty()) abort();  // a failure says why
  return 0;
}
