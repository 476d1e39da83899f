// Hostile peers against the real binary: `weft serve` and `weft sync` in
// child processes, raw bytes over TCP on 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "tests/cli/cli_fixture.h"
#include "tests/cli/weft_child.h"

namespace weft {
namespace {

using testing::CliTest;
using testing::RunResult;
using testing::ServeChild;

// The 24 bytes that killed `weft serve` before authentication: a Message
// whose union type is set (Hello, the last byte) and whose body is absent.
const std::string kBodylessHello(
    "\x00\x00\x00\x14\x0c\x00\x00\x00\x00\x00\x06\x00"
    "\x08\x00\x07\x00\x06\x00\x00\x00\x00\x00\x00\x01",
    24);

std::string WithKind(uint8_t kind) {
  std::string frame = kBodylessHello;
  frame.back() = static_cast<char>(kind);
  return frame;
}

// Connects to 127.0.0.1:port; -1 on failure.
int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(static_cast<uint16_t>(port));
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof(where)) != 0) {
    close(fd);
    return -1;
  }
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// Reads until the peer closes (or 5 s pass); returns what it sent.
std::string ReadToEnd(int fd) {
  std::string got;
  char chunk[4096];
  ssize_t size;
  while ((size = recv(fd, chunk, sizeof(chunk), 0)) > 0)
    got.append(chunk, size);
  return got;
}

// Sends `bytes` on a new connection and reads the answer to its end.
std::string SendRaw(int port, const std::string& bytes) {
  int fd = Connect(port);
  if (fd < 0) return "";
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string answer = ReadToEnd(fd);
  close(fd);
  return answer;
}

// Item 1: the exact bytes, and every other message kind without its body,
// to a server with and without a key. It answers with an Error, keeps
// serving, and a real sync afterwards works.
TEST_F(CliTest, ABodylessMessageDoesNotKillTheServer) {
  std::string key_file = dir_.Sub("key");
  std::ofstream(key_file) << "a shared secret of the replicas";
  for (bool keyed : {false, true}) {
    SCOPED_TRACE(keyed ? "with a key" : "without a key");
    std::string hub_path = dir_.Sub(keyed ? "hub_keyed" : "hub");
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0"};
    if (keyed) {
      args.push_back("--key-file");
      args.push_back(key_file);
    }
    testing::WeftChild hub(hub_path, args, "serving on 127.0.0.1:");
    size_t at = hub.banner().find("127.0.0.1:");
    ASSERT_NE(at, std::string::npos) << hub.banner();
    int port = std::stoi(hub.banner().substr(at + 10));
    std::string answer = SendRaw(port, kBodylessHello);
    EXPECT_NE(answer.find("without a body"), std::string::npos) << answer;
    for (int kind = 0; kind <= 8; ++kind) SendRaw(port, WithKind(kind));
    SendRaw(port, WithKind(255));
    ASSERT_TRUE(hub.Running()) << hub.Stop(nullptr);
    std::string sync = "--db " + db_path_ +
                       " sync 127.0.0.1:" + std::to_string(port) +
                       (keyed ? " --key-file " + key_file : "");
    RunResult run = Weft(sync);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    int status = -1;
    std::string log = hub.Stop(&status);
    EXPECT_EQ(status, 0) << log;
    EXPECT_NE(log.find("without a body"), std::string::npos) << log;
  }
}

// A listening socket on 127.0.0.1 that answers one connection with
// `bytes`, as a fake server would.
class FakeServer {
 public:
  FakeServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&where), sizeof(where)), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    socklen_t size = sizeof(where);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&where), &size);
    port_ = ntohs(where.sin_port);
  }
  ~FakeServer() {
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  void AnswerOnceWith(std::string bytes) {
    thread_ = std::thread([this, bytes = std::move(bytes)] {
      pollfd waiting{fd_, POLLIN, 0};
      if (poll(&waiting, 1, 10000) <= 0) return;
      int peer = accept(fd_, nullptr, nullptr);
      send(peer, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      timeval timeout{5, 0};
      setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      ReadToEnd(peer);
      close(peer);
    });
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Item 1, the other side: a fake server's bodyless message of every kind
// makes `weft sync` fail with a reason (exit 1), never crash.
TEST_F(CliTest, ABodylessMessageDoesNotKillTheSyncingReplica) {
  for (int kind : {1, 2, 3, 4, 5, 6, 7, 0, 9}) {
    SCOPED_TRACE("kind " + std::to_string(kind));
    FakeServer server;
    server.AnswerOnceWith(WithKind(static_cast<uint8_t>(kind)));
    RunResult run = Weft("--db " + db_path_ + " sync " + server.address());
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find("without a body"), std::string::npos) << run.err;
  }
}

// Item 4: deep JSON and long paths through the shell are refused at once
// with the limit named (depth 1000 took 25 s; a 100k-part path, minutes).
TEST_F(CliTest, DeepJsonAndLongPathsAreRefusedWithTheLimit) {
  std::string deep;
  for (int level = 0; level < 1000; ++level) deep += "{\"k\": ";
  deep += "1" + std::string(1000, '}');
  RunResult run = Weft("--db " + db_path_ + " put t/deep '" + deep + "'");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("nests deeper than 101 levels"), std::string::npos)
      << run.err;
  std::string path = "a";
  for (int part = 1; part < 100000; ++part) path += ".a";
  run = Weft("--db " + db_path_, "set t/long " + path + " 1\n");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("at most 101 segments"), std::string::npos)
      << run.err.substr(0, 300);
  EXPECT_EQ(Weft("--db " + db_path_ + " get t/deep").exit_code, 1);
}

}  // namespace
}  // namespace weft
