// CRDT benchmarks: the real editing trace replayed into the sequence CRDT,
// in memory (issue target: <= 0.5 s for the whole trace), against a plain
// std::u32string receiving the same splices as the baseline.
//
//   build/release/bench/crdt_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "engine/crdt/sequence.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/trace.h"

namespace weft {
namespace {

bool Smoke() { return std::getenv("WEFT_BENCH_SMOKE") != nullptr; }

// The trace, or a seeded synthetic one when the shared data is absent.
const testing::Trace& LoadedTrace() {
  static testing::Trace trace = [] {
    testing::Trace loaded;
    std::string error;
    if (!Smoke() && testing::LoadTrace(
                        testing::DataDir() + "/traces/automerge-paper.json.gz",
                        &loaded, &error)) {
      return loaded;
    }
    std::mt19937_64 rng(1);
    uint64_t length = 0;
    for (int edit = 0; edit < 5000; ++edit) {
      if (length > 0 && rng() % 4 == 0) {
        loaded.patches.push_back({rng() % length, 1, U""});
        --length;
      } else {
        uint64_t pos =
            length == 0 ? 0 : length - rng() % std::min<uint64_t>(length, 20);
        loaded.patches.push_back({pos, 0, U"x"});
        ++length;
      }
    }
    return loaded;
  }();
  return trace;
}

void BM_TraceReplaySequence(benchmark::State& state) {
  const testing::Trace& trace = LoadedTrace();
  ActorId actor = testing::ActorFromSeed(1);
  size_t runs = 0;
  for (auto _ : state) {
    engine::Sequence sequence;
    uint64_t counter = 0;
    for (const testing::TracePatch& patch : trace.patches) {
      if (patch.delete_count > 0) {
        for (const engine::IdRun& run :
             sequence.IdRunsAt(patch.position, patch.delete_count)) {
          sequence.Delete(run).PermitUncheckedError();
        }
      }
      if (!patch.insert.empty()) {
        OpId ref =
            patch.position == 0 ? OpId() : sequence.IdAt(patch.position - 1);
        sequence.Insert(ref, OpId{counter + 1, actor}, patch.insert)
            .PermitUncheckedError();
        counter += patch.insert.size();
      }
    }
    benchmark::DoNotOptimize(sequence.size());
    runs = sequence.StoredRunCount();
  }
  state.SetItemsProcessed(state.iterations() * trace.patches.size());
  state.counters["edits"] = static_cast<double>(trace.patches.size());
  state.counters["stored_runs"] = static_cast<double>(runs);
}

void BM_TraceReplayPlainString(benchmark::State& state) {
  const testing::Trace& trace = LoadedTrace();
  for (auto _ : state) {
    std::u32string text;
    for (const testing::TracePatch& patch : trace.patches) {
      text.erase(patch.position, patch.delete_count);
      text.insert(patch.position, patch.insert);
    }
    benchmark::DoNotOptimize(text.size());
  }
  state.SetItemsProcessed(state.iterations() * trace.patches.size());
}

BENCHMARK(BM_TraceReplaySequence)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TraceReplayPlainString)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace weft

BENCHMARK_MAIN();
