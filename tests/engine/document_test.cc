// Documents through transactions, on real RocksDB: every type, the error
// paths, persistence, optimistic concurrency, idempotency, time travel.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using nlohmann::json;

class DocumentTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    db_.reset();
    auto db = Database::Open(dir_.Sub("db"), Options());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  json Doc(std::string_view doc) {
    auto text = db_->GetJson(doc);
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return text.ok() ? json::parse(*text) : json();
  }
  // Runs `edits` in one transaction and commits it.
  template <typename Edits>
  Result<Hash> Commit(Edits&& edits) {
    auto txn = db_->Begin();
    edits(*txn);
    return txn->Commit();
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DocumentTest, EveryTypeRoundTripsAndSurvivesReopen) {
  auto hash = Commit([](Transaction& txn) {
    ASSERT_TRUE(
        txn.Set("todos/1", "title", std::string("buy milk")).status().ok());
    ASSERT_TRUE(txn.Set("todos/1", "done", false).status().ok());
    ASSERT_TRUE(
        txn.Set("todos/1", "address.city", std::string("Paris")).status().ok());
    ASSERT_TRUE(txn.Set("todos/1", "priority", int64_t{3}).status().ok());
    ASSERT_TRUE(txn.Set("todos/1", "ratio", 0.5).status().ok());
    ASSERT_TRUE(txn.Set("todos/1", "nothing", std::monostate()).status().ok());
    ASSERT_TRUE(txn.Set("todos/1", "blob", Bytes{"\x01\xff"}).status().ok());
    ASSERT_TRUE(txn.Increment("todos/1", "views", 5).status().ok());
    ASSERT_TRUE(txn.Increment("todos/1", "views", -2).status().ok());
    ASSERT_TRUE(
        txn.SetAdd("todos/1", "tags", std::string("home")).status().ok());
    ASSERT_TRUE(
        txn.SetAdd("todos/1", "tags", std::string("urgent")).status().ok());
    ASSERT_TRUE(
        txn.SetRemove("todos/1", "tags", std::string("home")).status().ok());
    ASSERT_TRUE(
        txn.ListInsert("todos/1", "steps", 0, std::string("b")).status().ok());
    ASSERT_TRUE(
        txn.ListInsert("todos/1", "steps", 0, std::string("a")).status().ok());
    ASSERT_TRUE(
        txn.ListInsert("todos/1", "steps", 2, std::string("c")).status().ok());
    ASSERT_TRUE(txn.ListDelete("todos/1", "steps", 1, 1).status().ok());
    ASSERT_TRUE(
        txn.SpliceText("todos/1", "note", 0, 0, "héllo world").status().ok());
    ASSERT_TRUE(
        txn.SpliceText("todos/1", "note", 6, 5, "wörld!").status().ok());
  });
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  json expected = {{"title", "buy milk"},
                   {"done", false},
                   {"address", {{"city", "Paris"}}},
                   {"priority", 3},
                   {"ratio", 0.5},
                   {"nothing", nullptr},
                   {"blob", {{"$bytes", "01ff"}}},
                   {"views", 3},
                   {"tags", {"urgent"}},
                   {"steps", {"a", "c"}},
                   {"note", "héllo wörld!"}};
  EXPECT_EQ(Doc("todos/1"), expected);
  EXPECT_EQ(*db_->GetPathJson("todos/1", "address.city"), "\"Paris\"");
  EXPECT_EQ(*db_->GetPathJson("todos/1", "steps.1"), "\"c\"");
  EXPECT_EQ(*db_->ReadText("todos/1", "note", 1, 4), "éllo");
  EXPECT_EQ(*db_->GetListRangeJson("todos/1", "steps", 1, 5), "[\"c\"]");
  EXPECT_TRUE(db_->GetListRangeJson("todos/1", "note", 0, 1)
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE(
      db_->ReadText("todos/1", "steps", 0, 1).status().IsInvalidArgument());
  std::string state = *db_->EncodedState("todos/1");
  Reopen();
  EXPECT_EQ(Doc("todos/1"), expected);
  EXPECT_EQ(*db_->EncodedState("todos/1"), state);
  auto report = db_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

TEST_F(DocumentTest, ABadEditCommitsNothing) {
  ASSERT_TRUE(
      Commit([](Transaction& txn) {
        ASSERT_TRUE(txn.Set("a/1", "name", std::string("x")).status().ok());
        ASSERT_TRUE(txn.ListInsert("a/1", "list", 0, int64_t{1}).status().ok());
        ASSERT_TRUE(
            txn.Make("a/1", "g", ObjectType::kCounter, Flavour::kGrowOnly)
                .status()
                .ok());
        ASSERT_TRUE(
            txn.Make("a/1", "once", ObjectType::kSet, Flavour::kTwoPhase)
                .status()
                .ok());
        ASSERT_TRUE(txn.SetAdd("a/1", "once", int64_t{7}).status().ok());
        ASSERT_TRUE(txn.SetRemove("a/1", "once", int64_t{7}).status().ok());
        ASSERT_TRUE(
            txn.Make("a/1", "grow", ObjectType::kSet, Flavour::kGrowOnly)
                .status()
                .ok());
      }).ok());
  json before = Doc("a/1");
  uint64_t length = db_->LogLength();
  struct Case {
    const char* name;
    std::function<Status(Transaction&)> edit;
    Status::Code code;
    const char* message_part;
  };
  Options options;
  const Case cases[] = {
      {"increment a string",
       [](Transaction& t) { return t.Increment("a/1", "name", 1).status(); },
       Status::Code::kInvalidArgument, "holds a scalar, not a counter"},
      {"list index out of range",
       [](Transaction& t) {
         return t.ListInsert("a/1", "list", 5, int64_t{1}).status();
       },
       Status::Code::kInvalidArgument, "out of range"},
      {"delete missing key",
       [](Transaction& t) { return t.Delete("a/1", "missing").status(); },
       Status::Code::kNotFound, "no value at"},
      {"path through a scalar",
       [](Transaction& t) {
         return t.Set("a/1", "name.first", int64_t{1}).status();
       },
       Status::Code::kInvalidArgument, "holds no map or list"},
      {"invalid UTF-8 value",
       [](Transaction& t) {
         return t.Set("a/1", "x", std::string("\xff")).status();
       },
       Status::Code::kInvalidArgument, "UTF-8"},
      {"invalid UTF-8 text",
       [](Transaction& t) {
         return t.SpliceText("a/1", "t", 0, 0, "\xc3").status();
       },
       Status::Code::kInvalidArgument, "UTF-8"},
      {"value too large",
       [&](Transaction& t) {
         return t
             .Set("a/1", "big", std::string(options.value_bytes_max + 1, 'x'))
             .status();
       },
       Status::Code::kInvalidArgument, "over the limit"},
      {"grow-only counter decrement",
       [](Transaction& t) { return t.Increment("a/1", "g", -1).status(); },
       Status::Code::kInvalidArgument, "cannot decrease"},
      {"grow-only set remove",
       [](Transaction& t) {
         return t.SetRemove("a/1", "grow", int64_t{1}).status();
       },
       Status::Code::kInvalidArgument, "cannot remove"},
      {"two-phase set re-add",
       [](Transaction& t) {
         return t.SetAdd("a/1", "once", int64_t{7}).status();
       },
       Status::Code::kInvalidArgument, "never takes back"},
      {"bad document address",
       [](Transaction& t) { return t.Set("nokey", "x", int64_t{1}).status(); },
       Status::Code::kInvalidArgument, "collection/key"},
      {"empty path segment",
       [](Transaction& t) { return t.Set("a/1", "x..y", int64_t{1}).status(); },
       Status::Code::kInvalidArgument, "empty segment"},
  };
  for (const Case& bad : cases) {
    auto txn = db_->Begin();
    ASSERT_TRUE(
        txn->Set("a/1", "before", int64_t{1}).status().ok());  // rolled back
    Status status = bad.edit(*txn);
    EXPECT_EQ(status.code(), bad.code) << bad.name << ": " << status.ToString();
    EXPECT_NE(status.message().find(bad.message_part), std::string::npos)
        << bad.name << ": " << status.ToString();
    // Later edits fail too, and so does Commit.
    EXPECT_FALSE(txn->Set("a/1", "after", int64_t{1}).status().ok())
        << bad.name;
    auto committed = txn->Commit();
    EXPECT_EQ(committed.status().code(), bad.code) << bad.name;
    EXPECT_EQ(db_->LogLength(), length) << bad.name;
    EXPECT_EQ(Doc("a/1"), before) << bad.name;
  }
}

TEST_F(DocumentTest, AbortAndDestructionDropTheEdits) {
  {
    auto txn = db_->Begin();
    ASSERT_TRUE(txn->Set("b/1", "x", int64_t{1}).status().ok());
    EXPECT_EQ(json::parse(*txn->GetJson("b/1")), json({{"x", 1}}));
  }  // destroyed: aborted
  EXPECT_TRUE(db_->GetJson("b/1").status().IsNotFound());
  auto txn = db_->Begin();
  ASSERT_TRUE(txn->Set("b/1", "x", int64_t{2}).status().ok());
  txn->Abort();
  EXPECT_TRUE(txn->Commit().status().IsInvalidArgument());
  EXPECT_TRUE(db_->GetJson("b/1").status().IsNotFound());
  EXPECT_EQ(db_->LogLength(), 0u);
  EXPECT_TRUE(db_->Begin()->Commit().status().IsInvalidArgument());  // empty
}

TEST_F(DocumentTest, ExpectedHeadsAndIdempotencyKeys) {
  auto first =
      Commit([](Transaction& t) { (void)t.Set("c/1", "n", int64_t{1}); });
  ASSERT_TRUE(first.ok());
  std::vector<Hash> heads = db_->Heads();
  auto second =
      Commit([](Transaction& t) { (void)t.Set("c/1", "n", int64_t{2}); });
  ASSERT_TRUE(second.ok());

  auto txn = db_->Begin();
  txn->ExpectHeads(heads);  // stale
  ASSERT_TRUE(txn->Set("c/1", "n", int64_t{3}).status().ok());
  auto conflict = txn->Commit();
  EXPECT_TRUE(conflict.status().IsConflict()) << conflict.status().ToString();
  EXPECT_EQ(Doc("c/1"), json({{"n", 2}}));

  txn = db_->Begin();
  txn->ExpectHeads(db_->Heads().empty() ? heads : std::vector<Hash>{*second});
  ASSERT_TRUE(txn->Set("c/1", "n", int64_t{3}).status().ok());
  txn->SetIdempotencyKey("order-17");
  auto keyed = txn->Commit();
  ASSERT_TRUE(keyed.ok()) << keyed.status().ToString();
  uint64_t length = db_->LogLength();

  txn = db_->Begin();
  ASSERT_TRUE(txn->Set("c/1", "n", int64_t{4}).status().ok());
  txn->SetIdempotencyKey("order-17");
  auto again = txn->Commit();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *keyed);
  EXPECT_EQ(db_->LogLength(), length);
  EXPECT_EQ(Doc("c/1"), json({{"n", 3}}));
  Reopen();  // the key -> hash record is durable
  txn = db_->Begin();
  ASSERT_TRUE(txn->Set("c/1", "n", int64_t{5}).status().ok());
  txn->SetIdempotencyKey("order-17");
  EXPECT_EQ(*txn->Commit(), *keyed);
}

TEST_F(DocumentTest, TimeTravelAndDocumentDelete) {
  auto v1 = Commit([](Transaction& t) {
    (void)t.Set("d/1", "v", int64_t{1});
    (void)t.SpliceText("d/1", "text", 0, 0, "abc");
  });
  auto v2 = Commit([](Transaction& t) {
    (void)t.Set("d/1", "v", int64_t{2});
    (void)t.SpliceText("d/1", "text", 1, 1, "XY");
  });
  ASSERT_TRUE(v1.ok() && v2.ok());
  EXPECT_EQ(json::parse(*db_->GetJsonAsOf("d/1", *v1)),
            json({{"v", 1}, {"text", "abc"}}));
  EXPECT_EQ(Doc("d/1"), json({{"v", 2}, {"text", "aXYc"}}));
  auto deleted = Commit([](Transaction& t) { (void)t.DeleteDocument("d/1"); });
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_TRUE(db_->GetJson("d/1").status().IsNotFound());
  EXPECT_EQ(json::parse(*db_->GetJsonAsOf("d/1", *v2)),
            json({{"v", 2}, {"text", "aXYc"}}));
  Reopen();
  EXPECT_TRUE(db_->GetJson("d/1").status().IsNotFound());
}

// Two replicas edit concurrently, then exchange everything.
class ConcurrentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::move(Database::Open(dir_.Sub("a"), Options())).value();
    b_ = std::move(Database::Open(dir_.Sub("b"), Options())).value();
  }
  static void Copy(Database& from, Database& to) {
    for (uint64_t pos = 1; pos <= from.LogLength(); ++pos) {
      auto stored = from.GetChangeAt(pos);
      ASSERT_TRUE(stored.ok());
      auto outcome = to.Receive(stored->hash, stored->bytes,
                                *from.ProveChange(stored->hash));
      ASSERT_TRUE(outcome.ok() || outcome.status().IsAlreadyExists());
    }
  }
  void Exchange() {
    Copy(*a_, *b_);
    Copy(*b_, *a_);
    ASSERT_EQ(a_->Heads(), b_->Heads());
    ASSERT_EQ(*a_->EncodedState("d/1"), *b_->EncodedState("d/1"));
  }
  template <typename Edits>
  static void Edit(Database& db, Edits&& edits) {
    auto txn = db.Begin();
    edits(*txn);
    auto hash = txn->Commit();
    ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  }
  json Doc(Database& db) { return json::parse(*db.GetJson("d/1")); }

  testing::TempDir dir_;
  std::unique_ptr<Database> a_, b_;
};

TEST_F(ConcurrentTest, RegistersKeepTheLosersAsConflicts) {
  Edit(*a_, [](Transaction& t) { (void)t.Set("d/1", "x", int64_t{1}); });
  Edit(*b_, [](Transaction& t) { (void)t.Set("d/1", "x", int64_t{2}); });
  Exchange();
  json conflicts = json::parse(*a_->GetConflictsJson("d/1", "x"));
  ASSERT_EQ(conflicts.size(), 2u);
  EXPECT_EQ(Doc(*a_)["x"], conflicts[1]["value"]);  // the winner is last
  // A later set that saw both resolves the conflict.
  Edit(*a_, [](Transaction& t) { (void)t.Set("d/1", "x", int64_t{3}); });
  Exchange();
  EXPECT_EQ(json::parse(*b_->GetConflictsJson("d/1", "x")).size(), 1u);
  EXPECT_EQ(Doc(*b_)["x"], 3);
}

TEST_F(ConcurrentTest, MultiValueRegisterShowsEveryConcurrentValue) {
  Edit(*a_, [](Transaction& t) {
    (void)t.Set("d/1", "mv", int64_t{1}, Flavour::kMultiValue);
  });
  Edit(*b_, [](Transaction& t) {
    (void)t.Set("d/1", "mv", int64_t{2}, Flavour::kMultiValue);
  });
  Exchange();
  json value = Doc(*a_)["mv"];
  ASSERT_TRUE(value.is_array());
  EXPECT_EQ(std::set<int>(value.begin(), value.end()), (std::set<int>{1, 2}));
}

TEST_F(ConcurrentTest, DocumentDeleteIsObservedRemove) {
  Edit(*a_, [](Transaction& t) { (void)t.Set("d/1", "x", int64_t{1}); });
  Exchange();
  Edit(*a_, [](Transaction& t) {
    ASSERT_TRUE(t.DeleteDocument("d/1").status().ok());
  });
  Edit(*b_, [](Transaction& t) { (void)t.Set("d/1", "y", int64_t{2}); });
  Exchange();
  EXPECT_EQ(Doc(*a_), json({{"y", 2}}));  // the concurrent set survives
}

TEST_F(ConcurrentTest, NestedMapsMergeAndCountersAddUp) {
  Edit(*a_, [](Transaction& t) {
    (void)t.Set("d/1", "address.city", std::string("Paris"));
    (void)t.Increment("d/1", "views", 2);
  });
  Edit(*b_, [](Transaction& t) {
    (void)t.Set("d/1", "address.zip", std::string("75001"));
    (void)t.Increment("d/1", "views", 3);
  });
  Exchange();
  EXPECT_EQ(Doc(*b_)["address"], json({{"city", "Paris"}, {"zip", "75001"}}));
  EXPECT_EQ(Doc(*b_)["views"], 5);
}

TEST_F(ConcurrentTest, SetsAreAddWinsAndLwwMapsLetTheLaterDeleteWin) {
  Edit(*a_, [](Transaction& t) {
    (void)t.SetAdd("d/1", "tags", std::string("a"));
    (void)t.Make("d/1", "lww", ObjectType::kMap, Flavour::kLastWriterWins);
    (void)t.Set("d/1", "lww.k", int64_t{1});
  });
  Exchange();
  Edit(*b_, [](Transaction& t) {  // concurrent with a's remove: add wins
    (void)t.SetAdd("d/1", "tags", std::string("a"));
    (void)t.Set("d/1", "lww.k", int64_t{2});
  });
  Edit(*a_, [](Transaction& t) {
    (void)t.SetRemove("d/1", "tags", std::string("a"));
    (void)t.Set("d/1", "pad", int64_t{0});  // push a's counter ahead
    (void)t.Set("d/1", "pad2", int64_t{0});
    ASSERT_TRUE(t.Delete("d/1", "lww.k").status().ok());  // the higher op id
  });
  Exchange();
  EXPECT_EQ(Doc(*a_)["tags"], json({"a"}));
  EXPECT_FALSE(Doc(*a_)["lww"].contains("k"));
}

TEST_F(ConcurrentTest, TypeConflictsResolveByOpId) {
  Edit(*a_, [](Transaction& t) { (void)t.Set("d/1", "t", std::string("s")); });
  Edit(*b_, [](Transaction& t) {
    (void)t.Set("d/1", "other", int64_t{0});  // b's counter goes higher
    (void)t.Increment("d/1", "t", 4);
  });
  Exchange();
  EXPECT_EQ(Doc(*a_)["t"], 4);  // b's counter has the higher op id
  EXPECT_EQ(json::parse(*a_->GetConflictsJson("d/1", "t")).size(), 2u);
}

}  // namespace
}  // namespace weft
