// Builds (or rebuilds) two views over an existing database and prints a
// line per build step, for crash_test to kill in the middle of a build.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "weft/database.h"

namespace {

void Say(const std::string& line) {
  std::string out = line + "\n";
  if (write(STDOUT_FILENO, out.data(), out.size()) !=
      static_cast<ssize_t>(out.size())) {
    std::exit(1);
  }
}

weft::Status BuildOrRebuild(weft::Database* db,
                            const weft::ViewDefinition& definition) {
  auto progress = [](const weft::ViewBuildProgress& report) {
    Say("step " + report.view + " " + std::to_string(report.documents_done));
  };
  for (const weft::ViewDefinition& existing : db->ListViews()) {
    if (existing.name == definition.name) {
      return db->RebuildView(definition.name, progress);
    }
  }
  return db->CreateView(definition, progress);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: view_builder DB_PATH STEP_DOCUMENTS\n");
    return 2;
  }
  weft::Options options;
  options.view_build_step_documents = std::strtoull(argv[2], nullptr, 10);
  auto db = weft::Database::Open(argv[1], options);  // resumes cut builds
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  Say("opened");
  weft::ViewDefinition index;
  index.name = "by_n";
  index.collection = "items";
  index.fields = {"n"};
  weft::ViewDefinition aggregate;
  aggregate.name = "n_by_g";
  aggregate.kind = weft::ViewKind::kAggregate;
  aggregate.collection = "items";
  aggregate.aggregate_field = "n";
  aggregate.group_by = "g";
  for (const weft::ViewDefinition& definition : {index, aggregate}) {
    weft::Status status = BuildOrRebuild(db->get(), definition);
    if (!status.ok()) {
      std::fprintf(stderr, "build: %s\n", status.ToString().c_str());
      return 1;
    }
  }
  Say("complete");
  return 0;
}
