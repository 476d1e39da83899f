#include "tests/testutil/authors.h"

#include <map>
#include <memory>
#include <mutex>
#include <random>

namespace weft::testing {
namespace {

struct TestAuthor {
  std::unique_ptr<dag::AuthorKey> key;
  std::map<uint64_t, Hash> made;  // seq -> the change last made there
};

std::mutex mutex;
std::map<uint64_t, TestAuthor>& Authors() {
  static auto* authors = new std::map<uint64_t, TestAuthor>();
  return *authors;
}

TestAuthor& AuthorLocked(uint64_t seed) {
  TestAuthor& author = Authors()[seed];
  if (author.key == nullptr) {
    std::mt19937_64 rng(seed);
    std::string bytes(32, '\0');
    for (char& byte : bytes) byte = static_cast<char>(rng());
    author.key = std::move(dag::AuthorKey::FromSeed(bytes).value());
  }
  return author;
}

}  // namespace

const dag::AuthorKey& AuthorFromSeed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex);
  return *AuthorLocked(seed).key;
}

dag::EncodedChange MakeSigned(uint64_t seed, Change change) {
  std::lock_guard<std::mutex> lock(mutex);
  TestAuthor& author = AuthorLocked(seed);
  change.actor = author.key->actor();
  change.author_key = change.seq == 1 ? author.key->public_key() : "";
  dag::EncodedChange encoded = dag::EncodeChange(change);
  author.made[change.seq] = encoded.hash;
  return encoded;
}

std::vector<dag::AuthorshipProof> ProofsOf(std::string_view bytes) {
  ActorId actor;
  uint64_t seq = 0;
  if (!dag::PeekAuthor(bytes, &actor, &seq).ok()) return {};
  std::lock_guard<std::mutex> lock(mutex);
  for (auto& [seed, author] : Authors()) {
    if (author.key->actor() != actor) continue;
    Hash chain;
    for (uint64_t at = 1; at <= seq; ++at) {
      auto made = author.made.find(at);
      if (made == author.made.end()) return {};
      chain = dag::ExtendChain(chain, made->second);
    }
    return {{actor, seq, author.key->Sign(seq, chain), {}}};
  }
  return {};
}

std::string EncodedProofsOf(std::string_view bytes) {
  return dag::EncodeProofs(ProofsOf(bytes));
}

}  // namespace weft::testing
