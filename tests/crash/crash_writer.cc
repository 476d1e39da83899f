// Commits changes with sync=true forever (bounded) and prints each
// acknowledged hash on stdout, one per line, for crash_test to kill.
// With a third argument `packing`: batches of 20..80 small changes, not
// synced (a SIGKILL loses nothing the kernel has), so that the log packs a
// run every few commits and a kill often lands inside one; every 5000
// changes it closes (packing whole runs) and opens again.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "tests/testutil/drafts.h"
#include "weft/database.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: crash_writer DB_PATH SEED [packing]\n");
    return 2;
  }
  bool packing = argc == 4 && std::string(argv[3]) == "packing";
  weft::Options options;
  options.sync = !packing;
  auto db = weft::Database::Open(argv[1], options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  std::mt19937_64 rng(std::strtoull(argv[2], nullptr, 10));
  uint64_t since_open = 0;
  for (int commit = 0; commit < 100000; ++commit) {
    std::vector<weft::ChangeDraft> drafts;
    // Single commits and small batches; with packing, bigger ones.
    size_t batch = packing ? 20 + rng() % 61 : 1 + rng() % 3;
    for (size_t idx = 0; idx < batch; ++idx) {
      drafts.push_back(weft::testing::RandomDraft(rng, 1 + rng() % 8));
    }
    if (packing && (since_open += batch) > 5000) {
      since_open = 0;
      db->reset();
      db = weft::Database::Open(argv[1], options);
      if (!db.ok()) {
        std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
        return 1;
      }
    }
    auto hashes = (*db)->CommitBatch(drafts);
    if (!hashes.ok()) {
      std::fprintf(stderr, "commit: %s\n", hashes.status().ToString().c_str());
      return 1;
    }
    // Acknowledge only after Commit returned: these must survive SIGKILL.
    std::string line;
    for (const weft::Hash& hash : *hashes) line += hash.ToHex() + "\n";
    if (write(STDOUT_FILENO, line.data(), line.size()) !=
        static_cast<ssize_t>(line.size())) {
      return 1;
    }
  }
  return 0;
}
