// Database::Verify replays every document from the log and recomputes
// every view row: damage to a snapshot, a history entry or a row (which
// checksums cannot see: the bytes are whole, only wrong) is reported, and
// VerifyOptions::quick skips that replay.
#include <gtest/gtest.h>

#include <functional>

#include "engine/state/doc_store.h"
#include "engine/views/field.h"
#include "storage/rocksdb_kv_store.h"
#include "tests/testutil/db.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using testing::OpenOrDie;
using testing::Put;
using testing::TempDir;

// A database of three people, an index, a projection and an aggregate.
class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = OpenOrDie(path_);
    ASSERT_NE(db, nullptr);
    Put(db.get(), "people/ann", R"({"age": 31, "city": "Oslo"})");
    Put(db.get(), "people/bob", R"({"age": 40, "city": "Oslo"})");
    Put(db.get(), "people/cid", R"({"age": 2.5, "city": "Rome"})");
    Put(db.get(), "notes/1", R"({"text": "hello"})");
    ViewDefinition index;
    index.name = "by_age";
    index.kind = ViewKind::kIndex;
    index.collection = "people";
    index.fields = {"age"};
    ASSERT_TRUE(db->CreateView(index).ok());
    ViewDefinition projection = index;
    projection.name = "oslo";
    projection.kind = ViewKind::kProjection;
    projection.filter = *Predicate::FromJson(R"({"city": "Oslo"})");
    ASSERT_TRUE(db->CreateView(projection).ok());
    ViewDefinition aggregate;
    aggregate.name = "age_by_city";
    aggregate.kind = ViewKind::kAggregate;
    aggregate.collection = "people";
    aggregate.aggregate_field = "age";
    aggregate.group_by = "city";
    ASSERT_TRUE(db->CreateView(aggregate).ok());
    Put(db.get(), "people/ann", R"({"age": 32, "city": "Oslo"})");
  }

  // Edits the store behind the engine's back (the database closed).
  void Damage(const std::function<void(storage::KvStore*,
                                       storage::WriteBatch*)>& edit) {
    auto store = storage::OpenRocksDbKvStore(path_, {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto batch = (*store)->NewBatch();
    edit(store->get(), batch.get());
    ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
  }

  // The problems a full verify finds; a quick one must find none.
  std::vector<std::string> Problems() {
    auto db = OpenOrDie(path_);
    if (db == nullptr) return {"no open"};
    VerifyOptions quick;
    quick.quick = true;
    auto fast = db->Verify(quick);
    EXPECT_TRUE(fast.ok() && fast->ok()) << fast->problems.front();
    EXPECT_EQ(fast->documents_checked, 0u);
    auto report = db->Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? report->problems : std::vector<std::string>{"error"};
  }

  static bool Has(const std::vector<std::string>& problems,
                  const std::string& text) {
    for (const std::string& problem : problems) {
      if (problem.find(text) != std::string::npos) return true;
    }
    return false;
  }

  TempDir dir_;
  std::string path_ = dir_.Sub("db");
};

TEST_F(VerifyTest, ASoundDatabaseReplaysToWhatItStores) {
  auto db = OpenOrDie(path_);
  auto report = db->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok()) << report->problems.front();
  EXPECT_EQ(report->changes_checked, 5u);
  EXPECT_EQ(report->document_touches, 5u);
  EXPECT_EQ(report->documents_checked, 4u);
  // Index: 3 rows and 3 reverse entries; projection: 2 rows; aggregate: 3
  // reverse entries and 3 number rows.
  EXPECT_EQ(report->view_rows_checked, 14u);
}

TEST_F(VerifyTest, ASnapshotHoldingAnotherStateIsReported) {
  Damage([](storage::KvStore* store, storage::WriteBatch* batch) {
    std::string bob;
    ASSERT_TRUE(store
                    ->Get(storage::Family::kDocs,
                          "s" + engine::DocKey({"people", "bob"}), &bob)
                    .ok());
    batch->Put(storage::Family::kDocs, "s" + engine::DocKey({"people", "ann"}),
               bob);  // whole bytes, a valid state: only wrong
  });
  std::vector<std::string> problems = Problems();
  EXPECT_TRUE(Has(problems,
                  "document people/ann: its stored state differs "
                  "from the log's replay"))
      << problems.size();
  // Its view rows, made from its true state, no longer match the state a
  // load now gives (what queries would read).
  EXPECT_TRUE(Has(problems, "view by_age: the row of people/ann differs"));
}

TEST_F(VerifyTest, ASnapshotThatDoesNotDecodeIsReportedNotAnError) {
  Damage([](storage::KvStore*, storage::WriteBatch* batch) {
    batch->Put(storage::Family::kDocs, "s" + engine::DocKey({"people", "bob"}),
               std::string("\x05junk", 5));  // checkpoint 5, then junk
  });
  std::vector<std::string> problems = Problems();
  EXPECT_TRUE(Has(problems,
                  "document people/bob: its stored state does not "
                  "load: Corruption"));
  EXPECT_TRUE(Has(problems,
                  "view by_age: the row of people/bob cannot be "
                  "checked: its document does not load"));
}

// Stored bytes are not trusted by a scan either: a damaged number row is
// Corruption from ScanView, never a throw.
TEST_F(VerifyTest, ADamagedAggregateRowIsCorruptionFromAScan) {
  Damage([](storage::KvStore* store, storage::WriteBatch* batch) {
    auto it = store->NewIterator(storage::Family::kViews);
    std::string numbers = std::string("aage_by_city") + '\0';
    it->Seek(numbers);
    ASSERT_TRUE(it->Valid());
    batch->Put(storage::Family::kViews, it->key(), "{junk");
  });
  auto db = OpenOrDie(path_);
  Status scan =
      db->ScanView("age_by_city", [](const ViewRow&) { return true; });
  EXPECT_TRUE(scan.IsCorruption()) << scan.ToString();
  auto report = db->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(Has(report->problems, "view age_by_city: the number row of "));
}

// A projection or index row whose bytes are damaged is Corruption from
// ScanView, and an index row whose key is damaged is Corruption from the
// Find that reads it: never a throw, never garbage handed on.
TEST_F(VerifyTest, DamagedProjectionAndIndexRowsAreCorruptionFromScanAndFind) {
  Damage([](storage::KvStore* store, storage::WriteBatch* batch) {
    auto it = store->NewIterator(storage::Family::kViews);
    it->Seek(std::string("poslo") + '\0');
    ASSERT_TRUE(it->Valid());
    batch->Put(storage::Family::kViews, it->key(), "{\"age\": 3");
    it->Seek(std::string("iby_age") + '\0');
    ASSERT_TRUE(it->Valid());
    batch->Put(storage::Family::kViews, it->key(), "[junk");
  });
  auto db = OpenOrDie(path_);
  auto all = [](const ViewRow&) { return true; };
  Status projection = db->ScanView("oslo", all);
  EXPECT_TRUE(projection.IsCorruption()) << projection.ToString();
  EXPECT_NE(projection.ToString().find("a projection row is not JSON"),
            std::string::npos)
      << projection.ToString();
  Status index = db->ScanView("by_age", all);
  EXPECT_TRUE(index.IsCorruption()) << index.ToString();
  db.reset();

  // An index row for age 1 whose key names no document.
  Damage([](storage::KvStore*, storage::WriteBatch* batch) {
    std::string key = std::string("iby_age") + '\0';
    engine::EncodeField(engine::FieldFromScalar(Scalar(int64_t{1})), &key);
    batch->Put(storage::Family::kViews, key + "\x01", "[1]");
  });
  db = OpenOrDie(path_);
  auto plan = db->Explain("people", *Predicate::FromJson(R"({"age": 1})"));
  ASSERT_TRUE(plan.ok() && plan->uses_index) << plan.status().ToString();
  auto cursor = db->Find("people", *Predicate::FromJson(R"({"age": 1})"));
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  while ((*cursor)->Valid()) (*cursor)->Next();
  EXPECT_TRUE((*cursor)->status().IsCorruption())
      << (*cursor)->status().ToString();
}

TEST_F(VerifyTest, AHistoryEntryLostIsReported) {
  Damage([](storage::KvStore* store, storage::WriteBatch* batch) {
    auto it = store->NewIterator(storage::Family::kDocs);
    std::string history = "t" + engine::DocKey({"notes", "1"});
    it->Seek(history);
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key().substr(0, history.size()), history);
    batch->Delete(storage::Family::kDocs, it->key());
  });
  std::vector<std::string> problems = Problems();
  EXPECT_TRUE(Has(problems,
                  "history: 4 entries where the log's changes "
                  "touch documents 5 times"))
      << (problems.empty() ? "" : problems.front());
}

TEST_F(VerifyTest, ViewRowsMissingWrongOrExtraAreReported) {
  std::string ann = engine::DocKey({"people", "ann"});
  std::string zed = engine::DocKey({"people", "zed"});
  Damage([&](storage::KvStore* store, storage::WriteBatch* batch) {
    auto it = store->NewIterator(storage::Family::kViews);
    std::string index_rows = std::string("iby_age") + '\0';
    it->Seek(index_rows);
    ASSERT_TRUE(it->Valid());
    batch->Delete(storage::Family::kViews, it->key());  // the first index row
    batch->Put(storage::Family::kViews, std::string("poslo") + '\0' + zed,
               "{}");  // a projection row of no document
    batch->Put(storage::Family::kViews, std::string("poslo") + '\0' + ann,
               R"({"age":99})");
    std::string group = std::string("gage_by_city") + '\0';
    it->Seek(group);
    ASSERT_TRUE(it->Valid());
    std::string totals(it->value());
    totals[0] = 7;  // the count
    batch->Put(storage::Family::kViews, it->key(), totals);
  });
  std::vector<std::string> problems = Problems();
  EXPECT_TRUE(Has(problems,
                  "view by_age: the index row of people/cid is "
                  "missing"));
  EXPECT_TRUE(Has(problems,
                  "view by_age: 2 rows of kind 'i' where its "
                  "documents make 3"));
  EXPECT_TRUE(Has(problems, "view oslo: the row of people/ann differs"));
  EXPECT_TRUE(Has(problems,
                  "view oslo: 3 rows of kind 'p' where its "
                  "documents make 2"));
  EXPECT_TRUE(Has(problems, "view age_by_city: the totals of group"));
  std::string all;
  for (const std::string& problem : problems) all += problem + "\n";
  EXPECT_EQ(problems.size(), 5u) << all;
}

}  // namespace
}  // namespace weft
