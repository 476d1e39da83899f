// The fixture of the shell's end-to-end tests: a database with five
// commits, and a way to run the real weft binary on it.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testutil/drafts.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft::testing {

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Bytes in a database's write-ahead logs and table files: grows as soon as
// a commit reaches the disk.
inline uint64_t StoredBytes(const std::string& path) {
  uint64_t total = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    std::string extension = entry.path().extension().string();
    if (extension == ".log" || extension == ".sst") {
      uint64_t size = entry.file_size(error);
      total += error ? 0 : size;
    }
  }
  return total;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_.Sub("db");
    auto db = Database::Open(db_path_, Options());
    ASSERT_TRUE(db.ok());
    std::mt19937_64 rng(11);
    for (int commit = 0; commit < 5; ++commit) {
      auto hash = (*db)->Commit(RandomDraft(rng, 2));
      ASSERT_TRUE(hash.ok());
      hashes_.push_back(*hash);
    }
  }

  // Runs weft with `args` (already shell-quoted), optionally feeding stdin.
  RunResult Weft(const std::string& args, const std::string& input = "") {
    std::string in_path = dir_.Sub("stdin"), out_path = dir_.Sub("stdout"),
                err_path = dir_.Sub("stderr");
    std::ofstream(in_path) << input;
    std::string command = std::string(WEFT_BINARY) + " " + args + " <" +
                          in_path + " >" + out_path + " 2>" + err_path;
    int status = std::system(command.c_str());
    return RunResult{WEXITSTATUS(status), ReadFile(out_path),
                     ReadFile(err_path)};
  }

  TempDir dir_;
  std::string db_path_;
  std::vector<Hash> hashes_;
};

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

}  // namespace weft::testing
