// TlsChannel: one end of a TLS 1.3 connection as a state machine over
// bytes, like the sync session it carries (no socket here): feed it what
// arrived, send what it gives. Both ends present a self-signed certificate
// of their identity key (tls/identity.h), and each accepts the other only
// if the identity of the key it presents is one it was told to accept: a
// pinned key, as Syncthing pins device ids, with no certificate authority.
//
// TLS 1.3 only, no session tickets, no resumption, no renegotiation; a
// record that fails its authentication ends the channel. The end of the
// stream must be a close_notify: a connection closed without one was cut
// (a truncation), which the transport reports as an error.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tls/identity.h"
#include "weft/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_store_ctx_st X509_STORE_CTX;

namespace weft::tls {

// Tells whether the peer of identity `id` may go on; the Status (when not
// OK) is why not, and ends the handshake.
using AcceptPeer = std::function<Status(const std::string& id)>;

// What every channel of one replica shares: its key and certificate.
class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> New(const Identity& identity);
  // The context of the key at `path` (made there if missing). Reading a key
  // and setting up a context costs milliseconds in OpenSSL 3, so the
  // contexts of the last few key files are kept, each reused while the
  // file's inode, size, time and mode are unchanged (a chmod or a new key
  // is read afresh, with all of LoadIdentity's checks).
  static Result<std::shared_ptr<TlsContext>> ForKeyFile(
      const std::string& path);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* ssl_ctx() const { return ctx_; }
  const std::string& id() const { return id_; }

 private:
  TlsContext(SSL_CTX* ctx, std::string id) : ctx_(ctx), id_(std::move(id)) {}
  SSL_CTX* const ctx_;
  const std::string id_;
};

class TlsChannel {
 public:
  // `initiator`: the end that connected (the TLS client).
  static Result<std::unique_ptr<TlsChannel>> New(
      std::shared_ptr<TlsContext> context, bool initiator, AcceptPeer accept);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Takes bytes from the peer; appends what they decrypt to *plaintext.
  // An error (a record that fails authentication, a refused identity, a
  // peer that does not speak TLS) ends the channel; its alert, if any, is
  // in the output.
  Status Feed(std::string_view ciphertext, std::string* plaintext);
  // Queues plaintext for the peer (held until the handshake is done).
  Status Send(std::string_view plaintext);
  // Sends a close_notify: the stream ends here.
  void Close();
  // The bytes to send to the peer.
  std::string TakeOutput();

  bool established() const { return established_; }
  // The peer's close_notify arrived: it sends nothing more.
  bool peer_closed() const { return peer_closed_; }
  // Once established: the identity of the peer's key.
  const std::string& peer_id() const { return peer_id_; }
  // Once established: 32 bytes of the channel's exporter under `label`
  // (RFC 8446 section 7.5): equal at both ends of this connection only.
  Result<std::string> Exporter(std::string_view label) const;

  // The handshake's check of the peer's certificate (OpenSSL's verify
  // callback, set on every TlsContext).
  static int VerifyPeer(int preverified, X509_STORE_CTX* store);

 private:
  TlsChannel(std::shared_ptr<TlsContext> context, SSL* ssl, AcceptPeer accept);
  Status Fail(const std::string& what);
  Status Flush();

  const std::shared_ptr<TlsContext> context_;
  SSL* const ssl_;
  const AcceptPeer accept_;
  std::string queued_;  // plaintext waiting for the handshake
  std::string peer_id_;
  Status refusal_;  // why VerifyPeer refused the peer
  bool established_ = false;
  bool peer_closed_ = false;
  bool failed_ = false;
};

}  // namespace weft::tls
