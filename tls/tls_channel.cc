// TlsChannel over OpenSSL memory BIOs (see tls_channel.h).
#include "tls/tls_channel.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <deque>
#include <mutex>

namespace weft::tls {
namespace {

// The slot of an SSL object that points back at its TlsChannel.
int ChannelIndex() {
  static const int index =
      SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's reasons since the last ClearErrors, for a message.
std::string OpenSslErrors() {
  std::string reasons;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  }
  return reasons.empty() ? "no reason given" : reasons;
}

// A self-signed certificate of `key`: only its key matters to the peer,
// which pins the key's identity; names and dates are there for tools.
X509* SelfSignedCertificate(EVP_PKEY* key, const std::string& id) {
  X509* cert = X509_new();
  if (cert == nullptr) return nullptr;
  X509_NAME* name = X509_get_subject_name(cert);
  bool made =
      X509_set_version(cert, 2) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert), -24 * 3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert), 20L * 365 * 24 * 3600) !=
          nullptr &&
      X509_set_pubkey(cert, key) == 1 &&
      X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(id.c_str()), -1, -1, 0) == 1 &&
      X509_set_issuer_name(cert, name) == 1 &&
      X509_sign(cert, key, nullptr) > 0;  // Ed25519 takes no digest
  if (!made) {
    X509_free(cert);
    return nullptr;
  }
  return cert;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::New(const Identity& identity) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) return Status::IOError("TLS: " + OpenSslErrors());
  X509* cert = SelfSignedCertificate(identity.key.get(), identity.id);
  bool ready = cert != nullptr &&
               SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
               SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1 &&
               SSL_CTX_use_certificate(ctx, cert) == 1 &&
               SSL_CTX_use_PrivateKey(ctx, identity.key.get()) == 1 &&
               SSL_CTX_check_private_key(ctx) == 1 &&
               SSL_CTX_set_num_tickets(ctx, 0) == 1;
  X509_free(cert);  // the context holds its own reference
  if (!ready) {
    SSL_CTX_free(ctx);
    return Status::IOError("TLS: cannot set up the context: " +
                           OpenSslErrors());
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_max_cert_list(ctx, 16 << 10);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     &TlsChannel::VerifyPeer);
  return std::shared_ptr<TlsContext>(new TlsContext(ctx, identity.id));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<TlsContext>> TlsContext::ForKeyFile(
    const std::string& path) {
  struct Cached {
    std::string path;
    struct stat file;
    std::shared_ptr<TlsContext> context;
  };
  static std::mutex mutex;
  static std::deque<Cached> cache;  // most recent last, at most 8
  auto same = [](const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
           a.st_size == b.st_size && a.st_mode == b.st_mode &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
           a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
  };
  struct stat now;
  bool exists = ::stat(path.c_str(), &now) == 0;
  std::lock_guard<std::mutex> lock(mutex);
  if (exists) {
    for (const Cached& entry : cache) {
      if (entry.path == path && same(entry.file, now)) return entry.context;
    }
  }
  WEFT_ASSIGN_OR_RETURN(Identity identity, LoadOrCreateIdentity(path));
  WEFT_ASSIGN_OR_RETURN(std::shared_ptr<TlsContext> context, New(identity));
  if (::stat(path.c_str(), &now) == 0) {
    std::erase_if(cache,
                  [&](const Cached& entry) { return entry.path == path; });
    cache.push_back(Cached{path, now, context});
    if (cache.size() > 8) cache.pop_front();
  }
  return context;
}

Result<std::unique_ptr<TlsChannel>> TlsChannel::New(
    std::shared_ptr<TlsContext> context, bool initiator, AcceptPeer accept) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context->ssl_ctx());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (ssl == nullptr || in == nullptr || out == nullptr) {
    SSL_free(ssl);
    BIO_free(in);
    BIO_free(out);
    return Status::IOError("TLS: " + OpenSslErrors());
  }
  BIO_set_mem_eof_return(in, -1);  // no bytes yet means "wait", not EOF
  SSL_set_bio(ssl, in, out);       // the SSL owns both now
  std::unique_ptr<TlsChannel> channel(
      new TlsChannel(std::move(context), ssl, std::move(accept)));
  SSL_set_ex_data(ssl, ChannelIndex(), channel.get());
  if (initiator) {
    SSL_set_connect_state(ssl);
    SSL_do_handshake(ssl);  // writes the ClientHello, then wants to read
  } else {
    SSL_set_accept_state(ssl);
  }
  return channel;
}

TlsChannel::TlsChannel(std::shared_ptr<TlsContext> context, SSL* ssl,
                       AcceptPeer accept)
    : context_(std::move(context)), ssl_(ssl), accept_(std::move(accept)) {}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

// Called by the handshake for each certificate the peer presents. The
// peer's key is its identity: a certificate authority's word counts for
// nothing, so the chain's own verdict (a self-signed certificate is an
// error to it) is ignored, and the peer's key is checked against the
// identities to accept. TLS 1.3's CertificateVerify then proves the peer
// holds that key.
int TlsChannel::VerifyPeer(int /*preverified*/, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* channel =
      static_cast<TlsChannel*>(SSL_get_ex_data(ssl, ChannelIndex()));
  if (channel == nullptr) return 0;
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;  // only the leaf
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  EVP_PKEY* key = cert == nullptr ? nullptr : X509_get0_pubkey(cert);
  std::string raw(32, '\0');
  size_t size = raw.size();
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519 ||
      EVP_PKEY_get_raw_public_key(
          key, reinterpret_cast<unsigned char*>(raw.data()), &size) != 1) {
    channel->refusal_ =
        Status::InvalidArgument("the peer's key is not an Ed25519 identity");
    return 0;
  }
  std::string id = IdentityOf(raw);
  Status accepted = channel->accept_(id);
  if (!accepted.ok()) {
    channel->refusal_ = accepted;
    return 0;
  }
  channel->peer_id_ = std::move(id);
  return 1;
}

Status TlsChannel::Fail(const std::string& what) {
  failed_ = true;
  if (!refusal_.ok()) return refusal_;
  std::string reasons = OpenSslErrors();
  std::string hint;
  if (!established_ &&
      (reasons.find("wrong version number") != std::string::npos ||
       reasons.find("packet length too long") != std::string::npos ||
       reasons.find("unexpected eof") != std::string::npos)) {
    hint =
        " (the peer does not speak TLS: where identities or a key are set, "
        "sync in the clear is refused)";
  }
  return Status::IOError("sync: " + what + hint, reasons);
}

Status TlsChannel::Feed(std::string_view ciphertext, std::string* plaintext) {
  if (failed_) return Status::IOError("sync: the secure channel has failed");
  ERR_clear_error();
  BIO_write(SSL_get_rbio(ssl_), ciphertext.data(),
            static_cast<int>(ciphertext.size()));
  if (!established_) {
    int done = SSL_do_handshake(ssl_);
    if (done != 1) {
      int error = SSL_get_error(ssl_, done);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        return Status::OK();
      }
      return Fail("the TLS handshake failed");
    }
    if (peer_id_.empty()) {  // no certificate was checked: never go on
      failed_ = true;
      return Status::InvalidArgument("sync: the peer presented no identity");
    }
    established_ = true;
    WEFT_RETURN_IF_ERROR(Flush());
  }
  char buffer[16 << 10];
  while (!peer_closed_) {
    int got = SSL_read(ssl_, buffer, sizeof(buffer));
    if (got > 0) {
      plaintext->append(buffer, static_cast<size_t>(got));
      continue;
    }
    int error = SSL_get_error(ssl_, got);
    if (error == SSL_ERROR_WANT_READ) break;
    if (error == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      break;
    }
    return Fail("the secure channel failed");
  }
  return Status::OK();
}

Status TlsChannel::Send(std::string_view plaintext) {
  if (failed_) return Status::IOError("sync: the secure channel has failed");
  queued_.append(plaintext);
  return established_ ? Flush() : Status::OK();
}

Status TlsChannel::Flush() {
  if (queued_.empty()) return Status::OK();
  ERR_clear_error();
  int wrote = SSL_write(ssl_, queued_.data(), static_cast<int>(queued_.size()));
  if (wrote <= 0 || static_cast<size_t>(wrote) != queued_.size()) {
    return Fail("writing to the secure channel failed");
  }
  queued_.clear();
  return Status::OK();
}

Result<std::string> TlsChannel::Exporter(std::string_view label) const {
  std::string value(32, '\0');
  if (!established_ ||
      SSL_export_keying_material(
          ssl_, reinterpret_cast<unsigned char*>(value.data()), value.size(),
          label.data(), label.size(), nullptr, 0, 0) != 1) {
    ERR_clear_error();
    return Status::IOError("TLS: no exporter value");
  }
  return value;
}

void TlsChannel::Close() {
  if (established_ && !failed_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
  }
}

std::string TlsChannel::TakeOutput() {
  BIO* out = SSL_get_wbio(ssl_);
  std::string bytes(BIO_ctrl_pending(out), '\0');
  if (!bytes.empty()) {
    int got = BIO_read(out, bytes.data(), static_cast<int>(bytes.size()));
    bytes.resize(got > 0 ? static_cast<size_t>(got) : 0);
  }
  return bytes;
}

}  // namespace weft::tls
