// The shell as sqlite3 and redis-cli taught people to expect it: readers
// beside a running serve, help and versions without a database, options
// checked, errors in weft's words, and nothing left behind by a failure.
// Every command runs the real weft binary.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/cli/cli_fixture.h"
#include "tests/cli/weft_child.h"

namespace weft {
namespace {

using testing::CliTest;
using testing::Lines;
using testing::RunResult;
using testing::ServeChild;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The names in folder `path`.
std::vector<std::string> Entries(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// While `weft serve` holds the hub, every reading command works on it and
// sees what each sync stored; writing commands say why they cannot.
TEST_F(CliTest, ReadersBesideARunningServeSeeWhatSyncStored) {
  std::string hub_path = dir_.Sub("hub");
  {
    auto hub = Database::Open(hub_path, Options());
    ASSERT_TRUE(hub.ok());
    ViewDefinition by_n;
    by_n.name = "by_n";
    by_n.collection = "items";
    by_n.fields = {"n"};
    ASSERT_TRUE((*hub)->CreateView(by_n).ok());
  }
  ServeChild serve(hub_path);
  ASSERT_FALSE(serve.address().empty()) << serve.banner();
  std::string hub = "--db " + hub_path + " ";
  std::string client = "--db " + dir_.Sub("client") + " ";
  for (int round = 1; round <= 12; ++round) {
    std::string doc = "items/" + std::to_string(round);
    ASSERT_EQ(Weft(client + "put " + doc +
                   " '{\"n\": " + std::to_string(round) + "}'")
                  .exit_code,
              0);
    RunResult run = Weft(client + "sync " + serve.address());
    ASSERT_EQ(run.exit_code, 0) << run.err;
    run = Weft(hub + "get " + doc + " n");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, std::to_string(round) + "\n");
    run = Weft(hub + "--json status");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(nlohmann::json::parse(run.out)["log_length"], round) << run.out;
  }
  RunResult heads = Weft(hub + "heads");
  ASSERT_EQ(heads.exit_code, 0) << heads.err;
  ASSERT_EQ(Lines(heads.out).size(), 1u) << heads.out;
  EXPECT_EQ(heads.out, Weft(client + "heads").out);
  const std::string bundle = dir_.Sub("hub.bundle");
  for (const std::string& reader : std::vector<std::string>{
           "keys items", "collections", "log -n 3",
           "show " + heads.out.substr(0, 12), "verify", "views",
           "view rows by_n", "find items '{\"n\": 7}'",
           "explain items '{\"n\": 7}'", "find items where n '>' 10",
           "export " + bundle}) {
    RunResult run = Weft(hub + reader);
    EXPECT_EQ(run.exit_code, 0) << reader << ": " << run.err;
  }
  EXPECT_EQ(Lines(Weft(hub + "keys items").out).size(), 12u);
  EXPECT_EQ(Weft(hub + "find items where n '>' 10").out,
            Weft(client + "find items where n '>' 10").out);
  EXPECT_TRUE(std::filesystem::is_regular_file(bundle));

  RunResult run = Weft(hub + "put items/99 '{}'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "open in another process")) << run.err;
  run = Weft(hub + "--read-only put items/99 '{}'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "read-only")) << run.err;

  // The serve went on serving, undisturbed by its readers.
  ASSERT_EQ(Weft(client + "put items/13 '{\"n\": 13}'").exit_code, 0);
  ASSERT_EQ(Weft(client + "sync " + serve.address()).exit_code, 0);
  EXPECT_EQ(Weft(hub + "get items/13 n").out, "13\n");
  int status = -1;
  std::string rest = serve.Stop(&status);
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(Has(rest, "stopped after 13 sessions, 0 of them failed")) << rest;
  EXPECT_EQ(Weft(hub + "get items/99").exit_code, 1);  // never written
}

// `weft watch` beside a running serve prints what each sync brings, in log
// order, only what touches its target, and stops on SIGINT.
TEST_F(CliTest, WatchBesideAServePrintsWhatSyncBringsInLogOrder) {
  std::string hub_path = dir_.Sub("hub");
  std::string hub = "--db " + hub_path + " ";
  std::string client = "--db " + dir_.Sub("client") + " ";
  ASSERT_EQ(Weft(hub + "put todos/0 '{\"n\": 0}'").exit_code, 0);
  ServeChild serve(hub_path);
  ASSERT_FALSE(serve.address().empty()) << serve.banner();
  testing::WeftChild everything(hub_path, {"watch", "--json"}, "watching");
  testing::WeftChild todos(hub_path, {"watch", "todos"}, "watching");
  ASSERT_TRUE(Has(todos.banner(), "collection todos from change 2"))
      << todos.banner();
  std::vector<std::string> hashes;
  for (const char* doc : {"todos/1", "notes/1", "todos/2", "todos/1"}) {
    RunResult put =
        Weft(client + "set " + doc + " n " + std::to_string(hashes.size() + 1));
    ASSERT_EQ(put.exit_code, 0) << put.err;
    hashes.push_back(Lines(put.out).at(0));
    ASSERT_EQ(Weft(client + "sync " + serve.address()).exit_code, 0);
  }
  ASSERT_TRUE(everything.WaitForLine(hashes.back()))
      << everything.OutputSoFar();
  ASSERT_TRUE(todos.WaitForLine("todos/1 {\"n\":4}")) << todos.OutputSoFar();
  // SIGINT ends both, cleanly, within a bounded time.
  kill(everything.pid(), SIGINT);
  kill(todos.pid(), SIGINT);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((everything.Running() || todos.Running()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(everything.Running());
  EXPECT_FALSE(todos.Running());
  int status = -1;
  std::vector<std::string> lines = Lines(everything.Stop(&status));
  EXPECT_EQ(status, 0);
  // Positions 2.. on the hub: the client's four changes (the hub's first
  // change, older than the watch, is not printed).
  ASSERT_EQ(lines.size(), 4u) << everything.OutputSoFar();
  for (size_t line_idx = 0; line_idx < lines.size(); ++line_idx) {
    auto change = nlohmann::json::parse(lines[line_idx]);
    EXPECT_EQ(change["position"], line_idx + 2);
    EXPECT_EQ(change["hash"], hashes[line_idx]);
    EXPECT_EQ(change["seq"], line_idx + 1);
    ASSERT_EQ(change["docs"].size(), 1u);
  }
  EXPECT_EQ(nlohmann::json::parse(lines[1])["docs"][0]["doc"], "notes/1");
  std::string printed = todos.Stop(&status);
  EXPECT_EQ(status, 0);
  EXPECT_FALSE(Has(printed, "notes/1")) << printed;
  EXPECT_TRUE(Has(printed, "  todos/2 {\"n\":3}")) << printed;
  size_t first = printed.find(hashes[0].substr(0, 8));
  size_t last = printed.find(hashes[3].substr(0, 8));
  EXPECT_NE(first, std::string::npos) << printed;
  EXPECT_NE(last, std::string::npos) << printed;
  EXPECT_LT(first, last);
  EXPECT_EQ(serve.Stop(&status).find("failed:"), std::string::npos);
}

// Runs weft in folder `cwd` (which holds no database).
RunResult WeftIn(const std::string& cwd, const std::string& args) {
  std::string out = cwd + "/../out", err = cwd + "/../err";
  std::string command = "cd " + cwd + " && " + std::string(WEFT_BINARY) + " " +
                        args + " </dev/null >" + out + " 2>" + err;
  int status = std::system(command.c_str());
  return RunResult{WEXITSTATUS(status), testing::ReadFile(out),
                   testing::ReadFile(err)};
}

TEST_F(CliTest, HelpAndVersionNeedNoDatabaseAndCreateNone) {
  std::string empty = dir_.Sub("empty");
  std::filesystem::create_directory(empty);
  for (const char* args : {"help", "--help", "-h", "--json help"}) {
    RunResult run = WeftIn(empty, args);
    EXPECT_EQ(run.exit_code, 0) << args << ": " << run.err;
    EXPECT_TRUE(Has(run.out, "put COLL/KEY JSON")) << args << ": " << run.out;
  }
  for (const char* args : {"help put", "put --help", "put -h", "--help put"}) {
    RunResult run = WeftIn(empty, args);
    EXPECT_EQ(run.exit_code, 0) << args << ": " << run.err;
    EXPECT_TRUE(Has(run.out, "example: put todos/1"))
        << args << ": " << run.out;
  }
  for (const char* args : {"--version", "-V", "--db elsewhere --version"}) {
    RunResult run = WeftIn(empty, args);
    EXPECT_EQ(run.exit_code, 0) << args << ": " << run.err;
    EXPECT_TRUE(Has(run.out, "weft 0.")) << run.out;
    EXPECT_TRUE(Has(run.out, "(RocksDB 7.") || Has(run.out, "(RocksDB "))
        << run.out;
  }
  auto versions = nlohmann::json::parse(WeftIn(empty, "--json -V").out);
  EXPECT_TRUE(versions["weft"].is_string());
  EXPECT_EQ(versions["storage"].get<std::string>().rfind("RocksDB ", 0), 0u);
  EXPECT_EQ(WeftIn(empty, "help frobnicate").exit_code, 2);
  EXPECT_TRUE(Entries(empty).empty());
}

TEST_F(CliTest, UnknownOptionsAreUsageErrorsAndChangeNothing) {
  std::string db = "--db " + db_path_ + " ";
  struct Case {
    std::string args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"get t/1 --bogus", "unknown option '--bogus' for get"},
      {"get todos/1 --as-of", "--as-of needs a value (HASH)"},
      {"get todos/1 --as-of --conflicts", "--as-of needs a value"},
      {"log --all", "unknown option '--all' for log"},
      {"verify --quik", "unknown option '--quik'"},
      {"keys todos --limit 3", "unknown option '--limit' for keys"},
      {"put --force t/1 '{}'", "unknown option '--force' for put"},
      {"serve --listen", "--listen needs a value (ADDRESS:PORT)"},
      {"sync 127.0.0.1:1 --timeout", "--timeout needs a value (MS)"},
      {"find todos --order", "--order needs a value (PATH)"},
      {"--bogus get t/1", "unknown option '--bogus'"},
      {"--db", "--db needs a PATH"},
      {"--db= get t/1", "--db needs a PATH"},
  };
  for (const Case& test : cases) {
    RunResult run = Weft(db + test.args);
    EXPECT_EQ(run.exit_code, 2) << test.args << ": " << run.err;
    EXPECT_TRUE(Has(run.err, test.says)) << test.args << ": " << run.err;
  }
  EXPECT_EQ(Lines(Weft(db + "log").out).size(), 5u);
  // Words of a JSON value or text are not options.
  RunResult run = Weft(db + "put t/2 '{\"s\": \"--bogus\"}'");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Weft(db + "find t '{\"s\": \"--bogus\"}'").out,
            "t/2  {\"s\":\"--bogus\"}\n");
}

TEST_F(CliTest, GetAPathAsOfAChange) {
  std::string db = "--db " + dir_.Sub("asof") + " ";
  RunResult first = Weft(db + "put todos/1 '{\"done\": false, \"n\": 1}'");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string hash = Lines(first.out).at(0);
  ASSERT_EQ(Weft(db + "set todos/1 done true").exit_code, 0);
  EXPECT_EQ(Weft(db + "get todos/1 done").out, "true\n");
  RunResult run = Weft(db + "get todos/1 done --as-of " + hash);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "false\n");
  EXPECT_EQ(Weft(db + "get todos/1 --as-of " + hash.substr(0, 8)).out,
            "{\"done\":false,\"n\":1}\n");
  run = Weft(db + "get todos/1 missing --as-of " + hash);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "missing")) << run.err;
}

TEST_F(CliTest, TheDatabaseOptionWorksAnywhereAndIsNeverIgnored) {
  std::string cwd = dir_.Sub("cwd");
  std::filesystem::create_directory(cwd);
  std::string t = dir_.Sub("t.db");
  ASSERT_EQ(WeftIn(cwd, "--db " + t + " put x/1 '{\"a\": 1}'").exit_code, 0);
  for (const std::string& args :
       {"get x/1 --db " + t, "--db=" + t + " get x/1", "get x/1 --db=" + t,
        "get --db " + t + " x/1"}) {
    RunResult run = WeftIn(cwd, args);
    EXPECT_EQ(run.exit_code, 0) << args << ": " << run.err;
    EXPECT_EQ(run.out, "{\"a\":1}\n") << args;
  }
  EXPECT_TRUE(Entries(cwd).empty());  // never ./weft.db
}

TEST_F(CliTest, ErrorsSpeakWeftNotTheirLibraries) {
  std::string db = "--db " + db_path_ + " ";
  for (const char* args :
       {"put a/1 'nope'", "put a/1 '{\"a\": 1e400}'", "put a/1 '{\"a\": 1,}'",
        "set a/1 b '[1, 2'", "find a {\"x\": }"}) {
    RunResult run = Weft(db + args);
    EXPECT_EQ(run.exit_code, 1) << args << ": " << run.err;
    EXPECT_FALSE(Has(run.err, "json.exception")) << args << ": " << run.err;
    EXPECT_FALSE(Has(run.err, "internal error")) << args << ": " << run.err;
    size_t column = run.err.find("column");
    if (column != std::string::npos) {
      EXPECT_EQ(run.err.find("column", column + 1), std::string::npos)
          << args << ": " << run.err;
    }
  }
  EXPECT_TRUE(Has(Weft(db + "put a/1 '{\"a\": 1e400}'").err, "1e400"));
}

// A loopback listener of something else than weft (it answers like a web
// server) on a free port; the port, or 0.
struct NotWeftServer {
  NotWeftServer() {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) !=
            0 ||
        listen(listener, 4) != 0) {
      return;
    }
    socklen_t length = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    answering = std::thread([this] {
      int peer = accept(listener, nullptr, nullptr);
      if (peer < 0) return;
      const char kAnswer[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
      send(peer, kAnswer, sizeof kAnswer - 1, MSG_NOSIGNAL);
      char chunk[4096];
      timeval wait{2, 0};
      setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
      while (recv(peer, chunk, sizeof chunk, 0) > 0) {
      }
      close(peer);
    });
  }
  ~NotWeftServer() {
    shutdown(listener, SHUT_RDWR);
    if (answering.joinable()) answering.join();
    close(listener);
  }
  int listener = -1;
  uint16_t port = 0;
  std::thread answering;
};

TEST_F(CliTest, ErrorsNameWhatWentWrong) {
  std::string db = "--db " + db_path_ + " ";
  RunResult run = Weft(db + "import " + dir_.Sub("nofile"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "no such file")) << run.err;

  NotWeftServer other;
  ASSERT_NE(other.port, 0);
  run = Weft(db + "sync 127.0.0.1:" + std::to_string(other.port));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "does not speak weft's sync protocol")) << run.err;
  EXPECT_TRUE(Has(run.err, "HTTP/1.1")) << run.err;

  // With --json, errors are JSON on stderr; the exit codes stay.
  run = Weft(db + "--json get todos/404");
  EXPECT_EQ(run.exit_code, 1);
  auto error = nlohmann::json::parse(run.err);
  EXPECT_EQ(error["error"], "NotFound");
  EXPECT_TRUE(Has(error["message"], "todos/404")) << run.err;
  run = Weft("--json --db " + dir_.Sub("absent") + " get a/1");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(nlohmann::json::parse(run.err)["message"], "no database"));
  run = Weft(db + "--json get t/1 --bogus");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(
      Has(nlohmann::json::parse(run.err)["usage"], "unknown option '--bogus'"));
  EXPECT_EQ(Weft("--json frobnicate").exit_code, 2);
  EXPECT_TRUE(
      nlohmann::json::parse(Weft("--json frobnicate").err).contains("usage"));
}

TEST_F(CliTest, IPv6AddressesInBrackets) {
  int probe = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 loopback{};
  loopback.sin6_family = AF_INET6;
  loopback.sin6_addr = in6addr_loopback;
  bool has_ipv6 =
      probe >= 0 &&
      bind(probe, reinterpret_cast<sockaddr*>(&loopback), sizeof loopback) == 0;
  if (probe >= 0) close(probe);
  if (!has_ipv6) GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
  std::string hub_path = dir_.Sub("hub");
  ASSERT_EQ(Weft("--db " + hub_path + " put notes/1 '{\"n\": 1}'").exit_code,
            0);
  testing::WeftChild serve(hub_path, {"serve", "--listen", "[::1]:0"},
                           "serving on [::1]:");
  size_t at = serve.banner().find("[::1]:");
  ASSERT_NE(at, std::string::npos) << serve.banner();
  std::string port = std::to_string(std::stoi(serve.banner().substr(at + 6)));
  RunResult run =
      Weft("--db " + dir_.Sub("client") + " sync '[::1]:" + port + "'");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Weft("--db " + dir_.Sub("client") + " get notes/1 n").out, "1\n");
  run = Weft("--db " + dir_.Sub("client") + " sync ::1:" + port);
  EXPECT_EQ(run.exit_code, 2) << run.err;  // which colon is the port's?
  int status = -1;
  serve.Stop(&status);
  EXPECT_EQ(status, 0);
}

TEST_F(CliTest, NumbersAndStringsStayWhatTheyWere) {
  std::string db = "--db " + db_path_ + " ";
  ASSERT_EQ(Weft(db + "incr t/1 c 9223372036854775807").exit_code, 0);
  RunResult run = Weft(db + "incr t/1 c 1");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "would pass int64's range")) << run.err;
  EXPECT_EQ(Weft(db + "get t/1 c").out, "9223372036854775807\n");
  ASSERT_EQ(Weft(db + "incr t/1 c -9223372036854775807").exit_code, 0);
  ASSERT_EQ(Weft(db + "incr t/1 c -9223372036854775807").exit_code, 0);
  ASSERT_EQ(Weft(db + "incr t/1 c -1").exit_code, 0);
  run = Weft(db + "incr t/1 c -1");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "would pass int64's range")) << run.err;
  EXPECT_EQ(Weft(db + "get t/1 c").out, "-9223372036854775808\n");
  for (const char* number :
       {"123456789012345678901234567890", "18446744073709551616",
        "9223372036854775808", "-9223372036854775809"}) {
    run = Weft(db + "put t/2 '{\"a\": " + number + "}'");
    EXPECT_EQ(run.exit_code, 1) << number;
    EXPECT_TRUE(Has(run.err, "beyond int64")) << run.err;
  }
  run = Weft(db + "put t/2 '{\"a\": 1e400}'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "1e400")) << run.err;
  EXPECT_EQ(Weft(db + "get t/2").exit_code, 1);  // none was stored
  ASSERT_EQ(Weft(db + "put t/2 '{\"a\": -9223372036854775808, \"b\": "
                      "\"99999999999999999999\", \"c\": 1.5e3}'")
                .exit_code,
            0);
  EXPECT_EQ(Weft(db + "get t/2").out,
            "{\"a\":-9223372036854775808,\"b\":\"99999999999999999999\","
            "\"c\":1500.0}\n");
  // A string that is spliced becomes a text (get shows both alike).
  ASSERT_EQ(Weft(db + "put doc/t '{\"s\": \"\"}'").exit_code, 0);
  run = Weft(db + "splice doc/t s 0 0 '\"x\"'");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Weft(db + "splice doc/t s 1 0 '\"yz\"'").exit_code, 0);
  EXPECT_EQ(Weft(db + "get doc/t s").out, "\"xyz\"\n");
  ASSERT_EQ(Weft(db + "put doc/l '{\"l\": [1]}'").exit_code, 0);
  run = Weft(db + "splice doc/l l 0 0 '\"x\"'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "'l' holds a list, not a text")) << run.err;
  // A newline typed inside a JSON string of a multi-line entry is kept.
  run = Weft(db,
             "put t/3 {\"s\": \"line one\nline two\",\n\"n\": 1}\n"
             "get t/3 s\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Has(run.out, "\"line one\\nline two\"\n")) << run.out;
}

TEST_F(CliTest, SmallThingsReadRight) {
  std::string db = "--db " + dir_.Sub("small") + " ";
  RunResult put = Weft(db + "put todos/1 '{\"n\": 1}'");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  ASSERT_EQ(Weft(db + "put todos/2 '{\"n\": 2}'").exit_code, 0);
  for (const char* query : {"find todos limit 0", "find todos --limit 0",
                            "find todos where n '>' 0 limit 0"}) {
    RunResult run = Weft(db + query);
    EXPECT_EQ(run.exit_code, 0) << query << ": " << run.err;
    EXPECT_EQ(run.out, "") << query;
  }
  EXPECT_EQ(Lines(Weft(db + "find todos limit 1").out).size(), 1u);
  // "1 op", not "1 ops"; times in ISO 8601 (UTC).
  std::string log = Weft(db + "log -n 1").out;
  EXPECT_TRUE(Has(log, "  2 ops  20")) << log;  // put: create + set
  EXPECT_TRUE(Has(log, "Z")) << log;
  ASSERT_EQ(Weft(db + "set todos/1 n 5").exit_code, 0);
  log = Weft(db + "log -n 1").out;
  EXPECT_TRUE(Has(log, "  1 op  20")) << log;
  std::string show = Weft(db + "show " + Lines(put.out).at(0)).out;
  EXPECT_TRUE(Has(show, "time     20")) << show;
  auto change = nlohmann::json::parse(
      Weft(db + "show --json " + Lines(put.out).at(0)).out);
  EXPECT_EQ(change["time"].get<std::string>().size(), 24u) << change.dump();
  ServeChild serve(dir_.Sub("small"));
  ASSERT_FALSE(serve.address().empty()) << serve.banner();
  ASSERT_EQ(
      Weft("--db " + dir_.Sub("other") + " sync " + serve.address()).exit_code,
      0);
  int status = -1;
  std::string rest = serve.Stop(&status);
  EXPECT_TRUE(Has(rest, "stopped after 1 session, 0 of them failed")) << rest;
}

TEST_F(CliTest, AFailedCommandLeavesNothingBehind) {
  std::string db = "--db " + db_path_ + " ";
  std::string folder = dir_.Sub("folder");
  std::filesystem::create_directory(folder);
  RunResult run = Weft(db + "export " + folder);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "is a folder")) << run.err;
  EXPECT_FALSE(std::filesystem::exists(folder + ".tmp"));
  run = Weft(db + "export " + dir_.Sub("no/such/folder/x.bundle"));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("no")));

  // A serve that cannot listen (the port is taken) makes no database.
  int taken = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof address),
            0);
  ASSERT_EQ(listen(taken, 1), 0);
  socklen_t length = sizeof address;
  getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length);
  std::string port = std::to_string(ntohs(address.sin_port));
  std::string fresh = dir_.Sub("fresh");
  run = Weft("--db " + fresh + " serve --listen 127.0.0.1:" + port);
  close(taken);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Has(run.err, "cannot listen")) << run.err;
  EXPECT_FALSE(std::filesystem::exists(fresh));
  // Nor does a put of bad JSON, or a sync with nobody there.
  EXPECT_EQ(Weft("--db " + fresh + " put a/1 'nope'").exit_code, 1);
  EXPECT_EQ(Weft("--db " + fresh + " sync 127.0.0.1:1").exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(fresh));
  // A database that was there stays, unchanged.
  EXPECT_EQ(Weft(db + "put a/1 'nope'").exit_code, 1);
  EXPECT_EQ(Lines(Weft(db + "log").out).size(), 5u);
}

}  // namespace
}  // namespace weft
