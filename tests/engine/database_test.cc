// weft::Database on real RocksDB in a temporary folder.
#include "weft/database.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "base/varint.h"
#include "dag/change_run.h"
#include "engine/log/keys.h"
#include "engine/log/log_entries.h"
#include "engine/state/doc_store.h"
#include "storage/fault_plan.h"
#include "storage/rocksdb_kv_store.h"
#include "tests/testutil/db.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/temp_dir.h"

namespace weft {
namespace {

using testing::ExpectVerified;
using testing::OpenOrDie;
using testing::Put;
using testing::RandomDraft;
using testing::TempDir;

TEST(DatabaseTest, CommitReopenReadBack) {
  TempDir dir;
  std::mt19937_64 rng(1);
  std::vector<Hash> hashes;
  std::vector<std::string> bytes;
  ActorId actor;
  {
    auto db = OpenOrDie(dir.Sub("db"));
    actor = db->local_actor();
    for (int commit = 0; commit < 20; ++commit) {
      auto hash = db->Commit(RandomDraft(rng, 1 + commit % 4));
      ASSERT_TRUE(hash.ok()) << hash.status().ToString();
      hashes.push_back(*hash);
      bytes.push_back(db->GetChange(*hash)->bytes);
    }
    auto batch = db->CommitBatch({RandomDraft(rng, 2), RandomDraft(rng, 2)});
    ASSERT_TRUE(batch.ok());
    for (const Hash& hash : *batch) {
      hashes.push_back(hash);
      bytes.push_back(db->GetChange(hash)->bytes);
    }
  }
  auto db = OpenOrDie(dir.Sub("db"));
  EXPECT_EQ(db->local_actor(), actor);
  EXPECT_EQ(db->LogLength(), hashes.size());
  EXPECT_EQ(db->Heads(), std::vector<Hash>{hashes.back()});
  for (size_t idx = 0; idx < hashes.size(); ++idx) {
    auto stored = db->GetChangeAt(idx + 1);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(stored->hash, hashes[idx]);
    EXPECT_EQ(stored->bytes, bytes[idx]);
    EXPECT_EQ(stored->change.actor, actor);
  }
  std::vector<Hash> scanned;
  ASSERT_TRUE(db->ScanLog(3, [&](uint64_t position, const Hash& hash) {
                  EXPECT_EQ(position, scanned.size() + 3);
                  scanned.push_back(hash);
                  return scanned.size() < 5;
                }).ok());
  EXPECT_EQ(scanned, std::vector<Hash>(hashes.begin() + 2, hashes.begin() + 7));
  EXPECT_TRUE(db->GetChangeAt(999).status().IsNotFound());
  EXPECT_TRUE(db->GetChange(Hash()).status().IsNotFound());
  ExpectVerified(*db);
}

size_t TableFiles(const std::string& path) {
  size_t tables = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    tables += entry.path().extension() == ".sst";
  }
  return tables;
}

// A small memory budget flushes memtables sooner (tables appear while the
// default budget still holds everything in memory) and loses nothing; a
// budget below the least is refused before anything is made.
TEST(DatabaseTest, AMemoryBudgetBoundsMemtablesAndLosesNothing) {
  TempDir dir;
  Options too_small;
  too_small.memory_budget_bytes = 1u << 20;
  auto refused = Database::Open(dir.Sub("refused"), too_small);
  EXPECT_TRUE(refused.status().IsInvalidArgument());
  EXPECT_NE(refused.status().ToString().find("memory_budget_bytes"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("refused")));

  Options small;
  small.memory_budget_bytes = 4u << 20;
  const std::string filler(2000, 'x');
  auto fill = [&](const std::string& path, const Options& options) {
    auto db = OpenOrDie(path, options);
    for (int doc = 0; doc < 3000; ++doc) {
      Put(db.get(), "docs/" + std::to_string(doc),
          R"({"n": )" + std::to_string(doc) + R"(, "s": ")" + filler + R"("})");
    }
    return db;
  };
  auto roomy = fill(dir.Sub("roomy"), Options());
  auto tight = fill(dir.Sub("tight"), small);
  EXPECT_EQ(TableFiles(dir.Sub("roomy")), 0u);
  EXPECT_GT(TableFiles(dir.Sub("tight")), 0u);
  roomy.reset();
  tight.reset();
  auto reopened = OpenOrDie(dir.Sub("tight"), small);
  EXPECT_EQ(reopened->LogLength(), 3000u);
  for (int doc = 0; doc < 3000; doc += 97) {
    auto value = reopened->GetPathJson("docs/" + std::to_string(doc), "n");
    ASSERT_TRUE(value.ok()) << value.status().ToString();
    EXPECT_EQ(*value, std::to_string(doc));
  }
  ExpectVerified(*reopened);
}

// Edits chain without a check each; the first failure is status() and what
// Commit returns, and nothing of the transaction commits. Get reads typed.
TEST(DatabaseTest, ChainedEditsFailTogetherAndGetReadsTypedScalars) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  auto txn = db->Begin();
  txn->Set("todos/1", "title", std::string("milk"))
      .Set("todos/1", "done", false)
      .Set("todos/1", "n", int64_t{3})
      .Set("todos/1", "blob", Bytes{std::string("\x00\xff", 2)})
      .Increment("todos/1", "votes", 2);
  ASSERT_TRUE(txn->status().ok()) << txn->status().ToString();
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(*db->Get("todos/1", "title"), Scalar(std::string("milk")));
  EXPECT_EQ(*db->Get("todos/1", "done"), Scalar(false));
  EXPECT_EQ(*db->Get("todos/1", "n"), Scalar(int64_t{3}));
  EXPECT_EQ(std::get<Bytes>(*db->Get("todos/1", "blob")).data,
            std::string("\x00\xff", 2));
  EXPECT_TRUE(db->Get("todos/1", "votes").status().IsInvalidArgument());
  EXPECT_TRUE(db->Get("todos/1", "absent").status().IsNotFound());
  EXPECT_TRUE(db->Get("todos/2", "title").status().IsNotFound());

  txn = db->Begin();
  txn->Set("todos/1", "title", std::string("bread"))
      .ListInsert("todos/1", "title", 5, std::string("x"))  // not a list
      .Set("todos/1", "n", int64_t{4});
  Status first = txn->status();
  EXPECT_TRUE(first.IsInvalidArgument()) << first.ToString();
  Result<Hash> commit = txn->Commit();
  EXPECT_EQ(commit.status().ToString(), first.ToString());
  EXPECT_EQ(*db->Get("todos/1", "title"), Scalar(std::string("milk")));
  EXPECT_EQ(*db->Get("todos/1", "n"), Scalar(int64_t{3}));
}

TEST(DatabaseTest, RemoteChangesInRandomOrderMatchInOrderDelivery) {
  TempDir dir;
  std::mt19937_64 rng(7);
  auto a = OpenOrDie(dir.Sub("a"));
  auto b = OpenOrDie(dir.Sub("b"));
  auto copy_all = [](Database& from, Database& to) {
    for (uint64_t pos = 1; pos <= from.LogLength(); ++pos) {
      auto stored = from.GetChangeAt(pos);
      ASSERT_TRUE(stored.ok());
      auto proofs = from.ProveChange(stored->hash);
      ASSERT_TRUE(proofs.ok()) << proofs.status().ToString();
      auto outcome = to.Receive(stored->hash, stored->bytes, *proofs);
      ASSERT_TRUE(outcome.ok() || outcome.status().IsAlreadyExists());
    }
  };
  for (int step = 0; step < 200; ++step) {
    Database& writer = rng() % 2 ? *a : *b;
    ASSERT_TRUE(writer.Commit(RandomDraft(rng, 1 + rng() % 4)).ok());
    if (rng() % 10 == 0) copy_all(*a, *b);
    if (rng() % 10 == 0) copy_all(*b, *a);
  }
  copy_all(*b, *a);
  copy_all(*a, *b);
  EXPECT_EQ(a->Heads(), b->Heads());

  std::vector<std::pair<std::string, std::string>> all;  // bytes, proofs
  for (uint64_t pos = 1; pos <= a->LogLength(); ++pos) {
    auto stored = a->GetChangeAt(pos);
    all.emplace_back(stored->bytes, *a->ProveChange(stored->hash));
  }
  std::shuffle(all.begin(), all.end(), rng);
  {
    auto shuffled = OpenOrDie(dir.Sub("shuffled"));
    for (const auto& [bytes, proofs] : all) {
      ASSERT_TRUE(shuffled->Receive(bytes, proofs).ok());
    }
    EXPECT_EQ(shuffled->PendingCount(), 0u);
  }
  auto shuffled = OpenOrDie(dir.Sub("shuffled"));  // and after a reopen
  EXPECT_EQ(shuffled->LogLength(), a->LogLength());
  EXPECT_EQ(shuffled->Heads(), a->Heads());
  EXPECT_EQ(shuffled->Actors().size(), 2u);
  auto a_actors = a->Actors();
  auto s_actors = shuffled->Actors();
  for (size_t idx = 0; idx < a_actors.size(); ++idx) {
    EXPECT_EQ(s_actors[idx].seq, a_actors[idx].seq);
    EXPECT_EQ(s_actors[idx].last_hash, a_actors[idx].last_hash);
  }
  ExpectVerified(*shuffled);
  ExpectVerified(*a);
}

// The `s` entry of a document: its tag (checkpoint << 1 | row).
uint64_t StateTag(const std::string& path, const DocRef& doc) {
  auto store = storage::OpenRocksDbKvStore(path, {});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  std::string value;
  EXPECT_TRUE(
      (*store)
          ->Get(storage::Family::kDocs, "s" + engine::DocKey(doc), &value)
          .ok());
  std::string_view rest = value;
  uint64_t tag = 0;
  EXPECT_TRUE(GetVarint(&rest, &tag));
  return tag;
}

// Between snapshots a document larger than a row is its last snapshot plus
// a tail of changes that a load replays; closing the database snapshots
// every changed document, so that the next load replays nothing. A small
// document is a row, rewritten by each change.
TEST(DatabaseTest, ClosingSnapshotsEveryChangedDocument) {
  TempDir dir;
  std::string text;
  const std::string edit_text(40, 'x');
  {
    auto db = OpenOrDie(dir.Sub("db"));
    for (int edit = 0; edit < 50; ++edit) {
      auto txn = db->Begin();
      ASSERT_TRUE(txn->SpliceText("notes/a", "body", text.size(), 0, edit_text)
                      .status()
                      .ok());
      ASSERT_TRUE(txn->Set("notes/b", "n", int64_t{edit}).status().ok());
      ASSERT_TRUE(txn->Commit().ok());
      text += edit_text;
    }
  }
  EXPECT_EQ(StateTag(dir.Sub("db"), {"notes", "a"}), 50u << 1)
      << "a snapshot as of the log's end";
  EXPECT_EQ(StateTag(dir.Sub("db"), {"notes", "b"}), 50u << 1 | 1)
      << "a row, written by the last change";
  auto db = OpenOrDie(dir.Sub("db"));
  auto body = db->GetJson("notes/a");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_NE(body->find("\"" + text + "\""), std::string::npos) << *body;
  EXPECT_EQ(*db->GetJson("notes/b"), R"({"n":49})");
  ExpectVerified(*db);
}

// History entries are written every 256 changes and on close: a copy of a
// live database (what a crash leaves) holds only those written, and its
// open finds the rest again in the log: each document's history, a
// document made since, its state as of a change, and a scan all agree.
TEST(DatabaseTest, HistoryNotYetWrittenIsFoundAgainAfterACrash) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  // notes/0, made after the history written at 256 changes, comes first.
  const std::vector<std::string> docs = {"notes/a", "notes/b", "notes/0"};
  Hash midway;
  for (int edit = 0; edit < 300; ++edit) {
    const std::string& doc = docs[edit < 280 ? edit % 2 : edit % 3];
    auto txn = db->Begin();
    ASSERT_TRUE(txn->SpliceText(doc, "body", 0, 0, "x").status().ok());
    auto hash = txn->Commit();
    ASSERT_TRUE(hash.ok()) << hash.status().ToString();
    if (edit == 290) midway = *hash;
  }
  ASSERT_TRUE(db->Checkpoint(dir.Sub("copy")).ok());
  {
    storage::RocksDbStoreOptions read_only;
    read_only.read_only = true;
    auto store = storage::OpenRocksDbKvStore(dir.Sub("copy"), read_only);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::string touches_at;
    ASSERT_TRUE(
        (*store)->Get(storage::Family::kMeta, "touches_at", &touches_at).ok());
    ASSERT_EQ(touches_at.size(), 8u);
    uint64_t written_through = 0;
    for (char byte : touches_at) {
      written_through = written_through << 8 | static_cast<uint8_t>(byte);
    }
    EXPECT_GE(written_through, 256u);
    EXPECT_LT(written_through, 300u);  // the rest is not written
  }
  auto copy = OpenOrDie(dir.Sub("copy"));
  for (const std::string& doc : docs) {
    SCOPED_TRACE(doc);
    auto history = copy->DocumentHistory(doc);
    ASSERT_TRUE(history.ok()) << history.status().ToString();
    EXPECT_EQ(*history, *db->DocumentHistory(doc));
    EXPECT_EQ(*copy->GetJson(doc), *db->GetJson(doc));
    EXPECT_EQ(*copy->GetJsonAsOf(doc, midway), *db->GetJsonAsOf(doc, midway));
  }
  EXPECT_EQ(*copy->ListKeys("notes"),
            (std::vector<std::string>{"0", "a", "b"}));
  auto found = copy->Find("notes", Predicate::All());
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::vector<std::string> scanned;
  for (auto& cursor = *found; cursor->Valid(); cursor->Next()) {
    scanned.push_back(cursor->doc());
  }
  EXPECT_EQ(scanned,
            (std::vector<std::string>{"notes/0", "notes/a", "notes/b"}));
  ExpectVerified(*copy);
}

TEST(DatabaseTest, SecondOpenOfTheSameFolderIsBusy) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  auto second = Database::Open(dir.Sub("db"), Options());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().IsBusy()) << second.status().ToString();
}

TEST(DatabaseTest, MissingDatabaseWithoutCreateIsNotFound) {
  TempDir dir;
  Options options;
  options.create_if_missing = false;
  EXPECT_TRUE(Database::Open(dir.Sub("none"), options).status().IsNotFound());
}

std::vector<std::string> FolderListing(const std::string& path) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    names.push_back(entry.path().filename().string() + " " +
                    std::to_string(entry.file_size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A read-only handle reads everything, writes nothing to the folder, takes
// no lock (a writer may hold the database), and refuses every write with
// NotSupported.
TEST(DatabaseTest, ReadOnlyOpenReadsEverythingAndWritesNothing) {
  TempDir dir;
  std::string path = dir.Sub("db");
  Options read_only;
  read_only.read_only = true;
  EXPECT_TRUE(Database::Open(path, read_only).status().IsNotFound());
  {
    auto db = OpenOrDie(path);
    Put(db.get(), "todo/1", R"({"title": "milk", "n": 1})");
    ViewDefinition by_n;
    by_n.name = "by_n";
    by_n.collection = "todo";
    by_n.fields = {"n"};
    ASSERT_TRUE(db->CreateView(by_n).ok());
  }
  std::vector<std::string> before = FolderListing(path);
  {
    auto db = Database::Open(path, read_only);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(*(*db)->GetJson("todo/1"), R"({"n":1,"title":"milk"})");
    EXPECT_EQ((*db)->LogLength(), 1u);
    size_t rows = 0;
    ASSERT_TRUE((*db)
                    ->ScanView("by_n",
                               [&](const ViewRow&) {
                                 ++rows;
                                 return true;
                               })
                    .ok());
    EXPECT_EQ(rows, 1u);
    auto txn = (*db)->Begin();
    ASSERT_TRUE(txn->Set("todo/1", "title", "bread").status().ok());
    auto hash = txn->Commit();
    ASSERT_FALSE(hash.ok());
    EXPECT_TRUE(hash.status().IsNotSupported()) << hash.status().ToString();
    EXPECT_NE(hash.status().ToString().find("read-only"), std::string::npos);
    EXPECT_EQ(*(*db)->GetJson("todo/1"), R"({"n":1,"title":"milk"})");
    EXPECT_EQ((*db)->LogLength(), 1u);
    EXPECT_FALSE((*db)->DropView("by_n").ok());
    ExpectVerified(**db);
  }
  EXPECT_EQ(FolderListing(path), before);

  // Beside a writer: it reads what was committed before it opened.
  auto writer = OpenOrDie(path);
  Put(writer.get(), "todo/2", R"({"title": "eggs"})");
  auto reader = Database::Open(path, read_only);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(*(*reader)->GetJson("todo/2"), R"({"title":"eggs"})");
  EXPECT_EQ((*reader)->Heads(), writer->Heads());
}

TEST(DatabaseTest, CheckpointCopiesALiveDatabase) {
  TempDir dir;
  std::mt19937_64 rng(3);
  auto db = OpenOrDie(dir.Sub("db"));
  for (int commit = 0; commit < 10; ++commit) {
    ASSERT_TRUE(db->Commit(RandomDraft(rng, 2)).ok());
  }
  ASSERT_TRUE(db->Checkpoint(dir.Sub("copy")).ok());
  auto copy = OpenOrDie(dir.Sub("copy"));
  EXPECT_EQ(copy->Heads(), db->Heads());
  EXPECT_EQ(copy->local_actor(), db->local_actor());
  ExpectVerified(*copy);
  EXPECT_GT(db->ApproximateSizeBytes(), 0u);
}

// A commit acknowledged with sync = true survives a power loss right after
// it: the disk then drops every write it was not made to sync (FaultPlan).
// With sync = false the same commit is lost, which shows the cut is real.
TEST(DatabaseTest, SyncOptionCommitsDurably) {
  TempDir dir;
  for (bool sync : {true, false}) {
    SCOPED_TRACE(sync ? "sync" : "no sync");
    std::string path = dir.Sub(sync ? "synced" : "unsynced");
    Options options;
    options.sync = sync;
    auto plan = std::make_shared<storage::FaultPlan>();
    Hash hash;
    {
      auto db = Database::OpenWithFaults(path, options, plan);
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      auto committed = (*db)->Commit(testing::OneOpDraft(1));
      ASSERT_TRUE(committed.ok());
      hash = *committed;
      plan->CutPowerFrom(1);  // nothing after the acknowledgement lands
    }
    EXPECT_GT(plan->DropUnsynced(), 0u);
    auto db = OpenOrDie(path, Options());
    EXPECT_EQ(db->GetChange(hash).ok(), sync);
  }
}

// A database written before signed authorship (format 4, without an
// identity key) is refused by Database::Open with the reason, not with a
// missing key; no key is made for it.
TEST(DatabaseTest, ADatabaseOfFormatFourIsRefusedWithTheReason) {
  TempDir dir;
  {
    auto db = OpenOrDie(dir.Sub("db"));
    Put(db.get(), "t/1", R"({"n": 1})");
  }
  {
    auto store = storage::OpenRocksDbKvStore(dir.Sub("db"), {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto batch = (*store)->NewBatch();
    batch->Put(storage::Family::kMeta, "format_version", "4");
    ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
  }
  std::filesystem::remove(dir.Sub("db") + "/identity.key");
  for (bool read_only : {false, true}) {
    Options options;
    options.read_only = read_only;
    auto db = Database::Open(dir.Sub("db"), options);
    EXPECT_TRUE(db.status().IsNotSupported()) << db.status().ToString();
    EXPECT_NE(db.status().ToString().find("before signed authorship"),
              std::string::npos)
        << db.status().ToString();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("db") + "/identity.key"));
}

// What the fixed script below leaves: heads, each document's state, each
// view's digest, the text of every change by position.
struct Picture {
  std::vector<Hash> heads;
  std::vector<std::string> states;
  std::string view_digest;
  std::vector<std::string> changes;
  std::vector<uint64_t> heights;
  friend bool operator==(const Picture&, const Picture&) = default;
};

Picture PictureOf(Database* db) {
  Picture picture;
  picture.heads = db->Heads();
  for (int doc = 0; doc < 20; ++doc) {
    picture.states.push_back(*db->EncodedState("t/" + std::to_string(doc)));
  }
  picture.view_digest = db->ViewDigest("by_n")->ToHex();
  for (uint64_t position = 1; position <= db->LogLength(); ++position) {
    auto change = db->GetChangeAt(position);
    EXPECT_TRUE(change.ok()) << change.status().ToString();
    if (!change.ok()) break;
    picture.changes.push_back(change->bytes);
    picture.heights.push_back(change->height);
    auto by_hash = db->GetChange(change->hash);
    EXPECT_TRUE(by_hash.ok() && by_hash->position == position)
        << position << ": " << by_hash.status().ToString();
  }
  return picture;
}

// How many log entries are runs, and how many there are in all.
std::pair<size_t, size_t> LogEntries(const std::string& path) {
  auto store = storage::OpenRocksDbKvStore(path, {});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  auto it = (*store)->NewIterator(storage::Family::kLog);
  std::pair<size_t, size_t> counts;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    counts.first += engine::IsRunEntry(it->value());
    ++counts.second;
  }
  return counts;
}

// Rewrites the index and seqs families as formats 5 and 6 kept them: an
// entry per hash (position, height, end op as three big-endian u64) and
// one per seq (the position, 8 bytes big-endian).
void WriteLegacyIndex(storage::KvStore* store) {
  auto batch = store->NewBatch();
  batch->DeleteRange(storage::Family::kIndex, "", std::string(33, '\xff'));
  batch->DeleteRange(storage::Family::kSeqs, "", std::string(25, '\xff'));
  std::map<Hash, uint64_t> heights;
  auto it = store->NewIterator(storage::Family::kLog);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t last;
    ASSERT_TRUE(engine::DecodePosition(it->key(), &last));
    std::vector<dag::RunChange> changes;
    if (engine::IsRunEntry(it->value())) {
      changes = *dag::DecodeRun(it->value());
    } else {
      changes.push_back(*dag::RunChangeOf(std::string(it->value())));
    }
    uint64_t position = last - changes.size() + 1;
    for (const dag::RunChange& change : changes) {
      uint64_t height = 1;
      for (const Hash& parent : change.change.parents) {
        height = std::max(height, heights.at(parent) + 1);
      }
      heights[change.hash] = height;
      batch->Put(
          storage::Family::kIndex, change.hash.AsStringView(),
          engine::EncodeIndexEntry({position, height, change.change.EndOp()}));
      batch->Put(storage::Family::kSeqs,
                 engine::EncodeSeqKey(change.change.actor, change.change.seq),
                 engine::EncodePosition(position));
      ++position;
    }
  }
  ASSERT_TRUE(store->Write(batch.get(), true).ok());
}

// A database of format 5 (every log entry one change: the log before runs;
// an index entry per hash) made from a fixed script: 1300 changes over 20
// documents, a view. `runs`: keep the runs and record format 6 instead.
// Rewrites the docs family's states as format 7 kept them (varint
// checkpoint, then the state: no rows) for the documents after DocKey
// `from` (empty: all), and, as format 7 wrote a state only now and then,
// drops every other one of those (its document is replayed from its
// history). With `from`: what a move to rows cut short after `from` leaves.
void WriteFormatSevenDocs(storage::KvStore* store,
                          const std::string& from = "") {
  auto batch = store->NewBatch();
  auto it = store->NewIterator(storage::Family::kDocs);
  int seen = 0;
  for (it->Seek("s"); it->Valid() && it->key()[0] == 's'; it->Next()) {
    if (it->key().substr(1) <= from) continue;
    std::string_view rest = it->value();
    uint64_t tag;
    ASSERT_TRUE(GetVarint(&rest, &tag));
    if (seen++ % 2 == 1) {
      batch->Delete(storage::Family::kDocs, it->key());
      continue;
    }
    std::string value;
    PutVarint(&value, tag >> 1);
    value.append(rest);
    batch->Put(storage::Family::kDocs, it->key(), value);
  }
  ASSERT_GT(seen, 1);
  if (!from.empty()) {
    batch->Put(storage::Family::kMeta, "docs_moved_through", from);
  }
  ASSERT_TRUE(store->Write(batch.get(), true).ok());
}

// Marks the database at `path` format 7 after rewriting its states as
// format 7 kept them (WriteFormatSevenDocs, with `from`).
void WriteFormatSeven(const std::string& path, const std::string& from = "") {
  auto store = storage::OpenRocksDbKvStore(path, {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  WriteFormatSevenDocs(store->get(), from);
  auto batch = (*store)->NewBatch();
  batch->Put(storage::Family::kMeta, engine::kMetaFormatVersion,
             engine::kFormatVersionBeforeRows);
  ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
}

std::unique_ptr<Database> OpenReadOnlyOrDie(const std::string& path) {
  Options read_only;
  read_only.read_only = true;
  auto db = Database::Open(path, read_only);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

// 1300 commits over 20 documents (a number and a growing text each) with
// an index view: what each older format is made from.
void WriteTwentyDocuments(const std::string& path) {
  auto db = OpenOrDie(path);
  ViewDefinition by_n;
  by_n.name = "by_n";
  by_n.kind = ViewKind::kIndex;
  by_n.collection = "t";
  by_n.fields = {"n"};
  ASSERT_TRUE(db->CreateView(by_n).ok());
  for (int commit = 0; commit < 1300; ++commit) {
    auto txn = db->Begin();
    std::string doc = "t/" + std::to_string(commit % 20);
    ASSERT_TRUE(txn->Set(doc, "n", int64_t{commit}).status().ok());
    ASSERT_TRUE(txn->SpliceText(doc, "s", 0, 0, "ab").status().ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
}

void WriteFormatFive(const std::string& path, bool runs = false) {
  WriteTwentyDocuments(path);
  auto store = storage::OpenRocksDbKvStore(path, {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  WriteLegacyIndex(store->get());
  WriteFormatSevenDocs(store->get());
  if (runs) {
    auto batch = (*store)->NewBatch();
    batch->Put(storage::Family::kMeta, engine::kMetaFormatVersion,
               engine::kFormatVersionBeforeCompactIndex);
    ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
    return;
  }
  // This build packed the log on close: unpack it, as format 5 kept it.
  auto batch = (*store)->NewBatch();
  auto it = (*store)->NewIterator(storage::Family::kLog);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!engine::IsRunEntry(it->value())) continue;
    uint64_t last;
    ASSERT_TRUE(engine::DecodePosition(it->key(), &last));
    auto run = dag::DecodeRun(it->value());
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    uint64_t position = last - run->size() + 1;
    for (const dag::RunChange& change : *run) {
      batch->Put(storage::Family::kLog, engine::EncodePosition(position++),
                 change.bytes);
    }
  }
  batch->Delete(storage::Family::kMeta, engine::kMetaPackedThrough);
  batch->Put(storage::Family::kMeta, engine::kMetaFormatVersion,
             engine::kFormatVersionBeforeRuns);
  ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
}

std::string FormatOf(const std::string& path) {
  auto store = storage::OpenRocksDbKvStore(path, {});
  std::string version;
  EXPECT_TRUE(
      (*store)
          ->Get(storage::Family::kMeta, engine::kMetaFormatVersion, &version)
          .ok());
  return version;
}

TEST(DatabaseTest, AFormatFiveDatabaseIsReadAsItIsAndPackedByAWritableOpen) {
  TempDir dir;
  std::string path = dir.Sub("db");
  WriteFormatFive(path);
  ASSERT_EQ(LogEntries(path), std::make_pair(size_t{0}, size_t{1300}));
  Picture before;
  {
    Options read_only;
    read_only.read_only = true;
    auto db = Database::Open(path, read_only);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    before = PictureOf(db->get());
    ASSERT_EQ(before.changes.size(), 1300u);
  }
  EXPECT_EQ(FormatOf(path), "5") << "a read-only open changes nothing";
  {
    auto db = OpenOrDie(path);
    EXPECT_EQ(PictureOf(db.get()), before);
  }
  EXPECT_EQ(FormatOf(path), "8");
  // Closing packed every whole run of 256: 1280 changes in 5 runs, 20 left.
  EXPECT_EQ(LogEntries(path), std::make_pair(size_t{5}, size_t{25}));
  auto db = OpenOrDie(path);
  EXPECT_EQ(PictureOf(db.get()), before);
  auto report = db->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems.front();
  EXPECT_EQ(report->changes_checked, 1300u);
}

// Format 7 (states without rows, not every document with one): read as it
// is read-only; a writable open rewrites the states (rows where small) and
// records 8, and nothing read changes: heads, documents, views, changes.
TEST(DatabaseTest, AFormatSevenDatabaseIsReadAsItIsAndMovedToRows) {
  TempDir dir;
  std::string path = dir.Sub("db");
  WriteTwentyDocuments(path);
  Picture written = PictureOf(OpenOrDie(path).get());
  WriteFormatSeven(path);
  {
    auto db = OpenReadOnlyOrDie(path);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(PictureOf(db.get()), written);
    auto keys = db->ListKeys("t");
    ASSERT_TRUE(keys.ok());
    EXPECT_EQ(keys->size(), 20u);
    auto report = db->Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->problems.front();
  }
  EXPECT_EQ(FormatOf(path), "7") << "a read-only open changes nothing";
  {
    auto db = OpenOrDie(path);
    EXPECT_EQ(PictureOf(db.get()), written);
    ExpectVerified(*db);
  }
  EXPECT_EQ(FormatOf(path), "8");
  for (int doc = 0; doc < 20; ++doc) {
    EXPECT_NE(StateTag(path, {"t", std::to_string(doc)}), 0u) << doc;
  }
  auto db = OpenOrDie(path);
  EXPECT_EQ(PictureOf(db.get()), written);
  auto found = db->Find("t", Predicate::Equals("n", int64_t{1299}));
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE((*found)->Valid());
  EXPECT_EQ((*found)->doc(), "t/19");
}

// A move to rows is written in batches, each recording how far it got: one
// cut short (some states moved, the rest as format 7 kept them) is read as
// it is, and the next writable open finishes it.
TEST(DatabaseTest, AMoveToRowsCutShortIsReadAndFinished) {
  TempDir dir;
  std::string path = dir.Sub("db");
  WriteTwentyDocuments(path);
  Picture written = PictureOf(OpenOrDie(path).get());
  WriteFormatSeven(path, engine::DocKey({"t", "15"}));
  {
    auto db = OpenReadOnlyOrDie(path);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(PictureOf(db.get()), written);
  }
  EXPECT_EQ(PictureOf(OpenOrDie(path).get()), written);
  EXPECT_EQ(FormatOf(path), "8");
  auto store = storage::OpenRocksDbKvStore(path, {});
  std::string moved;
  EXPECT_TRUE((*store)
                  ->Get(storage::Family::kMeta, "docs_moved_through", &moved)
                  .IsNotFound());
}

// Keys of the index family by length (format 7: 2-byte buckets only).
std::map<size_t, size_t> IndexKeyLengths(const std::string& path) {
  auto store = storage::OpenRocksDbKvStore(path, {});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  std::map<size_t, size_t> lengths;
  auto it = (*store)->NewIterator(storage::Family::kIndex);
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++lengths[it->key().size()];
  return lengths;
}

// Format 6 (runs, an index entry per hash, a seqs entry per seq): read as
// it is read-only; a writable open rebuilds the index in buckets and the
// seqs as ranges, and nothing read changes.
TEST(DatabaseTest, AFormatSixDatabaseIsReadAsItIsAndItsIndexRebuilt) {
  TempDir dir;
  std::string path = dir.Sub("db");
  WriteFormatFive(path, /*runs=*/true);
  EXPECT_EQ(IndexKeyLengths(path), (std::map<size_t, size_t>{{32, 1300}}));
  Picture before;
  {
    Options read_only;
    read_only.read_only = true;
    auto db = Database::Open(path, read_only);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    before = PictureOf(db->get());
    ASSERT_EQ(before.changes.size(), 1300u);
    EXPECT_EQ(*(*db)->ResolveHashPrefix(before.heads[0].ToHex().substr(0, 10)),
              before.heads[0]);
    auto report = (*db)->Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->problems.front();
  }
  EXPECT_EQ(FormatOf(path), "6");
  {
    auto db = OpenOrDie(path);
    EXPECT_EQ(PictureOf(db.get()), before);
    EXPECT_EQ(*db->ResolveHashPrefix(before.heads[0].ToHex().substr(0, 10)),
              before.heads[0]);
    auto report = db->Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->problems.front();
    EXPECT_EQ(report->changes_checked, 1300u);
  }
  EXPECT_EQ(FormatOf(path), "8");
  auto lengths = IndexKeyLengths(path);
  ASSERT_EQ(lengths.size(), 1u);
  EXPECT_EQ(lengths.begin()->first, 2u);
  EXPECT_EQ(PictureOf(OpenOrDie(path).get()), before);
}

// Every change in a packed run reads back by hash and by position, and a
// byte of a run damaged on disk is found by verify (the run no longer
// rebuilds to its digest) and by a read inside it.
TEST(DatabaseTest, PackedChangesReadBackAndDamageInARunIsFound) {
  TempDir dir;
  std::string path = dir.Sub("db");
  std::vector<Hash> hashes;
  {
    auto db = OpenOrDie(path);
    for (int commit = 0; commit < 700; ++commit) {
      auto txn = db->Begin();
      ASSERT_TRUE(txn->PutJson("t/" + std::to_string(commit % 9),
                               R"({"n": )" + std::to_string(commit) + "}")
                      .status()
                      .ok());
      auto hash = txn->Commit();
      ASSERT_TRUE(hash.ok());
      hashes.push_back(*hash);
    }
  }
  EXPECT_EQ(LogEntries(path).first, 2u);  // 512 changes in 2 runs
  {
    auto db = OpenOrDie(path);
    for (size_t idx = 0; idx < hashes.size(); ++idx) {
      auto change = db->GetChange(hashes[idx]);
      ASSERT_TRUE(change.ok()) << idx << ": " << change.status().ToString();
      EXPECT_EQ(change->position, idx + 1);
    }
  }
  {
    auto store = storage::OpenRocksDbKvStore(path, {});
    ASSERT_TRUE(store.ok());
    std::string run;
    ASSERT_TRUE(
        (*store)
            ->Get(storage::Family::kLog, engine::EncodePosition(256), &run)
            .ok());
    ASSERT_TRUE(engine::IsRunEntry(run));
    run[run.size() / 2] ^= 0x10;
    auto batch = (*store)->NewBatch();
    batch->Put(storage::Family::kLog, engine::EncodePosition(256), run);
    ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
  }
  auto db = OpenOrDie(path);
  auto report = db->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_FALSE(report->ok());
  EXPECT_NE(report->problems.front().find("ending at log position 256"),
            std::string::npos)
      << report->problems.front();
  EXPECT_TRUE(db->GetChange(hashes[100]).status().IsCorruption());
  EXPECT_TRUE(db->GetChange(hashes[300]).ok());
}

}  // namespace
}  // namespace weft
