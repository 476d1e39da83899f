// Proofs of authorship from a peer (dag/authorship.h): any bytes decode or
// fail with a Status, and what decodes re-encodes to the same proofs. Then
// they are offered with three genuine changes of a fixed author to a fresh
// log: it stores them only if the proofs truly vouch for them (verify then
// agrees), and otherwise stores nothing.
#include <memory>

#include "dag/authorship.h"
#include "dag/change_codec.h"
#include "engine/log/change_log.h"
#include "storage/memory_kv_store.h"

namespace {

using namespace weft;

const dag::AuthorKey& Author() {
  static const std::unique_ptr<dag::AuthorKey> author =
      std::move(dag::AuthorKey::FromSeed(std::string(32, '\7')).value());
  return *author;
}

const std::vector<dag::RunChange>& Changes() {
  static const std::vector<dag::RunChange> changes = [] {
    std::vector<dag::RunChange> made;
    Hash parent;
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      Change change;
      change.actor = Author().actor();
      if (seq == 1) change.author_key = Author().public_key();
      change.seq = seq;
      change.start_op = seq;
      if (seq > 1) change.parents = {parent};
      dag::EncodedChange encoded = dag::EncodeChange(change);
      parent = encoded.hash;
      made.push_back(dag::RunChange{encoded.hash, encoded.bytes, change});
    }
    return made;
  }();
  return changes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Result<std::vector<dag::AuthorshipProof>> proofs =
      engine::DecodeOfferedProofs(bytes, Changes().size());
  if (!proofs.ok()) return 0;
  // Varints may come overlong; what they say must survive a round trip.
  if (!bytes.empty()) {
    auto again = engine::DecodeOfferedProofs(dag::EncodeProofs(*proofs),
                                             Changes().size());
    if (!again.ok() || *again != *proofs) abort();
  }

  static const std::unique_ptr<dag::AuthorKey> replica =
      std::move(dag::AuthorKey::FromSeed(std::string(32, '\1')).value());
  auto store = storage::NewMemoryKvStore();
  auto log = engine::ChangeLog::Open(store.get(), Options(), replica.get(),
                                     [] { return int64_t{1}; });
  if (!log.ok()) abort();
  Result<uint64_t> stored = (*log)->ReceiveAll(Changes(), *proofs, {});
  uint64_t length = (*log)->LogLength();
  if (!stored.ok() && length != 0) abort();  // half of a batch stored
  if (stored.ok()) {
    if (length != Changes().size()) abort();
    Result<VerifyReport> report = (*log)->Verify();
    if (!report.ok() || !report->ok()) abort();
  }
  return 0;
}
