#include "commands.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "backup_commands.h"
#include "change_format.h"
#include "doc_commands.h"
#include "json_text.h"
#include "sync_commands.h"
#include "view_commands.h"
#include "watch_command.h"
#include "where_clause.h"

namespace weft::cli {
namespace {

using nlohmann::json;

int CmdLog(Database& db, const std::vector<std::string>& args,
           const Output& output) {
  static const char* kForm =
      "log [-n COUNT] [COLL/KEY]  (COUNT a whole number)";
  uint64_t limit = UINT64_MAX;
  std::string doc;
  for (size_t arg_idx = 1; arg_idx < args.size(); ++arg_idx) {
    if (args[arg_idx] == "-n" && arg_idx + 1 < args.size()) {
      const std::string& text = args[++arg_idx];
      auto [end, error] =
          std::from_chars(text.data(), text.data() + text.size(), limit);
      if (error != std::errc() || end != text.data() + text.size()) {
        return PrintUsage(output, kForm);
      }
    } else if (doc.empty() && args[arg_idx].find('/') != std::string::npos) {
      doc = args[arg_idx];
    } else {
      return PrintUsage(output, kForm);
    }
  }
  // Newest first, like git log: the whole log, or one document's history.
  std::vector<uint64_t> positions;
  if (doc.empty()) {
    for (uint64_t position = db.LogLength(); position > 0; --position) {
      if (positions.size() >= limit) break;
      positions.push_back(position);
    }
  } else {
    auto history = db.DocumentHistory(doc);
    if (!history.ok()) return PrintError(output, history.status());
    for (auto it = history->rbegin();
         it != history->rend() && positions.size() < limit; ++it) {
      positions.push_back(*it);
    }
  }
  for (uint64_t position : positions) {
    Result<StoredChange> stored = db.GetChangeAt(position);
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
    output.out << JsonText(json{{"heads", list}}) << "\n";
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
  VerifyOptions options;
  options.quick = args.size() == 2 && args[1] == "--quick";
  if (args.size() != (options.quick ? 2 : 1)) {
    return PrintUsage(output, "verify");
  }
  Result<VerifyReport> report = db.Verify(options);
  if (!report.ok()) return PrintError(output, report.status());
  if (output.json) {
    output.out << JsonText(
                      json{{"ok", report->ok()},
                           {"quick", options.quick},
                           {"changes_checked", report->changes_checked},
                           {"proofs_checked", report->proofs_checked},
                           {"documents_checked", report->documents_checked},
                           {"view_rows_checked", report->view_rows_checked},
                           {"problems", report->problems}})
               << "\n";
  } else {
    for (const std::string& problem : report->problems) {
      output.err << "problem: " << problem << "\n";
    }
    output.out << (report->ok() ? "ok: " : "FAILED: ")
               << report->changes_checked << " changes verified, "
               << report->proofs_checked << " proofs of authorship checked, ";
    if (options.quick) {
      output.out << "documents and views not replayed (--quick), ";
    } else {
      output.out << report->documents_checked << " documents and "
                 << report->view_rows_checked
                 << " view rows checked against the log's replay, ";
    }
    output.out << report->problems.size() << " problems\n";
  }
  return report->ok() ? kExitOk : kExitError;
}

int CmdHelp(Database&, const std::vector<std::string>& args,
            const Output& output);
int CmdCollections(Database& db, const std::vector<std::string>& args,
                   const Output& output);
int CmdKeys(Database& db, const std::vector<std::string>& args,
            const Output& output);

constexpr size_t kTailFromQuery = SIZE_MAX;

struct Command {
  const char* name;
  int (*run)(Database&, const std::vector<std::string>&, const Output&);
  // Arguments from this one on form one argument, spaces kept (a JSON
  // value or text); 0: none; kTailFromQuery: from the first argument that
  // starts with '{' (a JSON predicate after options) or a where clause
  // (where, order, limit: cli/where_clause.h).
  size_t raw_tail_from;
  const char* usage;
  const char* summary;
  const char* example;
};

constexpr Command kCommands[] = {
    {"put", CmdPut, 2, "put COLL/KEY JSON",
     "replace a document with a JSON object",
     "put todos/1 {\"title\": \"milk\", \"tags\": [\"home\"]}"},
    {"get", CmdGet, 0, "get COLL/KEY [PATH] [--conflicts] [--as-of HASH]",
     "a document or one value as JSON; --conflicts: every concurrent value "
     "at PATH; --as-of: the document as of a change",
     "get todos/1 address.city"},
    {"set", CmdSet, 3, "set COLL/KEY PATH JSON",
     "set one value (maps on the way are made)",
     "set todos/1 address.city \"Paris\""},
    {"del", CmdDel, 0, "del COLL/KEY [PATH]",
     "delete a value, or the whole document", "del todos/1 address"},
    {"incr", CmdIncr, 0, "incr COLL/KEY PATH [DELTA]",
     "add to a counter (made if missing; DELTA defaults to 1)",
     "incr todos/1 views 2"},
    {"splice", CmdSplice, 5, "splice COLL/KEY FIELD POS DELETE_COUNT TEXT",
     "edit a text: delete DELETE_COUNT characters at POS, insert TEXT (a "
     "JSON string, so newlines and quotes survive)",
     "splice todos/1 note 0 0 \"buy oat milk\\n\""},
    {"sadd", CmdSetAdd, 3, "sadd COLL/KEY PATH JSON",
     "add a member to the set at PATH (made if missing; a concurrent "
     "remove does not win)",
     "sadd todos/1 tags \"home\""},
    {"srem", CmdSetRemove, 3, "srem COLL/KEY PATH JSON",
     "remove a member from the set at PATH", "srem todos/1 tags \"home\""},
    {"linsert", CmdListInsert, 4, "linsert COLL/KEY PATH INDEX JSON",
     "insert a value before position INDEX of the list at PATH (made if "
     "missing)",
     "linsert todos/1 steps 0 \"buy oats\""},
    {"ldel", CmdListDelete, 0, "ldel COLL/KEY PATH INDEX [COUNT]",
     "delete COUNT (default 1) elements of the list at PATH from INDEX on",
     "ldel todos/1 steps 0"},
    {"collections", CmdCollections, 0, "collections",
     "the collections that hold documents", "collections"},
    {"keys", CmdKeys, 0, "keys COLL", "the documents of a collection",
     "keys todos"},
    {"log", CmdLog, 0, "log [-n COUNT] [COLL/KEY]",
     "the log, or one document's history, newest first: position, hash, "
     "actor, seq, ops",
     "log -n 5 todos/1"},
    {"heads", CmdHeads, 0, "heads", "the changes nothing builds on yet",
     "heads"},
    {"show", CmdShow, 0, "show HASH [--json]",
     "one change in full (HASH may be abbreviated to 4+ digits)",
     "show 3fa2c1"},
    {"verify", CmdVerify, 0, "verify [--quick]",
     "read every stored block; re-hash every change; check closure, log, "
     "index, heads and actors; replay every document from the log and "
     "compare it and every view row with what is stored (--quick: not "
     "this replay); exit code 1 on any problem",
     "verify"},
    {"export", CmdExport, 0, "export FILE",
     "every change and the heads, as a self-verifying bundle",
     "export todos.bundle"},
    {"import", CmdImport, 0, "import FILE",
     "merge a bundle: verified whole first, then one atomic write; "
     "importing again changes nothing",
     "import todos.bundle"},
    {"backup", CmdBackup, 0, "backup DIR",
     "a consistent copy of the live database into new folder DIR",
     "backup /tmp/weft-backup"},
    {"find", CmdFind, kTailFromQuery,
     "find COLL [--order PATH] [--desc] [--limit N] [PREDICATE | where ...]",
     "the documents matching a JSON predicate ({\"f\": v}, {\"f\": "
     "{\"$gte\": v}}, $gt $lt $lte $exists $and) or a where clause (where "
     "PATH OP VALUE [and ...] [order by PATH [desc]] [limit N]; OP = < <= > "
     ">=, or PATH exists/missing), through an index when one fits",
     "find todos where done = false and due < \"2026-12-01\" limit 10"},
    {"explain", CmdExplain, kTailFromQuery,
     "explain COLL [--order PATH] [--desc] [--limit N] [PREDICATE | where "
     "...]",
     "how find would run: which index, or a scan",
     "explain people {\"city\": \"Oslo\"}"},
    {"view", CmdView, 2,
     "view create JSON | view drop NAME | view rebuild NAME | view rows NAME",
     "declare a view (index, aggregate or projection), drop or rebuild it, "
     "or print its rows",
     "view create {\"name\": \"by_city\", \"kind\": \"index\", "
     "\"collection\": \"people\", \"fields\": [\"city\"]}"},
    {"views", CmdViews, 0, "views", "the views and whether they are current",
     "views"},
    {"status", CmdStatus, 0, "status",
     "log length, heads, actors, pending changes, views, size", "status"},
    {"serve", CmdServe, 0,
     "serve [--listen ADDRESS:PORT] [--peers FILE] [--identity FILE] "
     "[--key-file FILE] [--timeout MS] [--handshake-timeout MS] "
     "[--message-timeout MS] [--max-connections N] "
     "[--max-connections-per-address N]",
     "serve sync to other replicas until Ctrl-C (default 127.0.0.1:7707). "
     "With --peers: over TLS, to the identities the file lists (read or "
     "read-write; reread on SIGHUP), on any address; without, loopback "
     "peers only. A peer's Hello must arrive within 5 s and each message "
     "within 30 s of its first byte; at most 128 connections, 16 from one "
     "address",
     "serve --listen 0.0.0.0:7707 --peers peers.txt"},
    {"identity", CmdIdentity, 0, "identity [--identity FILE]",
     "this replica's identity, for its peers' peers files (its key, "
     "identity.key in the database folder, is made on first use)",
     "identity"},
    {"peers", CmdPeers, 0, "peers [--file FILE] [forget REPLICA|all]",
     "the replicas this one has synced with (at most 1024, none older than "
     "180 days); --file: first the grants a peers file holds; forget drops "
     "one's record, or all",
     "peers forget all"},
    {"sync", CmdSync, 0,
     "sync HOST:PORT [--live] [--peer IDENTITY] [--identity FILE] "
     "[--key-file FILE] [--timeout MS]",
     "exchange what each side lacks with a serving replica, once; --peer: "
     "over TLS, with the server of that identity only; --live: then keep "
     "the connection and push changes both ways as they are stored, until "
     "Ctrl-C",
     "sync 127.0.0.1:7707 --peer IDENTITY"},
    {"watch", CmdWatch, 0, "watch [COLL/KEY | COLL | view NAME]",
     "print each change stored from now on (local or received) that touches "
     "a document, a collection, a view's collection or, without a target, "
     "anything, with the touched documents' state as stored; --json: one "
     "line per change. Takes no lock: it works beside a serve or a live "
     "sync. Until Ctrl-C",
     "watch todos --json"},
    {"help", CmdHelp, 0, "help [COMMAND]", "the commands, or one in detail",
     "help splice"},
};

// Where the raw tail of `args` starts for `command`; 0 for none.
size_t RawTailStart(const Command& command,
                    const std::vector<std::string>& args) {
  if (command.raw_tail_from != kTailFromQuery) return command.raw_tail_from;
  for (size_t arg_idx = 1; arg_idx < args.size(); ++arg_idx) {
    if (!args[arg_idx].empty() && args[arg_idx][0] == '{') return arg_idx;
    if (arg_idx >= 2 && StartsWhereClause(args[arg_idx])) return arg_idx;
  }
  return 0;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

// Where the words that may be options end: at the raw tail, if any.
size_t OptionsEnd(const Command& command,
                  const std::vector<std::string>& args) {
  size_t tail = RawTailStart(command, args);
  return tail == 0 ? args.size() : std::min(tail, args.size());
}

// What is wrong with the options (words starting with "--") before the
// raw tail of `args`, or "" if nothing: every option must be one the
// command's usage names, and one the usage gives a value (--as-of HASH)
// must be followed by one. --help and --json are every command's.

std::string OptionProblem(const Command& command,
                          const std::vector<std::string>& args) {
  size_t end = OptionsEnd(command, args);
  std::string_view usage = command.usage;
  for (size_t arg_idx = 1; arg_idx < end; ++arg_idx) {
    const std::string& word = args[arg_idx];
    if (word.size() < 3 || word.compare(0, 2, "--") != 0) continue;
    if (word == "--json" || word == "--help") continue;
    size_t at = usage.find(word);
    while (at != std::string_view::npos) {
      size_t after = at + word.size();
      if (after == usage.size() || usage[after] == ' ' || usage[after] == ']' ||
          usage[after] == '|') {
        break;
      }
      at = usage.find(word, after);
    }
    if (at == std::string_view::npos) {
      return "unknown option '" + word + "' for " + command.name;
    }
    size_t after = at + word.size();
    bool takes_value = after + 1 < usage.size() && usage[after] == ' ' &&
                       usage[after + 1] >= 'A' && usage[after + 1] <= 'Z';
    if (!takes_value) continue;
    if (arg_idx + 1 >= end || args[arg_idx + 1].compare(0, 2, "--") == 0) {
      size_t value_end = usage.find_first_of(" ]", after + 1);
      return word + " needs a value (" +
             std::string(usage.substr(after + 1, value_end - after - 1)) + ")";
    }
    ++arg_idx;  // the value
  }
  return "";
}

}  // namespace

// With --json, errors are JSON too: {"error": CODE, "message": TEXT}, or
// {"usage": FORM}, one line on stderr.
int PrintError(const Output& output, const Status& status) {
  if (output.json) {
    output.err << JsonText(json{{"error", StatusCodeName(status.code())},
                                {"message", status.ToString()}})
               << "\n";
  } else {
    output.err << "error: " << status.ToString() << "\n";
  }
  return kExitError;
}

int PrintUsage(const Output& output, const std::string& form) {
  if (output.json) {
    output.err << JsonText(json{{"usage", form}}) << "\n";
  } else {
    output.err << "usage: " << form << "\n";
  }
  return kExitUsage;
}

bool IsKnownCommand(const std::string& name) {
  return FindCommand(name) != nullptr;
}

std::vector<std::string> JoinRawTail(std::vector<std::string> args) {
  const Command* command = args.empty() ? nullptr : FindCommand(args[0]);
  size_t start = command == nullptr ? 0 : RawTailStart(*command, args);
  if (start == 0 || args.size() <= start + 1) return args;
  std::string tail = args[start];
  for (size_t arg_idx = start + 1; arg_idx < args.size(); ++arg_idx) {
    tail += " " + args[arg_idx];
  }
  args.resize(start);
  args.push_back(tail);
  return args;
}

std::vector<std::string> SplitCommandLine(const std::string& line) {
  static constexpr char kBlanks[] = " \t\r\n";
  std::vector<std::string> words;
  size_t pos = 0;
  while ((pos = line.find_first_not_of(kBlanks, pos)) != std::string::npos) {
    const Command* command = words.empty() ? nullptr : FindCommand(words[0]);
    std::string_view word(
        line.data() + pos,
        std::min(line.find_first_of(kBlanks, pos), line.size()) - pos);
    bool tail_here = command != nullptr &&
                     (command->raw_tail_from == kTailFromQuery
                          ? (!words.empty() && line[pos] == '{') ||
                                (words.size() >= 2 && StartsWhereClause(word))
                          : command->raw_tail_from != 0 &&
                                words.size() == command->raw_tail_from);
    if (tail_here) {
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

std::string JoinContinued(const std::string& entry, const std::string& line) {
  bool in_string = false;
  for (size_t at = 0; at < entry.size(); ++at) {
    if (in_string && entry[at] == '\\') {
      ++at;
    } else if (entry[at] == '"') {
      in_string = !in_string;
    }
  }
  // JSON strings hold no raw newline: the one the user typed is escaped.
  return entry + (in_string ? "\\n" : " ") + line;
}

bool OpensMoreThanItCloses(const std::string& text) {
  int depth = 0;
  bool in_string = false;
  for (size_t at = 0; at < text.size(); ++at) {
    char c = text[at];
    if (in_string) {
      if (c == '\\') {
        ++at;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return depth > 0;
}

int RunCommand(Database& db, const std::vector<std::string>& args,
               const Output& output) {
  const Command* command = FindCommand(args[0]);
  if (command == nullptr) {
    return PrintUsage(output, UnknownCommandMessage(args[0]));
  }
  auto options_end = args.begin() + OptionsEnd(*command, args);
  if (std::find(args.begin() + 1, options_end, "--help") != options_end) {
    return RunHelp({"help", args[0]}, output);
  }
  std::string problem = OptionProblem(*command, args);
  if (!problem.empty()) {
    return PrintUsage(output, problem + "; " + command->usage);
  }
  // --json on a shell line (show's own aside) asks for JSON output.
  if (args[0] != "show" &&
      std::find(args.begin() + 1, options_end, "--json") != options_end) {
    std::vector<std::string> rest(args.begin(), options_end);
    rest.erase(std::remove(rest.begin() + 1, rest.end(), "--json"), rest.end());
    rest.insert(rest.end(), options_end, args.end());
    Output json_output = output;
    json_output.json = true;
    json_output.progress = false;
    return command->run(db, rest, json_output);
  }
  return command->run(db, args, output);
}

std::string HelpText() {
  std::string text =
      "weft [--db PATH] [--json] [--read-only] [--keep-going] [COMMAND "
      "ARGS...]\n"
      "  Without a command, reads commands from the terminal (or stdin; a\n"
      "  script stops at its first error unless --keep-going).\n"
      "  The database is PATH (--db=PATH too), else $WEFT_DB, else\n"
      "  ./weft.db. Reading commands work while another process (serve,\n"
      "  sync --live) holds it, seeing what it had committed when they\n"
      "  started; --read-only opens it that way for every command.\n"
      "  COMMAND --help shows one command; --version (-V) the versions.\n"
      "  Documents are COLL/KEY; a PATH is like title, address.city,\n"
      "  steps.2. Exit codes: 0 ok, 1 error, 2 usage.\n\ncommands:\n";
  for (const Command& command : kCommands) {
    std::string usage = command.usage;
    text += "  " + usage + "\n";
  }
  return text + "\nhelp COMMAND shows one with an example.\n";
}

// Levenshtein distance, for suggestions.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t col = 0; col <= b.size(); ++col) row[col] = col;
  for (size_t a_idx = 1; a_idx <= a.size(); ++a_idx) {
    size_t diagonal = row[0];
    row[0] = a_idx;
    for (size_t b_idx = 1; b_idx <= b.size(); ++b_idx) {
      size_t above = row[b_idx];
      row[b_idx] = std::min({row[b_idx] + 1, row[b_idx - 1] + 1,
                             diagonal + (a[a_idx - 1] != b[b_idx - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownCommandMessage(const std::string& name) {
  std::string best;
  size_t best_distance = 3;  // suggest only close ones
  for (const Command& command : kCommands) {
    size_t distance = EditDistance(name, command.name);
    if (distance < best_distance) {
      best_distance = distance;
      best = command.name;
    }
  }
  std::string message = "unknown command '" + name + "'";
  if (!best.empty()) message += "; did you mean '" + best + "'?";
  return message + " (help lists the commands)";
}

bool CommandCreatesDatabase(const std::string& name) {
  return name == "put" || name == "set" || name == "incr" || name == "splice" ||
         name == "sadd" || name == "linsert" || name == "import" ||
         name == "sync" || name == "serve" || name == "identity";
}

bool CommandOpensReadOnly(const std::string& name) { return name == "watch"; }

bool CommandOnlyReads(const std::vector<std::string>& args) {
  static const char* const kReaders[] = {
      "get",   "find",   "explain", "keys",  "collections", "log", "show",
      "heads", "status", "verify",  "views", "export",      "help"};
  if (args.empty()) return false;
  if (args[0] == "view") return args.size() > 1 && args[1] == "rows";
  return std::find(std::begin(kReaders), std::end(kReaders), args[0]) !=
         std::end(kReaders);
}

std::vector<std::string> CommandNames() {
  std::vector<std::string> names;
  for (const Command& command : kCommands) names.emplace_back(command.name);
  return names;
}

namespace {

// One command's help as JSON (help --json: one line per command).
nlohmann::json HelpJson(const Command& command) {
  return {{"command", command.name},
          {"usage", command.usage},
          {"summary", command.summary},
          {"example", command.example}};
}

int CmdHelp(Database&, const std::vector<std::string>& args,
            const Output& output) {
  return RunHelp(args, output);
}

}  // namespace

int RunHelp(const std::vector<std::string>& args, const Output& output) {
  if (args.size() == 1) {
    if (!output.json) {
      output.out << HelpText();
      return kExitOk;
    }
    for (const Command& command : kCommands) {
      output.out << JsonText(HelpJson(command)) << "\n";
    }
    return kExitOk;
  }
  const Command* command = args.size() == 2 ? FindCommand(args[1]) : nullptr;
  if (command == nullptr) {
    return PrintUsage(output, args.size() == 2 ? UnknownCommandMessage(args[1])
                                               : std::string("help [COMMAND]"));
  }
  if (output.json) {
    output.out << JsonText(HelpJson(*command)) << "\n";
  } else {
    output.out << command->usage << "\n  " << command->summary
               << "\n  example: " << command->example << "\n";
  }
  return kExitOk;
}

namespace {

int CmdCollections(Database& db, const std::vector<std::string>& args,
                   const Output& output) {
  if (args.size() != 1) return PrintUsage(output, "collections");
  auto names = db.ListCollections();
  if (!names.ok()) return PrintError(output, names.status());
  for (const std::string& name : *names) {
    output.out << (output.json ? JsonText(name) : name) << "\n";
  }
  return kExitOk;
}

int CmdKeys(Database& db, const std::vector<std::string>& args,
            const Output& output) {
  if (args.size() != 2) return PrintUsage(output, "keys COLL");
  auto keys = db.ListKeys(args[1]);
  if (!keys.ok()) return PrintError(output, keys.status());
  for (const std::string& key : *keys) {
    output.out << (output.json ? JsonText(key) : key) << "\n";
  }
  return kExitOk;
}

}  // namespace

}  // namespace weft::cli
