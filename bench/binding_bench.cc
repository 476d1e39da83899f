// The cost of one document put (its own committed transaction) and get,
// through the C++ API and through the C API. bench/binding_bench.py runs
// the same loop in Python and reports its ratio to these.
//
//   build/release/bench/binding_bench
//
// Each iteration writes document bench/<i % 1000> and reads it back.
#include <benchmark/benchmark.h>

#include <string>

#include "tests/testutil/temp_dir.h"
#include "weft.h"
#include "weft/database.h"

namespace weft {
namespace {

constexpr int kKeys = 1000;
// A fixed count on a fresh database each run, the same as the Python loop
// of binding_bench.py, so that the two measure the same work.
constexpr int kIterations = 20000;

std::string Body(int64_t i) {
  return R"({"title": "note )" + std::to_string(i) + R"(", "n": )" +
         std::to_string(i) + R"(, "done": false})";
}

void BM_PutGetCpp(benchmark::State& state) {
  testing::TempDir dir;
  auto db = Database::Open(dir.Sub("db"), Options());
  if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
  int64_t i = 0;
  for (auto _ : state) {
    std::string doc = "bench/" + std::to_string(i % kKeys);
    auto txn = (*db)->Begin();
    Status put = txn->PutJson(doc, Body(i)).status();
    auto hash = put.ok() ? txn->Commit() : Result<Hash>(put);
    auto read = (*db)->GetJson(doc);
    if (!hash.ok() || !read.ok()) return state.SkipWithError("put/get failed");
    benchmark::DoNotOptimize(read->data());
    ++i;
  }
}
BENCHMARK(BM_PutGetCpp)->Iterations(kIterations)->Unit(benchmark::kMicrosecond);

void BM_PutGetC(benchmark::State& state) {
  testing::TempDir dir;
  weft_db* db = nullptr;
  if (weft_open(dir.Sub("db").c_str(), nullptr, &db, nullptr) != WEFT_OK) {
    return state.SkipWithError("weft_open failed");
  }
  int64_t i = 0;
  for (auto _ : state) {
    std::string doc = "bench/" + std::to_string(i % kKeys);
    weft_txn* txn = nullptr;
    char* json = nullptr;
    bool ok = weft_begin(db, &txn, nullptr) == WEFT_OK &&
              weft_txn_put_json(txn, doc.c_str(), Body(i).c_str(), nullptr) ==
                  WEFT_OK;
    ok = weft_txn_commit(txn, nullptr, nullptr) == WEFT_OK && ok;
    ok = ok &&
         weft_get_json(db, doc.c_str(), nullptr, &json, nullptr) == WEFT_OK;
    weft_free(json);
    if (!ok) {
      weft_close(db);
      return state.SkipWithError("put/get failed");
    }
    ++i;
  }
  weft_close(db);
}
BENCHMARK(BM_PutGetC)->Iterations(kIterations)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace weft

BENCHMARK_MAIN();
