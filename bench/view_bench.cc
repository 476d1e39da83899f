// The read side: point reads, queries served by an index against the same
// query by scan, view builds against a raw scan of the log, and commit
// throughput with 0, 1 and 5 views. The shared database holds 10^6
// documents (10^4 under WEFT_BENCH_SMOKE=1), written 10 to a change.
//
//   build/release/bench/view_bench --benchmark_filter=Find
//
// Counters: p50_us / p99_us (point reads), results (per query),
// changes_per_s (view build, log scan), commits_per_s.
//
// The baseline: SQLite (Debian's libsqlite3) holding the same documents as
// JSON text in one table on disk, read with json_extract: a scan with a
// filter on a field, a group-by aggregate (weft's aggregate view), and an
// index on a JSON field (weft's index view), in the same run.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

bool Smoke() { return std::getenv("WEFT_BENCH_SMOKE") != nullptr; }

constexpr uint64_t kDocsPerChange = 10;

// Document i of `people`: n = m = i (only n is indexed), g = i % 100,
// name = "user<i>".
ChangeDraft PeopleDraft(uint64_t first) {
  ChangeDraft draft;
  for (uint64_t idx = 0; idx < kDocsPerChange; ++idx) {
    uint64_t person = first + idx;
    draft.docs.push_back({"people", "d" + std::to_string(person)});
    auto set = [&](const char* key, Scalar value) {
      Op op;
      op.action = OpAction::kMapSet;
      op.doc = static_cast<uint32_t>(idx);
      op.key = key;
      op.value = std::move(value);
      draft.ops.push_back(std::move(op));
    };
    set("n", static_cast<int64_t>(person));
    set("m", static_cast<int64_t>(person));
    set("g", static_cast<int64_t>(person % 100));
    set("name", "user" + std::to_string(person));
  }
  return draft;
}

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Database> db;
  uint64_t documents = 0;
};

Fixture& People() {
  static Fixture* fixture = [] {
    auto* made = new Fixture;
    made->documents = Smoke() ? 10000 : 1000000;
    made->db =
        std::move(Database::Open(made->dir.Sub("db"), Options())).value();
    std::vector<ChangeDraft> drafts;
    for (uint64_t first = 0; first < made->documents; first += kDocsPerChange) {
      drafts.push_back(PeopleDraft(first));
      if (drafts.size() == 1000) {
        if (!made->db->CommitBatch(drafts).ok()) std::abort();
        drafts.clear();
      }
    }
    if (!drafts.empty() && !made->db->CommitBatch(drafts).ok()) std::abort();
    ViewDefinition by_n;
    by_n.name = "by_n";
    by_n.collection = "people";
    by_n.fields = {"n"};
    if (!made->db->CreateView(by_n).ok()) std::abort();
    return made;
  }();
  return *fixture;
}

double Percentile(std::vector<double>* samples, double fraction) {
  if (samples->empty()) return 0;
  size_t rank = static_cast<size_t>(fraction * (samples->size() - 1));
  std::nth_element(samples->begin(), samples->begin() + rank, samples->end());
  return (*samples)[rank];
}

void BM_PointRead(benchmark::State& state) {
  Fixture& people = People();
  std::mt19937_64 rng(1);
  std::vector<double> micros;
  for (auto _ : state) {
    std::string doc = "people/d" + std::to_string(rng() % people.documents);
    auto start = std::chrono::steady_clock::now();
    auto json = people.db->GetJson(doc);
    micros.push_back(std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - start)
                         .count());
    if (!json.ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(json);
  }
  state.counters["p50_us"] = Percentile(&micros, 0.5);
  state.counters["p99_us"] = Percentile(&micros, 0.99);
}
BENCHMARK(BM_PointRead)->Unit(benchmark::kMicrosecond);

// Arg 0: through the index on n; arg 1: the same query on m, which has no
// index (a scan of every document).
void RunQuery(benchmark::State& state, bool range) {
  Fixture& people = People();
  std::string field = state.range(0) == 0 ? "n" : "m";
  std::mt19937_64 rng(2);
  uint64_t results = 0, queries = 0;
  bool indexed = false;
  for (auto _ : state) {
    int64_t value = static_cast<int64_t>(rng() % (people.documents - 100));
    Scalar lower(value), upper(value + 100);
    Predicate predicate =
        range ? Predicate::Range(field, &lower, true, &upper, false)
              : Predicate::Equals(field, value);
    indexed = people.db->Explain("people", predicate)->uses_index;
    auto cursor = people.db->Find("people", predicate);
    if (!cursor.ok()) {
      state.SkipWithError("find failed");
      break;
    }
    for (; (*cursor)->Valid(); (*cursor)->Next()) ++results;
    ++queries;
  }
  state.SetLabel(indexed ? "index" : "scan");
  state.counters["results"] = static_cast<double>(results) / queries;
}

void BM_FindEquality(benchmark::State& state) { RunQuery(state, false); }
void BM_FindRange(benchmark::State& state) { RunQuery(state, true); }
BENCHMARK(BM_FindEquality)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FindRange)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Building an aggregate view over the whole collection, from the log's
// documents; the baseline reads every log entry once.
void BM_ViewBuild(benchmark::State& state) {
  Fixture& people = People();
  ViewDefinition by_g;
  by_g.name = "count_by_g";
  by_g.kind = ViewKind::kAggregate;
  by_g.collection = "people";
  by_g.aggregate_field = "n";
  by_g.group_by = "g";
  for (auto _ : state) {
    if (!people.db->CreateView(by_g).ok()) state.SkipWithError("build failed");
    state.PauseTiming();
    if (!people.db->DropView(by_g.name).ok()) state.SkipWithError("drop");
    state.ResumeTiming();
  }
  state.counters["changes_per_s"] = benchmark::Counter(
      static_cast<double>(people.db->LogLength() * state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ViewBuild)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_LogScan(benchmark::State& state) {
  Fixture& people = People();
  for (auto _ : state) {
    uint64_t entries = 0;
    Status status = people.db->ScanLog(1, [&](uint64_t, const Hash&) {
      ++entries;
      return true;
    });
    if (!status.ok()) state.SkipWithError("scan failed");
    benchmark::DoNotOptimize(entries);
  }
  state.counters["changes_per_s"] = benchmark::Counter(
      static_cast<double>(people.db->LogLength() * state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LogScan)->Unit(benchmark::kMillisecond);

// ScanView of the by_n index (one row per document), against the check it
// makes of each row (nlohmann::json::accept of the stored key, so that a
// damaged row is Corruption, not a throw) alone over the same bytes: the
// ratio of the two is the check's share of a scan. Counter: rows_per_s.
void BM_ScanView(benchmark::State& state) {
  Fixture& people = People();
  uint64_t rows = 0;
  for (auto _ : state) {
    Status status = people.db->ScanView("by_n", [&](const ViewRow& row) {
      benchmark::DoNotOptimize(row.key.data());
      ++rows;
      return true;
    });
    if (!status.ok()) state.SkipWithError("scan failed");
  }
  state.counters["rows_per_s"] = benchmark::Counter(
      static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScanView)->Unit(benchmark::kMillisecond);

void BM_ScanViewRowCheckAlone(benchmark::State& state) {
  Fixture& people = People();
  std::vector<std::string> keys;
  Status collected = people.db->ScanView("by_n", [&](const ViewRow& row) {
    keys.push_back(row.key);
    return true;
  });
  if (!collected.ok()) state.SkipWithError("scan failed");
  uint64_t rows = 0;
  for (auto _ : state) {
    for (const std::string& key : keys) {
      if (!nlohmann::json::accept(key)) state.SkipWithError("not JSON");
      ++rows;
    }
  }
  state.counters["rows_per_s"] = benchmark::Counter(
      static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScanViewRowCheckAlone)->Unit(benchmark::kMillisecond);

// One transaction per commit, rewriting three fields of one of 10^4
// documents, with 0, 1 or 5 views on the collection.
void BM_CommitWithViews(benchmark::State& state) {
  testing::TempDir dir;
  auto db = std::move(Database::Open(dir.Sub("db"), Options())).value();
  std::vector<ViewDefinition> views(5);
  views[0].fields = {"n"};
  views[1].kind = ViewKind::kAggregate;
  views[1].aggregate_field = "n";
  views[1].group_by = "g";
  views[2].kind = ViewKind::kProjection;
  views[2].fields = {"n", "name"};
  views[2].filter = *Predicate::FromJson(R"({"n": {"$gte": 0}})");
  views[3].fields = {"name"};
  views[4].fields = {"g", "n"};
  for (int64_t idx = 0; idx < state.range(0); ++idx) {
    views[idx].name = "v" + std::to_string(idx);
    views[idx].collection = "people";
    if (!db->CreateView(views[idx]).ok()) std::abort();
  }
  uint64_t commit = 0;
  for (auto _ : state) {
    auto txn = db->Begin();
    std::string doc = "people/d" + std::to_string(commit % 10000);
    int64_t value = static_cast<int64_t>(commit * 7919 % 100003);
    if (!txn->Set(doc, "n", value).status().ok() ||
        !txn->Set(doc, "g", value % 100).status().ok() ||
        !txn->Set(doc, "name", "user" + std::to_string(value)).status().ok() ||
        !txn->Commit().ok()) {
      state.SkipWithError("commit failed");
      break;
    }
    ++commit;
  }
  state.counters["commits_per_s"] = benchmark::Counter(
      static_cast<double>(commit), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CommitWithViews)
    ->Arg(0)
    ->Arg(1)
    ->Arg(5)
    ->Unit(benchmark::kMicrosecond);

// The same documents in SQLite: people(key TEXT PRIMARY KEY, body TEXT)
// with body the document's JSON, written in one transaction, on disk.
struct SqlitePeople {
  testing::TempDir dir;
  sqlite3* db = nullptr;
  uint64_t documents = 0;
};

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s: %s\n", sql.c_str(), error);
    std::abort();
  }
}

SqlitePeople& Sqlite() {
  static SqlitePeople* people = [] {
    auto* made = new SqlitePeople;
    made->documents = Smoke() ? 10000 : 1000000;
    if (sqlite3_open(made->dir.Sub("people.sqlite").c_str(), &made->db) !=
        SQLITE_OK) {
      std::abort();
    }
    Exec(made->db, "PRAGMA journal_mode=WAL");
    Exec(made->db, "CREATE TABLE people(key TEXT PRIMARY KEY, body TEXT)");
    Exec(made->db, "BEGIN");
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(made->db, "INSERT INTO people VALUES(?, ?)", -1, &insert,
                       nullptr);
    for (uint64_t person = 0; person < made->documents; ++person) {
      std::string key = "d" + std::to_string(person);
      std::string body =
          nlohmann::json{{"n", person},
                         {"m", person},
                         {"g", person % 100},
                         {"name", "user" + std::to_string(person)}}
              .dump();
      sqlite3_bind_text(insert, 1, key.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert, 2, body.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(insert) != SQLITE_DONE) std::abort();
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    Exec(made->db, "COMMIT");
    return made;
  }();
  return *people;
}

// One value from `sql`, stepped to the end.
int64_t QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
    std::abort();
  }
  int64_t value = 0;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    value += sqlite3_column_int64(statement, 0);
  }
  sqlite3_finalize(statement);
  return value;
}

void BM_SqliteJsonScan(benchmark::State& state) {
  SqlitePeople& people = Sqlite();
  for (auto _ : state) {
    benchmark::DoNotOptimize(QueryInt(
        people.db,
        "SELECT count(*) FROM people WHERE json_extract(body, '$.g') = 7"));
  }
  state.counters["rows_per_s"] = benchmark::Counter(
      static_cast<double>(people.documents * state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SqliteJsonScan)->Unit(benchmark::kMillisecond);

// The analogue of BM_ViewBuild's aggregate: count and sum of n by g.
void BM_SqliteJsonGroupBy(benchmark::State& state) {
  SqlitePeople& people = Sqlite();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        QueryInt(people.db,
                 "SELECT count(*) + sum(json_extract(body, '$.n')) FROM "
                 "people GROUP BY json_extract(body, '$.g')"));
  }
}
BENCHMARK(BM_SqliteJsonGroupBy)->Unit(benchmark::kMillisecond);

// The analogue of an index view: an index on a JSON field, built and
// dropped.
void BM_SqliteJsonIndexBuild(benchmark::State& state) {
  SqlitePeople& people = Sqlite();
  for (auto _ : state) {
    Exec(people.db,
         "CREATE INDEX people_n ON people(json_extract(body, '$.n'))");
    state.PauseTiming();
    Exec(people.db, "DROP INDEX people_n");
    state.ResumeTiming();
  }
}
BENCHMARK(BM_SqliteJsonIndexBuild)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// weft's counterpart of BM_SqliteJsonScan: the same filter as a query of
// the collection by scan (no index on g).
void BM_FindByScanOfEveryDocument(benchmark::State& state) {
  Fixture& people = People();
  for (auto _ : state) {
    auto cursor = people.db->Find("people", Predicate::Equals("g", int64_t{7}));
    if (!cursor.ok()) return state.SkipWithError("find failed");
    uint64_t results = 0;
    for (; (*cursor)->Valid(); (*cursor)->Next()) ++results;
    benchmark::DoNotOptimize(results);
  }
  state.counters["rows_per_s"] = benchmark::Counter(
      static_cast<double>(people.documents * state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FindByScanOfEveryDocument)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace weft

BENCHMARK_MAIN();
