#include "sync_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <ctime>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "change_format.h"
#include "json_text.h"
#include "progress.h"
#include "stop_signals.h"

namespace weft::cli {
namespace {

using nlohmann::json;

constexpr char kServeForm[] =
    "serve [--listen ADDRESS:PORT] [--peers FILE] [--identity FILE] "
    "[--key-file FILE] [--timeout MS] [--handshake-timeout MS] "
    "[--message-timeout MS] [--max-connections N] "
    "[--max-connections-per-address N]";
constexpr char kSyncForm[] =
    "sync HOST:PORT [--live] [--peer IDENTITY] [--identity FILE] "
    "[--key-file FILE] [--timeout MS]";
constexpr uint16_t kDefaultPort = 7707;

// HOST:PORT, where an IPv6 HOST is written in brackets ([::1]:7707).
bool SplitHostPort(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = text.substr(0, colon);
  if (host->front() == '[') {
    if (host->size() < 3 || host->back() != ']') return false;
    *host = host->substr(1, host->size() - 2);
  } else if (host->find(':') != std::string::npos) {
    return false;  // an IPv6 address without brackets: which colon is whose?
  }
  std::string digits = text.substr(colon + 1);
  auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), *port);
  return error == std::errc() && end == digits.data() + digits.size();
}

// The option a numeric flag sets (all are positive), or null.
uint32_t* NumberOption(const std::string& flag, SyncOptions* options) {
  if (flag == "--timeout") return &options->timeout_ms;
  if (flag == "--handshake-timeout") return &options->handshake_timeout_ms;
  if (flag == "--message-timeout") return &options->message_timeout_ms;
  if (flag == "--max-connections") return &options->max_connections;
  if (flag == "--max-connections-per-address") {
    return &options->max_connections_per_address;
  }
  return nullptr;
}

// Options shared by serve and sync; the rest of the arguments are left in
// *positional, and the peers file read (if any) named in *peers_file (may
// be null). False on a usage mistake; *error for an unreadable file.
bool ParseOptions(const std::vector<std::string>& args, SyncOptions* options,
                  std::vector<std::string>* positional, Status* error,
                  std::string* peers_file = nullptr) {
  for (size_t arg_idx = 1; arg_idx < args.size(); ++arg_idx) {
    const std::string& arg = args[arg_idx];
    bool has_value = arg_idx + 1 < args.size();
    if (arg == "--key-file" && has_value) {
      std::ifstream in(args[++arg_idx]);
      std::string key((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
      while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) {
        key.pop_back();
      }
      if (!in.good() && !in.eof()) {
        *error = Status::IOError("cannot read key file", args[arg_idx]);
      } else if (key.empty()) {
        *error =
            Status::InvalidArgument("the key file is empty", args[arg_idx]);
      }
      options->key = key;
    } else if (uint32_t* number = NumberOption(arg, options);
               number != nullptr && has_value) {
      const std::string& text = args[++arg_idx];
      auto [end, parse_error] =
          std::from_chars(text.data(), text.data() + text.size(), *number);
      if (parse_error != std::errc() || end != text.data() + text.size() ||
          *number == 0) {
        return false;
      }
    } else if (arg == "--live") {
      options->live = true;
    } else if (arg == "--peer" && has_value) {
      options->peers.push_back(PeerGrant{args[++arg_idx], true, "server"});
    } else if (arg == "--identity" && has_value) {
      options->identity_file = args[++arg_idx];
    } else if (arg == "--peers" && has_value) {
      if (peers_file != nullptr) *peers_file = args[arg_idx + 1];
      Result<std::vector<PeerGrant>> peers = ReadPeersFile(args[++arg_idx]);
      if (!peers.ok()) *error = peers.status();
      if (peers.ok() && peers->empty()) {
        *error = Status::InvalidArgument("the peers file lists no peer",
                                         args[arg_idx]);
      }
      if (peers.ok()) options->peers = std::move(peers).value();
    } else if (arg.rfind("--", 0) == 0 && arg != "--listen") {
      return false;
    } else {
      positional->push_back(arg);
    }
  }
  return true;
}

std::string Changes(uint64_t count) { return Counted(count, "change"); }

std::string StatsText(const SyncStats& stats) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.3f", stats.seconds);
  return "sent " + Changes(stats.changes_sent) + ", received " +
         Changes(stats.changes_received) + "; " +
         std::to_string(stats.bytes_sent) + " bytes out, " +
         std::to_string(stats.bytes_received) + " bytes in; " +
         std::to_string(stats.round_trips) +
         (stats.round_trips == 1 ? " round trip; " : " round trips; ") +
         seconds + " s";
}

// A log line's text, escaped and capped (EscapeForLog): what a peer
// caused to be said cannot forge or flood the log.
std::string LogSafe(std::string_view text) { return EscapeForLog(text, 1024); }

// Whether the folder's disk takes a write again: 1 MiB written, synced
// and removed (before the database is reopened for a retry).
bool DiskTakesWrites(const std::string& folder) {
  std::string probe = folder + "/.weft-probe";
  int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string block(1 << 20, '\0');
  bool ok = write(fd, block.data(), block.size()) ==
                static_cast<ssize_t>(block.size()) &&
            fsync(fd) == 0;
  close(fd);
  unlink(probe.c_str());
  return ok;
}

// After a write fails on the disk the database refuses every write until
// it is reopened. The server goes on serving reads meanwhile; once the
// disk takes a probe write again (checked each second) it stops its
// sessions, reopens the database and serves again on the same port, and
// says so. Reopen attempts back off (2, 4, 8 ... 32 s apart): a disk that
// takes the probe but not the database's writes must not cut every
// session each second. After five quiet minutes the backoff starts over.
class WriteRecovery {
 public:
  WriteRecovery(Database* db,
                const std::function<void(const std::string&)>& log)
      : db_(db), log_(log) {}

  // True when the server should be stopped for Reopen now.
  bool Due() {
    Status failure = db_->WriteFailure();
    if (failure.ok() && writable_) {
      failing_ = false;
      return false;
    }
    if (!failing_) {
      log_(failure.ToString() +
           "; reads go on, writes resume once the disk takes them again");
      failing_ = true;
      if (Clock::now() - last_reopen_ > std::chrono::minutes(5)) {
        backoff_s_ = 1;
      }
    }
    return Clock::now() >= last_reopen_ + std::chrono::seconds(backoff_s_) &&
           DiskTakesWrites(db_->path());
  }
  // Reopens; false if the database cannot be used at all any more.
  bool Reopen() {
    Status reopened = db_->Reopen();
    last_reopen_ = Clock::now();
    backoff_s_ = std::min(backoff_s_ * 2, 32);
    writable_ = reopened.ok();
    if (writable_) {
      log_("the database was reopened to write again");
    } else {
      log_("reopening to write failed: " + reopened.ToString() +
           (db_->is_open() ? "; open read-only meanwhile" : ""));
    }
    return db_->is_open();
  }

 private:
  using Clock = std::chrono::steady_clock;
  Database* db_;
  std::function<void(const std::string&)> log_;
  bool failing_ = false;
  bool writable_ = true;  // false: a reopen fell back to read-only
  int backoff_s_ = 1;     // before the next reopen, counted from the last
  Clock::time_point last_reopen_;
};

}  // namespace

int CmdServe(Database& db, const std::vector<std::string>& args,
             const Output& output) {
  SyncOptions options;
  std::vector<std::string> positional;
  Status error;
  std::string peers_file;
  if (!ParseOptions(args, &options, &positional, &error, &peers_file)) {
    return PrintUsage(output, kServeForm);
  }
  if (!error.ok()) return PrintError(output, error);
  std::string host = "127.0.0.1";
  uint16_t port = kDefaultPort;
  if (positional.size() == 2 && positional[0] == "--listen") {
    if (!SplitHostPort(positional[1], &host, &port)) {
      return PrintUsage(output, kServeForm);
    }
  } else if (!positional.empty()) {
    return PrintUsage(output, kServeForm);
  }
  StopSignals stop_signals;  // SIGINT and SIGTERM end the server
  if (!peers_file.empty()) stop_signals.CatchHangup();  // rereads the file
  std::mutex log_mutex;
  auto say = [&](const std::string& text) {
    std::lock_guard<std::mutex> lock(log_mutex);
    output.err << "serve: " << LogSafe(text) << std::endl;
  };
  SessionLog session_log = [&](const std::string& peer, const Status& outcome,
                               const SyncStats& stats) {
    if (peer.empty()) {  // the server's own trouble, not a session's
      say(outcome.ToString());
      return;
    }
    std::lock_guard<std::mutex> lock(log_mutex);
    if (outcome.ok()) {
      output.err << "sync with " << peer << ": " << StatsText(stats)
                 << std::endl;
    } else {
      output.err << "sync with " << peer
                 << " closed: " << LogSafe(outcome.ToString()) << std::endl;
    }
    for (const std::string& problem : stats.equivocations) {
      output.err << "sync with " << peer
                 << ": equivocation: " << LogSafe(problem) << std::endl;
    }
  };
  auto server = SyncServer::Start(&db, host, port, options, session_log);
  if (!server.ok()) return PrintError(output, server.status());
  port = (*server)->port();  // the same again after a reopen
  std::string guard = " (no key: loopback peers only)";
  if (!options.peers.empty()) {
    Result<std::string> identity = ReplicaIdentity(db, options);
    if (!identity.ok()) return PrintError(output, identity.status());
    guard = " (TLS; identity " + *identity + "; " +
            std::to_string(options.peers.size()) + " peers from " + peers_file +
            ", reread on SIGHUP)";
  } else if (!options.key.empty()) {
    guard = " (peers must hold the key)";
  }
  bool ipv6 = host.find(':') != std::string::npos;
  output.out << "serving on " << (ipv6 ? "[" + host + "]" : host) << ":" << port
             << guard << "; Ctrl-C stops" << std::endl;
  uint64_t sessions = 0, failed = 0;
  auto stop = [&] {
    (*server)->Stop();
    sessions += (*server)->sessions();
    failed += (*server)->failures().size();
    server->reset();  // closes its port
  };
  WriteRecovery recovery(&db, say);
  while (!stop_signals.WaitFor(1000)) {
    if (stop_signals.TakeHangup()) {
      // A file that does not read keeps the list as it was.
      Result<std::vector<PeerGrant>> peers = ReadPeersFile(peers_file);
      Status set = peers.ok() ? (*server)->SetPeers(*peers) : peers.status();
      if (set.ok()) {
        options.peers = std::move(peers).value();
        say("peers file reread: " + std::to_string(options.peers.size()) +
            " peers");
      } else {
        say("peers file not reread (the previous list stays): " +
            set.ToString());
      }
    }
    if (!recovery.Due()) continue;
    stop();
    if (!recovery.Reopen()) return kExitError;
    server = SyncServer::Start(&db, host, port, options, session_log);
    if (!server.ok()) return PrintError(output, server.status());
  }
  stop();
  output.out << "stopped after " << Counted(sessions, "session") << ", "
             << failed << " of them failed" << std::endl;
  return kExitOk;
}

int CmdSync(Database& db, const std::vector<std::string>& args,
            const Output& output) {
  SyncOptions options;
  std::vector<std::string> positional;
  Status error;
  std::string host;
  uint16_t port = 0;
  if (!ParseOptions(args, &options, &positional, &error) ||
      positional.size() != 1 || !SplitHostPort(positional[0], &host, &port)) {
    return PrintUsage(output, kSyncForm);
  }
  if (!error.ok()) return PrintError(output, error);
  // Live: until Ctrl-C or SIGTERM, which a helper thread waits for.
  std::atomic<bool> stop{false};
  std::optional<StopSignals> stop_signals;
  std::thread waiter;
  if (options.live) {
    options.stop = &stop;
    stop_signals.emplace();
    waiter = std::thread([&] {
      stop_signals->Wait();
      stop = true;
    });
    output.err << "syncing live with " << host << ":" << port
               << "; Ctrl-C stops" << std::endl;
  }
  Result<SyncStats> stats = [&] {  // one-shot: a clone shows how far it is
    ProgressLine progress(output);
    if (!options.live) {
      options.progress = [&](const SyncStats& so_far) {
        if (so_far.changes_received == 0) return;
        progress.Show("receiving: " + std::to_string(so_far.changes_received) +
                      " changes, " +
                      std::to_string(so_far.bytes_received >> 10) + " KiB");
      };
    } else {  // a line on stderr whenever the totals move
      options.progress = [&, sent = uint64_t{0}, received = uint64_t{0}](
                             const SyncStats& so_far) mutable {
        if (so_far.changes_sent == sent &&
            so_far.changes_received == received) {
          return;
        }
        sent = so_far.changes_sent;
        received = so_far.changes_received;
        output.err << "live: sent " << Changes(sent) << ", received "
                   << Changes(received) << std::endl;
      };
    }
    return SyncWith(db, host, port, options);
  }();
  if (options.live) {
    stop_signals->Cancel();  // the session may have ended on its own
    waiter.join();
  }
  if (!stats.ok()) return PrintError(output, stats.status());
  if (output.json) {
    output.out << SyncStatsToJson(*stats) << "\n";
  } else {
    output.out << StatsText(*stats) << "\n";
    for (const std::string& problem : stats->equivocations) {
      output.err << "equivocation: " << problem << "\n";
    }
  }
  return kExitOk;
}

int CmdIdentity(Database& db, const std::vector<std::string>& args,
                const Output& output) {
  SyncOptions options;
  if (args.size() == 3 && args[1] == "--identity") {
    options.identity_file = args[2];
  } else if (args.size() != 1) {
    return PrintUsage(output, "identity [--identity FILE]");
  }
  Result<std::string> identity = ReplicaIdentity(db, options);
  if (!identity.ok()) return PrintError(output, identity.status());
  std::string file = options.identity_file.empty() ? db.path() + "/identity.key"
                                                   : options.identity_file;
  if (output.json) {
    output.out << JsonText(json{{"identity", *identity}, {"key_file", file}})
               << "\n";
  } else {
    output.out << *identity << "\n";
    output.err << "(the key is " << file << "; give the line above to the "
               << "peers that should accept this replica)" << std::endl;
  }
  return kExitOk;
}

int CmdPeers(Database& db, const std::vector<std::string>& args,
             const Output& output) {
  constexpr char kForm[] = "peers [--file FILE] [forget REPLICA|all]";
  if (args.size() == 3 && args[1] == "--file") {
    Result<std::vector<PeerGrant>> grants = ReadPeersFile(args[2]);
    if (!grants.ok()) return PrintError(output, grants.status());
    for (const PeerGrant& grant : *grants) {
      const char* access = grant.may_write ? "read-write" : "read";
      if (output.json) {
        output.out << JsonText(json{{"identity", grant.identity},
                                    {"access", access},
                                    {"name", grant.name}})
                   << "\n";
      } else {
        output.out << grant.identity << "  " << access
                   << (grant.name.empty() ? "" : "  " + LogSafe(grant.name))
                   << "\n";
      }
    }
    if (!output.json) output.out << "seen:\n";
  } else if (args.size() != 1 && !(args.size() == 3 && args[1] == "forget")) {
    return PrintUsage(output, kForm);
  }
  if (args.size() == 3 && args[1] == "forget") {
    Status status;
    if (args[2] == "all") {
      status = db.ForgetAllPeers();
    } else {
      Result<ActorId> replica = ActorId::FromHex(args[2]);
      if (!replica.ok()) {
        return PrintError(
            output,
            Status::InvalidArgument("a replica id is 32 hex digits", args[2]));
      }
      status = db.ForgetPeer(*replica);
    }
    if (!status.ok()) return PrintError(output, status);
    if (output.json) {
      output.out << JsonText(json{{"forgotten", args[2]}}) << "\n";
    } else {
      output.out << "forgot " << args[2] << "\n";
    }
    return kExitOk;
  }
  Result<std::vector<PeerInfo>> peers = db.ListPeers();
  if (!peers.ok()) return PrintError(output, peers.status());
  int64_t now_ms = NowMs();
  for (const PeerInfo& peer : *peers) {
    output.out << (output.json ? PeerToJson(peer) : PeerToText(peer, now_ms))
               << "\n";
  }
  return kExitOk;
}

}  // namespace weft::cli
