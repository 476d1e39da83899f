// Commits changes with sync=true forever (bounded) and prints each
// acknowledged hash on stdout, one per line, for crash_test to kill.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "tests/testutil/drafts.h"
#include "weft/database.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_writer DB_PATH SEED\n");
    return 2;
  }
  weft::Options options;
  options.sync = true;
  auto db = weft::Database::Open(argv[1], options);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  std::mt19937_64 rng(std::strtoull(argv[2], nullptr, 10));
  for (int commit = 0; commit < 100000; ++commit) {
    std::vector<weft::ChangeDraft> drafts;
    size_t batch = 1 + rng() % 3;  // single commits and small batches
    for (size_t idx = 0; idx < batch; ++idx) {
      drafts.push_back(weft::testing::RandomDraft(rng, 1 + rng() % 8));
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
