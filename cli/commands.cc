#include "cli/commands.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "cli/change_format.h"

namespace weft::cli {
namespace {

using nlohmann::json;

int Fail(const Output& output, const Status& status) {
  output.err << "error: " << status.ToString() << "\n";
  return kExitError;
}

int Usage(const Output& output, const std::string& message) {
  output.err << "usage: " << message << "\n";
  return kExitUsage;
}

int CmdLog(Database& db, const std::vector<std::string>& args,
           const Output& output) {
  uint64_t limit = UINT64_MAX;
  if (args.size() == 3 && args[1] == "-n") {
    const std::string& text = args[2];
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), limit);
    if (error != std::errc() || end != text.data() + text.size()) {
      return Usage(output, "log [-n COUNT]  (COUNT is a whole number)");
    }
  } else if (args.size() != 1) {
    return Usage(output, "log [-n COUNT]");
  }
  // Newest first, like git log.
  uint64_t length = db.LogLength();
  for (uint64_t shown = 0; shown < limit && shown < length; ++shown) {
    Result<StoredChange> stored = db.GetChangeAt(length - shown);
    if (!stored.ok()) return Fail(output, stored.status());
    if (output.json) {
      output.out << ChangeToJson(*stored) << "\n";
    } else {
      output.out << ChangeSummary(*stored) << "\n";
    }
  }
  return kExitOk;
}

int CmdHeads(Database& db, const std::vector<std::string>& args,
             const Output& output) {
  if (args.size() != 1) return Usage(output, "heads");
  std::vector<Hash> heads = db.Heads();
  if (output.json) {
    json list = json::array();
    for (const Hash& head : heads) list.push_back(head.ToHex());
    output.out << json{{"heads", list}}.dump() << "\n";
    return kExitOk;
  }
  for (const Hash& head : heads) output.out << head.ToHex() << "\n";
  return kExitOk;
}

int CmdShow(Database& db, const std::vector<std::string>& args,
            const Output& output) {
  bool json_out = output.json;
  std::vector<std::string> rest;
  for (size_t arg_idx = 1; arg_idx < args.size(); ++arg_idx) {
    if (args[arg_idx] == "--json") {
      json_out = true;
    } else {
      rest.push_back(args[arg_idx]);
    }
  }
  if (rest.size() != 1) return Usage(output, "show HASH [--json]");
  Result<Hash> hash = db.ResolveHashPrefix(rest[0]);
  if (!hash.ok()) return Fail(output, hash.status());
  Result<StoredChange> stored = db.GetChange(*hash);
  if (!stored.ok()) return Fail(output, stored.status());
  output.out << (json_out ? ChangeToJson(*stored) + "\n"
                          : ChangeToText(*stored));
  return kExitOk;
}

int CmdVerify(Database& db, const std::vector<std::string>& args,
              const Output& output) {
  if (args.size() != 1) return Usage(output, "verify");
  Result<VerifyReport> report = db.Verify();
  if (!report.ok()) return Fail(output, report.status());
  if (output.json) {
    output.out << json{{"ok", report->ok()},
                       {"changes_checked", report->changes_checked},
                       {"problems", report->problems}}
                      .dump()
               << "\n";
  } else {
    for (const std::string& problem : report->problems) {
      output.err << "problem: " << problem << "\n";
    }
    output.out << (report->ok() ? "ok: " : "FAILED: ")
               << report->changes_checked << " changes verified, "
               << report->problems.size() << " problems\n";
  }
  return report->ok() ? kExitOk : kExitError;
}

int CmdHelp(Database&, const std::vector<std::string>&, const Output& output) {
  output.out << HelpText();
  return kExitOk;
}

struct Command {
  const char* name;
  int (*run)(Database&, const std::vector<std::string>&, const Output&);
};

constexpr Command kCommands[] = {
    {"log", CmdLog},       {"heads", CmdHeads}, {"show", CmdShow},
    {"verify", CmdVerify}, {"help", CmdHelp},
};

}  // namespace

bool IsKnownCommand(const std::string& name) {
  for (const Command& command : kCommands) {
    if (name == command.name) return true;
  }
  return false;
}

int RunCommand(Database& db, const std::vector<std::string>& args,
               const Output& output) {
  for (const Command& command : kCommands) {
    if (args[0] == command.name) return command.run(db, args, output);
  }
  return Usage(output, "unknown command '" + args[0] + "' (try: help)");
}

std::string HelpText() {
  return "weft [--db PATH] [--json] [COMMAND ARGS...]\n"
         "  Without a command, reads commands from the terminal (or stdin).\n"
         "  The database is PATH, else $WEFT_DB, else ./weft.db.\n"
         "\n"
         "commands:\n"
         "  log [-n COUNT]     the log, newest first\n"
         "  heads              the changes nothing builds on yet\n"
         "  show HASH          one change (HASH may be abbreviated, >= 4 "
         "digits)\n"
         "  verify             re-hash every change; check closure, log, "
         "index,\n"
         "                     heads and actors (exit code 1 on any problem)\n"
         "  help               this text\n";
}

}  // namespace weft::cli
