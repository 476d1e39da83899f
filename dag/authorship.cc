// Signed authorship (format at the top of authorship.h).
#include "dag/authorship.h"

#include <openssl/evp.h>

#include <cstring>

#include "base/varint.h"
#include "dag/sha256.h"

namespace weft::dag {
namespace {

constexpr std::string_view kDomain{"weft authorship 1\0", 18};

std::string Message(const ActorId& actor, uint64_t seq, const Hash& chain) {
  std::string message(kDomain);
  message.append(actor.AsStringView());
  for (int shift = 56; shift >= 0; shift -= 8) {
    message.push_back(static_cast<char>(seq >> shift));
  }
  message.append(chain.AsStringView());
  return message;
}

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

ActorId ActorOfKey(std::string_view public_key) {
  Hash digest = Sha256(public_key);
  ActorId actor;
  std::memcpy(actor.bytes.data(), digest.bytes.data(), ActorId::kSize);
  return actor;
}

Hash ExtendChain(const Hash& chain, const Hash& change) {
  std::string both(chain.AsStringView());
  both.append(change.AsStringView());
  return Sha256(both);
}

bool VerifyAuthorship(std::string_view public_key, const ActorId& actor,
                      uint64_t seq, const Hash& chain,
                      std::string_view signature) {
  if (public_key.size() != kAuthorKeySize ||
      signature.size() != kSignatureSize) {
    return false;
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, Bytes(public_key), public_key.size());
  if (key == nullptr) return false;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  std::string message = Message(actor, seq, chain);
  bool valid =
      context != nullptr &&
      EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestVerify(context, Bytes(signature), signature.size(),
                       Bytes(message), message.size()) == 1;
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  return valid;
}

Result<std::unique_ptr<AuthorKey>> AuthorKey::FromSeed(std::string_view seed) {
  if (seed.size() != kAuthorKeySize) {
    return Status::InvalidArgument("an Ed25519 private key is 32 bytes");
  }
  std::unique_ptr<AuthorKey> author(new AuthorKey());
  author->key_ = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                              Bytes(seed), seed.size());
  author->public_key_.resize(kAuthorKeySize);
  size_t size = author->public_key_.size();
  if (author->key_ == nullptr ||
      EVP_PKEY_get_raw_public_key(
          author->key_,
          reinterpret_cast<unsigned char*>(author->public_key_.data()),
          &size) != 1 ||
      size != kAuthorKeySize) {
    return Status::InvalidArgument("not an Ed25519 private key");
  }
  author->actor_ = ActorOfKey(author->public_key_);
  return author;
}

AuthorKey::~AuthorKey() { EVP_PKEY_free(key_); }

std::string AuthorKey::Sign(uint64_t seq, const Hash& chain) const {
  std::string message = Message(actor_, seq, chain);
  std::string signature(kSignatureSize, '\0');
  size_t size = signature.size();
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  bool signed_ok =
      context != nullptr &&
      EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key_) == 1 &&
      EVP_DigestSign(context,
                     reinterpret_cast<unsigned char*>(signature.data()), &size,
                     Bytes(message), message.size()) == 1;
  EVP_MD_CTX_free(context);
  // Ed25519 signing of a valid key cannot fail but for memory; a wrong
  // signature is refused by every verifier, never taken for a right one.
  if (!signed_ok || size != kSignatureSize) signature.assign(kSignatureSize, 0);
  return signature;
}

std::string EncodeProofs(const std::vector<AuthorshipProof>& proofs) {
  std::string out;
  PutVarint(&out, proofs.size());
  for (const AuthorshipProof& proof : proofs) {
    out.append(proof.actor.AsStringView());
    PutVarint(&out, proof.seq);
    out.append(proof.signature);
    PutVarint(&out, proof.tail.size());
    for (const Hash& hash : proof.tail) out.append(hash.AsStringView());
  }
  return out;
}

Result<std::vector<AuthorshipProof>> DecodeProofs(std::string_view bytes,
                                                  size_t proofs_max) {
  uint64_t count;
  if (!GetVarint(&bytes, &count)) {
    return Status::Corruption("proofs: no count");
  }
  if (count > proofs_max) {
    return Status::InvalidArgument("proofs: " + std::to_string(count) +
                                   " proofs, over the limit of " +
                                   std::to_string(proofs_max));
  }
  constexpr size_t kProofBytesMin = ActorId::kSize + 1 + kSignatureSize + 1;
  if (count > bytes.size() / kProofBytesMin) {
    return Status::Corruption("proofs: cut");
  }
  std::vector<AuthorshipProof> proofs(count);
  size_t hashes = 0;
  for (AuthorshipProof& proof : proofs) {
    uint64_t tail_count;
    if (bytes.size() < ActorId::kSize) return Status::Corruption("proofs: cut");
    std::memcpy(proof.actor.bytes.data(), bytes.data(), ActorId::kSize);
    bytes.remove_prefix(ActorId::kSize);
    if (!GetVarint(&bytes, &proof.seq) || proof.seq == 0 ||
        bytes.size() < kSignatureSize) {
      return Status::Corruption("proofs: malformed proof");
    }
    proof.signature = std::string(bytes.substr(0, kSignatureSize));
    bytes.remove_prefix(kSignatureSize);
    if (!GetVarint(&bytes, &tail_count) || tail_count >= proof.seq) {
      return Status::Corruption("proofs: malformed tail");
    }
    hashes += tail_count;
    if (hashes > kProofTailMax) {
      return Status::InvalidArgument(
          "proofs: over " + std::to_string(kProofTailMax) + " tail hashes");
    }
    if (bytes.size() < tail_count * Hash::kSize) {
      return Status::Corruption("proofs: cut tail");
    }
    proof.tail.resize(tail_count);
    for (Hash& hash : proof.tail) {
      hash = Hash::FromBytes(bytes.substr(0, Hash::kSize));
      bytes.remove_prefix(Hash::kSize);
    }
  }
  if (!bytes.empty()) return Status::Corruption("proofs: trailing bytes");
  return proofs;
}

}  // namespace weft::dag
