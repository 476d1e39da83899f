#include "cli/commands.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "cli/backup_commands.h"
#include "cli/change_format.h"
#include "cli/doc_commands.h"

namespace weft::cli {
namespace {

using nlohmann::json;

int CmdLog(Database& db, const std::vector<std::string>& args,
           const Output& output) {
  uint64_t limit = UINT64_MAX;
  if (args.size() == 3 && args[1] == "-n") {
    const std::string& text = args[2];
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), limit);
    if (error != std::errc() || end != text.data() + text.size()) {
      return PrintUsage(output, "log [-n COUNT]  (COUNT is a whole number)");
    }
  } else if (args.size() != 1) {
    return PrintUsage(output, "log [-n COUNT]");
  }
  // Newest first, like git log.
  uint64_t length = db.LogLength();
  for (uint64_t shown = 0; shown < limit && shown < length; ++shown) {
    Result<StoredChange> stored = db.GetChangeAt(length - shown);
    if (!stored.ok()) return PrintError(output, stored.status());
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
  if (args.size() != 1) return PrintUsage(output, "heads");
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
  if (rest.size() != 1) return PrintUsage(output, "show HASH [--json]");
  Result<Hash> hash = db.ResolveHashPrefix(rest[0]);
  if (!hash.ok()) return PrintError(output, hash.status());
  Result<StoredChange> stored = db.GetChange(*hash);
  if (!stored.ok()) return PrintError(output, stored.status());
  output.out << (json_out ? ChangeToJson(*stored) + "\n"
                          : ChangeToText(*stored));
  return kExitOk;
}

int CmdVerify(Database& db, const std::vector<std::string>& args,
              const Output& output) {
  if (args.size() != 1) return PrintUsage(output, "verify");
  Result<VerifyReport> report = db.Verify();
  if (!report.ok()) return PrintError(output, report.status());
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
  // Arguments from this one on form one argument, spaces kept (a JSON
  // value or text); 0: none.
  size_t raw_tail_from;
};

constexpr Command kCommands[] = {
    {"put", CmdPut, 2},       {"get", CmdGet, 0},
    {"set", CmdSet, 3},       {"del", CmdDel, 0},
    {"incr", CmdIncr, 0},     {"splice", CmdSplice, 5},
    {"log", CmdLog, 0},       {"heads", CmdHeads, 0},
    {"show", CmdShow, 0},     {"verify", CmdVerify, 0},
    {"export", CmdExport, 0}, {"import", CmdImport, 0},
    {"backup", CmdBackup, 0}, {"help", CmdHelp, 0},
};

const Command* FindCommand(const std::string& name) {
  for (const Command& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

}  // namespace

int PrintError(const Output& output, const Status& status) {
  output.err << "error: " << status.ToString() << "\n";
  return kExitError;
}

int PrintUsage(const Output& output, const std::string& form) {
  output.err << "usage: " << form << "\n";
  return kExitUsage;
}

bool IsKnownCommand(const std::string& name) {
  return FindCommand(name) != nullptr;
}

std::vector<std::string> JoinRawTail(std::vector<std::string> args) {
  const Command* command = args.empty() ? nullptr : FindCommand(args[0]);
  if (command == nullptr || command->raw_tail_from == 0 ||
      args.size() <= command->raw_tail_from + 1) {
    return args;
  }
  std::string tail = args[command->raw_tail_from];
  for (size_t arg_idx = command->raw_tail_from + 1; arg_idx < args.size();
       ++arg_idx) {
    tail += " " + args[arg_idx];
  }
  args.resize(command->raw_tail_from);
  args.push_back(tail);
  return args;
}

std::vector<std::string> SplitCommandLine(const std::string& line) {
  static constexpr char kBlanks[] = " \t\r";
  std::vector<std::string> words;
  size_t pos = 0;
  while ((pos = line.find_first_not_of(kBlanks, pos)) != std::string::npos) {
    const Command* command = words.empty() ? nullptr : FindCommand(words[0]);
    if (command != nullptr && command->raw_tail_from != 0 &&
        words.size() == command->raw_tail_from) {
      size_t end = line.find_last_not_of(kBlanks);
      words.push_back(line.substr(pos, end + 1 - pos));  // the raw tail
      break;
    }
    size_t end = line.find_first_of(kBlanks, pos);
    words.push_back(line.substr(
        pos, end == std::string::npos ? std::string::npos : end - pos));
    pos = end;
  }
  return words;
}

int RunCommand(Database& db, const std::vector<std::string>& args,
               const Output& output) {
  const Command* command = FindCommand(args[0]);
  if (command == nullptr) {
    return PrintUsage(output, "unknown command '" + args[0] + "' (try: help)");
  }
  return command->run(db, args, output);
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
