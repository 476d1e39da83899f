// Documents: the real editing trace (a) in the in-memory CRDT alone, (b) one
// committed change per edit, (c) edits grouped 100 to a change; and point
// reads of one field among 10^5 and of 100 characters of a 10^6-character
// text. (b) runs again with Options::memory_budget_bytes of 16 MiB
// (TraceCommit/1/16). Run one benchmark per process for a meaningful peak
// RSS:
//
//   build/release/bench/doc_bench --benchmark_filter=TraceCommit/1/16$
//
// Counters: us_per_edit, db_mb (on disk after close), state_kb (encoded
// document state), text_kb (the final text), reopen_read_ms (open the
// database and read the whole text: median open_ms + median read_ms of 5
// reopens after a first one, first_reopen_read_ms; the same prefixed ro_
// for a read-only open), replay_rss_mb (peak resident memory of the
// process at the end of the replay), before_rss_mb (resident memory before
// it: the binary, its libraries and the loaded trace), peak_rss_mb (the
// peak of the whole run, the reopens, verify and the bundle included).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "dag/authorship.h"
#include "dag/change_run.h"
#include "engine/bundle/bundle.h"
#include "engine/crdt/document.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/temp_dir.h"
#include "tests/testutil/trace.h"
#include "weft/database.h"

namespace weft {
namespace {

bool Smoke() { return std::getenv("WEFT_BENCH_SMOKE") != nullptr; }

const testing::Trace* LoadedTrace() {
  static testing::Trace trace;
  static bool loaded = [] {
    std::string error;
    if (!Smoke()) {
      return testing::LoadTrace(
          testing::DataDir() + "/traces/automerge-paper.json.gz", &trace,
          &error);
    }
    std::mt19937_64 rng(1);  // a small synthetic trace for smoke runs
    uint64_t length = 0;
    for (int edit = 0; edit < 2000; ++edit) {
      bool remove = length > 0 && rng() % 4 == 0;
      uint64_t pos = length == 0 ? 0 : rng() % (length + (remove ? 0 : 1));
      trace.patches.push_back(remove ? testing::TracePatch{pos, 1, U""}
                                     : testing::TracePatch{pos, 0, U"x"});
      length += remove ? -1 : 1;
    }
    return true;
  }();
  return loaded ? &trace : nullptr;
}

// Peak resident memory since the last ResetPeakRss(), from /proc (Linux):
// the JSON trace is loaded before the reset, so it does not count.
double StatusMb(const std::string& field) {  // VmHWM:, VmRSS:
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field, 0) == 0) {
      return std::stod(line.substr(field.size())) / 1024;
    }
  }
  return 0;
}
double PeakRssMb() { return StatusMb("VmHWM:"); }

void ResetPeakRss() {
  malloc_trim(0);  // hand freed memory (the parsed JSON) back first
  std::ofstream("/proc/self/clear_refs") << "5";
}

double Ms(std::chrono::steady_clock::duration took) {
  return std::chrono::duration<double, std::milli>(took).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

uint64_t DirectoryBytes(const std::string& path) {
  uint64_t total = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

// (a) The document CRDT alone: the ops a transaction would make, applied
// to an in-memory Document.
void BM_TraceInMemory(benchmark::State& state) {
  const testing::Trace* trace = LoadedTrace();
  if (trace == nullptr) return state.SkipWithError("trace not available");
  ResetPeakRss();
  ActorId actor = testing::ActorFromSeed(1);
  for (auto _ : state) {
    engine::Document document;
    Op make;
    make.action = OpAction::kMakeText;
    make.key = "text";
    OpId text_id{1, actor};
    document.Apply(make, text_id);
    const engine::Sequence& text = document.Find(text_id)->text.text;
    uint64_t counter = 2;
    for (const testing::TracePatch& patch : *&trace->patches) {
      for (const engine::IdRun& run :
           patch.delete_count
               ? text.IdRunsAt(patch.position, patch.delete_count)
               : std::vector<engine::IdRun>()) {
        Op del;
        del.action = OpAction::kTextDelete;
        del.obj = text_id;
        del.elem = run.first;
        del.count = static_cast<uint32_t>(run.length);
        document.Apply(del, OpId{counter++, actor});
      }
      if (patch.insert.empty()) continue;
      Op insert;
      insert.action = OpAction::kTextInsert;
      insert.obj = text_id;
      insert.elem =
          patch.position == 0 ? OpId() : text.IdAt(patch.position - 1);
      insert.text = testing::Utf32ToUtf8(patch.insert);
      document.Apply(insert, OpId{counter, actor});
      counter += patch.insert.size();
    }
    state.counters["state_kb"] = document.Serialize().size() / 1024.0;
  }
  state.counters["us_per_edit"] = benchmark::Counter(
      trace->patches.size() * 1e-6 * state.iterations(),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["peak_rss_mb"] = PeakRssMb();
}

// Opens the database 6 times and reads the whole text back; counters
// (named with `prefix`): the first reopen and read, then the medians of the
// open and of the read over the other 5, and their sum.
void MeasureReopens(benchmark::State& state, const std::string& path,
                    const std::string& text, const Options& options,
                    const std::string& prefix) {
  std::vector<double> open_ms, read_ms;
  for (int reopen = 0; reopen < 6; ++reopen) {
    auto start = std::chrono::steady_clock::now();
    auto reopened = Database::Open(path, options);
    auto opened = std::chrono::steady_clock::now();
    if (!reopened.ok()) {
      return state.SkipWithError(reopened.status().ToString().c_str());
    }
    auto read = (*reopened)->ReadText("paper/1", "text", 0, UINT64_MAX);
    auto done = std::chrono::steady_clock::now();
    if (!read.ok() || *read != text) state.SkipWithError("reread differs");
    if (reopen == 0) {
      state.counters[prefix + "first_reopen_read_ms"] = Ms(done - start);
      continue;
    }
    open_ms.push_back(Ms(opened - start));
    read_ms.push_back(Ms(done - opened));
  }
  state.counters[prefix + "open_ms"] = Median(open_ms);
  state.counters[prefix + "read_ms"] = Median(read_ms);
  state.counters[prefix + "reopen_read_ms"] = Median(open_ms) + Median(read_ms);
}

// verify with and without replaying the documents (verify_ms against
// verify_quick_ms: what the replay adds).
void MeasureVerify(benchmark::State& state, const std::string& path) {
  auto db = Database::Open(path, Options());
  if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
  VerifyOptions quick;
  quick.quick = true;
  for (const auto& [options, counter] :
       {std::pair{quick, "verify_quick_ms"}, {VerifyOptions(), "verify_ms"}}) {
    auto start = std::chrono::steady_clock::now();
    auto report = (*db)->Verify(options);
    state.counters[counter] = Ms(std::chrono::steady_clock::now() - start);
    if (!report.ok() || !report->ok()) state.SkipWithError("verify failed");
  }
}

// (b) and (c): `edits_per_change` edits per committed transaction.
void MeasureProofBytes(benchmark::State& state, const std::string& path,
                       const std::string& bundle_path);
void MeasureRuns(benchmark::State& state, const std::string& path);

void BM_TraceCommit(benchmark::State& state) {
  const testing::Trace* trace = LoadedTrace();
  if (trace == nullptr) return state.SkipWithError("trace not available");
  ResetPeakRss();
  // The process before the replay: the binary, the libraries, the trace.
  state.counters["before_rss_mb"] = StatusMb("VmRSS:");
  size_t per_change = state.range(0);
  Options options;
  if (state.range(1) != 0) options.memory_budget_bytes = state.range(1) << 20;
  for (auto _ : state) {
    state.PauseTiming();
    testing::TempDir dir;
    auto db = Database::Open(dir.Sub("db"), options);
    if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
    state.ResumeTiming();
    for (size_t first = 0; first < trace->patches.size(); first += per_change) {
      auto txn = (*db)->Begin();
      size_t last = std::min(trace->patches.size(), first + per_change);
      for (size_t idx = first; idx < last; ++idx) {
        const testing::TracePatch& patch = trace->patches[idx];
        Status status = txn->SpliceText("paper/1", "text", patch.position,
                                        patch.delete_count,
                                        testing::Utf32ToUtf8(patch.insert))
                            .status();
        if (!status.ok()) return state.SkipWithError(status.ToString().c_str());
      }
      auto hash = txn->Commit();
      if (!hash.ok())
        return state.SkipWithError(hash.status().ToString().c_str());
    }
    state.PauseTiming();
    state.counters["replay_rss_mb"] = PeakRssMb();
    std::string text = *(*db)->ReadText("paper/1", "text", 0, UINT64_MAX);
    state.counters["text_kb"] = text.size() / 1024.0;
    state.counters["state_kb"] =
        (*db)->EncodedState("paper/1")->size() / 1024.0;
    db->reset();
    state.counters["db_mb"] = DirectoryBytes(dir.Sub("db")) / 1048576.0;
    // The first reopen recovers the log's tail; the median of the next
    // ones is the steady figure. Open and read are timed apart too.
    MeasureReopens(state, dir.Sub("db"), text, Options(), "");
    Options read_only;
    read_only.read_only = true;
    MeasureReopens(state, dir.Sub("db"), text, read_only, "ro_");
    MeasureVerify(state, dir.Sub("db"));
    MeasureProofBytes(state, dir.Sub("db"), dir.Sub("bundle"));
    MeasureRuns(state, dir.Sub("db"));
    state.ResumeTiming();
  }
  state.counters["us_per_edit"] = benchmark::Counter(
      trace->patches.size() * 1e-6 * state.iterations(),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["peak_rss_mb"] = PeakRssMb();
}

// Signed authorship on the trace's history: what its proofs weigh in a
// bundle (the same proofs a clone sends), and importing it (every change
// checked and its proofs verified).
void MeasureProofBytes(benchmark::State& state, const std::string& path,
                       const std::string& bundle_path) {
  auto db = Database::Open(path, Options());
  if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
  if (!(*db)->Export(bundle_path).ok()) return state.SkipWithError("export");
  std::ifstream in(bundle_path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto bundle = engine::DecodeBundle(bytes);
  if (!bundle.ok()) return state.SkipWithError("bundle");
  state.counters["bundle_kb"] = bytes.size() / 1024.0;
  auto proofs = dag::DecodeProofs(bundle->proofs, bundle->changes.size() + 1);
  state.counters["proofs"] = proofs.ok() ? proofs->size() : 0;
  state.counters["proof_bytes_per_change"] =
      static_cast<double>(bundle->proofs.size()) / bundle->changes.size();
  testing::TempDir fresh;
  auto target = Database::Open(fresh.Sub("db"), Options());
  auto started = std::chrono::steady_clock::now();
  auto imported = (*target)->Import(bundle_path);
  if (!imported.ok()) return state.SkipWithError("import");
  state.counters["import_ms"] = Ms(std::chrono::steady_clock::now() - started);
}

// The trace's history packed into runs of 65536 changes (dag/change_run.h,
// the form changes travel in): bytes per change, and the time to pack and
// to rebuild and re-hash every change, against the verbatim bytes.
void MeasureRuns(benchmark::State& state, const std::string& path) {
  Options read_only;
  read_only.read_only = true;
  auto db = Database::Open(path, read_only);
  if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
  std::vector<std::vector<std::string>> runs(1);
  uint64_t verbatim = 0;
  for (uint64_t position = 1; position <= (*db)->LogLength(); ++position) {
    if (runs.back().size() == 65536) runs.emplace_back();
    runs.back().push_back((*db)->GetChangeAt(position)->bytes);
    verbatim += runs.back().back().size();
  }
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> packed;
  uint64_t run_bytes = 0;
  for (const std::vector<std::string>& run : runs) {
    Result<std::string> encoded = dag::EncodeRunOfBytes(run);
    if (!encoded.ok()) return state.SkipWithError("run: not canonical");
    run_bytes += encoded->size();
    packed.push_back(std::move(*encoded));
  }
  state.counters["run_pack_ms"] =
      Ms(std::chrono::steady_clock::now() - started);
  started = std::chrono::steady_clock::now();
  for (const std::string& run : packed) {
    if (!dag::DecodeRun(run).ok()) return state.SkipWithError("run: decode");
  }
  state.counters["run_rebuild_ms"] =
      Ms(std::chrono::steady_clock::now() - started);
  state.counters["run_kb"] = run_bytes / 1024.0;
  state.counters["run_bytes_per_change"] =
      static_cast<double>(run_bytes) / (*db)->LogLength();
  state.counters["verbatim_mb"] = verbatim / 1048576.0;
}

// The cost of signed authorship per change, against a commit of the trace
// (BM_TraceCommit's us_per_edit, same run): a commit extends its actor's
// chain (one SHA-256 of 64 bytes) and signs every 256th change; a receiver
// extends the chain per change and verifies a signature per proof (every
// 256 changes of each actor, plus one per batch and actor).
void BM_AuthorshipCost(benchmark::State& state) {
  auto key = dag::AuthorKey::FromSeed(std::string(32, '\3'));
  if (!key.ok()) return state.SkipWithError("key");
  const size_t changes = Smoke() ? 2000 : 259778;
  std::vector<double> sign_us, verify_us;
  double chain_us = 0;
  for (auto _ : state) {
    Hash chain;
    auto started = std::chrono::steady_clock::now();
    for (size_t change = 0; change < changes; ++change) {
      Hash hash;
      std::memcpy(hash.bytes.data(), &change, sizeof(change));
      chain = dag::ExtendChain(chain, hash);
    }
    chain_us = Ms(std::chrono::steady_clock::now() - started) * 1000 / changes;
    for (int round = 0; round < 101; ++round) {
      started = std::chrono::steady_clock::now();
      std::string signature = (*key)->Sign(round + 1, chain);
      sign_us.push_back(Ms(std::chrono::steady_clock::now() - started) * 1000);
      started = std::chrono::steady_clock::now();
      bool valid = dag::VerifyAuthorship((*key)->public_key(), (*key)->actor(),
                                         round + 1, chain, signature);
      verify_us.push_back(Ms(std::chrono::steady_clock::now() - started) *
                          1000);
      if (!valid) return state.SkipWithError("a signature does not verify");
    }
  }
  state.counters["chain_us_per_change"] = chain_us;
  state.counters["sign_us"] = Median(sign_us);
  state.counters["verify_us"] = Median(verify_us);
  state.counters["commit_us_per_change"] = chain_us + Median(sign_us) / 256;
  state.counters["receive_us_per_change"] = chain_us + Median(verify_us) / 256;
}

// A database with one document of `fields` fields and a text of
// `characters` characters, built once.
Database* ReadFixture(uint64_t fields, uint64_t characters) {
  static testing::TempDir dir;
  static std::unique_ptr<Database> db = [&] {
    auto opened = Database::Open(dir.Sub("db"), Options());
    for (uint64_t first = 0; first < fields; first += 1000) {
      auto txn = (*opened)->Begin();
      for (uint64_t field = first; field < std::min(fields, first + 1000);
           ++field) {
        (void)txn->Set("big/fields", "f" + std::to_string(field),
                       static_cast<int64_t>(field));
      }
      (void)txn->Commit();
    }
    std::string chunk(10000, 'x');
    for (uint64_t done = 0; done < characters; done += chunk.size()) {
      auto txn = (*opened)->Begin();
      (void)txn->SpliceText("big/text", "text", done, 0, chunk);
      (void)txn->Commit();
    }
    return std::move(opened).value();
  }();
  return db.get();
}

uint64_t Fields() { return Smoke() ? 2000 : 100000; }
uint64_t Characters() { return Smoke() ? 20000 : 1000000; }

void BM_ReadOneFieldOfMany(benchmark::State& state) {
  Database* db = ReadFixture(Fields(), Characters());
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    auto value =
        db->GetPathJson("big/fields", "f" + std::to_string(rng() % Fields()));
    if (!value.ok()) state.SkipWithError(value.status().ToString().c_str());
    benchmark::DoNotOptimize(value);
  }
  state.counters["fields"] = static_cast<double>(Fields());
}

void BM_Read100CharactersOfLongText(benchmark::State& state) {
  Database* db = ReadFixture(Fields(), Characters());
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    auto text =
        db->ReadText("big/text", "text", rng() % (Characters() - 100), 100);
    if (!text.ok() || text->size() != 100) state.SkipWithError("bad read");
    benchmark::DoNotOptimize(text);
  }
  state.counters["characters"] = static_cast<double>(Characters());
}

BENCHMARK(BM_TraceInMemory)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AuthorshipCost)->Iterations(1)->Unit(benchmark::kMillisecond);
// Arguments: edits per change, memory budget in MiB (0: the default).
BENCHMARK(BM_TraceCommit)
    ->Args({1, 0})
    ->Args({100, 0})
    ->Args({1, 16})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(BM_ReadOneFieldOfMany)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Read100CharactersOfLongText)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace weft

BENCHMARK_MAIN();
