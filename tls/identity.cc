// Identity key files (format at the top of identity.h).
#include "tls/identity.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "weft/sync.h"

namespace weft::tls {
namespace {

constexpr size_t kKeyFileBytesMax = 64 << 10;
constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path, std::strerror(errno));
}

Result<std::string> RawPublicKey(EVP_PKEY* key) {
  std::string raw(32, '\0');
  size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(
          key, reinterpret_cast<unsigned char*>(raw.data()), &size) != 1 ||
      size != raw.size()) {
    return Status::InvalidArgument("not an Ed25519 key");
  }
  return raw;
}

Result<Identity> FromKey(KeyPointer key) {
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument("not an Ed25519 key");
  }
  WEFT_ASSIGN_OR_RETURN(std::string raw, RawPublicKey(key.get()));
  Identity identity;
  identity.id = IdentityOf(raw);
  identity.public_key = std::move(raw);
  identity.key = std::move(key);
  return identity;
}

// The whole file, refused unless it is a regular file of its owner only.
Result<std::string> ReadKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Status::NotFound("no identity key at " + path);
    }
    return Errno("cannot open the identity key", path);
  }
  struct stat info;
  std::string text;
  Status status;
  if (::fstat(fd, &info) != 0) {
    status = Errno("cannot stat the identity key", path);
  } else if (S_ISDIR(info.st_mode)) {
    status = Status::InvalidArgument("the identity key " + path +
                                     " is a directory, not a key file");
  } else if (!S_ISREG(info.st_mode)) {
    status = Status::InvalidArgument("the identity key " + path +
                                     " is not a regular file");
  } else if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", info.st_mode & 0777);
    status = Status::NotSupported(
        "the identity key " + path + " is readable by others (mode " + mode +
        "); only its owner may read it: chmod 600 " + path);
  } else if (static_cast<uint64_t>(info.st_size) > kKeyFileBytesMax) {
    status = Status::InvalidArgument("the identity key " + path +
                                     " is too large to be a key (" +
                                     std::to_string(info.st_size) + " bytes)");
  } else {
    text.resize(static_cast<size_t>(info.st_size));
    ssize_t got = ::read(fd, text.data(), text.size());
    if (got < 0) status = Errno("cannot read the identity key", path);
    if (got >= 0) text.resize(static_cast<size_t>(got));
  }
  ::close(fd);
  if (!status.ok()) return status;
  if (text.empty()) {
    return Status::InvalidArgument("the identity key " + path + " is empty");
  }
  return text;
}

Result<std::string> EncodePem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0,
                                                 nullptr, nullptr) != 1) {
    BIO_free(bio);
    return Status::IOError("cannot encode an Ed25519 key");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

Status WriteKeyFile(const std::string& path, const std::string& pem) {
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create the identity key", temp);
  bool written =
      ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temp.c_str(), path.c_str()) != 0) {
    Status status = Errno("cannot write the identity key", path);
    ::unlink(temp.c_str());
    return status;
  }
  return Status::OK();
}

}  // namespace

void KeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

std::string IdentityOf(std::string_view public_key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(public_key.data()),
         public_key.size(), digest);
  std::string id;
  uint32_t bits = 0;
  int held = 0;
  for (unsigned char byte : digest) {
    bits = bits << 8 | byte;
    held += 8;
    while (held >= 5) {
      id.push_back(kBase32[(bits >> (held - 5)) & 31]);
      held -= 5;
    }
  }
  if (held > 0) id.push_back(kBase32[(bits << (5 - held)) & 31]);
  return id;
}

Result<std::string> ParseIdentity(std::string_view text) {
  std::string id;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (std::strchr(kBase32, lower) == nullptr || lower == '\0') {
      return Status::InvalidArgument(
          "an identity is 52 letters a-z and digits 2-7; this one holds '" +
          EscapeForLog(std::string(1, c), 8) + "'");
    }
    id.push_back(lower);
  }
  if (id.size() != kIdentityChars) {
    return Status::InvalidArgument("an identity is 52 characters; this one " +
                                   std::to_string(id.size()));
  }
  return id;
}

Result<Identity> LoadIdentity(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(std::string pem, ReadKeyFile(path));
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return Status::IOError("out of memory reading a key");
  KeyPointer key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key) {
    return Status::InvalidArgument(
        "the identity key " + path +
        " is not a PEM private key (-----BEGIN PRIVATE KEY-----)");
  }
  Result<Identity> identity = FromKey(std::move(key));
  if (!identity.ok()) {
    return Status::InvalidArgument("the identity key " + path + " is " +
                                   identity.status().message() +
                                   " (weft keys are Ed25519)");
  }
  return identity;
}

Result<std::string> PrivateSeed(const Identity& identity) {
  std::string seed(32, '\0');
  size_t size = seed.size();
  if (EVP_PKEY_get_raw_private_key(
          identity.key.get(), reinterpret_cast<unsigned char*>(seed.data()),
          &size) != 1 ||
      size != seed.size()) {
    return Status::InvalidArgument("not an Ed25519 private key");
  }
  return seed;
}

Result<Identity> LoadOrCreateIdentity(const std::string& path) {
  Result<Identity> loaded = LoadIdentity(path);
  if (!loaded.status().IsNotFound()) return loaded;
  KeyPointer key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return Status::IOError("cannot make an Ed25519 key");
  WEFT_ASSIGN_OR_RETURN(std::string pem, EncodePem(key.get()));
  WEFT_RETURN_IF_ERROR(WriteKeyFile(path, pem));
  return FromKey(std::move(key));
}

Status CopyIdentity(const Identity& identity, const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(std::string pem, EncodePem(identity.key.get()));
  return WriteKeyFile(path, pem);
}

}  // namespace weft::tls
