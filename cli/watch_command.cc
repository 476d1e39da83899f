#include "watch_command.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "change_format.h"
#include "json_text.h"
#include "stop_signals.h"

namespace weft::cli {
namespace {

// How often the database is opened again to look for new changes: every
// 100 ms, or less often where opening costs more (a long write-ahead log
// to replay), so that watching takes at most about a tenth of a core.
// (Nothing cheaper tells that the writer stored something: its log file is
// preallocated, so its size and modification time stay put.)
constexpr int kPollMinMs = 100;
constexpr int kPollMaxMs = 2000;

struct Target {
  std::string doc;         // COLL/KEY, or empty
  std::string collection;  // the collection, or empty for anything
  std::string described;   // for the banner
};

// The documents of `change` the target covers, as COLL/KEY.
std::vector<std::string> Touched(const Change& change, const Target& target) {
  std::vector<std::string> docs;
  for (const DocRef& doc : change.docs) {
    std::string address = doc.collection + "/" + doc.key;
    if (!target.doc.empty() ? address == target.doc
                            : target.collection.empty() ||
                                  doc.collection == target.collection) {
      docs.push_back(std::move(address));
    }
  }
  return docs;
}

// One change: a summary line and a line per touched document, or one JSON
// line. A document's state is as stored when the change is printed (null:
// deleted).
void PrintChange(Database& db, const StoredChange& stored,
                 const std::vector<std::string>& docs, const Output& output) {
  nlohmann::json states = nlohmann::json::array();
  std::string text = ChangeSummary(stored) + "\n";
  for (const std::string& doc : docs) {
    Result<std::string> state = db.GetJson(doc);
    std::string shown = state.ok() ? *state : "null";
    text += "  " + doc + " " + shown + "\n";
    states.push_back(
        {{"doc", doc},
         {"state", state.ok() ? nlohmann::json::parse(*state, nullptr, false)
                              : nlohmann::json(nullptr)}});
  }
  if (!output.json) {
    output.out << text;
    return;
  }
  const Change& change = stored.change;
  output.out << JsonText({{"position", stored.position},
                          {"hash", stored.hash.ToHex()},
                          {"actor", change.actor.ToHex()},
                          {"seq", change.seq},
                          {"time_ms", change.time_ms},
                          {"message", change.message},
                          {"docs", states}})
             << "\n";
}

}  // namespace

int CmdWatch(Database& db, const std::vector<std::string>& args,
             const Output& output) {
  static const char* kForm = "watch [COLL/KEY | COLL | view NAME]";
  Target target;
  if (args.size() == 1) {
    target.described = "every change";
  } else if (args.size() == 2 && args[1].find('/') != std::string::npos) {
    target.doc = args[1];
    target.described = "document " + args[1];
  } else if (args.size() == 2 && args[1] != "view") {
    target.collection = args[1];
    target.described = "collection " + args[1];
  } else if (args.size() == 3 && args[1] == "view") {
    for (const ViewDefinition& view : db.ListViews()) {
      if (view.name == args[2]) target.collection = view.collection;
    }
    if (target.collection.empty()) {
      return PrintError(output, Status::NotFound("no view named", args[2]));
    }
    target.described =
        "view " + args[2] + " (collection " + target.collection + ")";
  } else {
    return PrintUsage(output, kForm);
  }
  Options read_only;
  read_only.read_only = true;
  read_only.create_if_missing = false;
  const std::string path = db.path();
  uint64_t seen = db.LogLength();
  StopSignals stop_signals;
  output.err << "watching " << target.described << " from change " << seen + 1
             << "; Ctrl-C stops" << std::endl;
  int poll_ms = kPollMinMs;
  while (!stop_signals.WaitFor(poll_ms)) {
    auto start = std::chrono::steady_clock::now();
    // An open that races the writer is tried again on the next tick.
    Result<std::unique_ptr<Database>> reader = Database::Open(path, read_only);
    auto open_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count();
    poll_ms = static_cast<int>(
        std::clamp<int64_t>(10 * open_ms, kPollMinMs, kPollMaxMs));
    if (!reader.ok()) {
      if (reader.status().IsNotFound()) {
        return PrintError(output, reader.status());  // the database is gone
      }
      continue;
    }
    uint64_t length = (*reader)->LogLength();
    for (uint64_t position = seen + 1; position <= length; ++position) {
      Result<StoredChange> stored = (*reader)->GetChangeAt(position);
      if (!stored.ok()) return PrintError(output, stored.status());
      std::vector<std::string> docs = Touched(stored->change, target);
      if (!docs.empty() || (target.doc.empty() && target.collection.empty())) {
        PrintChange(**reader, *stored, docs, output);
      }
    }
    seen = std::max(seen, length);
    output.out << std::flush;
  }
  return kExitOk;
}

}  // namespace weft::cli
