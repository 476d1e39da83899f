#include "dag/sha256.h"

#include <openssl/evp.h>

namespace weft::dag {

namespace {

// OpenSSL 3's one-shot SHA256() fetches the algorithm and allocates a
// context on every call: ~0.45 us, several times the hashing of a typical
// change (log_bench BM_Sha256/64). The algorithm is fetched once, and each
// thread keeps one context. (OpenSSL picks SHA-NI where the CPU has it.)
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const algorithm = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return algorithm;
}

struct ThreadContext {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  ~ThreadContext() { EVP_MD_CTX_free(context); }
};

}  // namespace

Hash Sha256(std::string_view bytes) {
  thread_local ThreadContext thread;
  Hash hash;
  EVP_DigestInit_ex2(thread.context, Sha256Algorithm(), nullptr);
  EVP_DigestUpdate(thread.context, bytes.data(), bytes.size());
  EVP_DigestFinal_ex(thread.context, hash.bytes.data(), nullptr);
  return hash;
}

struct Sha256Stream::State {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(context); }
};

Sha256Stream::Sha256Stream() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr);
}

Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::Update(std::string_view bytes) {
  EVP_DigestUpdate(state_->context, bytes.data(), bytes.size());
}

Hash Sha256Stream::Finish() {
  Hash hash;
  EVP_DigestFinal_ex(state_->context, hash.bytes.data(), nullptr);
  return hash;
}

}  // namespace weft::dag
