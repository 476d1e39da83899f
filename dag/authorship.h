// Signed authorship: which key wrote a change (format: dag/FORMAT.md,
// "Signed authorship").
//
// An actor is named by its Ed25519 public key: ActorOfKey. Its first change
// (seq 1) carries the key. Each actor's changes form a chain by seq, whose
// digest after seq s is
//
//   chain(0) = 32 zero bytes
//   chain(s) = SHA-256(chain(s - 1) || hash of the actor's change s)
//
// and a proof is the actor's signature over
//
//   "weft authorship 1\0" || actor (16) || seq (u64 big-endian) || chain(seq)
//
// which vouches for all of the actor's changes 1..seq at once. A proof that
// travels with changes ending at seq t < s carries `tail`, the hashes of
// the actor's changes t+1..s, so the receiver can extend its chain to s
// without those changes. Signing and verifying cost tens of microseconds, a
// commit a few: proofs are made for runs of changes, not for each one.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/change.h"
#include "weft/hash.h"
#include "weft/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace weft::dag {

constexpr size_t kAuthorKeySize = 32;       // an Ed25519 public key
constexpr size_t kSignatureSize = 64;       // an Ed25519 signature
constexpr size_t kProofTailMax = 1u << 16;  // hashes one proof may carry

// The actor `public_key` names: the first 16 bytes of its SHA-256.
ActorId ActorOfKey(std::string_view public_key);

// The actor's chain digest after adding its next change, `change`.
Hash ExtendChain(const Hash& chain, const Hash& change);

// True if `signature` is `public_key`'s over (actor, seq, chain).
bool VerifyAuthorship(std::string_view public_key, const ActorId& actor,
                      uint64_t seq, const Hash& chain,
                      std::string_view signature);

// A private key that signs its actor's chains. Thread-safe.
class AuthorKey {
 public:
  // From the 32-byte Ed25519 seed (the raw private key).
  static Result<std::unique_ptr<AuthorKey>> FromSeed(std::string_view seed);
  ~AuthorKey();
  AuthorKey(const AuthorKey&) = delete;
  AuthorKey& operator=(const AuthorKey&) = delete;

  const std::string& public_key() const { return public_key_; }
  const ActorId& actor() const { return actor_; }
  // This key's signature over (actor(), seq, chain).
  std::string Sign(uint64_t seq, const Hash& chain) const;

 private:
  AuthorKey() = default;
  EVP_PKEY* key_ = nullptr;
  std::string public_key_;
  ActorId actor_;
};

// A signature over an actor's chain at `seq`, with the hashes of its changes
// seq - tail.size() + 1 .. seq that the changes it comes with do not hold.
struct AuthorshipProof {
  ActorId actor;
  uint64_t seq = 0;
  std::string signature;
  std::vector<Hash> tail;
  friend bool operator==(const AuthorshipProof&,
                         const AuthorshipProof&) = default;
};

// proofs := varint count, count x (actor (16), varint seq, signature (64),
//           varint tail count, tail count x hash (32))
std::string EncodeProofs(const std::vector<AuthorshipProof>& proofs);
// Corruption for anything malformed or trailing; InvalidArgument over
// `proofs_max` proofs or kProofTailMax hashes in all.
Result<std::vector<AuthorshipProof>> DecodeProofs(std::string_view bytes,
                                                  size_t proofs_max);

}  // namespace weft::dag
