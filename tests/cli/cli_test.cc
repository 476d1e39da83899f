// Drives the real weft binary against databases made through the API:
// documents, queries, views, history, verify, export/import, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/log/keys.h"
#include "engine/state/doc_store.h"
#include "storage/rocksdb_kv_store.h"
#include "tests/cli/cli_fixture.h"

namespace weft {
namespace {

using testing::CliTest;
using testing::Lines;
using testing::ReadFile;
using testing::RunResult;

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
  // The index records 26 bits of a hash, not the whole hash to show.
  EXPECT_NE(run.err.find("log position 3: bytes do not hash to their key"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("closure"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("FAILED: 5 changes verified"), std::string::npos);

  run = Weft("--db " + db_path_ + " show " + hashes_[2].ToHex());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("fails its hash"), std::string::npos) << run.err;
}

// A snapshot replaced by another document's (whole bytes, a valid state:
// no checksum sees it) is found by the replay that --quick skips.
TEST_F(CliTest, VerifyReplaysEachDocumentUnlessQuick) {
  std::string db = "--db " + dir_.Sub("people");
  ASSERT_EQ(Weft(db + " set people/ann age 31").exit_code, 0);
  ASSERT_EQ(Weft(db + " set people/bob age 40").exit_code, 0);
  RunResult run = Weft(db + " --json verify");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["documents_checked"], 2);
  EXPECT_EQ(report["quick"], false);
  {
    auto store = storage::OpenRocksDbKvStore(dir_.Sub("people"), {});
    ASSERT_TRUE(store.ok());
    std::string bob;
    ASSERT_TRUE((*store)
                    ->Get(storage::Family::kDocs,
                          "s" + engine::DocKey({"people", "bob"}), &bob)
                    .ok());
    auto batch = (*store)->NewBatch();
    batch->Put(storage::Family::kDocs, "s" + engine::DocKey({"people", "ann"}),
               bob);
    ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
  }
  run = Weft(db + " verify");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("problem: document people/ann: its stored state "
                         "differs from the log's replay"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("FAILED: 2 changes verified, 0 proofs of authorship "
                         "checked, 2 documents and 0 view "
                         "rows checked against the log's replay, 1 problems"),
            std::string::npos)
      << run.out;
  run = Weft(db + " verify --quick");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("ok: 2 changes verified, 0 proofs of authorship "
                         "checked, documents and views not "
                         "replayed (--quick)"),
            std::string::npos)
      << run.out;
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

// A writing command on a database another process holds says so; a
// reading one reads beside it (cli_readers_test.cc has the live cases).
TEST_F(CliTest, DatabaseOpenElsewhereIsReportedNotCorrupted) {
  auto db = Database::Open(db_path_, Options());
  ASSERT_TRUE(db.ok());
  RunResult run = Weft("--db " + db_path_ + " put a/1 '{}'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("open in another process"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("reading commands work beside it"), std::string::npos)
      << run.err;
  run = Weft("--db " + db_path_ + " log");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Lines(run.out).size(), 5u) << run.out;
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
      std::string said = run.err;
      if (*json != '\0') {  // one JSON line: {"usage": ...} or {"error": ...}
        auto error = nlohmann::json::parse(run.err, nullptr, false);
        ASSERT_TRUE(error.is_object()) << run.err;
        said = error.contains("usage")
                   ? "usage: " + error["usage"].get<std::string>()
                   : error["error"].get<std::string>() + ": " +
                         error["message"].get<std::string>();
      }
      EXPECT_NE(said.find(test.message), std::string::npos) << run.err;
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
           {"where done = false limit 1 extra", "or the end"},
           {"where due = 18446744073709551615", "int64"},
           {"where title = \xff", "valid UTF-8"},
           {"where \xfe = 1", "valid UTF-8"}}) {
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
  ASSERT_EQ(Weft(db + " put todos/2 '{\"a\": 2}'").exit_code, 0);
  ASSERT_EQ(Weft(db + " view create '{\"name\": \"by_a\", \"kind\": "
                      "\"index\", \"collection\": \"todos\", "
                      "\"fields\": [\"a\"]}'")
                .exit_code,
            0);
  std::string bundle = dir_.Sub("copy.bundle");
  RunResult run = Weft(db + " export " + bundle);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("exported 7 changes"), std::string::npos) << run.out;
  EXPECT_EQ(run.err, "");  // progress only on a terminal

  std::string other = "--db " + dir_.Sub("other");
  ASSERT_EQ(Weft(other, "").exit_code, 0);  // the shell creates it
  run = Weft(other + " --json import " + bundle);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto stats = nlohmann::json::parse(run.out);
  EXPECT_EQ(stats["stored"], 7);
  std::string rows = Weft(db + " view rows by_a").out;
  ASSERT_EQ(Lines(rows).size(), 2u) << rows;
  EXPECT_EQ(Weft(other + " view rows by_a").out, rows);  // the view came too
  run = Weft(other + " import " + bundle);               // again: nothing new
  EXPECT_NE(run.out.find(": 0 new of 7 changes"), std::string::npos) << run.out;
  EXPECT_EQ(Weft(other + " heads").out, Weft(db + " heads").out);
  EXPECT_EQ(Weft(other + " get todos/1").out, "{\"a\":1}\n");
  EXPECT_EQ(Weft(other + " get todos/2").out, "{\"a\":2}\n");
  EXPECT_EQ(Weft(other + " view rows by_a").out, rows);

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
