// What the read side reads back from disk: the views family (definitions,
// build states and rows of an index, an aggregate and a projection), damaged
// by the input, under an engine that then starts, scans, digests, finds,
// verifies and commits. Each of those must answer with a Status (Corruption
// for damaged bytes); a throw or a crash is a finding.
//
// Input: records of [kind selector][view selector][key suffix length]
// [key suffix][value length, 2 bytes][value]; kind 'x' deletes the key.
// Each input starts from the same pristine store (copied, in memory).
#include <memory>
#include <string>

#include "dag/authorship.h"
#include "engine/engine.h"
#include "engine/views/view_keys.h"
#include "fuzz/fuzz_util.h"
#include "storage/kv_store.h"
#include "storage/memory_kv_store.h"
#include "weft/transaction.h"

namespace weft::fuzz {
namespace {

using storage::Family;
using storage::KvStore;

const char* const kViewNames[] = {"by_n", "totals", "titles"};

engine::World FixedWorld() {
  return engine::World{[] { return int64_t{1700000000000}; },
                       [](uint8_t* out, size_t size) {
                         for (size_t i = 0; i < size; ++i) out[i] = 7;
                         return Status::OK();
                       }};
}

Result<std::unique_ptr<engine::Engine>> StartEngine(KvStore* store) {
  static const std::unique_ptr<dag::AuthorKey> author =
      std::move(dag::AuthorKey::FromSeed(std::string(32, '\1')).value());
  engine::World world = FixedWorld();
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<engine::ChangeLog> log,
                        engine::ChangeLog::Open(store, Options(), author.get(),
                                                world.wall_clock_ms));
  auto engine = std::make_unique<engine::Engine>(store, std::move(log),
                                                 Options(), std::move(world));
  WEFT_RETURN_IF_ERROR(engine->Start());
  return engine;
}

void CopyStore(KvStore* from, KvStore* to) {
  auto batch = to->NewBatch();
  for (int family = 0; family < storage::kFamilyCount; ++family) {
    auto it = from->NewIterator(static_cast<Family>(family));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      batch->Put(static_cast<Family>(family), it->key(), it->value());
    }
  }
  if (!to->Write(batch.get(), false).ok()) abort();
}

// Six documents with the three views built over them.
std::unique_ptr<KvStore> MakePristine() {
  std::unique_ptr<KvStore> store = storage::NewMemoryKvStore();
  auto engine = StartEngine(store.get());
  if (!engine.ok()) abort();
  for (int doc = 0; doc < 6; ++doc) {
    auto txn = (*engine)->Begin();
    std::string name = "todos/" + std::to_string(doc);
    txn->Set(name, "n", int64_t{doc % 3})
        .Set(name, "g", std::string(doc % 2 ? "odd" : "even"))
        .Set(name, "title", "t" + std::to_string(doc));
    if (!txn->Commit().ok()) abort();
  }
  const char* const definitions[] = {
      R"({"name": "by_n", "kind": "index", "collection": "todos",
          "fields": ["n", "title"]})",
      R"({"name": "totals", "kind": "aggregate", "collection": "todos",
          "aggregate_field": "n", "group_by": "g"})",
      R"({"name": "titles", "kind": "projection", "collection": "todos",
          "fields": ["title"], "filter": {"n": {"$gte": 1}}})"};
  for (const char* json : definitions) {
    auto definition = ViewDefinition::FromJson(json);
    if (!definition.ok() || !(*engine)->CreateView(*definition, nullptr).ok()) {
      abort();
    }
  }
  return store;
}

std::string KeyOf(char kind, const std::string& view, std::string_view tail) {
  namespace keys = engine::view_keys;
  std::string key = kind == keys::kDefinition || kind == keys::kBuildState
                        ? keys::MetaKey(kind, view)
                        : keys::RowPrefix(kind, view);
  key.append(tail);
  return key;
}

// Everything the read side does with the damaged rows; the outcomes are
// Statuses, checked only for not crashing.
void Exercise(engine::Engine* engine) {
  for (const char* name : kViewNames) {
    engine->ScanView(name, [](const ViewRow&) { return true; })
        .PermitUncheckedError();
    engine->ViewDigest(name).status().PermitUncheckedError();
  }
  Scalar one = int64_t{1};
  auto cursor =
      engine->Find("todos", Predicate::Range("n", &one, true, nullptr, false),
                   FindOptions());
  if (cursor.ok()) {
    for (int steps = 0; (*cursor)->Valid() && steps < 100; ++steps) {
      (*cursor)->Next();
    }
    (*cursor)->status().PermitUncheckedError();
  }
  VerifyReport report;
  engine->VerifyDerived(&report).PermitUncheckedError();
  auto txn = engine->Begin();
  txn->Set("todos/1", "n", int64_t{2}).Set("todos/1", "g", std::string("x"));
  txn->Commit().status().PermitUncheckedError();
}

}  // namespace
}  // namespace weft::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace weft;
  static std::unique_ptr<storage::KvStore> pristine = fuzz::MakePristine();
  std::unique_ptr<storage::KvStore> store = storage::NewMemoryKvStore();
  fuzz::CopyStore(pristine.get(), store.get());

  static const char kKinds[] = {'v', 'b', 'a', 'g', 'i', 'p', 'r', 'x'};
  fuzz::Input input(data, size);
  auto batch = store->NewBatch();
  for (int record = 0; record < 64 && !input.empty(); ++record) {
    char kind = kKinds[input.Byte() % sizeof(kKinds)];
    std::string view = fuzz::kViewNames[input.Byte() % 3];
    std::string_view tail = input.Take(input.Byte());
    size_t value_size = input.Byte();
    value_size = value_size << 8 | input.Byte();
    std::string_view value = input.Take(value_size);
    if (kind == 'x') {
      // Deletes the first row at or after the key, of whichever kind.
      auto it = store->NewIterator(storage::Family::kViews);
      it->Seek(
          fuzz::KeyOf('a' + static_cast<char>(value_size % 26), view, tail));
      if (it->Valid()) batch->Delete(storage::Family::kViews, it->key());
      continue;
    }
    batch->Put(storage::Family::kViews, fuzz::KeyOf(kind, view, tail), value);
  }
  if (!store->Write(batch.get(), false).ok()) abort();
  auto engine = fuzz::StartEngine(store.get());
  if (engine.ok()) fuzz::Exercise(engine->get());
  return 0;
}
