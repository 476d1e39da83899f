#include "doc_commands.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "json_text.h"
#include "weft/json.h"

namespace weft::cli {
namespace {

using nlohmann::json;

template <typename Number>
bool ParseNumber(const std::string& text, Number* number) {
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), *number);
  return error == std::errc() && end == text.data() + text.size();
}

// Runs `edit` in a transaction and prints the new change's hash.
template <typename Edit>
int CommitEdit(Database& db, const Output& output, Edit&& edit) {
  auto txn = db.Begin();
  Status status = edit(*txn);
  if (!status.ok()) {
    txn->Abort();
    return PrintError(output, status);
  }
  Result<Hash> hash = txn->Commit();
  if (!hash.ok()) return PrintError(output, hash.status());
  if (output.json) {
    output.out << JsonText(json{{"hash", hash->ToHex()}}) << "\n";
  } else {
    output.out << hash->ToHex() << "\n";
  }
  return kExitOk;
}

// A member or element given as JSON: a scalar (sets and lists hold
// scalars here; {"$bytes": hex} is a byte string).
Result<Scalar> ParseScalarArg(const std::string& text) {
  return ScalarFromJsonText(text);
}

}  // namespace

int CmdPut(Database& db, const std::vector<std::string>& args,
           const Output& output) {
  if (args.size() != 3) return PrintUsage(output, "put COLL/KEY JSON");
  return CommitEdit(db, output, [&](Transaction& txn) {
    return txn.PutJson(args[1], args[2]).status();
  });
}

int CmdGet(Database& db, const std::vector<std::string>& args,
           const Output& output) {
  static const char* kForm = "get COLL/KEY [PATH] [--conflicts] [--as-of HASH]";
  std::vector<std::string> rest;
  bool conflicts = false;
  std::string as_of;
  for (size_t arg_idx = 1; arg_idx < args.size(); ++arg_idx) {
    if (args[arg_idx] == "--conflicts") {
      conflicts = true;
    } else if (args[arg_idx] == "--as-of" && arg_idx + 1 < args.size() &&
               as_of.empty()) {
      as_of = args[++arg_idx];
    } else {
      rest.push_back(args[arg_idx]);
    }
  }
  if (rest.empty() || rest.size() > 2) return PrintUsage(output, kForm);
  if (conflicts && rest.size() != 2) {
    return PrintUsage(output, "get COLL/KEY PATH --conflicts  (PATH required)");
  }
  Result<std::string> value = Status::OK();
  if (!as_of.empty()) {
    Result<Hash> hash = db.ResolveHashPrefix(as_of);
    if (!hash.ok()) return PrintError(output, hash.status());
    value = rest.size() == 2 ? db.GetPathJsonAsOf(rest[0], rest[1], *hash)
                             : db.GetJsonAsOf(rest[0], *hash);
  } else if (conflicts) {
    value = db.GetConflictsJson(rest[0], rest[1]);
  } else if (rest.size() == 2) {
    value = db.GetPathJson(rest[0], rest[1]);
  } else {
    value = db.GetJson(rest[0]);
  }
  if (!value.ok()) return PrintError(output, value.status());
  output.out << *value << "\n";
  return kExitOk;
}

int CmdSet(Database& db, const std::vector<std::string>& args,
           const Output& output) {
  if (args.size() != 4) return PrintUsage(output, "set COLL/KEY PATH JSON");
  return CommitEdit(db, output, [&](Transaction& txn) {
    return txn.SetJson(args[1], args[2], args[3]).status();
  });
}

int CmdDel(Database& db, const std::vector<std::string>& args,
           const Output& output) {
  if (args.size() != 2 && args.size() != 3) {
    return PrintUsage(output,
                      "del COLL/KEY [PATH]  (no PATH: the whole document)");
  }
  return CommitEdit(db, output, [&](Transaction& txn) {
    return args.size() == 2 ? txn.DeleteDocument(args[1]).status()
                            : txn.Delete(args[1], args[2]).status();
  });
}

int CmdIncr(Database& db, const std::vector<std::string>& args,
            const Output& output) {
  int64_t delta = 1;
  if ((args.size() != 3 && args.size() != 4) ||
      (args.size() == 4 && !ParseNumber(args[3], &delta))) {
    return PrintUsage(output, "incr COLL/KEY PATH [DELTA]  (DELTA an integer)");
  }
  return CommitEdit(db, output, [&](Transaction& txn) {
    return txn.Increment(args[1], args[2], delta).status();
  });
}

int CmdSplice(Database& db, const std::vector<std::string>& args,
              const Output& output) {
  static const char* kForm =
      "splice COLL/KEY FIELD POS DELETE_COUNT TEXT  (TEXT a JSON string)";
  uint64_t position, delete_count;
  if (args.size() != 6 || !ParseNumber(args[3], &position) ||
      !ParseNumber(args[4], &delete_count)) {
    return PrintUsage(output, kForm);
  }
  json text = json::parse(args[5], nullptr, /*allow_exceptions=*/false);
  if (!text.is_string()) {
    return PrintError(output,
                      Status::InvalidArgument(
                          "TEXT must be a JSON string, like \"hello\\n\""));
  }
  return CommitEdit(db, output, [&](Transaction& txn) {
    return txn
        .SpliceText(args[1], args[2], position, delete_count,
                    text.get<std::string>())
        .status();
  });
}

namespace {

// sadd and srem: COLL/KEY PATH JSON, one member added or removed.
int EditSet(Database& db, const std::vector<std::string>& args,
            const Output& output, bool add) {
  if (args.size() != 4) {
    return PrintUsage(
        output, std::string(add ? "sadd" : "srem") + " COLL/KEY PATH JSON");
  }
  Result<Scalar> member = ParseScalarArg(args[3]);
  if (!member.ok()) return PrintError(output, member.status());
  return CommitEdit(db, output, [&](Transaction& txn) {
    return add ? txn.SetAdd(args[1], args[2], *member).status()
               : txn.SetRemove(args[1], args[2], *member).status();
  });
}

}  // namespace

int CmdSetAdd(Database& db, const std::vector<std::string>& args,
              const Output& output) {
  return EditSet(db, args, output, /*add=*/true);
}

int CmdSetRemove(Database& db, const std::vector<std::string>& args,
                 const Output& output) {
  return EditSet(db, args, output, /*add=*/false);
}

int CmdListInsert(Database& db, const std::vector<std::string>& args,
                  const Output& output) {
  uint64_t index;
  if (args.size() != 5 || !ParseNumber(args[3], &index)) {
    return PrintUsage(output, "linsert COLL/KEY PATH INDEX JSON");
  }
  Result<Scalar> element = ParseScalarArg(args[4]);
  if (!element.ok()) return PrintError(output, element.status());
  return CommitEdit(db, output, [&](Transaction& txn) {
    return txn.ListInsert(args[1], args[2], index, *element).status();
  });
}

int CmdListDelete(Database& db, const std::vector<std::string>& args,
                  const Output& output) {
  uint64_t index, count = 1;
  if ((args.size() != 4 && args.size() != 5) || !ParseNumber(args[3], &index) ||
      (args.size() == 5 && !ParseNumber(args[4], &count))) {
    return PrintUsage(output, "ldel COLL/KEY PATH INDEX [COUNT]");
  }
  return CommitEdit(db, output, [&](Transaction& txn) {
    return txn.ListDelete(args[1], args[2], index, count).status();
  });
}

}  // namespace weft::cli
