#include "dag/sha256.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace weft::dag {

Hash Sha256(std::string_view bytes) {
  Hash hash;
  // The one-shot call picks SHA-NI where the CPU has it.
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         hash.bytes.data());
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
