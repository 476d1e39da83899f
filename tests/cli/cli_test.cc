// Drives the real weft binary against databases made through the API.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "engine/log/keys.h"
#include "storage/rocksdb_kv_store.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Bytes in a database's write-ahead logs and table files: grows as soon as
// a commit reaches the disk.
uint64_t StoredBytes(const std::string& path) {
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
      auto hash = (*db)->Commit(testing::RandomDraft(rng, 2));
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

  testing::TempDir dir_;
  std::string db_path_;
  std::vector<Hash> hashes_;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

TEST_F(CliTest, LogListsNewestFirst) {
  RunResult run = Weft("--db " + db_path_ + " log");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].rfind("5  " + hashes_[4].Short(), 0), 0u) << lines[0];
  EXPECT_EQ(lines[4].rfind("1  " + hashes_[0].Short(), 0), 0u) << lines[4];

  run = Weft("--db " + db_path_ + " log -n 2");
  EXPECT_EQ(Lines(run.out).size(), 2u);

  run = Weft("--db " + db_path_ + " --json log -n 3");
  ASSERT_EQ(run.exit_code, 0);
  lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 3u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["hash"], hashes_[4].ToHex());
  EXPECT_EQ(first["position"], 5);
  EXPECT_EQ(first["seq"], 5);
  EXPECT_EQ(first["parents"][0], hashes_[3].ToHex());
  EXPECT_EQ(first["ops"].size(), 2u);
}

TEST_F(CliTest, HeadsAndShow) {
  RunResult run = Weft("--db " + db_path_ + " heads");
  ASSERT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, hashes_[4].ToHex() + "\n");

  run = Weft("--db " + db_path_ + " show " + hashes_[2].Short(8));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("change   " + hashes_[2].ToHex()), std::string::npos);
  EXPECT_NE(run.out.find("parent   " + hashes_[1].ToHex()), std::string::npos);
  EXPECT_NE(run.out.find("seq 3"), std::string::npos);

  run = Weft("--db " + db_path_ + " show " + hashes_[2].ToHex() + " --json");
  ASSERT_EQ(run.exit_code, 0);
  auto change = nlohmann::json::parse(run.out);
  EXPECT_EQ(change["hash"], hashes_[2].ToHex());
  EXPECT_EQ(change["position"], 3);
  EXPECT_EQ(change["ops"][0]["id"].get<std::string>().find("@"), 1u);
}

TEST_F(CliTest, VerifyPassesThenReportsCorruption) {
  RunResult run = Weft("--db " + db_path_ + " verify");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("ok: 5 changes verified"), std::string::npos);

  std::string heads;
  auto damage = [&](auto&& edit) {  // behind the engine's back
    auto store = storage::OpenRocksDbKvStore(db_path_, {});
    ASSERT_TRUE(store.ok());
    if (heads.empty()) {
      ASSERT_TRUE((*store)
                      ->Get(storage::Family::kMeta, engine::kMetaHeads, &heads)
                      .ok());
    }
    auto batch = (*store)->NewBatch();
    edit(batch.get());
    ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
  };
  damage([&](storage::WriteBatch* batch) {
    batch->Delete(storage::Family::kMeta, engine::kMetaHeads);
  });
  run = Weft("--db " + db_path_ + " --json verify");
  EXPECT_EQ(run.exit_code, 1);
  auto report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["ok"], false);
  ASSERT_EQ(report["problems"].size(), 1u) << report.dump();
  EXPECT_EQ(report["problems"][0].get<std::string>().rfind("heads:", 0), 0u);

  damage([&](storage::WriteBatch* batch) {
    batch->Put(storage::Family::kMeta, engine::kMetaHeads, heads);
    batch->Put(storage::Family::kLog, engine::EncodePosition(3), "junk");
  });
  run = Weft("--db " + db_path_ + " verify");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("log position 3 (" + hashes_[2].Short() +
                         "): bytes do not hash to their key"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("closure"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("FAILED: 5 changes verified"), std::string::npos);

  run = Weft("--db " + db_path_ + " show " + hashes_[2].ToHex());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("fails its hash"), std::string::npos) << run.err;
}

TEST_F(CliTest, ErrorsAndExitCodes) {
  RunResult run = Weft("--db " + db_path_ + " frobnicate");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("unknown command 'frobnicate'"), std::string::npos);

  run = Weft("--db " + db_path_ + " log -n many");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("usage: log"), std::string::npos);

  run = Weft("--db " + db_path_ + " show ffff0000ffff");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no change matches"), std::string::npos);

  run = Weft("--db " + db_path_ + " show");
  EXPECT_EQ(run.exit_code, 2);

  run = Weft("--db " + dir_.Sub("absent") + " log");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no database at"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("absent")));
  // A writing command creates it, as the README's first example needs.
  run = Weft("--db " + dir_.Sub("absent") + " put a/1 '{\"x\": 1}'");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Weft("--db " + dir_.Sub("absent") + " get a/1").out, "{\"x\":1}\n");

  run = Weft("--bogus-flag");
  EXPECT_EQ(run.exit_code, 2);
}

TEST_F(CliTest, DatabaseOpenElsewhereIsReportedNotCorrupted) {
  auto db = Database::Open(db_path_, Options());
  ASSERT_TRUE(db.ok());
  RunResult run = Weft("--db " + db_path_ + " log");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("open in another process"), std::string::npos)
      << run.err;
}

// A path that is not a weft database: a folder of other files is not
// turned into one, nor is a file; reading commands find nothing there.
TEST_F(CliTest, PathThatIsNotAWeftDatabase) {
  std::string folder = dir_.Sub("photos");
  std::filesystem::create_directories(folder);
  std::ofstream(folder + "/cat.jpg") << "meow";
  RunResult run = Weft("--db " + folder + " put todos/1 '{\"a\": 1}'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("not a weft database (a folder holding other files)"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder),
                          std::filesystem::directory_iterator()),
            1);
  run = Weft("--db " + folder + "/cat.jpg heads");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no database at"), std::string::npos) << run.err;
  run = Weft("--db " + folder + "/cat.jpg put todos/1 '{}'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("cannot open weft database"), std::string::npos)
      << run.err;
}

TEST_F(CliTest, ShellReadsCommandsFromAPipe) {
  RunResult run = Weft("--db " + db_path_, "heads\n# a comment\n\nlog -n 1\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], hashes_[4].ToHex());
  EXPECT_EQ(lines[1].rfind("5  ", 0), 0u);

  run = Weft("--db " + db_path_, "heads\nnope\nlog\n");
  EXPECT_EQ(run.exit_code, 2);  // a script stops at its first error
  EXPECT_EQ(Lines(run.out).size(), 1u);
}

// A JSON object or array left open continues on the next lines, braces in
// strings and comments aside; an entry still open at the end of input runs
// as it is and fails with the line it started on.
// Each command's errors, through the real binary: the exit code (1 error,
// 2 usage), the message on stderr, nothing on stdout.
TEST_F(CliTest, EveryCommandsErrorPath) {
  struct Case {
    std::string args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"put todos/1", 2, "usage: put COLL/KEY JSON"},
      {"put todos/1 '[1]'", 1, "a document is a JSON object"},
      {"put notodo '{}'", 1, "a document is addressed collection/key"},
      {"get", 2, "usage: get COLL/KEY"},
      {"get todos/9", 1, "NotFound: no document: todos/9"},
      {"set todos/1 a", 2, "usage: set COLL/KEY PATH JSON"},
      {"set todos/1 a '{bad'", 1, "malformed JSON at column 2"},
      {"del", 2, "usage: del COLL/KEY"},
      {"del todos/9", 1, "no document: todos/9"},
      {"incr todos/1 a x", 2, "(DELTA an integer)"},
      {"splice todos/1 note x 0 '\"a\"'", 2, "usage: splice COLL/KEY"},
      {"splice todos/1 note 0 0 notjson", 1, "TEXT must be a JSON string"},
      {"sadd todos/1 tags", 2, "usage: sadd COLL/KEY PATH JSON"},
      {"sadd todos/1 tags home", 1, "not valid JSON (strings need quotes)"},
      {"srem todos/1", 2, "usage: srem COLL/KEY PATH JSON"},
      {"linsert todos/1 steps x 1", 2, "usage: linsert COLL/KEY PATH INDEX"},
      {"linsert todos/1 steps 5 1", 1, "out of range"},
      {"ldel todos/1 steps", 2, "usage: ldel COLL/KEY PATH INDEX [COUNT]"},
      {"ldel todos/1 nothing 0", 1, "no value at: nothing"},
      {"collections extra", 2, "usage: collections"},
      {"keys", 2, "usage: keys COLL"},
      {"log -n", 2, "(COUNT a whole number)"},
      {"heads extra", 2, "usage: heads"},
      {"show", 2, "usage: show HASH"},
      {"verify extra", 2, "usage: verify"},
      {"export", 2, "usage: export FILE"},
      {"import", 2, "usage: import FILE"},
      {"import " + dir_.path(), 1, "(not a file)"},
      {"backup", 2, "usage: backup DIR"},
      {"find", 2, "usage: find COLL"},
      {"explain people '{bad'", 1, "predicate is not valid JSON"},
      {"view", 2, "usage: view create JSON"},
      {"view create '{}'", 1, "view kind must be index, aggregate or"},
      {"views extra", 2, "usage: views"},
      {"status extra", 2, "usage: status"},
      {"serve --listen 0.0.0.0:7777", 1, "listen on a loopback address only"},
      {"serve --listen nope", 2, "usage: serve"},
      {"sync", 2, "usage: sync HOST:PORT"},
      {"sync 127.0.0.1:1", 1, "cannot connect to 127.0.0.1:1"},
      {"help nothing", 2, "unknown command 'nothing'"},
  };
  for (const Case& test : cases) {
    for (const char* json : {"", " --json"}) {
      SCOPED_TRACE(test.args + json);
      RunResult run = Weft("--db " + db_path_ + json + " " + test.args);
      EXPECT_EQ(run.exit_code, test.exit_code) << run.err;
      EXPECT_NE(run.err.find(test.message), std::string::npos) << run.err;
      EXPECT_EQ(run.out, "");
    }
  }
}

// find's where clause: the issue's own example, one-shot (the shell needs
// quotes around < and strings) and piped, with --json field by field.
TEST_F(CliTest, FindWithAWhereClause) {
  std::string db = "--db " + db_path_;
  for (const char* todo :
       {"todos/a '{\"title\": \"buy milk\", \"done\": false, \"due\": "
        "\"2026-11-30\"}'",
        "todos/b '{\"title\": \"taxes\", \"done\": false, \"due\": "
        "\"2026-12-15\"}'",
        "todos/c '{\"title\": \"call mum\", \"done\": true, \"due\": "
        "\"2026-11-01\"}'"}) {
    ASSERT_EQ(Weft(db + " put " + todo).exit_code, 0);
  }
  RunResult run = Weft(db +
                       " --json find todos where done = false and due "
                       "'<' '\"2026-12-01\"' limit 10");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 1u) << run.out;
  auto found = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(found["doc"], "todos/a");
  EXPECT_EQ(found["value"]["title"], "buy milk");

  run = Weft(db + " --json",
             "find todos where done = false order by due desc limit 1\n"
             "find todos where title = \"call mum\"\n"
             "find todos where due >= 2026-11-30 and done exists\n"
             "find todos where priority missing limit 2\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 6u) << run.out;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["doc"], "todos/b");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["doc"], "todos/c");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["doc"], "todos/a");
  EXPECT_EQ(nlohmann::json::parse(lines[3])["doc"], "todos/b");

  for (const auto& [clause, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"where done != true", "not '!='"},
           {"where done =", "expected a value"},
           {"order due", "expected 'by' after 'order'"},
           {"limit ten", "a whole number after 'limit'"},
           {"where title = \"open", "unterminated string"},
           {"where done = false limit 1 extra", "or the end"}}) {
    run = Weft(db, "find todos " + clause + "\n");
    EXPECT_EQ(run.exit_code, 1) << clause;
    EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
  }
}

TEST_F(CliTest, SetAndListCommands) {
  RunResult run = Weft("--db " + db_path_ + " --json",
                       "sadd notes/1 tags \"home\"\n"
                       "sadd notes/1 tags \"work\"\n"
                       "sadd notes/1 tags {\"$bytes\": \"00ff\"}\n"
                       "srem notes/1 tags \"home\"\n"
                       "linsert notes/1 steps 0 \"b\"\n"
                       "linsert notes/1 steps 0 \"a\"\n"
                       "linsert notes/1 steps 2 3.5\n"
                       "ldel notes/1 steps 1\n"
                       "get notes/1\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 9u) << run.out;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["hash"].get<std::string>().size(),
            64u);
  auto doc = nlohmann::json::parse(lines[8]);
  EXPECT_EQ(doc["steps"], nlohmann::json::parse(R"(["a", 3.5])"));
  EXPECT_EQ(doc["tags"].size(), 2u) << doc;
  EXPECT_NE(doc["tags"].dump().find("work"), std::string::npos) << doc;
  EXPECT_NE(doc["tags"].dump().find("00ff"), std::string::npos) << doc;
}

TEST_F(CliTest, MultiLineJsonInScripts) {
  RunResult run = Weft("--db " + db_path_ + " --json",
                       "put notes/1 {\n"
                       "  \"title\": \"braces { [ in a string\",\n"
                       "  \"tags\": [\"a\",\n"
                       "           \"b\"]\n"
                       "}\n"
                       "# a comment with { is no JSON\n"
                       "get notes/1\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 2u) << run.out;
  EXPECT_EQ(nlohmann::json::parse(lines[1]),
            nlohmann::json::parse(
                R"({"title": "braces { [ in a string", "tags": ["a", "b"]})"));

  run = Weft("--db " + db_path_, "heads\nheads\nput notes/2 {\"x\":\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("malformed JSON"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("(line 3)"), std::string::npos) << run.err;
}

TEST_F(CliTest, DocumentCommandsOneShotAndPiped) {
  std::string db = "--db " + db_path_;
  RunResult run = Weft(db +
                       " put todos/1 '{\"title\": \"buy milk\", "
                       "\"done\": false, \"tags\": [\"a\", 2]}'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string put_hash = Lines(run.out)[0];
  EXPECT_TRUE(Hash::FromHex(put_hash).ok()) << run.out;

  run = Weft(db + " --json incr todos/1 views 5");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(nlohmann::json::parse(run.out).contains("hash"));

  // From a pipe: JSON and TEXT keep their spaces.
  run = Weft(db,
             "splice todos/1 note 0 0 \"two  spaces\\nand a line\"\n"
             "set todos/1 address.city \"New York\"\n"
             "get todos/1\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto doc = nlohmann::json::parse(Lines(run.out).back());
  EXPECT_EQ(doc, nlohmann::json({{"title", "buy milk"},
                                 {"done", false},
                                 {"tags", {"a", 2}},
                                 {"views", 5},
                                 {"note", "two  spaces\nand a line"},
                                 {"address", {{"city", "New York"}}}}));

  run = Weft(db + " get todos/1 address.city");
  EXPECT_EQ(run.out, "\"New York\"\n");
  run = Weft(db + " get todos/1 --as-of " + put_hash.substr(0, 10));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["title"], "buy milk");
  EXPECT_FALSE(nlohmann::json::parse(run.out).contains("views"));
  run = Weft(db + " get todos/1 title --conflicts");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out).size(), 1u);

  run = Weft(db + " log todos/1");         // the document's history: put, incr,
  ASSERT_EQ(run.exit_code, 0) << run.err;  // splice + set (two changes)
  EXPECT_EQ(Lines(run.out).size(), 4u) << run.out;
  EXPECT_EQ(Lines(run.out).back().rfind("6  " + put_hash.substr(0, 12), 0), 0u)
      << run.out;
  EXPECT_EQ(Lines(Weft(db + " log -n 2 todos/1").out).size(), 2u);
  EXPECT_EQ(Lines(Weft(db + " log todos/none").out).size(), 0u);

  ASSERT_EQ(Weft(db + " del todos/1 title").exit_code, 0);
  EXPECT_EQ(Weft(db + " get todos/1 title").exit_code, 1);
  ASSERT_EQ(Weft(db + " del todos/1").exit_code, 0);
  run = Weft(db + " get todos/1");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no document"), std::string::npos) << run.err;
}

TEST_F(CliTest, ViewsFindExplainAndStatus) {
  std::string db = "--db " + db_path_;
  RunResult run = Weft(db,
                       "put people/ann {\"age\": 31, \"city\": \"Oslo\"}\n"
                       "put people/bob {\"age\": 25, \"city\": \"Rome\"}\n"
                       "put people/cat {\"age\": 40, \"city\": \"Oslo\"}\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;

  run = Weft(db + " find people --order age --limit 2 '{\"city\": \"Oslo\"}'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Lines(run.out), (std::vector<std::string>{
                                "people/ann  {\"age\":31,\"city\":\"Oslo\"}",
                                "people/cat  {\"age\":40,\"city\":\"Oslo\"}"}));
  run = Weft(db + " explain people '{\"city\": \"Oslo\"}'");
  EXPECT_NE(run.out.find("scan"), std::string::npos) << run.out;

  // Declared from a pipe: the JSON keeps its spaces; stderr is no terminal,
  // so no progress line (the pty test sees one).
  run = Weft(db,
             "view create {\"name\": \"by_city\", \"kind\": \"index\", "
             "\"collection\": \"people\", \"fields\": [\"city\", \"age\"]}\n"
             "view create {\"name\": \"ages\", \"kind\": \"aggregate\", "
             "\"collection\": \"people\", \"aggregate_field\": \"age\", "
             "\"group_by\": \"city\"}\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  run = Weft(db + " --json explain people '{\"city\": \"Oslo\"}'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["index"], "by_city");
  run =
      Weft(db + " find people '{\"city\": \"Oslo\", \"age\": {\"$gt\": 35}}'");
  EXPECT_EQ(
      Lines(run.out),
      (std::vector<std::string>{"people/cat  {\"age\":40,\"city\":\"Oslo\"}"}));
  run = Weft(db + " view rows ages");
  EXPECT_EQ(Lines(run.out),
            (std::vector<std::string>{
                "\"Oslo\"  {\"count\":2,\"max\":40,\"min\":31,\"sum\":71}",
                "\"Rome\"  {\"count\":1,\"max\":25,\"min\":25,\"sum\":25}"}));
  run = Weft(db + " --json view rows by_city");
  ASSERT_EQ(Lines(run.out).size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(Lines(run.out)[0])["doc"], "people/ann");
  run = Weft(db + " views");
  EXPECT_NE(run.out.find("by_city  index on people  current"),
            std::string::npos)
      << run.out;
  run = Weft(db + " --json status");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto status = nlohmann::json::parse(run.out);
  EXPECT_EQ(status["log_length"], 8);
  EXPECT_EQ(status["views"].size(), 2u);
  EXPECT_EQ(status["views"][0]["lag"], 0);
  EXPECT_EQ(Weft(db + " status").exit_code, 0);

  // Errors: clear and with the right exit code.
  run = Weft(db +
             " view create '{\"name\": \"by_city\", \"kind\": \"index\", "
             "\"collection\": \"people\", \"fields\": [\"x\"]}'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("already named"), std::string::npos) << run.err;
  run = Weft(db + " view drop nope");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no view named"), std::string::npos) << run.err;
  run = Weft(db + " find people '{\"age\": {\"$near\": 1}}'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("unknown operator"), std::string::npos) << run.err;
  EXPECT_EQ(Weft(db + " find").exit_code, 2);
  EXPECT_EQ(Weft(db + " find people --limit x").exit_code, 2);
  EXPECT_EQ(Weft(db + " view frob x").exit_code, 2);
  run = Weft(db + " find people --order age");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("needs an index"), std::string::npos) << run.err;
  ASSERT_EQ(Weft(db + " view drop by_city").exit_code, 0);
  EXPECT_EQ(Weft(db + " view rows by_city").exit_code, 1);
}

TEST_F(CliTest, DocumentCommandErrors) {
  std::string db = "--db " + db_path_;
  struct Case {
    std::string args;
    int exit_code;
    const char* message_part;
  };
  const Case cases[] = {
      {"put todos/1 '{\"a\": 1,}'", 1, "malformed JSON at column 9"},
      {"put todos/1 '[1, 2]'", 1, "a document is a JSON object"},
      {"put todos/1 '{\"a.b\": 1}'", 1, "without '.'"},
      {"put todos/1", 2, "usage: put COLL/KEY JSON"},
      {"put nokey '{}'", 1, "collection/key"},
      {"get", 2, "usage: get"},
      {"get todos/404", 1, "no document"},
      {"get todos/1 title --conflicts", 1, "no document"},
      {"incr todos/1 n lots", 2, "usage: incr"},
      {"splice todos/1 note 0 0 hello", 1, "JSON string"},
      {"splice todos/1 note x 0 '\"a\"'", 2, "usage: splice"},
      {"set todos/1 a", 2, "usage: set"},
      {"del todos/404 x", 1, "no value at"},
  };
  for (const Case& bad : cases) {
    RunResult run = Weft(db + " " + bad.args);
    EXPECT_EQ(run.exit_code, bad.exit_code) << bad.args << "\n" << run.err;
    EXPECT_NE(run.err.find(bad.message_part), std::string::npos)
        << bad.args << "\n"
        << run.err;
  }
  // Nothing above committed anything.
  EXPECT_EQ(Lines(Weft(db + " log").out).size(), 5u);
}

TEST_F(CliTest, ExportImportAndBackup) {
  std::string db = "--db " + db_path_;
  ASSERT_EQ(Weft(db + " put todos/1 '{\"a\": 1}'").exit_code, 0);
  std::string bundle = dir_.Sub("copy.bundle");
  RunResult run = Weft(db + " export " + bundle);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("exported 6 changes"), std::string::npos) << run.out;
  EXPECT_EQ(run.err, "");  // progress only on a terminal

  std::string other = "--db " + dir_.Sub("other");
  ASSERT_EQ(Weft(other, "").exit_code, 0);  // the shell creates it
  run = Weft(other + " --json import " + bundle);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto stats = nlohmann::json::parse(run.out);
  EXPECT_EQ(stats["stored"], 6);
  run = Weft(other + " import " + bundle);  // again: nothing new
  EXPECT_NE(run.out.find(": 0 new of 6 changes"), std::string::npos) << run.out;
  EXPECT_EQ(Weft(other + " heads").out, Weft(db + " heads").out);
  EXPECT_EQ(Weft(other + " get todos/1").out, "{\"a\":1}\n");

  std::string bytes = ReadFile(bundle);
  bytes[bytes.size() / 2] ^= 0x10;
  std::ofstream(bundle, std::ios::binary | std::ios::trunc) << bytes;
  std::string fresh = "--db " + dir_.Sub("fresh");
  ASSERT_EQ(Weft(fresh, "").exit_code, 0);
  run = Weft(fresh + " import " + bundle);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("checksum mismatch"), std::string::npos) << run.err;
  EXPECT_EQ(Weft(fresh + " log").out, "");  // nothing stored

  std::string backup = dir_.Sub("backup");
  run = Weft(db + " backup " + backup);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Weft("--db " + backup + " heads").out, Weft(db + " heads").out);
  run = Weft(db + " backup " + backup);  // exists already
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(Weft(db + " export").exit_code, 2);
}

TEST_F(CliTest, ShellCreatesTheDefaultDatabase) {
  std::string fresh = dir_.Sub("fresh");
  std::string command = "cd " + dir_.path() +
                        " && mkdir fresh && cd fresh && " + WEFT_BINARY +
                        " </dev/null >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto db = Database::Open(fresh + "/weft.db", Options());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->LogLength(), 0u);
}

}  // namespace
}  // namespace weft

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace weft {
namespace {

// Drives weft on a pseudo-terminal like a person: waits (bounded) for the
// screen to show something, then types.
class PtySession {
 public:
  PtySession(const std::string& db_path, const std::string& history_path) {
    pid_ = forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      setenv("WEFT_HISTORY", history_path.c_str(), 1);
      setenv("TERM", "dumb", 1);
      execl(WEFT_BINARY, "weft", "--db", db_path.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~PtySession() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  // True once `text` has appeared on the screen since the last call.
  bool WaitFor(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (screen_.find(text, seen_) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd poll_fd{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&poll_fd, 1, left.count()) <= 0) {
        return false;
      }
      char chunk[4096];
      ssize_t got = read(fd_, chunk, sizeof(chunk));
      if (got <= 0) return false;
      screen_.append(chunk, got);
    }
    seen_ = screen_.find(text, seen_) + text.size();
    return true;
  }
  // Types once the line editor holds the terminal in raw mode (bounded):
  // keys typed while it is still cooked are read differently (a Ctrl-D
  // would become a NUL in the next line).
  void Type(const std::string& keys) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    termios mode{};
    while (tcgetattr(fd_, &mode) == 0 && (mode.c_lflag & ICANON) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(write(fd_, keys.data(), keys.size()),
              static_cast<ssize_t>(keys.size()));
  }
  // Types `keys` (e.g. Ctrl-D) and waits at most 10 s for the shell to exit
  // (closing the database flushes it: that takes a moment), reading what
  // it prints meanwhile so it never blocks on a full terminal.
  int ExitWith(const std::string& keys) {
    Type(keys);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      pollfd poll_fd{fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, 10) > 0 && (poll_fd.revents & POLLIN)) {
        char chunk[4096];
        ssize_t got = read(fd_, chunk, sizeof(chunk));
        if (got > 0) screen_.append(chunk, got);
      } else {
        // Closed terminal (POLLHUP) returns at once: do not spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    return -1;
  }
  const std::string& screen() const { return screen_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string screen_;
  size_t seen_ = 0;
};

TEST_F(CliTest, InteractiveShellWithHistoryCompletionAndCtrlC) {
  ASSERT_EQ(Weft("--db " + db_path_ + " put todos/7 '{\"a\": 1}'").exit_code,
            0);
  std::string history = dir_.Sub("history");
  std::string bundle = dir_.Sub("all.weftbundle");
  std::string prompt = "weft:" + db_path_ + "> ";
  {
    PtySession shell(db_path_, history);
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("ke\t");  // completes the command
    ASSERT_TRUE(shell.WaitFor("keys ")) << shell.screen();
    shell.Type("to\t");  // completes the collection, no space after '/'
    ASSERT_TRUE(shell.WaitFor("todos/")) << shell.screen();
    shell.Type("\x15keys todos\r");  // ^U clears the line; then a command
    ASSERT_TRUE(shell.WaitFor("7")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("get todos/7 a and a half typed line");
    ASSERT_TRUE(shell.WaitFor("half typed line")) << shell.screen();
    shell.Type("\x03");  // Ctrl-C cancels the line, the shell goes on
    ASSERT_TRUE(shell.WaitFor("^C")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("verfy\r");
    ASSERT_TRUE(shell.WaitFor("did you mean")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    // Multi-line JSON: an open object continues under a "...> " prompt;
    // Ctrl-C there cancels the whole entry.
    shell.Type("put todos/8 {\"a\":\r");
    ASSERT_TRUE(shell.WaitFor("...> ")) << shell.screen();
    shell.Type("\x03");
    ASSERT_TRUE(shell.WaitFor("^C")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("put todos/9 {\r");
    ASSERT_TRUE(shell.WaitFor("...> ")) << shell.screen();
    shell.Type("\"b\": [1,\r");
    ASSERT_TRUE(shell.WaitFor("...> ")) << shell.screen();
    shell.Type("2]}\r");
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("keys todos\r");
    ASSERT_TRUE(shell.WaitFor("9")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    // Long work draws a progress line on the terminal.
    shell.Type("export " + bundle + "\r");
    ASSERT_TRUE(shell.WaitFor("exporting: 7/7 changes (100%)"))
        << shell.screen();
    ASSERT_TRUE(shell.WaitFor("exported 7 changes")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type("import " + bundle + "\r");
    ASSERT_TRUE(shell.WaitFor("checking: 7/7 changes (100%)"))
        << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    shell.Type(
        "view create {\"name\": \"v\", \"kind\": \"index\", "
        "\"collection\": \"todos\", \"fields\": [\"a\"]}\r");
    ASSERT_TRUE(shell.WaitFor("building v: 7/7 documents")) << shell.screen();
    ASSERT_TRUE(shell.WaitFor(prompt)) << shell.screen();
    EXPECT_EQ(shell.ExitWith("\x04"), 0);  // Ctrl-D exits cleanly
  }
  // History persisted; the cancelled line is not in it.
  std::string saved = ReadFile(history);
  EXPECT_NE(saved.find("keys\\040todos"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("half"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("todos/8"), std::string::npos) << saved;
  // A multi-line entry is one history line.
  EXPECT_NE(saved.find("put\\040todos/9\\040{\\040\"b\":\\040[1,\\0402]}"),
            std::string::npos)
      << saved;
  auto keys = Weft("--db " + db_path_ + " keys todos");
  EXPECT_EQ(Lines(keys.out), (std::vector<std::string>{"7", "9"})) << keys.out;
  {
    PtySession shell(db_path_, history);
    ASSERT_TRUE(shell.WaitFor(prompt));
    shell.Type("\x1b[A");  // up arrow: the previous session's last command
    ASSERT_TRUE(shell.WaitFor("view create")) << shell.screen();
    shell.Type("\x04");
  }
}

TEST_F(CliTest, ScriptsStopAtTheFirstErrorUnlessKeepGoing) {
  std::string script = "heads\nnope\nheads\n";
  RunResult run = Weft("--db " + db_path_, script);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(Lines(run.out).size(), 1u);
  EXPECT_NE(run.err.find("(line 2)"), std::string::npos) << run.err;
  run = Weft("--db " + db_path_ + " --keep-going", script);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(Lines(run.out).size(), 2u);
  run = Weft("--db " + db_path_ + " help splice");
  EXPECT_NE(run.out.find("example: splice"), std::string::npos) << run.out;
  run = Weft("--db " + db_path_ + " --json help splice");
  EXPECT_EQ(nlohmann::json::parse(run.out)["usage"],
            "splice COLL/KEY FIELD POS DELETE_COUNT TEXT");
  run = Weft("--db " + db_path_ + " --json help");
  auto commands = Lines(run.out);
  ASSERT_GT(commands.size(), 20u);
  for (const std::string& line : commands) {
    EXPECT_TRUE(nlohmann::json::parse(line).contains("example")) << line;
  }
  run = Weft("--db " + db_path_ + " gett todos/1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("did you mean 'get'"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

// `weft serve` on 127.0.0.1 (any free port) in a child process.
class ServeChild {
 public:
  explicit ServeChild(const std::string& db_path) {
    int out_pipe[2];
    EXPECT_EQ(pipe(out_pipe), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out_pipe[1], STDOUT_FILENO);
      close(out_pipe[0]);
      close(out_pipe[1]);
      execl(WEFT_BINARY, "weft", "--db", db_path.c_str(), "serve", "--listen",
            "127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out_pipe[1]);
    out_ = out_pipe[0];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (banner_.find('\n') == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd poll_fd{out_, POLLIN, 0};
      if (poll(&poll_fd, 1, 200) <= 0) continue;
      char chunk[256];
      ssize_t got = read(out_, chunk, sizeof(chunk));
      if (got <= 0) break;
      banner_.append(chunk, got);
    }
    size_t colon = banner_.find("127.0.0.1:");
    if (colon != std::string::npos) {
      address_ =
          "127.0.0.1:" + std::to_string(std::stoi(banner_.substr(colon + 10)));
    }
  }
  ~ServeChild() {
    if (pid_ > 0) Stop(nullptr);
    if (out_ >= 0) close(out_);
  }
  // Stops it (SIGTERM); returns what it printed after the banner.
  std::string Stop(int* exit_status) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (exit_status != nullptr) {
      *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::string rest;
    char chunk[256];
    ssize_t got;
    while ((got = read(out_, chunk, sizeof(chunk))) > 0)
      rest.append(chunk, got);
    return rest;
  }
  const std::string& address() const { return address_; }  // "" on failure
  const std::string& banner() const { return banner_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string banner_, address_;
};

// `weft serve` in a child process; two other databases sync through it.
TEST_F(CliTest, ServeAndSyncBetweenThreeDatabases) {
  ServeChild hub(dir_.Sub("hub"));
  const std::string& address = hub.address();
  ASSERT_FALSE(address.empty()) << hub.banner();
  EXPECT_NE(hub.banner().find("loopback peers only"), std::string::npos)
      << hub.banner();

  std::string a = "--db " + dir_.Sub("a"), b = "--db " + dir_.Sub("b");
  ASSERT_EQ(Weft(a + " put notes/1 '{\"text\": \"from a\"}'").exit_code, 0);
  RunResult run = Weft(a + " --json sync " + address);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto stats = nlohmann::json::parse(run.out);
  EXPECT_EQ(stats["changes_sent"], 1);
  EXPECT_GE(stats["round_trips"], 1);
  run = Weft(b + " sync " + address);  // a new database clones the hub
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("received 1"), std::string::npos) << run.out;
  EXPECT_EQ(Weft(b + " get notes/1 text").out, "\"from a\"\n");
  run = Weft(b + " sync 127.0.0.1:1");  // nobody there
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("cannot connect"), std::string::npos) << run.err;
  EXPECT_EQ(Weft(b + " sync nowhere").exit_code, 2);

  int status = -1;
  std::string rest = hub.Stop(&status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(rest.find("stopped after 2 sessions, 0 of them failed"),
            std::string::npos)
      << rest;
}

// A replica killed (SIGKILL) while it clones a large history stays a valid
// database, and a restarted sync finishes the job: equal heads, documents,
// views. Killed at several points of the transfer.
TEST_F(CliTest, ReplicaKilledMidCloneCatchesUpAfterRestart) {
  std::string hub_path = dir_.Sub("hub");
  {
    auto hub = Database::Open(hub_path, Options());
    ASSERT_TRUE(hub.ok());
    ViewDefinition by_n;
    by_n.name = "by_n";
    by_n.kind = ViewKind::kIndex;
    by_n.collection = "items";
    by_n.fields = {"n"};
    ASSERT_TRUE((*hub)->CreateView(by_n).ok());
    for (int commit = 0; commit < 20000; ++commit) {
      auto txn = (*hub)->Begin();
      std::string doc = "items/" + std::to_string(commit % 500);
      ASSERT_TRUE(txn->Set(doc, "n", int64_t{commit}).ok());
      ASSERT_TRUE(txn->SpliceText(doc, "log", 0, 0, "x").ok());
      ASSERT_TRUE(txn->Commit().ok());
    }
  }
  ServeChild hub(hub_path);
  ASSERT_FALSE(hub.address().empty()) << hub.banner();
  std::string clone = dir_.Sub("clone");
  ASSERT_EQ(Weft("--db " + clone, "").exit_code, 0);  // the shell creates it
  ASSERT_EQ(Weft("--db " + clone +
                 " view create '{\"name\": \"by_n\", "
                 "\"kind\": \"index\", \"collection\": \"items\", "
                 "\"fields\": [\"n\"]}'")
                .exit_code,
            0);
  // Kills each sync once the clone's files have grown (batches are being
  // stored), a little later each time, so every kill lands mid-clone
  // however fast or slow the machine (or sanitizer) is.
  int killed_mid_way = 0, partial_clones = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    uint64_t stored_before = StoredBytes(clone);
    pid_t child = fork();
    if (child == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
      execl(WEFT_BINARY, "weft", "--db", clone.c_str(), "sync",
            hub.address().c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    bool exited = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(child, &status, WNOHANG) == child) {
        exited = true;
        break;
      }
      if (StoredBytes(clone) > stored_before + 16 * 1024) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(15 * attempt));
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
    }
    killed_mid_way += WIFSIGNALED(status) ? 1 : 0;
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    RunResult verify = Weft("--db " + clone + " verify");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    auto status_json =
        nlohmann::json::parse(Weft("--db " + clone + " --json status").out);
    uint64_t held = status_json["log_length"];
    partial_clones += held > 0 && held < 20000 ? 1 : 0;
    if (held == 20000) break;
  }
  EXPECT_GE(killed_mid_way, 2);
  EXPECT_GE(partial_clones, 2);  // killed with part of the history in
  RunResult run = Weft("--db " + clone + " sync " + hub.address());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  hub.Stop(nullptr);
  auto hub_db = Database::Open(hub_path, Options());
  auto clone_db = Database::Open(clone, Options());
  ASSERT_TRUE(hub_db.ok() && clone_db.ok());
  EXPECT_EQ((*clone_db)->Heads(), (*hub_db)->Heads());
  EXPECT_EQ((*clone_db)->LogLength(), 20000u);
  for (int doc = 0; doc < 500; doc += 37) {
    std::string name = "items/" + std::to_string(doc);
    EXPECT_EQ(*(*clone_db)->EncodedState(name), *(*hub_db)->EncodedState(name));
  }
  EXPECT_EQ(*(*clone_db)->ViewDigest("by_n"), *(*hub_db)->ViewDigest("by_n"));
}

}  // namespace
}  // namespace weft
