#include "backup_commands.h"

#include <nlohmann/json.hpp>

#include "json_text.h"
#include "progress.h"

namespace weft::cli {

using nlohmann::json;

int CmdExport(Database& db, const std::vector<std::string>& args,
              const Output& output) {
  if (args.size() != 2) return PrintUsage(output, "export FILE");
  auto stats = [&] {  // the progress line ends before the result shows
    ProgressLine progress(output);
    return db.Export(args[1], [&](uint64_t done, uint64_t total) {
      progress.ShowCount("exporting", done, total);
    });
  }();
  if (!stats.ok()) return PrintError(output, stats.status());
  if (output.json) {
    output.out << JsonText(json{{"file", args[1]},
                                {"changes", stats->changes},
                                {"bytes", stats->bytes}})
               << "\n";
  } else {
    output.out << "exported " << stats->changes << " changes (" << stats->bytes
               << " bytes) to " << args[1] << "\n";
  }
  return kExitOk;
}

int CmdImport(Database& db, const std::vector<std::string>& args,
              const Output& output) {
  if (args.size() != 2) return PrintUsage(output, "import FILE");
  auto stats = [&] {
    ProgressLine progress(output);
    return db.Import(args[1], [&](uint64_t done, uint64_t total) {
      progress.ShowCount("checking", done, total);
    });
  }();
  if (!stats.ok()) return PrintError(output, stats.status());
  if (output.json) {
    output.out << JsonText(json{{"file", args[1]},
                                {"changes_in_bundle", stats->changes_in_bundle},
                                {"stored", stats->stored},
                                {"views_created", stats->views_created},
                                {"views_kept", stats->views_kept}})
               << "\n";
  } else {
    output.out << "imported " << args[1] << ": " << stats->stored << " new of "
               << stats->changes_in_bundle << " changes\n";
    for (const std::string& view : stats->views_created) {
      output.out << "view " << view << " created and built\n";
    }
    for (const std::string& view : stats->views_kept) {
      output.out << "view " << view
                 << ": a different view of that name exists here; kept it\n";
    }
  }
  return kExitOk;
}

int CmdBackup(Database& db, const std::vector<std::string>& args,
              const Output& output) {
  if (args.size() != 2) return PrintUsage(output, "backup DIR  (DIR new)");
  Status status = db.Checkpoint(args[1]);
  if (!status.ok()) return PrintError(output, status);
  if (output.json) {
    output.out << JsonText(json{{"backup", args[1]}}) << "\n";
  } else {
    output.out << "backed up to " << args[1] << " (open it with weft --db "
               << args[1] << ")\n";
  }
  return kExitOk;
}

}  // namespace weft::cli
