// SyncWith and SyncServer: the sync protocol (a SyncEndpoint) over TCP
// with standalone Asio, in the clear on loopback or inside a TLS 1.3
// channel between pinned identities (tls/). Every read has a deadline; a
// session that ends on an error says why, and the server goes on serving
// the others.
#include <sys/resource.h>

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "tls/identity.h"
#include "tls/spake2.h"
#include "tls/tls_channel.h"
#include "weft/database.h"
#include "weft/sync.h"
#include "weft/view.h"

namespace weft {
namespace {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Tells a live connection, on its own thread, that the database changed.
// Told from committing threads; closed before the connection goes away,
// after which it tells nothing (so no late post reaches a dead io_context).
class NewsLine {
 public:
  explicit NewsLine(std::function<void()> post) : post_(std::move(post)) {}
  void Tell() {
    if (waiting_.exchange(true)) return;  // one post until it is read
    std::lock_guard<std::mutex> lock(mutex_);
    if (post_) post_();
  }
  void Read() { waiting_ = false; }
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    post_ = nullptr;
  }

 private:
  std::mutex mutex_;
  std::function<void()> post_;
  std::atomic<bool> waiting_{false};
};

// Drives one endpoint over one connected socket until the session ends,
// then calls `done` once (on the io_context's thread). Until the session
// is live, sending and reading alternate; a live session reads all the
// time, sends what the endpoint queues (pushes of what the database
// stores, acks, pings) one write at a time, and ends when *stop is set or
// the peer goes.
// Over TLS the endpoint is made once the channel is up, for the peer's
// identity (which decides what the peer may do).
using MakeEndpoint =
    std::function<Result<std::unique_ptr<SyncEndpoint>>(const std::string&)>;
struct Secure {
  std::unique_ptr<tls::TlsChannel> channel;
  MakeEndpoint make_endpoint;
  // A pre-shared key: proved by SPAKE2 inside the channel before the
  // endpoint is made (tls/spake2.h).
  std::string key;
  bool initiator = false;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Done = std::function<void(Status, const SyncStats&)>;

  // `progress` may be null (a server's connections report nothing).
  // `stop`: the initiator's stop flag (null on a server).
  // `buffered` (a server's; may be null): the bytes all its sessions hold
  // of messages not yet whole, bounded by options.buffered_bytes_max.
  Connection(tcp::socket socket, std::unique_ptr<SyncEndpoint> endpoint,
             Database* db, const SyncOptions& options,
             const std::atomic<bool>* stop,
             std::function<void(const SyncStats&)> progress, Done done,
             std::atomic<size_t>* buffered = nullptr, Secure secure = {})
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        write_timer_(socket_.get_executor()),
        tick_timer_(socket_.get_executor()),
        endpoint_(std::move(endpoint)),
        db_(db),
        stop_(stop),
        timeout_(options.timeout_ms),
        progress_(std::move(progress)),
        done_(std::move(done)),
        started_(Clock::now()),
        deadline_(started_ +
                  std::chrono::milliseconds(options.session_timeout_ms)),
        handshake_timeout_(options.handshake_timeout_ms),
        message_timeout_(options.message_timeout_ms),
        buffered_(buffered),
        buffered_max_(options.buffered_bytes_max),
        channel_(std::move(secure.channel)),
        make_endpoint_(std::move(secure.make_endpoint)),
        key_(std::move(secure.key)),
        initiator_(secure.initiator) {}

  ~Connection() { StopNews(); }

  void Start() {
    // Each side answers what it reads: a small write must go at once, not
    // wait for the peer's delayed ACK (Nagle's algorithm).
    std::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    WriteThen(Status::OK());
  }

  // Over TLS, once the channel is up: the peer's identity.
  const std::string& peer_id() const {
    static const std::string kNone;
    return channel_ && channel_->established() ? channel_->peer_id() : kNone;
  }

  // Ends the session from outside (on the connection's thread).
  void End(Status status) { Finish(std::move(status)); }

 private:
  // What goes on the wire next: the endpoint's output, sealed by the
  // channel (whose handshake and alerts come first) if there is one.
  std::string TakeWireOutput() {
    if (!channel_) return endpoint_->TakeOutput();
    if (endpoint_) {
      std::string frames = endpoint_->TakeOutput();
      if (!frames.empty()) channel_->Send(frames).PermitUncheckedError();
    }
    return channel_->TakeOutput();
  }

  // Hands bytes from the socket to the endpoint (through the channel, and
  // with a key, once SPAKE2 proved it both ways).
  Status Deliver(std::string_view bytes) {
    if (!channel_) return endpoint_->Receive(bytes);
    std::string plaintext;
    WEFT_RETURN_IF_ERROR(channel_->Feed(bytes, &plaintext));
    if (!channel_->established()) return Status::OK();
    std::string_view rest = plaintext;
    if (!key_.empty() && (!pake_ || !pake_->done())) {
      if (!pake_) {
        WEFT_ASSIGN_OR_RETURN(std::string binding,
                              channel_->Exporter("EXPORTER-weft-spake2"));
        WEFT_ASSIGN_OR_RETURN(pake_,
                              tls::Spake2::New(initiator_, key_, binding));
      }
      Result<size_t> used = pake_->Feed(rest);
      channel_->Send(pake_->TakeOutput()).PermitUncheckedError();
      if (!used.ok()) return used.status();
      rest.remove_prefix(*used);
      if (!pake_->done()) return Status::OK();
    }
    if (!endpoint_) {
      Result<std::unique_ptr<SyncEndpoint>> made =
          make_endpoint_(channel_->peer_id());
      if (!made.ok()) return made.status();
      endpoint_ = std::move(made).value();
    }
    if (rest.empty()) return Status::OK();
    return endpoint_->Receive(rest);
  }

  // Sends what the endpoint has to say, then reads on, or ends.
  void WriteThen(Status status) {
    pending_ = TakeWireOutput();
    auto self = shared_from_this();
    if (pending_.empty()) return AfterWrite(status);
    ArmTimer(&timer_, "sending to the peer took over");
    asio::async_write(socket_, asio::buffer(pending_),
                      [self, status](std::error_code error, size_t) {
                        self->timer_.cancel();
                        if (error) {
                          return self->Finish(Status::IOError(
                              "sync: sending failed", error.message()));
                        }
                        self->AfterWrite(status);
                      });
  }

  void AfterWrite(Status status) {
    if (!status.ok()) return Finish(status);
    if (!endpoint_) return Read();  // the TLS handshake is under way
    if (endpoint_->has_more_output()) return WriteThen(status);
    if (endpoint_->finished()) return Finish(Status::OK());
    if (endpoint_->live()) return StartLive();
    Read();
  }

  void StartLive() {
    live_ = true;
    std::weak_ptr<Connection> weak = weak_from_this();
    auto executor = socket_.get_executor();
    news_ = std::make_shared<NewsLine>([weak, executor] {
      asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->OnNews();
      });
    });
    SubscriptionTarget all;
    all.kind = SubscriptionTarget::Kind::kAllChanges;
    Result<uint64_t> id = db_->Subscribe(
        all, [news = news_](const ChangeEvent&) { news->Tell(); });
    if (!id.ok()) return Finish(id.status());
    subscription_ = *id;
    last_sent_ = Clock::now();
    OnNews();  // what was stored while catching up and subscribing
    Tick();
    Read();
  }

  void StopNews() {
    if (!news_) return;
    news_->Close();
    news_.reset();
    db_->Unsubscribe(subscription_).PermitUncheckedError();
  }

  void OnNews() {
    if (finished_) return;
    news_->Read();
    Flush(endpoint_->Push());
  }

  // Live: sends what the endpoint queued, one write at a time. After a
  // failure the endpoint's Error frame goes out, then the connection ends.
  void Flush(Status status) {
    if (!status.ok() && failure_.ok()) failure_ = status;
    if (finished_ || writing_) return;
    pending_ = TakeWireOutput();
    if (pending_.empty()) {
      if (!failure_.ok()) Finish(failure_);
      return;
    }
    writing_ = true;
    last_sent_ = Clock::now();
    auto self = shared_from_this();
    ArmTimer(&write_timer_, "sending to the peer took over");
    asio::async_write(
        socket_, asio::buffer(pending_), [self](std::error_code error, size_t) {
          self->write_timer_.cancel();
          self->writing_ = false;
          if (error) {
            return self->Finish(
                Status::IOError("sync: sending failed", error.message()));
          }
          self->Flush(Status::OK());
        });
  }

  // Live: every 50 ms, checks the stop flag and pings a quiet peer.
  void Tick() {
    if (finished_) return;
    if (stop_ != nullptr && stop_->load()) return Finish(Status::OK());
    if (!writing_ && Clock::now() - last_sent_ >= timeout_ / 3) {
      endpoint_->Ping();
      Flush(Status::OK());
    }
    auto self = shared_from_this();
    tick_timer_.expires_after(std::chrono::milliseconds(50));
    tick_timer_.async_wait([self](std::error_code error) {
      if (!error) self->Tick();
    });
  }

  // Reads what the peer sends next. Until live, the answer is written
  // before the next read; a live connection reads on at once (the peer
  // pings when it has nothing to say, so silence means it is gone).
  void Read() {
    auto self = shared_from_this();
    ArmTimer(&timer_, "the peer sent nothing for");
    socket_.async_read_some(
        asio::buffer(buffer_), [self](std::error_code error, size_t size) {
          self->timer_.cancel();
          if (error) return self->Finish(self->ReadFailure(error));
          Status status = self->Deliver(std::string_view(self->buffer_, size));
          if (status.ok()) status = self->NoteBuffered(size);
          if (status.ok() && self->progress_) {
            self->progress_(self->StatsSoFar());
          }
          if (!self->live_) return self->WriteThen(status);
          self->Flush(status);
          if (status.ok()) self->Read();
        });
  }

  // How a failed read ends the session. The initiator closing a live
  // session is its normal end, on the server.
  Status ReadFailure(std::error_code error) const {
    if (error != asio::error::eof) {
      return Status::IOError("sync: reading failed", error.message());
    }
    if (channel_ && channel_->established() && !channel_->peer_closed()) {
      return Status::IOError(
          "sync: the connection was cut without the secure channel's "
          "close_notify (a truncation)");
    }
    if (!live_) {
      return Status::IOError(
          "sync: the peer closed the connection before the session ended");
    }
    if (stop_ == nullptr) return Status::OK();
    return Status::IOError("sync: the server closed the live session");
  }

  // After a Receive of `received` bytes: when the message still arriving
  // began (its deadline runs from its first byte; a message that completed
  // in this read starts the clock anew for the next one), and what this
  // session holds of the server's budget.
  Status NoteBuffered(size_t received) {
    size_t held = endpoint_ ? endpoint_->buffered_bytes() : 0;
    bool completed = held < held_ + received;
    if (held == 0) {
      message_started_.reset();
    } else if (!message_started_ || completed) {
      message_started_ = Clock::now();
    }
    size_t before = held_;
    held_ = held;
    if (buffered_ == nullptr) return Status::OK();
    size_t total = (*buffered_ += held - before);
    if (total > buffered_max_) {
      return Status::Busy("sync: the server holds " + std::to_string(total) +
                          " bytes of unfinished messages (the limit is " +
                          std::to_string(buffered_max_) + ")");
    }
    return Status::OK();
  }

  // The wait ends at the first of: the read/write timeout; until the
  // session is live, its deadline; until the peer's Hello (and proof)
  // arrived, the handshake's; while a message is arriving, the message's.
  void ArmTimer(asio::steady_timer* timer, const char* what) {
    auto self = shared_from_this();
    Clock::time_point at = Clock::now() + timeout_;
    std::string reason = std::string("sync: ") + what + " " +
                         std::to_string(timeout_.count()) + " ms";
    auto sooner = [&](Clock::time_point when, std::string why) {
      if (when < at) {
        at = when;
        reason = std::move(why);
      }
    };
    if (!live_) sooner(deadline_, "sync: the session took too long");
    if (!endpoint_ || !endpoint_->past_handshake()) {
      sooner(started_ + handshake_timeout_,
             "sync: the handshake took too long (the limit is " +
                 std::to_string(handshake_timeout_.count()) + " ms)");
    }
    if (message_started_) {
      sooner(*message_started_ + message_timeout_,
             "sync: a message took over " +
                 std::to_string(message_timeout_.count()) + " ms to arrive");
    }
    timer->expires_at(at);
    timer->async_wait([self, reason](std::error_code error) {
      if (error) return;  // cancelled
      self->Finish(Status::IOError(reason));
    });
  }

  void Finish(Status status) {
    if (finished_) return;
    finished_ = true;
    std::error_code ignored;
    timer_.cancel();
    write_timer_.cancel();
    tick_timer_.cancel();
    StopNews();
    if (buffered_ != nullptr) *buffered_ -= held_;
    held_ = 0;
    if (channel_ && status.ok()) {  // the stream ends here, not cut
      channel_->Close();
      std::string close_notify = channel_->TakeOutput();
      // Never waits: a peer that stopped reading must not hold the
      // server's thread; it gets a cut stream instead (its own doing).
      socket_.non_blocking(true, ignored);
      socket_.write_some(asio::buffer(close_notify), ignored);
    }
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
    done_(status, StatsSoFar());
  }

  SyncStats StatsSoFar() const {
    SyncStats stats = endpoint_ ? endpoint_->stats() : SyncStats();
    stats.seconds =
        std::chrono::duration<double>(Clock::now() - started_).count();
    return stats;
  }

  tcp::socket socket_;
  asio::steady_timer timer_;  // reads (and, until live, writes)
  asio::steady_timer write_timer_;
  asio::steady_timer tick_timer_;
  std::unique_ptr<SyncEndpoint> endpoint_;
  Database* const db_;
  const std::atomic<bool>* const stop_;
  const std::chrono::milliseconds timeout_;
  const std::function<void(const SyncStats&)> progress_;
  Done done_;
  const Clock::time_point started_;
  const Clock::time_point deadline_;
  const std::chrono::milliseconds handshake_timeout_;
  const std::chrono::milliseconds message_timeout_;
  std::optional<Clock::time_point> message_started_;
  std::atomic<size_t>* const buffered_;
  const size_t buffered_max_;
  size_t held_ = 0;  // bytes of an unfinished message (the part of *buffered_)
  std::string pending_;
  char buffer_[64 << 10];
  bool finished_ = false;
  bool live_ = false;
  bool writing_ = false;
  Status failure_;
  Clock::time_point last_sent_;
  std::shared_ptr<NewsLine> news_;
  uint64_t subscription_ = 0;
  const std::unique_ptr<tls::TlsChannel> channel_;  // null: plaintext
  const MakeEndpoint make_endpoint_;
  const std::string key_;  // proved by SPAKE2 when not empty
  const bool initiator_;
  std::unique_ptr<tls::Spake2> pake_;
};

Result<tcp::endpoint> Resolve(asio::io_context& io, const std::string& host,
                              uint16_t port) {
  std::error_code error;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), error);
  if (error || results.empty()) {
    return Status::InvalidArgument("cannot resolve " + host,
                                   error ? error.message() : "no address");
  }
  return results.begin()->endpoint();
}

// The identity key of `db` under `options`, made if missing.
std::string IdentityPath(const Database& db, const SyncOptions& options) {
  return options.identity_file.empty() ? db.path() + "/identity.key"
                                       : options.identity_file;
}

Result<std::shared_ptr<tls::TlsContext>> SecureContext(
    const Database& db, const SyncOptions& options) {
  return tls::TlsContext::ForKeyFile(IdentityPath(db, options));
}

using Grants = std::map<std::string, PeerGrant>;  // by canonical identity

Result<Grants> GrantsById(const std::vector<PeerGrant>& peers) {
  WEFT_RETURN_IF_ERROR(CheckPeers(peers));
  Grants grants;
  for (const PeerGrant& grant : peers) {
    PeerGrant canonical = grant;
    canonical.identity = *tls::ParseIdentity(grant.identity);  // checked
    grants[canonical.identity] = std::move(canonical);
  }
  return grants;
}

// How a peer is named in logs: its address, then its name or identity.
std::string PeerLabel(const std::string& address, const PeerGrant& grant) {
  std::string who = grant.name.empty() ? grant.identity.substr(0, 12) + "…"
                                       : EscapeForLog(grant.name, 64);
  return address + " (" + who + ")";
}

class TcpSyncServer : public SyncServer {
 public:
  TcpSyncServer(Database* db, const SyncOptions& options, SessionLog log)
      : db_(db),
        options_(options),
        log_(std::move(log)),
        acceptor_(io_),
        backoff_timer_(io_) {}

  ~TcpSyncServer() override { Stop(); }

  Status Listen(const std::string& address, uint16_t port) {
    WEFT_ASSIGN_OR_RETURN(tcp::endpoint endpoint, Resolve(io_, address, port));
    if (options_.key.empty() && options_.peers.empty() &&
        !endpoint.address().is_loopback()) {
      return Status::InvalidArgument(
          "sync: without peers (or a key), listen on a loopback address "
          "only (like 127.0.0.1); list the peers to listen on " +
          address);
    }
    if (!options_.peers.empty() || !options_.key.empty()) {
      WEFT_ASSIGN_OR_RETURN(context_, SecureContext(*db_, options_));
    }
    if (!options_.peers.empty()) WEFT_RETURN_IF_ERROR(SetPeers(options_.peers));
    std::error_code error;
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error)
      acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      return Status::IOError(
          "sync: cannot listen on " + address + ":" + std::to_string(port),
          error.message());
    }
    port_ = acceptor_.local_endpoint().port();
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
        limit.rlim_cur != RLIM_INFINITY) {
      descriptors_max_ = limit.rlim_cur;
    }
    Accept();
    thread_ = std::thread([this] { io_.run(); });
    return Status::OK();
  }

  uint16_t port() const override { return port_; }
  uint64_t sessions() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return sessions_;
  }
  std::vector<std::string> failures() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return {failures_.begin(), failures_.end()};
  }
  Status SetPeers(std::vector<PeerGrant> peers) override {
    if (!context_) {
      return Status::InvalidArgument(
          "sync: this server runs in the clear (started without peers or a "
          "key); start it with peers to check identities");
    }
    if (peers.empty()) {
      return Status::InvalidArgument(
          "sync: a server that checks identities needs at least one peer");
    }
    WEFT_ASSIGN_OR_RETURN(Grants grants, GrantsById(peers));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      grants_ = std::move(grants);
    }
    // Sessions of peers no longer let in (or no longer let write) end.
    asio::post(io_, [this] {
      for (const std::weak_ptr<Connection>& weak : connections_) {
        auto connection = weak.lock();
        if (!connection || connection->peer_id().empty()) continue;
        std::optional<PeerGrant> grant = GrantOf(connection->peer_id());
        if (!grant || !grant->may_write) {
          connection->End(Status::NotSupported(
              "sync: the peer's grant was revoked (peers file reread)"));
        }
      }
    });
    return Status::OK();
  }

  void Stop() override {
    if (!thread_.joinable()) return;
    io_.stop();
    thread_.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](std::error_code error, tcp::socket socket) {
      if (error == asio::error::operation_aborted) return;
      if (error) return BackOff(error);
      backoff_ = std::chrono::milliseconds(0);
      std::error_code ignored;
      if (Status low = KeepDescriptors(socket.native_handle()); !low.ok()) {
        socket.close(ignored);
        if (!short_of_descriptors_) Log("", low, SyncStats());
        short_of_descriptors_ = true;
        return Accept();
      }
      short_of_descriptors_ = false;
      std::string peer;
      auto remote = socket.remote_endpoint(ignored);
      if (!ignored) peer = remote.address().to_string();
      if (Status refused = Admit(peer); !refused.ok()) {
        socket.close(ignored);
        Log(peer, refused, SyncStats());
        return Accept();
      }
      auto label = std::make_shared<std::string>(peer);
      Secure secure;
      Result<std::unique_ptr<SyncEndpoint>> endpoint =
          context_ ? SecureParts(peer, label, &secure)
                   : db_->NewSyncEndpoint(false, options_);
      if (!endpoint.ok()) {
        Leave(peer);
        Log(peer, endpoint.status(), SyncStats());
        return Accept();
      }
      auto connection = std::make_shared<Connection>(
          std::move(socket), std::move(endpoint).value(), db_, options_,
          nullptr, nullptr,
          [this, peer, label](Status status, const SyncStats& stats) {
            Leave(peer);
            Log(*label, status, stats);
          },
          &buffered_, std::move(secure));
      std::erase_if(connections_, [](const std::weak_ptr<Connection>& weak) {
        return weak.expired();
      });
      connections_.push_back(connection);
      connection->Start();
      Accept();
    });
  }

  // Over TLS: the channel of a connection from `peer` (which names the
  // peer in *label once its identity is known) and how its endpoint is made
  // for its grant. Returns a null endpoint (made later), or why not.
  Result<std::unique_ptr<SyncEndpoint>> SecureParts(
      const std::string& peer, std::shared_ptr<std::string> label,
      Secure* secure) {
    auto admit = [this, peer, label](const std::string& id) -> Status {
      std::optional<PeerGrant> grant = GrantOf(id);
      if (!grant) {
        return Status::InvalidArgument("sync: refused: identity " + id +
                                       " is not among this server's peers");
      }
      *label = PeerLabel(peer, *grant);
      return Status::OK();
    };
    WEFT_ASSIGN_OR_RETURN(secure->channel,
                          tls::TlsChannel::New(context_, false, admit));
    secure->make_endpoint =
        [this](const std::string& id) -> Result<std::unique_ptr<SyncEndpoint>> {
      std::optional<PeerGrant> grant = GrantOf(id);
      if (!grant) {
        return Status::NotSupported("sync: the peer's grant was revoked");
      }
      SyncOptions options = options_;
      options.accept_changes = grant->may_write;
      options.key.clear();  // proved already, by SPAKE2
      return db_->NewSyncEndpoint(false, options);
    };
    secure->key = options_.key;
    return std::unique_ptr<SyncEndpoint>();
  }

  // Out of file descriptors (or another accept failure): a loop that
  // retried at once would spin a core while nothing can be accepted; wait,
  // longer each time (up to 1 s), and say so once.
  void BackOff(std::error_code error) {
    if (backoff_.count() == 0) {
      if (log_) {
        log_("",
             Status::IOError("sync: cannot accept connections",
                             error.message() + "; retrying"),
             SyncStats());
      }
    }
    backoff_ = std::min(std::chrono::milliseconds(1000),
                        std::max(std::chrono::milliseconds(10), backoff_ * 2));
    backoff_timer_.expires_after(backoff_);
    backoff_timer_.async_wait([this](std::error_code wait_error) {
      if (!wait_error) Accept();
    });
  }

  // A new connection whose descriptor is `fd`, or why it is refused:
  // connections may not take the last descriptors of the process, which
  // its database needs (table files, the log, the info log). A descriptor
  // is the lowest one free, so `fd` at or above the limit minus the
  // reserve means fewer than the reserve are left. A process at its limit
  // could not even open a file; refused at once, one descriptor at a time,
  // the peers cannot starve it (said once per such stretch).
  Status KeepDescriptors(int fd) const {
    if (descriptors_max_ == 0 || fd < 0) return Status::OK();
    uint64_t reserve = std::clamp<uint64_t>(descriptors_max_ / 8, 16, 256);
    if (static_cast<uint64_t>(fd) + reserve < descriptors_max_) {
      return Status::OK();
    }
    return Status::Busy(
        "sync: cannot accept connections: " + std::to_string(fd + 1) + " of " +
        std::to_string(descriptors_max_) +
        " file descriptors in use, and the last " + std::to_string(reserve) +
        " are kept for the database; refusing connections until some close");
  }

  // Counts a new connection from `peer`, or says which limit it is over.
  Status Admit(const std::string& peer) {
    if (open_ >= options_.max_connections) {
      return Status::Busy("sync: refused: " + std::to_string(open_) +
                          " connections open (the limit is " +
                          std::to_string(options_.max_connections) + ")");
    }
    uint32_t& from_peer = open_per_address_[peer];
    if (from_peer >= options_.max_connections_per_address) {
      return Status::Busy("sync: refused: " + std::to_string(from_peer) +
                          " connections open from this address (the limit "
                          "is " +
                          std::to_string(options_.max_connections_per_address) +
                          ")");
    }
    ++from_peer;
    ++open_;
    return Status::OK();
  }

  void Leave(const std::string& peer) {
    --open_;
    auto it = open_per_address_.find(peer);
    if (it != open_per_address_.end() && --it->second == 0) {
      open_per_address_.erase(it);
    }
  }

  // A server that checks no identities (only a key) grants every peer
  // that proves the key reading and writing.
  std::optional<PeerGrant> GrantOf(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (grants_.empty()) return PeerGrant{id, true, ""};
    auto it = grants_.find(id);
    if (it == grants_.end()) return std::nullopt;
    return it->second;
  }

  // A session (or a refused connection) ended.
  void Log(const std::string& peer, const Status& status,
           const SyncStats& stats) {
    if (log_) log_(peer, status, stats);
    std::lock_guard<std::mutex> lock(mutex_);
    ++sessions_;
    if (status.ok()) return;
    failures_.push_back(peer + ": " + status.ToString());
    if (failures_.size() > 100) failures_.pop_front();
  }

  Database* const db_;
  const SyncOptions options_;
  const SessionLog log_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer backoff_timer_;
  std::chrono::milliseconds backoff_{0};
  uint64_t descriptors_max_ = 0;  // the soft limit; 0: none
  bool short_of_descriptors_ = false;
  // Connections open, in all and per address; only the server's thread
  // touches them.
  uint32_t open_ = 0;
  std::map<std::string, uint32_t> open_per_address_;
  std::atomic<size_t> buffered_{0};
  std::thread thread_;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  uint64_t sessions_ = 0;
  std::deque<std::string> failures_;
  Grants grants_;                             // guarded by mutex_
  std::shared_ptr<tls::TlsContext> context_;  // null: no identities
  // The connections served (the server's thread only): SetPeers ends
  // those of revoked peers.
  std::vector<std::weak_ptr<Connection>> connections_;
};

}  // namespace

Result<SyncStats> SyncWith(Database& db, const std::string& host, uint16_t port,
                           const SyncOptions& options) {
  if (options.live && options.stop == nullptr) {
    return Status::InvalidArgument("live sync needs a stop flag");
  }
  std::string address = host + ":" + std::to_string(port);
  asio::io_context io;
  WEFT_ASSIGN_OR_RETURN(tcp::endpoint target, Resolve(io, host, port));
  tcp::socket socket(io);
  std::error_code connect_error = asio::error::timed_out;
  socket.async_connect(target,
                       [&](std::error_code error) { connect_error = error; });
  io.run_for(std::chrono::milliseconds(options.timeout_ms));
  if (connect_error) {
    return Status::IOError("sync: cannot connect to " + address,
                           connect_error.message());
  }
  io.restart();
  std::unique_ptr<SyncEndpoint> endpoint;
  Secure secure;
  if (options.peers.empty() && options.key.empty()) {
    WEFT_ASSIGN_OR_RETURN(endpoint, db.NewSyncEndpoint(true, options, address));
  } else {
    WEFT_ASSIGN_OR_RETURN(Grants grants, GrantsById(options.peers));
    WEFT_ASSIGN_OR_RETURN(std::shared_ptr<tls::TlsContext> context,
                          SecureContext(db, options));
    WEFT_ASSIGN_OR_RETURN(
        secure.channel,
        tls::TlsChannel::New(
            context, true, [grants, address](const std::string& id) {
              if (grants.empty() || grants.count(id)) {
                return Status::OK();  // a key alone: any identity
              }
              return Status::InvalidArgument("sync: the server at " + address +
                                             " has identity " + id +
                                             ", not one this replica accepts");
            }));
    SyncOptions inner = options;
    inner.key.clear();  // proved by SPAKE2 before the endpoint is made
    secure.make_endpoint = [&db, inner, address](const std::string&) {
      return db.NewSyncEndpoint(true, inner, address);
    };
    secure.key = options.key;
    secure.initiator = true;
  }
  Status result = Status::IOError("sync: the session did not end");
  SyncStats stats;
  std::make_shared<Connection>(
      std::move(socket), std::move(endpoint), &db, options,
      options.live ? options.stop : nullptr, options.progress,
      [&](Status status, const SyncStats& final) {
        result = status;
        stats = final;
      },
      nullptr, std::move(secure))
      ->Start();
  io.run();  // every wait has a deadline, so this ends
  if (!result.ok()) return result;
  return stats;
}

Result<std::unique_ptr<SyncServer>> SyncServer::Start(
    Database* db, const std::string& address, uint16_t port,
    const SyncOptions& options, SessionLog log) {
  auto server = std::make_unique<TcpSyncServer>(db, options, std::move(log));
  WEFT_RETURN_IF_ERROR(server->Listen(address, port));
  return std::unique_ptr<SyncServer>(std::move(server));
}

Result<std::string> ReplicaIdentity(const Database& db,
                                    const SyncOptions& options) {
  WEFT_ASSIGN_OR_RETURN(tls::Identity identity,
                        tls::LoadOrCreateIdentity(IdentityPath(db, options)));
  return identity.id;
}

}  // namespace weft
