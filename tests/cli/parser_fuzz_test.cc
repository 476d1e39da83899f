// Fuzzes the shell's command parser and every command's argument handling
// in process, for a bounded count and time: random lines built from the
// shell's own vocabulary, JSON fragments and hostile bytes, and mutations
// of valid lines. Nothing may crash; every failure must say why on stderr
// with exit code 1 or 2; the database must verify afterwards.
//
// WEFT_FUZZ_SEED=N replays one run (the seed is printed on failure).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include "cli/commands.h"
#include "tests/testutil/db.h"
#include "tests/testutil/temp_dir.h"

namespace weft {
namespace {

const std::vector<std::string>& Vocabulary() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> all = cli::CommandNames();
    for (const char* word :
         {"todos/1",
          "todos/",
          "/",
          "todos//x",
          "people/ann",
          "a",
          "a.b",
          "steps.2",
          "note",
          "title",
          ".",
          "..",
          "-n",
          "--json",
          "--order",
          "--limit",
          "--desc",
          "--as-of",
          "--conflicts",
          "--live",
          "--key-file",
          "--timeout",
          "0",
          "1",
          "-1",
          "3.5",
          "99999999999",
          "18446744073709551616",
          "create",
          "drop",
          "rebuild",
          "rows",
          "{",
          "}",
          "[",
          "]",
          "\"",
          "\"x\"",
          "\"\\n\"",
          "\"\\ud800\"",
          "null",
          "true",
          "{\"a\": 1}",
          "{\"a\": {\"b\": [1, 2]}}",
          "{\"$gt\": 1}",
          "{\"a\": {\"$lt\": \"m\", \"$gte\": 0}}",
          "{\"$and\": []}",
          "{\"$bytes\": \"zz\"}",
          "{\"x\": {\"$bytes\": \"00ff\"}}",
          "{\"name\": \"v\", \"kind\": \"index\", \"collection\": \"todos\", "
          "\"fields\": [\"a\"]}",
          "{\"name\": \"g\", \"kind\": \"aggregate\", \"collection\": "
          "\"todos\", \"aggregate_field\": \"a\"}",
          "fuzz.bundle",
          "fuzz-backup",
          "abcd",
          "#"}) {
      all.emplace_back(word);
    }
    return all;
  }();
  return words;
}

std::string RandomBytes(std::mt19937_64& rng) {
  std::string bytes(rng() % 12, '\0');
  for (char& byte : bytes) byte = static_cast<char>(rng() % 256);
  return bytes;
}

std::string RandomLine(std::mt19937_64& rng) {
  std::string line;
  size_t words = rng() % 9;
  for (size_t word_idx = 0; word_idx < words; ++word_idx) {
    if (word_idx > 0) line += rng() % 8 == 0 ? "\t " : " ";
    switch (rng() % 10) {
      case 0:
        line += RandomBytes(rng);
        break;
      case 1:
        line += std::string(rng() % 20000, "x{[\"é"[rng() % 5]);
        break;
      default:
        line += Vocabulary()[rng() % Vocabulary().size()];
    }
  }
  return line;
}

// A valid-looking line with a few bytes flipped, inserted or removed.
std::string MutatedLine(std::mt19937_64& rng) {
  static const std::vector<std::string> valid = {
      "put todos/1 {\"title\": \"milk\", \"tags\": [\"a\", \"b\"]}",
      "set todos/1 address.city \"Paris\"",
      "incr todos/1 views 2",
      "splice todos/1 note 0 0 \"buy oat milk\\n\"",
      "get todos/1 address.city --conflicts",
      "find todos --order title --limit 3 {\"views\": {\"$gte\": 1}}",
      "find todos where views >= 1 and title = \"milk\" order by title "
      "desc limit 3",
      "explain todos {\"title\": \"milk\"}",
      "view create {\"name\": \"t\", \"kind\": \"projection\", "
      "\"collection\": \"todos\", \"fields\": [\"title\"], "
      "\"filter\": {\"views\": {\"$gt\": 0}}}",
      "log -n 3 todos/1",
      "del todos/1 address"};
  std::string line = valid[rng() % valid.size()];
  for (int edit = 1 + rng() % 4; edit > 0 && !line.empty(); --edit) {
    size_t at = rng() % line.size();
    switch (rng() % 3) {
      case 0:
        line[at] = static_cast<char>(rng() % 256);
        break;
      case 1:
        line.insert(at, 1, static_cast<char>(rng() % 256));
        break;
      default:
        line.erase(at, 1);
    }
  }
  return line;
}

// Commands that serve or watch forever or reach out to the network are
// parsed, not run; so are paths outside the test's folder.
bool SafeToRun(const std::vector<std::string>& words) {
  if (words[0] == "serve" || words[0] == "sync" || words[0] == "watch") {
    return false;
  }
  for (const std::string& word : words) {
    if (word.find('/') == 0 || word.find("..") != std::string::npos) {
      if (words[0] == "backup" || words[0] == "export" ||
          words[0] == "import") {
        return false;
      }
    }
  }
  return true;
}

TEST(ParserFuzzTest, RandomAndMutatedLinesNeverCrashAndAlwaysExplain) {
  uint64_t seed = std::random_device()();
  if (const char* fixed = std::getenv("WEFT_FUZZ_SEED")) {
    seed = std::strtoull(fixed, nullptr, 10);
  }
  SCOPED_TRACE("WEFT_FUZZ_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);

  testing::TempDir dir;
  auto db = testing::OpenOrDie(dir.Sub("db"));
  // Relative file arguments (export, backup) land in the temp folder.
  std::filesystem::path previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());

  constexpr int kLinesMax = 20000;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int lines = 0, ran = 0, failed = 0;
  for (; lines < kLinesMax && std::chrono::steady_clock::now() < deadline;
       ++lines) {
    std::string line = rng() % 2 ? RandomLine(rng) : MutatedLine(rng);
    (void)cli::OpensMoreThanItCloses(line);
    std::vector<std::string> words = cli::SplitCommandLine(line);
    if (words.empty() || !SafeToRun(words)) continue;
    std::ostringstream out, err;
    cli::Output output{out, err, rng() % 2 == 0};
    int code = -1;
    try {
      code = cli::RunCommand(*db, words, output);
    } catch (const std::exception& error) {
      FAIL() << "exception " << error.what() << " for: " << line;
    }
    ++ran;
    ASSERT_TRUE(code == cli::kExitOk || code == cli::kExitError ||
                code == cli::kExitUsage)
        << code << " for: " << line;
    if (code != cli::kExitOk) {
      ++failed;
      ASSERT_FALSE(err.str().empty()) << "a silent failure for: " << line;
    }
  }
  std::filesystem::current_path(previous);
  std::cout << lines << " lines, " << ran << " run, " << failed
            << " refused (seed " << seed << ")\n";
  EXPECT_GT(ran, 100);
  EXPECT_GT(failed, 0);
  EXPECT_LT(failed, ran);  // some lines were valid and did work
  testing::ExpectVerified(*db);
}

}  // namespace
}  // namespace weft
