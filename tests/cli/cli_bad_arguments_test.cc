// Every shell command fed bad arguments, through the real binary, with and
// without --json: missing, extra, unknown options, huge, binary junk,
// invalid UTF-8 and deep JSON. Each must end with exit code 1 or 2, an
// error that names the problem in weft's words (JSON with --json), nothing
// on stdout, and the database unchanged.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace weft {
namespace {

using testing::CliTest;
using testing::RunResult;

// Runs weft with exactly `args` (no shell: any bytes go through).
RunResult RunArgv(const std::string& dir,
                  const std::vector<std::string>& args) {
  std::string out_path = dir + "/argv.out", err_path = dir + "/argv.err";
  pid_t pid = fork();
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    std::vector<const char*> argv = {"weft"};
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    argv.push_back(nullptr);
    execv(WEFT_BINARY, const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return RunResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                   testing::ReadFile(out_path), testing::ReadFile(err_path)};
}

std::string Deep(int levels) {
  return std::string(levels, '[') + "1" + std::string(levels, ']');
}

TEST_F(CliTest, EveryCommandRefusesBadArgumentsAndChangesNothing) {
  const std::string junk("\x01\x02\xfe\xff\x1b[2J\x7f", 9);
  const std::string bad_utf8("caf\xc3\x28\xa0\xa1", 8);
  const std::string huge(100000, 'x');
  const std::string deep_doc = "{\"a\": " + Deep(500) + "}";
  const std::string hash = hashes_[0].ToHex();
  using Args = std::vector<std::string>;
  const std::vector<Args> cases = {
      // Missing.
      {"put"},
      {"put", "t/1"},
      {"get"},
      {"set", "t/1"},
      {"set", "t/1", "a"},
      {"del"},
      {"incr"},
      {"incr", "t/1"},
      {"splice", "t/1", "s", "0"},
      {"sadd", "t/1"},
      {"srem", "t/1", "s"},
      {"linsert", "t/1", "l"},
      {"ldel", "t/1"},
      {"keys"},
      {"show"},
      {"export"},
      {"import"},
      {"backup"},
      {"find"},
      {"explain"},
      {"view"},
      {"view", "create"},
      {"sync"},
      {"serve", "--listen"},
      {"log", "-n"},
      {"get", "t/1", "--as-of"},
      // Extra.
      {"collections", "x"},
      {"heads", "x"},
      {"status", "x"},
      {"views", "x"},
      {"verify", "x"},
      {"keys", "t", "x"},
      {"show", hash, "x"},
      {"get", "t/1", "a", "b"},
      {"del", "t/1", "a", "b"},
      {"incr", "t/1", "c", "1", "2"},
      {"ldel", "t/1", "l", "0", "1", "2"},
      {"export", "a", "b"},
      {"import", "a", "b"},
      {"help", "put", "get"},
      {"watch", "a", "b", "c"},
      {"view", "rows", "a", "b"},
      // Unknown options.
      {"put", "--frob", "t/1", "{}"},
      {"get", "t/1", "--frob"},
      {"log", "--frob"},
      {"verify", "--frob"},
      {"keys", "t", "--frob"},
      {"find", "t", "--frob"},
      {"serve", "--frob"},
      {"sync", "--frob"},
      {"watch", "--frob"},
      {"status", "--frob"},
      {"--frob", "status"},
      // Huge.
      {"put", "t/1", "{" + huge + "}"},
      {"put", huge + "/x", "{}"},
      {"get", huge + "/x"},
      {"show", huge},
      {"set", "t/1", huge, "1"},
      {"import", huge},
      {"find", "t", huge},
      {"log", "-n", huge},
      {"sync", huge + ":1"},
      // Binary junk.
      {"put", "t/1", junk},
      {"get", junk},
      {"show", junk},
      {"set", "t/1", "a", junk},
      {"incr", "t/1", "c", junk},
      {"splice", "t/1", "s", "0", "0", junk},
      {"sadd", "t/1", "s", junk},
      {"find", "t", junk},
      {"view", "create", junk},
      {"import", junk},
      {"sync", junk},
      {junk},
      // Invalid UTF-8.
      {"put", "t/1", "{\"a\": \"" + bad_utf8 + "\"}"},
      {"put", "t/" + bad_utf8, "{}"},
      {"set", "t/1", bad_utf8, "1"},
      {"splice", "t/1", "s", "0", "0", "\"" + bad_utf8 + "\""},
      {"find", "t", "where", "a", "=", bad_utf8 + "x"},
      {"view", "create", "{\"name\": \"" + bad_utf8 + "\"}"},
      // Deep JSON.
      {"put", "t/1", deep_doc},
      {"set", "t/1", "a", Deep(500)},
      {"find", "t", "{\"a\": " + Deep(500) + "}"},
      {"view", "create", "{\"name\": " + Deep(500) + "}"},
  };
  auto before = Database::Open(db_path_, Options());
  ASSERT_TRUE(before.ok());
  std::vector<Hash> heads = (*before)->Heads();
  uint64_t length = (*before)->LogLength();
  before->reset();
  for (const Args& bad : cases) {
    for (bool json : {false, true}) {
      Args args = {"--db", db_path_};
      if (json) args.push_back("--json");
      args.insert(args.end(), bad.begin(), bad.end());
      std::string shown =
          bad[0] +
          (bad.size() > 1 ? " " + bad[1].substr(0, 40) : std::string()) +
          (json ? " --json" : "");
      SCOPED_TRACE(shown);
      RunResult run = RunArgv(dir_.path(), args);
      EXPECT_TRUE(run.exit_code == 1 || run.exit_code == 2) << run.exit_code;
      EXPECT_EQ(run.out, "");
      EXPECT_FALSE(run.err.empty());
      for (const char* library : {"json.exception", "internal error",
                                  "std::", "what()", "basic_string"}) {
        EXPECT_EQ(run.err.find(library), std::string::npos) << run.err;
      }
      if (json) {
        auto error = nlohmann::json::parse(run.err, nullptr, false);
        EXPECT_TRUE(error.is_object() &&
                    (error.contains("usage") || error.contains("error")))
            << run.err.substr(0, 300);
      } else {
        EXPECT_TRUE(run.err.rfind("usage: ", 0) == 0 ||
                    run.err.rfind("error: ", 0) == 0)
            << run.err.substr(0, 300);
      }
    }
  }
  auto after = Database::Open(db_path_, Options());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->Heads(), heads);
  EXPECT_EQ((*after)->LogLength(), length);
}

}  // namespace
}  // namespace weft
