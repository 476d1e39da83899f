// A replica's identity: a long-lived Ed25519 key pair, whose public half
// names the replica to its peers (the way Syncthing's device ids do).
//
// The key file is a PEM "PRIVATE KEY" (PKCS #8, unencrypted), readable by
// its owner only. Its identity is the 52-character lower-case base32 (RFC
// 4648, no padding) of SHA-256 over the 32 raw bytes of the public key.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "weft/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace weft::tls {

constexpr size_t kIdentityChars = 52;

// Owns an OpenSSL key.
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using KeyPointer = std::unique_ptr<EVP_PKEY, KeyDeleter>;

struct Identity {
  KeyPointer key;          // the private key
  std::string public_key;  // its 32 raw public bytes
  std::string id;          // IdentityOf(public_key)
};

// The identity that names `public_key` (32 raw Ed25519 bytes).
std::string IdentityOf(std::string_view public_key);

// An identity as a person may write it (either case; dashes and spaces
// ignored), in the canonical form. InvalidArgument naming what is wrong.
Result<std::string> ParseIdentity(std::string_view text);

// Reads the key at `path`. Errors say which problem it is: NotFound (no
// file), InvalidArgument (a directory, empty, not a PEM Ed25519 private
// key, over 64 KiB) and NotSupported (readable by others than its owner:
// group or world permission bits set).
Result<Identity> LoadIdentity(const std::string& path);

// The 32-byte Ed25519 seed (the raw private key) of `identity`.
Result<std::string> PrivateSeed(const Identity& identity);

// LoadIdentity, or, when there is no file at `path`, makes a new key and
// writes it there (mode 0600, written to a temp file, synced and renamed).
Result<Identity> LoadOrCreateIdentity(const std::string& path);

// Writes `identity`'s key to a new file at `path` as LoadOrCreateIdentity
// does (a backup's copy).
Status CopyIdentity(const Identity& identity, const std::string& path);

}  // namespace weft::tls
