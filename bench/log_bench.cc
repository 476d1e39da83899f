// The change log: commit throughput against raw RocksDB puts of the same
// bytes and against the cost of one write per commit, SHA-256 and codec
// throughput, and open time against history size.
//
//   build/release/bench/log_bench                  full sizes
//   WEFT_BENCH_SMOKE=1 build/release/bench/log_bench   tiny sizes (CI)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "dag/change_codec.h"
#include "dag/sha256.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "tests/testutil/authors.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/raw_rocksdb.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

bool Smoke() { return std::getenv("WEFT_BENCH_SMOKE") != nullptr; }

std::vector<ChangeDraft> OneOpDrafts(size_t count, uint64_t first) {
  std::vector<ChangeDraft> drafts;
  drafts.reserve(count);
  for (size_t idx = 0; idx < count; ++idx) {
    drafts.push_back(testing::OneOpDraft(first + idx));
  }
  return drafts;
}

// Engine: CommitBatch of `batch` one-op changes, one atomic write each.
void BM_Commit(benchmark::State& state) {
  size_t batch = state.range(0);
  testing::TempDir dir;
  auto db = Database::Open(dir.Sub("db"), Options());
  if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
  uint64_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<ChangeDraft> drafts = OneOpDrafts(batch, next);
    next += batch;
    state.ResumeTiming();
    auto hashes = (*db)->CommitBatch(drafts);
    if (!hashes.ok()) state.SkipWithError(hashes.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

// Baseline: the same change bytes as raw RocksDB puts (hash -> bytes), in
// WriteBatches of the same size, default options, no WAL sync.
void BM_RawRocksDbPut(benchmark::State& state) {
  size_t batch = state.range(0);
  testing::TempDir dir;
  std::unique_ptr<rocksdb::DB> db = testing::OpenRawRocksDb(dir.Sub("raw"));
  if (db == nullptr) return state.SkipWithError("raw open failed");
  // Encode changes as the engine would (same sizes), ahead of time.
  std::vector<dag::EncodedChange> encoded;
  Change change;
  change.actor = testing::ActorFromSeed(1);
  Hash parent;
  for (uint64_t idx = 0; idx < 4096; ++idx) {
    ChangeDraft draft = testing::OneOpDraft(idx);
    change.parents = idx == 0 ? std::vector<Hash>{} : std::vector<Hash>{parent};
    change.seq = idx + 1;
    change.author_key =
        idx == 0 ? testing::AuthorFromSeed(1).public_key() : std::string();
    change.start_op = idx + 1;
    change.docs = draft.docs;
    change.ops = draft.ops;
    encoded.push_back(dag::EncodeChange(change));
    parent = encoded.back().hash;
  }
  uint64_t next = 0;
  for (auto _ : state) {
    rocksdb::WriteBatch write_batch;
    for (size_t idx = 0; idx < batch; ++idx, ++next) {
      const dag::EncodedChange& item = encoded[next % encoded.size()];
      // Vary the key so every put is a new key, as in the engine.
      std::string key(item.hash.AsStringView());
      std::memcpy(key.data(), &next, sizeof(next));
      write_batch.Put(key, item.bytes).PermitUncheckedError();
    }
    if (!db->Write(rocksdb::WriteOptions(), &write_batch).ok()) {
      state.SkipWithError("raw write failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
  db->Close().PermitUncheckedError();
}

// The floor under any design that writes once per commit: one Write of
// one small sequential key, with the WAL (as every weft commit: it survives
// a killed process) and without it (nothing survives a crash; for
// comparison only). Arg: 1 with the WAL, 0 without.
void BM_RawRocksDbWriteFloor(benchmark::State& state) {
  testing::TempDir dir;
  std::unique_ptr<rocksdb::DB> db = testing::OpenRawRocksDb(dir.Sub("raw"));
  if (db == nullptr) return state.SkipWithError("raw open failed");
  rocksdb::WriteOptions write_options;
  write_options.disableWAL = state.range(0) == 0;
  std::string value(90, 'c');  // about one typed character's change
  uint64_t next = 0;
  for (auto _ : state) {
    std::string key(8, '\0');
    for (int byte = 0; byte < 8; ++byte) {
      key[byte] = static_cast<char>(next >> (56 - 8 * byte));
    }
    ++next;
    rocksdb::WriteBatch write_batch;
    write_batch.Put(key, value).PermitUncheckedError();
    if (!db->Write(write_options, &write_batch).ok()) {
      state.SkipWithError("raw write failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
  db->Close().PermitUncheckedError();
}

void BM_Sha256(benchmark::State& state) {
  std::string bytes(state.range(0), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(dag::Sha256(bytes));
  state.SetBytesProcessed(state.iterations() * bytes.size());
}

void BM_EncodeChange(benchmark::State& state) {
  Change change = testing::SampleChange();
  for (auto _ : state) benchmark::DoNotOptimize(dag::EncodeChange(change));
  state.SetItemsProcessed(state.iterations());
}

void BM_DecodeChange(benchmark::State& state) {
  dag::EncodedChange encoded = dag::EncodeChange(testing::SampleChange());
  for (auto _ : state) {
    benchmark::DoNotOptimize(dag::DecodeChange(encoded.bytes));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * encoded.bytes.size());
}

// Open (and close) a database holding `changes` changes. Built once per
// size; the build itself is not timed.
void BM_Open(benchmark::State& state) {
  static std::map<int64_t, std::unique_ptr<testing::TempDir>> built;
  int64_t changes = state.range(0);
  auto& dir = built[changes];
  if (!dir) {
    dir = std::make_unique<testing::TempDir>();
    auto db = Database::Open(dir->Sub("db"), Options());
    if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
    for (int64_t done = 0; done < changes; done += 1000) {
      size_t batch =
          static_cast<size_t>(std::min<int64_t>(1000, changes - done));
      if (!(*db)->CommitBatch(OneOpDrafts(batch, done)).ok()) {
        return state.SkipWithError("building the database failed");
      }
    }
  }
  for (auto _ : state) {
    auto db = Database::Open(dir->Sub("db"), Options());
    if (!db.ok()) state.SkipWithError(db.status().ToString().c_str());
    benchmark::DoNotOptimize((*db)->LogLength());
  }
  state.counters["changes"] = static_cast<double>(changes);
}

void RegisterAll() {
  for (int64_t batch : {1, 100, 1000}) {
    benchmark::RegisterBenchmark("BM_Commit", BM_Commit)->Arg(batch);
    benchmark::RegisterBenchmark("BM_RawRocksDbPut", BM_RawRocksDbPut)
        ->Arg(batch);
  }
  benchmark::RegisterBenchmark("BM_RawRocksDbWriteFloor",
                               BM_RawRocksDbWriteFloor)
      ->Arg(1)
      ->Arg(0);
  benchmark::RegisterBenchmark("BM_Sha256", BM_Sha256)
      ->Arg(64)
      ->Arg(1024)
      ->Arg(64 << 10);
  benchmark::RegisterBenchmark("BM_EncodeChange", BM_EncodeChange);
  benchmark::RegisterBenchmark("BM_DecodeChange", BM_DecodeChange);
  auto* open = benchmark::RegisterBenchmark("BM_Open", BM_Open)
                   ->Unit(benchmark::kMillisecond);
  if (Smoke()) {
    open->Arg(100)->Arg(1000);
  } else {
    open->Arg(10000)->Arg(1000000);
  }
}

}  // namespace
}  // namespace weft

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  weft::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
