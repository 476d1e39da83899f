// Property test: replicas edit every type concurrently, exchange changes in
// random orders with partial partitions, and must end with equal heads and
// byte-identical document state; counters, OR-sets and LWW registers are
// also checked against reference models of their semantics. Seeded: a
// failure names the seed that replays it.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using nlohmann::json;

const char* const kDocs[] = {"p/0", "p/1"};

// What the models need to know about each op, by the change that holds it.
struct Model {
  std::map<std::string, int64_t> counter_sum;  // doc -> sum of increments
  struct Add {
    std::string doc;
    int64_t value;
    Hash change;
    int tag;
  };
  std::vector<Add> adds;
  std::set<int> removed_tags;
  struct RegisterSet {
    std::string doc;
    uint64_t counter;
    ActorId actor;
    int64_t value;
  };
  std::vector<RegisterSet> register_sets;
};

class ConvergenceRun {
 public:
  ConvergenceRun(uint64_t seed, size_t replica_count) : rng_(seed) {
    for (size_t idx = 0; idx < replica_count; ++idx) {
      auto db = Database::Open(dir_.Sub("r" + std::to_string(idx)), Options());
      EXPECT_TRUE(db.ok());
      replicas_.push_back(std::move(db).value());
    }
    cursors_.assign(replica_count, std::vector<uint64_t>(replica_count, 0));
  }

  void Step() {
    size_t from = rng_() % replicas_.size();
    size_t to = rng_() % replicas_.size();
    if (rng_() % 4 == 0 && from != to) {
      Deliver(from, to, /*partial=*/rng_() % 3 == 0);
    } else {
      LocalTransaction(to);
    }
  }

  void Heal() {
    for (int round = 0; round < 2; ++round) {
      for (size_t from = 0; from < replicas_.size(); ++from) {
        for (size_t to = 0; to < replicas_.size(); ++to) {
          if (from != to) Deliver(from, to, false);
        }
      }
    }
  }

  void CheckConverged(uint64_t seed) {
    Database& first = *replicas_[0];
    for (auto& replica : replicas_) {
      EXPECT_EQ(replica->PendingCount(), 0u) << "seed " << seed;
      EXPECT_EQ(replica->Heads(), first.Heads()) << "seed " << seed;
      for (const char* doc : kDocs) {
        EXPECT_EQ(*replica->EncodedState(doc), *first.EncodedState(doc))
            << "seed " << seed << " doc " << doc;
        auto a = replica->GetJson(doc), b = first.GetJson(doc);
        EXPECT_EQ(a.ok(), b.ok()) << "seed " << seed;
        if (a.ok() && b.ok()) {
          EXPECT_EQ(*a, *b) << "seed " << seed;
        }
      }
      auto report = replica->Verify();
      ASSERT_TRUE(report.ok());
      EXPECT_TRUE(report->ok()) << "seed " << seed;
    }
    for (const char* doc : kDocs) CheckModels(first, doc, seed);
  }

 private:
  // Makes an object with a flavour once; later calls find it there.
  static Status Ensure(Transaction* txn, const std::string& doc,
                       const std::string& path, ObjectType type,
                       Flavour flavour) {
    auto json_text = txn->GetJson(doc);
    if (json_text.ok() && json::parse(*json_text).contains(path)) {
      return Status::OK();
    }
    return txn->Make(doc, path, type, flavour).status();
  }

  void CheckModels(Database& db, const std::string& doc, uint64_t seed) {
    if (models_valid_.count(doc) && !models_valid_[doc]) return;
    auto state = db.GetJson(doc);
    if (!state.ok()) return;  // nothing written there
    json value = json::parse(*state);
    if (model_.counter_sum.count(doc)) {
      EXPECT_EQ(value["c"], model_.counter_sum[doc]) << "seed " << seed;
    }
    std::set<int64_t> members;
    for (const Model::Add& add : model_.adds) {
      if (add.doc == doc && !model_.removed_tags.count(add.tag)) {
        members.insert(add.value);
      }
    }
    std::set<int64_t> actual;
    if (value.contains("s")) {
      for (const auto& member : value["s"])
        actual.insert(member.get<int64_t>());
    }
    EXPECT_EQ(actual, members) << "seed " << seed;
    const Model::RegisterSet* winner = nullptr;
    for (const Model::RegisterSet& set : model_.register_sets) {
      if (set.doc != doc) continue;
      if (winner == nullptr || std::tie(winner->counter, winner->actor) <
                                   std::tie(set.counter, set.actor)) {
        winner = &set;
      }
    }
    if (winner != nullptr) {
      EXPECT_EQ(value["r"], winner->value) << "seed " << seed;
    }
  }

  // One transaction of 1-4 edits. The register set, when there is one, is
  // the first op, so its op id is the change's start_op.
  void LocalTransaction(size_t replica_idx) {
    Database& db = *replicas_[replica_idx];
    std::string doc = kDocs[rng_() % 2];
    auto txn = db.Begin();
    std::optional<int64_t> register_value;
    if (rng_() % 3 == 0) {
      register_value = static_cast<int64_t>(rng_() % 1000);
      ASSERT_TRUE(txn->Set(doc, "r", *register_value).status().ok());
    }
    int64_t increments = 0;
    bool deleted_doc = false;
    std::optional<Model::Add> add;
    std::set<int> removing;
    bool touched_set = false;
    for (int edit = 1 + rng_() % 3; edit > 0; --edit) {
      switch (rng_() % 11) {
        case 0: {
          int64_t delta = static_cast<int64_t>(rng_() % 11) - 5;
          ASSERT_TRUE(txn->Increment(doc, "c", delta).status().ok());
          increments += delta;
          break;
        }
        case 1: {  // at most one set op per change keeps the model simple
          if (touched_set) break;
          touched_set = true;
          int64_t member = static_cast<int64_t>(rng_() % 6);
          if (rng_() % 2) {
            ASSERT_TRUE(txn->SetAdd(doc, "s", member).status().ok());
            add = Model::Add{doc, member, Hash(), next_tag_++};
          } else {
            Status status = txn->SetRemove(doc, "s", member).status();
            if (status.IsNotFound()) {  // no set yet: nothing to remove
              txn->Abort();
              return;
            }
            ASSERT_TRUE(status.ok()) << status.ToString();
            for (const Model::Add& seen : model_.adds) {  // what it observed
              if (seen.doc == doc && seen.value == member &&
                  db.GetChange(seen.change).ok()) {
                removing.insert(seen.tag);
              }
            }
          }
          break;
        }
        case 2: {
          auto text = db.ReadText(doc, "t", 0, UINT64_MAX);
          uint64_t length = text.ok() ? CodePoints(*text) : 0;
          uint64_t pos = rng_() % (length + 1);
          uint64_t del = length > pos
                             ? rng_() % std::min<uint64_t>(length - pos + 1, 3)
                             : 0;
          std::string insert(rng_() % 3, static_cast<char>('a' + rng_() % 26));
          if (del == 0 && insert.empty()) insert = "é";
          ASSERT_TRUE(
              txn->SpliceText(doc, "t", pos, del, insert).status().ok());
          break;
        }
        case 3: {
          auto list = txn->GetJson(doc);
          size_t length = 0;
          if (list.ok()) {
            json value = json::parse(*list);
            if (value.contains("l") && value["l"].is_array()) {
              length = value["l"].size();
            }
          }
          if (length > 0 && rng_() % 3 == 0) {
            ASSERT_TRUE(
                txn->ListDelete(doc, "l", rng_() % length, 1).status().ok());
          } else {
            ASSERT_TRUE(txn->ListInsert(doc, "l", rng_() % (length + 1),
                                        static_cast<int64_t>(rng_() % 100))
                            .status()
                            .ok());
          }
          break;
        }
        case 4:
          ASSERT_TRUE(txn->Set(doc, "m.k" + std::to_string(rng_() % 4),
                               std::string("v") + std::to_string(rng_() % 9))
                          .status()
                          .ok());
          break;
        case 5: {
          Status status =
              txn->Delete(doc, "m.k" + std::to_string(rng_() % 4)).status();
          ASSERT_TRUE(status.ok() || status.IsNotFound()) << status.ToString();
          if (status.IsNotFound()) {
            txn->Abort();
            return;  // a failed edit poisons the transaction: start over
          }
          break;
        }
        case 6:
          ASSERT_TRUE(txn->Set(doc, "mv", static_cast<int64_t>(rng_() % 50),
                               Flavour::kMultiValue)
                          .status()
                          .ok());
          break;
        case 7: {  // the flavours: grow-only counter, two-phase set, LWW map
          Status status;
          int64_t member = static_cast<int64_t>(rng_() % 4);
          switch (rng_() % 4) {
            case 0:
              status = Ensure(txn.get(), doc, "g", ObjectType::kCounter,
                              Flavour::kGrowOnly);
              if (status.ok())
                status = txn->Increment(doc, "g", rng_() % 5).status();
              break;
            case 1:
              status = Ensure(txn.get(), doc, "two", ObjectType::kSet,
                              Flavour::kTwoPhase);
              if (status.ok())
                status = txn->SetAdd(doc, "two", member).status();
              break;
            case 2:
              status = Ensure(txn.get(), doc, "two", ObjectType::kSet,
                              Flavour::kTwoPhase);
              if (status.ok())
                status = txn->SetRemove(doc, "two", member).status();
              break;
            default:
              status = Ensure(txn.get(), doc, "lww", ObjectType::kMap,
                              Flavour::kLastWriterWins);
              if (status.ok() && rng_() % 3 == 0) {
                status =
                    txn->Delete(doc, "lww.k" + std::to_string(member)).status();
              } else if (status.ok()) {
                status = txn->Set(doc, "lww.k" + std::to_string(member),
                                  static_cast<int64_t>(rng_() % 100))
                             .status();
              }
              break;
          }
          if (!status.ok()) {  // e.g. re-adding to a two-phase set
            ASSERT_TRUE(status.IsInvalidArgument() || status.IsNotFound())
                << status.ToString();
            txn->Abort();
            return;
          }
          break;
        }
        case 8:
          if (rng_() % 10 == 0) {  // rarely: delete what this replica sees
            Status status = txn->DeleteDocument(doc).status();
            if (status.IsNotFound()) {
              txn->Abort();
              return;
            }
            ASSERT_TRUE(status.ok()) << status.ToString();
            deleted_doc = true;
          }
          break;
        default:
          ASSERT_TRUE(txn->Set(doc, "n." + std::to_string(rng_() % 3) + ".x",
                               static_cast<bool>(rng_() % 2))
                          .status()
                          .ok());
          break;
      }
    }
    auto hash = txn->Commit();
    if (!hash.ok() && hash.status().IsInvalidArgument()) return;  // no edits
    ASSERT_TRUE(hash.ok()) << hash.status().ToString();
    // A document delete removes what it saw: the reference models of that
    // document no longer describe it, so stop checking them.
    if (deleted_doc) models_valid_[doc] = false;
    model_.counter_sum[doc] += increments;
    if (add) {
      add->change = *hash;
      model_.adds.push_back(*add);
    }
    model_.removed_tags.insert(removing.begin(), removing.end());
    if (register_value) {
      auto stored = db.GetChange(*hash);
      ASSERT_TRUE(stored.ok());
      model_.register_sets.push_back({doc, stored->change.start_op,
                                      stored->change.actor, *register_value});
    }
  }

  static uint64_t CodePoints(const std::string& utf8) {
    uint64_t count = 0;
    for (char byte : utf8) count += (static_cast<uint8_t>(byte) & 0xC0) != 0x80;
    return count;
  }

  // Sends `to` what `from` logged since the last full delivery, shuffled;
  // a partial delivery drops some (they come again later).
  void Deliver(size_t from, size_t to, bool partial) {
    Database& source = *replicas_[from];
    uint64_t begin = cursors_[from][to] + 1;
    uint64_t end = source.LogLength();
    std::vector<uint64_t> positions;
    for (uint64_t pos = begin; pos <= end; ++pos) {
      if (!partial || rng_() % 2) positions.push_back(pos);
    }
    std::shuffle(positions.begin(), positions.end(), rng_);
    for (uint64_t pos : positions) {
      auto stored = source.GetChangeAt(pos);
      ASSERT_TRUE(stored.ok());
      auto outcome = replicas_[to]->Receive(stored->hash, stored->bytes,
                                            *source.ProveChange(stored->hash));
      ASSERT_TRUE(outcome.ok() || outcome.status().IsAlreadyExists())
          << outcome.status().ToString();
    }
    if (!partial) cursors_[from][to] = end;
  }

  std::mt19937_64 rng_;
  testing::TempDir dir_;
  std::vector<std::unique_ptr<Database>> replicas_;
  std::vector<std::vector<uint64_t>> cursors_;  // [from][to] delivered up to
  Model model_;
  std::map<std::string, bool> models_valid_;
  int next_tag_ = 0;
};

TEST(ConvergenceTest, RandomConcurrentEditsConverge) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    ConvergenceRun run(seed, 3 + seed % 3);
    for (int step = 0; step < 500; ++step) {
      run.Step();
      if (::testing::Test::HasFatalFailure()) {
        FAIL() << "seed " << seed << " step " << step;
      }
    }
    run.Heal();
    run.CheckConverged(seed);
  }
}

}  // namespace
}  // namespace weft
