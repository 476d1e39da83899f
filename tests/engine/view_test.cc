// Views, queries, subscriptions and status on real RocksDB.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/testutil/db.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using nlohmann::json;
using testing::OpenOrDie;
using testing::Put;
using testing::TempDir;
using testing::ViewRows;

void DeleteDoc(Database* db, const std::string& doc) {
  auto txn = db->Begin();
  ASSERT_TRUE(txn->DeleteDocument(doc).status().ok());
  ASSERT_TRUE(txn->Commit().ok());
}

std::string RowsText(const Database& db, const std::string& view) {
  return testing::RowsText(ViewRows(db, view));
}

ViewDefinition Index(const std::string& name, const std::string& collection,
                     std::vector<std::string> fields) {
  ViewDefinition definition;
  definition.name = name;
  definition.kind = ViewKind::kIndex;
  definition.collection = collection;
  definition.fields = std::move(fields);
  return definition;
}

ViewDefinition Aggregate(const std::string& name, const std::string& field,
                         const std::string& group_by) {
  ViewDefinition definition;
  definition.name = name;
  definition.kind = ViewKind::kAggregate;
  definition.collection = "people";
  definition.aggregate_field = field;
  definition.group_by = group_by;
  return definition;
}

// Runs a query and returns the documents found, in order.
std::vector<std::string> FindDocs(const Database& db, const std::string& where,
                                  FindOptions options = FindOptions()) {
  auto predicate = Predicate::FromJson(where);
  EXPECT_TRUE(predicate.ok()) << predicate.status().ToString();
  auto cursor = db.Find("people", *predicate, options);
  EXPECT_TRUE(cursor.ok()) << cursor.status().ToString();
  std::vector<std::string> docs;
  if (!cursor.ok()) return docs;
  for (; (*cursor)->Valid(); (*cursor)->Next()) {
    docs.push_back((*cursor)->doc());
    EXPECT_FALSE((*cursor)->json().empty());
  }
  EXPECT_TRUE((*cursor)->status().ok());
  return docs;
}

std::vector<std::string> Sorted(std::vector<std::string> docs) {
  std::sort(docs.begin(), docs.end());
  return docs;
}

class ViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenOrDie(dir_.Sub("db"));
    Put(db_.get(), "people/ann",
        R"({"age": 31, "city": "Oslo", "score": 2.5})");
    Put(db_.get(), "people/bob", R"({"age": 25, "city": "Rome"})");
    Put(db_.get(), "people/cat", R"({"age": 31, "city": "Rome", "score": 4})");
    Put(db_.get(), "people/dan", R"({"city": "Oslo", "address": {"zip": 1}})");
    Put(db_.get(), "pets/rex", R"({"age": 3})");
  }
  TempDir dir_;
  std::unique_ptr<Database> db_;
};

// Byte strings have a JSON form, {"$bytes": hex}, accepted wherever JSON
// values are: whole documents, arrays, predicates (scan and index).
TEST_F(ViewTest, BytesInJsonDocumentsAndPredicates) {
  Put(db_.get(), "people/eve",
      R"({"key": {"$bytes": "00FFa1"}, "keys": [{"$bytes": ""}]})");
  auto text = db_->GetJson("people/eve");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(*text),
            nlohmann::json::parse(
                R"({"key": {"$bytes": "00ffa1"}, "keys": [{"$bytes": ""}]})"));
  EXPECT_EQ(FindDocs(*db_, R"({"key": {"$bytes": "00ffa1"}})"),
            std::vector<std::string>{"people/eve"});
  EXPECT_TRUE(FindDocs(*db_, R"({"key": {"$bytes": "00ffa2"}})").empty());
  ASSERT_TRUE(db_->CreateView(Index("by_key", "people", {"key"})).ok());
  EXPECT_EQ(FindDocs(*db_, R"({"key": {"$bytes": "00ffa1"}})"),
            std::vector<std::string>{"people/eve"});
  for (const char* bad :
       {R"({"$bytes": "abc"})", R"({"$bytes": "zz"})", R"({"$bytes": 12})"}) {
    auto txn = db_->Begin();
    Status status = txn->SetJson("people/eve", "key", bad).status();
    EXPECT_TRUE(status.IsInvalidArgument()) << bad << status.ToString();
    EXPECT_NE(status.ToString().find("hex digit pairs"), std::string::npos)
        << status.ToString();
    EXPECT_FALSE(
        Predicate::FromJson(std::string(R"({"key": )") + bad + "}").ok());
  }
}

TEST_F(ViewTest, IndexIsBuiltThenKeptCurrentByCommits) {
  std::vector<ViewBuildProgress> progress;
  ASSERT_TRUE(db_->CreateView(Index("by_age", "people", {"age"}),
                              [&](const ViewBuildProgress& report) {
                                progress.push_back(report);
                              })
                  .ok());
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().documents_done, 4u);
  EXPECT_EQ(progress.back().documents_total, 4u);
  // Missing values sort first; ties by document.
  EXPECT_EQ(RowsText(*db_, "by_age"),
            "people/dan|[null]|\n"
            "people/bob|[25]|\n"
            "people/ann|[31]|\n"
            "people/cat|[31]|\n");
  Put(db_.get(), "people/bob", R"({"age": 40})");
  DeleteDoc(db_.get(), "people/cat");
  Put(db_.get(), "people/eve", R"({"age": 1.5})");
  Put(db_.get(), "pets/tom", R"({"age": 2})");  // another collection
  EXPECT_EQ(RowsText(*db_, "by_age"),
            "people/dan|[null]|\n"
            "people/eve|[1.5]|\n"
            "people/ann|[31]|\n"
            "people/bob|[40]|\n");
  auto digest = db_->ViewDigest("by_age");
  ASSERT_TRUE(digest.ok());
  ASSERT_TRUE(db_->RebuildView("by_age").ok());
  EXPECT_EQ(*db_->ViewDigest("by_age"), *digest);

  // Survives reopening, still maintained.
  db_.reset();
  db_ = OpenOrDie(dir_.Sub("db"));
  ASSERT_EQ(db_->ListViews().size(), 1u);
  EXPECT_EQ(db_->ListViews()[0].ToJson(),
            Index("by_age", "people", {"age"}).ToJson());
  Put(db_.get(), "people/dan", R"({"age": 0})");
  EXPECT_EQ(ViewRows(*db_, "by_age")[0].doc, "people/dan");
  EXPECT_EQ(
      *db_->ViewDigest("by_age"), *[&] {
        EXPECT_TRUE(db_->RebuildView("by_age").ok());
        return db_->ViewDigest("by_age");
      }());
}

TEST_F(ViewTest, AggregateCountsSumsAndTracksMinMaxThroughChanges) {
  ASSERT_TRUE(db_->CreateView(Aggregate("age_by_city", "age", "city")).ok());
  ASSERT_TRUE(db_->CreateView(Aggregate("score_total", "score", "")).ok());
  EXPECT_EQ(RowsText(*db_, "age_by_city"),
            "|\"Oslo\"|{\"count\":1,\"max\":31,\"min\":31,\"sum\":31}\n"
            "|\"Rome\"|{\"count\":2,\"max\":31,\"min\":25,\"sum\":56}\n");
  EXPECT_EQ(RowsText(*db_, "score_total"),
            "|null|{\"count\":2,\"max\":4,\"min\":2.5,\"sum\":6.5}\n");
  Put(db_.get(), "people/ann", R"({"age": 50, "city": "Rome"})");
  DeleteDoc(db_.get(), "people/bob");
  Put(db_.get(), "people/fay", R"({"age": "unknown"})");  // not a number
  EXPECT_EQ(RowsText(*db_, "age_by_city"),
            "|null|{\"count\":1,\"max\":null,\"min\":null,\"sum\":null}\n"
            "|\"Rome\"|{\"count\":2,\"max\":50,\"min\":31,\"sum\":81}\n");
  EXPECT_EQ(RowsText(*db_, "score_total"),
            "|null|{\"count\":1,\"max\":4,\"min\":4,\"sum\":4}\n");
  auto digest = db_->ViewDigest("age_by_city");
  ASSERT_TRUE(db_->RebuildView("age_by_city").ok());
  EXPECT_EQ(*db_->ViewDigest("age_by_city"), *digest);
}

TEST_F(ViewTest, ProjectionKeepsMatchingDocumentsAndChosenFields) {
  ViewDefinition projection;
  projection.name = "oslo";
  projection.kind = ViewKind::kProjection;
  projection.collection = "people";
  projection.fields = {"age", "address.zip"};
  projection.filter = *Predicate::FromJson(R"({"city": "Oslo"})");
  ASSERT_TRUE(db_->CreateView(projection).ok());
  EXPECT_EQ(RowsText(*db_, "oslo"),
            "people/ann||{\"age\":31}\n"
            "people/dan||{\"address.zip\":1}\n");
  Put(db_.get(), "people/ann", R"({"age": 32, "city": "Bergen"})");
  Put(db_.get(), "people/bob", R"({"age": 26, "city": "Oslo"})");
  EXPECT_EQ(RowsText(*db_, "oslo"),
            "people/bob||{\"age\":26}\n"
            "people/dan||{\"address.zip\":1}\n");
  // The definition round-trips through JSON, filter included.
  auto parsed = ViewDefinition::FromJson(projection.ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->ToJson(), projection.ToJson());
}

TEST_F(ViewTest, BadDefinitionsAndNamesGiveClearErrors) {
  EXPECT_TRUE(db_->CreateView(Index("by_age", "people", {"age"})).ok());
  Status duplicate = db_->CreateView(Index("by_age", "people", {"city"}));
  EXPECT_TRUE(duplicate.IsAlreadyExists()) << duplicate.ToString();
  EXPECT_TRUE(db_->CreateView(Index("bad name", "people", {"age"}))
                  .IsInvalidArgument());
  EXPECT_TRUE(db_->CreateView(Index("x", "", {"age"})).IsInvalidArgument());
  EXPECT_TRUE(db_->CreateView(Index("x", "a/b", {"age"})).IsInvalidArgument());
  EXPECT_TRUE(db_->CreateView(Index("x", "people", {})).IsInvalidArgument());
  EXPECT_TRUE(
      db_->CreateView(Index("x", "people", {"a..b"})).IsInvalidArgument());
  EXPECT_TRUE(db_->DropView("nope").IsNotFound());
  EXPECT_TRUE(db_->RebuildView("nope").IsNotFound());
  EXPECT_TRUE(
      db_->ScanView("nope", [](const ViewRow&) { return true; }).IsNotFound());
  EXPECT_TRUE(db_->ViewDigest("nope").status().IsNotFound());
  // A view on a field no document has is allowed, and empty until it
  // appears.
  ASSERT_TRUE(db_->CreateView(Aggregate("height_sum", "height", "")).ok());
  EXPECT_EQ(RowsText(*db_, "height_sum"), "");
  Put(db_.get(), "people/gus", R"({"height": 180})");
  EXPECT_EQ(RowsText(*db_, "height_sum"),
            "|null|{\"count\":1,\"max\":180,\"min\":180,\"sum\":180}\n");
  ASSERT_TRUE(db_->DropView("by_age").ok());
  EXPECT_TRUE(db_->ScanView("by_age", [](const ViewRow&) { return true; })
                  .IsNotFound());
  // A dropped name can be declared again and starts from nothing stale.
  ASSERT_TRUE(db_->CreateView(Index("by_age", "people", {"city"})).ok());
  EXPECT_EQ(ViewRows(*db_, "by_age").size(), 5u);
  EXPECT_EQ(ViewRows(*db_, "by_age")[0].key, "[null]");  // gus has no city
  for (const char* bad :
       {"[1]", "{\"a\": {\"$foo\": 1}}", "{\"a\": {\"$exists\": 1}}",
        "{\"a\": [1]}", "{\"$or\": []}", "{\"a\": {\"$gt\": 1, \"$gte\": 2}}",
        "{\"a\": {}}", "not json", "{\"a..b\": 1}", "{\"$and\": {}}"}) {
    auto predicate = Predicate::FromJson(bad);
    EXPECT_TRUE(predicate.status().IsInvalidArgument()) << bad;
    EXPECT_FALSE(predicate.status().message().empty());
  }
}

TEST_F(ViewTest, EveryPredicateFormGivesTheSameResultsWithAndWithoutIndex) {
  Put(db_.get(), "people/eve", R"({"age": 31, "city": "Oslo", "tags": [1]})");
  Put(db_.get(), "people/fay", R"({"age": "old", "city": "Oslo"})");
  const char* const queries[] = {
      R"({})",
      R"({"age": 31})",
      R"({"age": 31.0})",
      R"({"age": {"$eq": 25}})",
      R"({"age": {"$gt": 25}})",
      R"({"age": {"$gte": 25, "$lt": 31}})",
      R"({"age": {"$lte": 31}})",
      R"({"age": {"$gt": "a"}})",
      R"({"age": {"$exists": false}})",
      R"({"score": {"$exists": true}})",
      R"({"age": 31, "city": "Oslo"})",
      R"({"$and": [{"city": "Rome"}, {"age": {"$gte": 30}}]})",
      R"({"address.zip": 1})",
      R"({"city": {"$gte": "P"}, "age": {"$exists": true}})",
      R"({"age": null})",
  };
  std::map<std::string, std::vector<std::string>> scanned;
  for (const char* query : queries) {
    auto plan = db_->Explain("people", *Predicate::FromJson(query));
    ASSERT_TRUE(plan.ok());
    EXPECT_FALSE(plan->uses_index) << query;
    scanned[query] = FindDocs(*db_, query);
  }
  EXPECT_EQ(
      scanned[R"({"age": 31})"],
      (std::vector<std::string>{"people/ann", "people/cat", "people/eve"}));
  EXPECT_EQ(scanned[R"({"age": {"$gte": 25, "$lt": 31}})"],
            std::vector<std::string>{"people/bob"});
  EXPECT_EQ(scanned[R"({"age": {"$gt": "a"}})"],
            std::vector<std::string>{"people/fay"});
  EXPECT_EQ(scanned[R"({"age": {"$exists": false}})"],
            std::vector<std::string>{"people/dan"});
  EXPECT_EQ(scanned[R"({"address.zip": 1})"],
            std::vector<std::string>{"people/dan"});
  EXPECT_EQ(scanned[R"({})"].size(), 6u);

  ASSERT_TRUE(db_->CreateView(Index("by_age", "people", {"age"})).ok());
  ASSERT_TRUE(
      db_->CreateView(Index("by_city_age", "people", {"city", "age"})).ok());
  ASSERT_TRUE(db_->CreateView(Index("by_zip", "people", {"address.zip"})).ok());
  for (const char* query : queries) {
    auto plan = db_->Explain("people", *Predicate::FromJson(query));
    ASSERT_TRUE(plan.ok());
    std::vector<std::string> found = FindDocs(*db_, query);
    EXPECT_EQ(Sorted(found), scanned[query])
        << query << ": " << plan->description;
  }
  auto plan = db_->Explain("people", *Predicate::FromJson(R"({"age": 31})"));
  EXPECT_TRUE(plan->uses_index);
  EXPECT_EQ(plan->index, "by_age");
  plan = db_->Explain("people",
                      *Predicate::FromJson(R"({"city": "Oslo", "age": 31})"));
  EXPECT_EQ(plan->index, "by_city_age");
  EXPECT_NE(plan->description.find("index"), std::string::npos);
  plan = db_->Explain("people", *Predicate::FromJson(R"({"score": 4})"));
  EXPECT_FALSE(plan->uses_index);
  EXPECT_NE(plan->description.find("scan"), std::string::npos);
}

TEST_F(ViewTest, OrderAndLimitByIndexOrBoundedSort) {
  Put(db_.get(), "people/eve", R"({"age": 19, "city": "Oslo"})");
  FindOptions oldest;
  oldest.order_by = "age";
  oldest.descending = true;
  oldest.limit = 2;
  // Without an index: the top `limit` kept in memory.
  auto plan = db_->Explain("people", Predicate::All(), oldest);
  EXPECT_TRUE(plan->sorts_in_memory);
  EXPECT_EQ(FindDocs(*db_, "{}", oldest),
            (std::vector<std::string>{"people/cat", "people/ann"}));
  FindOptions unlimited;
  unlimited.order_by = "age";
  EXPECT_TRUE(db_->Find("people", Predicate::All(), unlimited)
                  .status()
                  .IsInvalidArgument());
  FindOptions descending_by_key;
  descending_by_key.descending = true;
  EXPECT_TRUE(db_->Find("people", Predicate::All(), descending_by_key)
                  .status()
                  .IsInvalidArgument());
  // With an index: streamed in index order.
  ASSERT_TRUE(db_->CreateView(Index("by_age", "people", {"age"})).ok());
  plan = db_->Explain("people", Predicate::All(), oldest);
  EXPECT_TRUE(plan->uses_index);
  EXPECT_FALSE(plan->sorts_in_memory);
  EXPECT_EQ(FindDocs(*db_, "{}", oldest),
            (std::vector<std::string>{"people/cat", "people/ann"}));
  EXPECT_EQ(FindDocs(*db_, "{}", unlimited),
            (std::vector<std::string>{"people/dan", "people/eve", "people/bob",
                                      "people/ann", "people/cat"}));
  FindOptions youngest_in_oslo;
  youngest_in_oslo.order_by = "age";
  youngest_in_oslo.limit = 1;
  EXPECT_EQ(FindDocs(*db_, R"({"city": "Oslo", "age": {"$gt": 0}})",
                     youngest_in_oslo),
            std::vector<std::string>{"people/eve"});
}

TEST_F(ViewTest, CommitsDuringABuildAreNotLostOrDoubled) {
  // Three build steps of the default 1024 documents, and some.
  for (int idx = 0; idx < 2100; ++idx) {
    Put(db_.get(), "people/p" + std::to_string(1000 + idx),
        "{\"age\": " + std::to_string(idx % 50) + "}");
  }
  int steps = 0;
  bool saw_building = false;
  ASSERT_TRUE(
      db_->CreateView(Aggregate("ages", "age", ""),
                      [&](const ViewBuildProgress& report) {
                        ++steps;
                        auto status = db_->GetStatus();
                        ASSERT_TRUE(status.ok());
                        ASSERT_EQ(status->views.size(), 1u);
                        const ViewStatus& view = status->views[0];
                        saw_building |= view.building;
                        EXPECT_EQ(view.documents_done, report.documents_done);
                        // Edits on both sides of the build's cursor.
                        Put(db_.get(), "people/p1000",
                            "{\"age\": " + std::to_string(steps) + "}");
                        Put(db_.get(), "people/p3099",
                            "{\"age\": " + std::to_string(steps) + "}");
                        Put(db_.get(), "people/n" + std::to_string(steps),
                            R"({"age": 1000})");
                      })
          .ok());
  EXPECT_GT(steps, 2);
  EXPECT_TRUE(saw_building);
  auto incremental = db_->ViewDigest("ages");
  std::string rows = RowsText(*db_, "ages");
  ASSERT_TRUE(db_->RebuildView("ages").ok());
  EXPECT_EQ(*db_->ViewDigest("ages"), *incremental);
  EXPECT_EQ(RowsText(*db_, "ages"), rows);
  auto status = db_->GetStatus();
  EXPECT_FALSE(status->views[0].building);
  EXPECT_EQ(status->views[0].lag, 0u);
  EXPECT_EQ(status->views[0].checkpoint, status->log_length);
}

TEST_F(ViewTest, StatusReportsTheLogAndViews) {
  ASSERT_TRUE(db_->CreateView(Index("by_age", "people", {"age"})).ok());
  auto status = db_->GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->log_length, 5u);
  EXPECT_EQ(status->heads, db_->Heads());
  ASSERT_EQ(status->actors.size(), 1u);
  EXPECT_EQ(status->actors[0].seq, 5u);
  EXPECT_EQ(status->pending, 0u);
  ASSERT_EQ(status->views.size(), 1u);
  EXPECT_EQ(status->views[0].definition.name, "by_age");
  EXPECT_EQ(status->views[0].checkpoint, 5u);
  EXPECT_GT(status->size_bytes, 0u);
}

TEST(SubscriptionTest, DeliversInLogOrderWithStateAfterEachChange) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  std::vector<ChangeEvent> doc_events, collection_events;
  ASSERT_TRUE(db->Subscribe({SubscriptionTarget::Kind::kDocument, "todo/1"},
                            [&](const ChangeEvent& event) {
                              doc_events.push_back(event);
                            })
                  .ok());
  ASSERT_TRUE(db->Subscribe({SubscriptionTarget::Kind::kCollection, "todo"},
                            [&](const ChangeEvent& event) {
                              collection_events.push_back(event);
                            })
                  .ok());
  Put(db.get(), "todo/1", R"({"title": "a"})");
  Put(db.get(), "todo/2", R"({"title": "b"})");
  Put(db.get(), "other/1", R"({"title": "c"})");
  {
    auto txn = db->Begin();
    ASSERT_TRUE(txn->Set("todo/1", "done", true).status().ok());
    ASSERT_TRUE(txn->Set("todo/2", "done", false).status().ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  DeleteDoc(db.get(), "todo/1");
  ASSERT_EQ(doc_events.size(), 3u);
  EXPECT_EQ(doc_events[0].documents[0].json, R"({"title":"a"})");
  EXPECT_EQ(doc_events[1].documents[0].json, R"({"done":true,"title":"a"})");
  EXPECT_EQ(doc_events[2].documents[0].json, "null");
  ASSERT_EQ(collection_events.size(), 4u);
  EXPECT_EQ(collection_events[2].documents.size(), 2u);
  for (size_t idx = 1; idx < collection_events.size(); ++idx) {
    EXPECT_LT(collection_events[idx - 1].position,
              collection_events[idx].position);
  }
  EXPECT_EQ(collection_events[3].hash, db->Heads()[0]);
  EXPECT_FALSE(collection_events[0].remote);
}

TEST(SubscriptionTest, RemoteChangesFailedCommitsAndUnsubscribeInside) {
  TempDir dir;
  auto a = OpenOrDie(dir.Sub("a"));
  auto b = OpenOrDie(dir.Sub("b"));
  ASSERT_TRUE(b->CreateView(Index("by_title", "todo", {"title"})).ok());
  std::vector<ChangeEvent> view_events;
  int once_calls = 0;
  uint64_t once_id = 0;
  ASSERT_TRUE(b->Subscribe({SubscriptionTarget::Kind::kView, "by_title"},
                           [&](const ChangeEvent& event) {
                             view_events.push_back(event);
                             // A callback may read the database.
                             EXPECT_TRUE(
                                 b->GetJson(event.documents[0].doc).ok());
                           })
                  .ok());
  auto once = b->Subscribe({SubscriptionTarget::Kind::kCollection, "todo"},
                           [&](const ChangeEvent&) {
                             ++once_calls;
                             EXPECT_TRUE(b->Unsubscribe(once_id).ok());
                           });
  ASSERT_TRUE(once.ok());
  once_id = *once;
  Put(a.get(), "todo/1", R"({"title": "from a"})");
  Put(a.get(), "todo/2", R"({"title": "also from a"})");
  for (uint64_t position = 1; position <= a->LogLength(); ++position) {
    auto stored = a->GetChangeAt(position);
    ASSERT_TRUE(b->Receive(stored->bytes, *a->ProveChange(stored->hash)).ok());
  }
  ASSERT_EQ(view_events.size(), 2u);
  EXPECT_TRUE(view_events[0].remote);
  EXPECT_EQ(view_events[1].documents[0].json, R"({"title":"also from a"})");
  EXPECT_EQ(once_calls, 1);
  EXPECT_TRUE(b->Unsubscribe(once_id).IsNotFound());

  // A commit that fails (expected heads moved) calls nobody.
  {
    auto txn = b->Begin();
    txn->ExpectHeads({Hash()});
    ASSERT_TRUE(txn->Set("todo/3", "title", "never").status().ok());
    EXPECT_TRUE(txn->Commit().status().IsConflict());
  }
  EXPECT_EQ(view_events.size(), 2u);
  // Nor does a received change that is rejected.
  EXPECT_FALSE(b->Receive("garbage", "").ok());
  EXPECT_EQ(view_events.size(), 2u);
  EXPECT_TRUE(
      b->Subscribe({SubscriptionTarget::Kind::kView, "missing"}, [](auto&) {})
          .status()
          .IsNotFound());
  EXPECT_TRUE(b->Subscribe({SubscriptionTarget::Kind::kDocument, "no-slash"},
                           [](auto&) {})
                  .status()
                  .IsInvalidArgument());
}

TEST(SubscriptionTest, CallbackMayCommitAndSeesItsOwnChangeNext) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  std::vector<std::string> seen;
  ASSERT_TRUE(db->Subscribe({SubscriptionTarget::Kind::kCollection, "c"},
                            [&](const ChangeEvent& event) {
                              seen.push_back(event.documents[0].doc);
                              if (event.documents[0].doc == "c/1") {
                                Put(db.get(), "c/2", R"({"echo": 1})");
                              }
                            })
                  .ok());
  Put(db.get(), "c/1", R"({"x": 1})");
  EXPECT_EQ(seen, (std::vector<std::string>{"c/1", "c/2"}));
}

TEST(ConcurrencyTest, QueriesScansAndSubscriptionsWhileAnotherThreadCommits) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  ASSERT_TRUE(db->CreateView(Index("by_n", "c", {"n"})).ok());
  std::atomic<int> events{0};
  ASSERT_TRUE(db->Subscribe({SubscriptionTarget::Kind::kCollection, "c"},
                            [&](const ChangeEvent&) { ++events; })
                  .ok());
  constexpr int kCommits = 300;
  std::thread writer([&] {
    for (int idx = 0; idx < kCommits; ++idx) {
      Put(db.get(), "c/d" + std::to_string(idx % 50),
          "{\"n\": " + std::to_string(idx) + "}");
    }
  });
  size_t rounds = 0;
  while (events < kCommits && rounds < 100000) {
    ++rounds;
    Scalar low(int64_t{0}), high(int64_t{1000});
    auto cursor =
        db->Find("c", Predicate::Range("n", &low, true, &high, false));
    ASSERT_TRUE(cursor.ok());
    std::set<std::string> seen;
    for (; (*cursor)->Valid(); (*cursor)->Next()) {
      EXPECT_TRUE(seen.insert((*cursor)->doc()).second);  // no duplicates
    }
    ASSERT_TRUE((*cursor)->status().ok());
    ASSERT_TRUE(db->ScanView("by_n", [](const ViewRow&) { return true; }).ok());
    ASSERT_TRUE(db->GetStatus().ok());
  }
  writer.join();
  EXPECT_EQ(events.load(), kCommits);
  EXPECT_EQ(ViewRows(*db, "by_n").size(), 50u);
  auto digest = db->ViewDigest("by_n");
  ASSERT_TRUE(db->RebuildView("by_n").ok());
  EXPECT_EQ(*db->ViewDigest("by_n"), *digest);
}

}  // namespace
}  // namespace weft
