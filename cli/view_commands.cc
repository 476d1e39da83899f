#include "view_commands.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "change_format.h"
#include "json_text.h"
#include "progress.h"
#include "where_clause.h"

namespace weft::cli {
namespace {

using nlohmann::json;

constexpr char kViewForm[] =
    "view create JSON | view drop NAME | view rebuild NAME | view rows NAME";
constexpr char kFindForm[] =
    "find COLL [--order PATH] [--desc] [--limit N] [PREDICATE | where ...]";

// Progress of a view build, on a terminal (a long build is not silent).
ViewProgressCallback Progress(ProgressLine* line) {
  return [line](const ViewBuildProgress& report) {
    line->Show("building " + report.view + ": " +
                   std::to_string(report.documents_done) + "/" +
                   std::to_string(report.documents_total) + " documents",
               report.documents_done == report.documents_total);
  };
}

json StatusJson(const ViewStatus& view) {
  return {{"view", json::parse(view.definition.ToJson())},
          {"building", view.building},
          {"checkpoint", view.checkpoint},
          {"lag", view.lag},
          {"documents_done", view.documents_done}};
}

int PrintRows(Database& db, const std::string& name, const Output& output) {
  Status status = db.ScanView(name, [&](const ViewRow& row) {
    if (output.json) {
      json line = json::object();
      if (!row.doc.empty()) line["doc"] = row.doc;
      if (!row.key.empty()) line["key"] = json::parse(row.key);
      if (!row.value.empty()) line["value"] = json::parse(row.value);
      output.out << JsonText(line) << "\n";
    } else {
      std::string text = row.doc;
      for (const std::string* part : {&row.key, &row.value}) {
        if (part->empty()) continue;
        if (!text.empty()) text += "  ";
        text += *part;
      }
      output.out << text << "\n";
    }
    return true;
  });
  return status.ok() ? kExitOk : PrintError(output, status);
}

// The query of find/explain: collection, options, then the predicate.
struct Query {
  std::string collection;
  FindOptions options;
  Predicate predicate = Predicate::All();
  bool none = false;  // limit 0: nothing (FindOptions' 0 is no limit)
};

bool ParseQueryWords(const std::vector<std::string>& args, Query* query,
                     Status* error);

// The limit is noted as given: FindOptions::limit 0 means "no limit", a
// user's `limit 0` means no results.
bool ParseQuery(const std::vector<std::string>& args, Query* query,
                Status* error) {
  constexpr uint64_t kNoLimit = UINT64_MAX;
  query->options.limit = kNoLimit;
  if (!ParseQueryWords(args, query, error)) return false;
  query->none = query->options.limit == 0;
  if (query->options.limit == kNoLimit) query->options.limit = 0;
  return true;
}

bool ParseQueryWords(const std::vector<std::string>& args, Query* query,
                     Status* error) {
  if (args.size() < 2 || args[1].empty() || args[1][0] == '-') return false;
  query->collection = args[1];
  for (size_t arg_idx = 2; arg_idx < args.size(); ++arg_idx) {
    const std::string& arg = args[arg_idx];
    if (arg == "--order" && arg_idx + 1 < args.size()) {
      query->options.order_by = args[++arg_idx];
    } else if (arg == "--desc") {
      query->options.descending = true;
    } else if (arg == "--limit" && arg_idx + 1 < args.size()) {
      const std::string& text = args[++arg_idx];
      auto [end, parse_error] = std::from_chars(
          text.data(), text.data() + text.size(), query->options.limit);
      if (parse_error != std::errc() || end != text.data() + text.size()) {
        return false;
      }
    } else if (!arg.empty() && arg[0] == '{' && arg_idx + 1 == args.size()) {
      Result<Predicate> predicate = Predicate::FromJson(arg);
      if (!predicate.ok()) {
        *error = predicate.status();
        return true;
      }
      query->predicate = std::move(predicate).value();
    } else if (StartsWhereClause(arg.substr(0, arg.find_first_of(" \t\n"))) &&
               arg_idx + 1 == args.size()) {
      *error = ParseWhereClause(arg, &query->predicate, &query->options);
      return true;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int CmdView(Database& db, const std::vector<std::string>& args,
            const Output& output) {
  if (args.size() != 3) return PrintUsage(output, kViewForm);
  const std::string& verb = args[1];
  Status status;
  ProgressLine progress(output);
  if (verb == "create") {
    Result<ViewDefinition> definition = ViewDefinition::FromJson(args[2]);
    if (!definition.ok()) return PrintError(output, definition.status());
    status = db.CreateView(*definition, Progress(&progress));
  } else if (verb == "drop") {
    status = db.DropView(args[2]);
  } else if (verb == "rebuild") {
    status = db.RebuildView(args[2], Progress(&progress));
  } else if (verb == "rows") {
    return PrintRows(db, args[2], output);
  } else {
    return PrintUsage(output, kViewForm);
  }
  if (!status.ok()) return PrintError(output, status);
  if (output.json) output.out << JsonText(json{{"ok", true}}) << "\n";
  return kExitOk;
}

int CmdViews(Database& db, const std::vector<std::string>& args,
             const Output& output) {
  if (args.size() != 1) return PrintUsage(output, "views");
  Result<DatabaseStatus> status = db.GetStatus();
  if (!status.ok()) return PrintError(output, status.status());
  for (const ViewStatus& view : status->views) {
    if (output.json) {
      output.out << JsonText(StatusJson(view)) << "\n";
      continue;
    }
    output.out << view.definition.name << "  "
               << ViewKindName(view.definition.kind) << " on "
               << view.definition.collection << "  "
               << (view.building
                       ? "building (" + std::to_string(view.documents_done) +
                             " documents done)"
                       : "current")
               << "\n";
  }
  return kExitOk;
}

int CmdFind(Database& db, const std::vector<std::string>& args,
            const Output& output) {
  Query query;
  Status error;
  if (!ParseQuery(args, &query, &error)) return PrintUsage(output, kFindForm);
  if (!error.ok()) return PrintError(output, error);
  if (query.none) query.options.limit = 1;  // checked, then nothing read
  auto cursor = db.Find(query.collection, query.predicate, query.options);
  if (!cursor.ok()) return PrintError(output, cursor.status());
  for (; !query.none && (*cursor)->Valid(); (*cursor)->Next()) {
    if (output.json) {
      output.out << JsonText(json{{"doc", (*cursor)->doc()},
                                  {"value", json::parse((*cursor)->json())}})
                 << "\n";
    } else {
      output.out << (*cursor)->doc() << "  " << (*cursor)->json() << "\n";
    }
  }
  Status status = (*cursor)->status();
  return status.ok() ? kExitOk : PrintError(output, status);
}

int CmdExplain(Database& db, const std::vector<std::string>& args,
               const Output& output) {
  Query query;
  Status error;
  if (!ParseQuery(args, &query, &error)) {
    return PrintUsage(output, std::string("explain") + (kFindForm + 4));
  }
  if (!error.ok()) return PrintError(output, error);
  auto plan = db.Explain(query.collection, query.predicate, query.options);
  if (!plan.ok()) return PrintError(output, plan.status());
  if (output.json) {
    output.out << JsonText(json{{"uses_index", plan->uses_index},
                                {"index", plan->index},
                                {"sorts_in_memory", plan->sorts_in_memory},
                                {"description", plan->description}})
               << "\n";
  } else {
    output.out << plan->description << "\n";
  }
  return kExitOk;
}

int CmdStatus(Database& db, const std::vector<std::string>& args,
              const Output& output) {
  if (args.size() != 1) return PrintUsage(output, "status");
  Result<DatabaseStatus> status = db.GetStatus();
  if (!status.ok()) return PrintError(output, status.status());
  json heads = json::array(), actors = json::array(), views = json::array();
  for (const Hash& head : status->heads) heads.push_back(head.ToHex());
  for (const ActorState& actor : status->actors) {
    actors.push_back({{"actor", actor.actor.ToHex()}, {"seq", actor.seq}});
  }
  for (const ViewStatus& view : status->views)
    views.push_back(StatusJson(view));
  json peers = json::array();
  for (const PeerInfo& peer : status->peers) {
    peers.push_back(json::parse(PeerToJson(peer)));
  }
  if (output.json) {
    output.out << JsonText(json{{"log_length", status->log_length},
                                {"heads", heads},
                                {"actors", actors},
                                {"pending", status->pending},
                                {"views", views},
                                {"size_bytes", status->size_bytes},
                                {"peers", peers}})
               << "\n";
    return kExitOk;
  }
  output.out << "log        " << status->log_length << " changes\n"
             << "heads      " << status->heads.size() << "\n";
  for (const Hash& head : status->heads) {
    output.out << "  " << head.ToHex() << "\n";
  }
  output.out << "actors     " << status->actors.size() << "\n";
  for (const ActorState& actor : status->actors) {
    output.out << "  " << actor.actor.ToHex() << "  seq " << actor.seq << "\n";
  }
  output.out << "pending    " << status->pending << "\n"
             << "views      " << status->views.size() << "\n";
  for (const ViewStatus& view : status->views) {
    output.out << "  " << view.definition.name << "  checkpoint "
               << view.checkpoint << "  lag " << view.lag
               << (view.building ? "  building" : "") << "\n";
  }
  output.out << "size       " << status->size_bytes << " bytes\n"
             << "peers      " << status->peers.size() << "\n";
  for (const PeerInfo& peer : status->peers) {
    output.out << "  " << PeerToText(peer, NowMs()) << "\n";
  }
  return kExitOk;
}

}  // namespace weft::cli
