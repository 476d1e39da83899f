// Property test: replicas edit one collection concurrently and exchange
// changes in random orders, while views are declared at random moments on
// each replica (before, during and after the changes arrive, including
// commits and receives in the middle of a view build). At the end, for
// every view: incremental rows == rows after RebuildView == rows a naive
// model computes from the final documents, and replicas agree byte for
// byte. Seeded: a failure names the seed that replays it.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "tests/testutil/db.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using nlohmann::json;

constexpr char kCollection[] = "items";
constexpr size_t kKeys = 40;

std::vector<ViewDefinition> Views() {
  std::vector<ViewDefinition> views(5);
  views[0].name = "by_n";
  views[0].fields = {"n"};
  views[1].name = "by_g_n";
  views[1].fields = {"g", "n"};
  views[2].name = "n_by_g";
  views[2].kind = ViewKind::kAggregate;
  views[2].aggregate_field = "n";
  views[2].group_by = "g";
  views[3].name = "c_total";
  views[3].kind = ViewKind::kAggregate;
  views[3].aggregate_field = "c";
  views[4].name = "non_negative";
  views[4].kind = ViewKind::kProjection;
  views[4].fields = {"n", "a.b"};
  views[4].filter = *Predicate::FromJson(R"({"n": {"$gte": 0}})");
  for (ViewDefinition& view : views) view.collection = kCollection;
  return views;
}

// ---- The naive model: view rows straight from the final documents. ----

struct Doc {
  std::string key;
  json value;
};

const json* At(const json& document, const std::string& path) {
  const json* node = &document;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string segment = path.substr(start, dot - start);
    if (!node->is_object() || !node->contains(segment)) return nullptr;
    node = &(*node)[segment];
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}

// The documented order: missing < null < false < true < numbers <
// strings < other; numbers by value.
int Rank(const json* value) {
  if (value == nullptr) return 1;
  if (value->is_null()) return 2;
  if (value->is_boolean()) return value->get<bool>() ? 4 : 3;
  if (value->is_number()) return 5;
  if (value->is_string()) return 6;
  return 7;
}

int Compare(const json* a, const json* b) {
  if (Rank(a) != Rank(b)) return Rank(a) < Rank(b) ? -1 : 1;
  if (Rank(a) == 5) {
    double x = a->get<double>(), y = b->get<double>();
    return (x > y) - (x < y);
  }
  if (Rank(a) == 6) return a->get<std::string>().compare(b->get<std::string>());
  return 0;
}

std::string Render(const json* value) {
  return value == nullptr ? "null" : value->dump();
}

std::vector<ViewRow> ModelRows(const ViewDefinition& view,
                               const std::vector<Doc>& docs) {
  std::vector<ViewRow> rows;
  std::string prefix = std::string(kCollection) + "/";
  if (view.kind == ViewKind::kIndex) {
    std::vector<const Doc*> sorted;
    for (const Doc& doc : docs) sorted.push_back(&doc);
    std::stable_sort(
        sorted.begin(), sorted.end(), [&](const Doc* a, const Doc* b) {
          for (const std::string& field : view.fields) {
            int order = Compare(At(a->value, field), At(b->value, field));
            if (order != 0) return order < 0;
          }
          return a->key < b->key;
        });
    for (const Doc* doc : sorted) {
      json key = json::array();
      for (const std::string& field : view.fields) {
        const json* value = At(doc->value, field);
        key.push_back(value ? *value : json());
      }
      rows.push_back({prefix + doc->key, key.dump(), ""});
    }
  } else if (view.kind == ViewKind::kProjection) {
    for (const Doc& doc : docs) {  // docs come in key order
      const json* n = At(doc.value, "n");
      if (n == nullptr || !n->is_number() || n->get<double>() < 0) continue;
      json kept = json::object();
      for (const std::string& field : view.fields) {
        if (const json* value = At(doc.value, field)) kept[field] = *value;
      }
      rows.push_back({prefix + doc.key, "", kept.dump()});
    }
  } else {
    struct Contribution {
      const json* value;
      std::string key;
    };
    std::vector<std::pair<const json*, std::vector<Contribution>>> groups;
    for (const Doc& doc : docs) {
      const json* value = At(doc.value, view.aggregate_field);
      if (value == nullptr) continue;
      static const json kNull;
      const json* group =
          view.group_by.empty() ? &kNull : At(doc.value, view.group_by);
      if (group == nullptr) group = &kNull;
      auto it = std::find_if(groups.begin(), groups.end(), [&](auto& entry) {
        return Compare(entry.first, group) == 0;
      });
      if (it == groups.end()) {
        groups.push_back({group, {}});
        it = groups.end() - 1;
      }
      it->second.push_back({value, doc.key});
    }
    std::sort(groups.begin(), groups.end(),
              [](auto& a, auto& b) { return Compare(a.first, b.first) < 0; });
    for (auto& [group, contributions] : groups) {
      std::vector<Contribution> numbers;
      for (const Contribution& c : contributions) {
        if (c.value->is_number()) numbers.push_back(c);
      }
      std::sort(numbers.begin(), numbers.end(), [](auto& a, auto& b) {
        int order = Compare(a.value, b.value);
        return order != 0 ? order < 0 : a.key < b.key;
      });
      json totals = {{"count", contributions.size()},
                     {"sum", nullptr},
                     {"min", nullptr},
                     {"max", nullptr}};
      if (!numbers.empty()) {
        bool all_integers =
            std::all_of(numbers.begin(), numbers.end(),
                        [](auto& c) { return c.value->is_number_integer(); });
        if (all_integers) {
          int64_t sum = 0;
          for (auto& c : numbers) sum += c.value->template get<int64_t>();
          totals["sum"] = sum;
        } else {
          double sum = 0;
          for (auto& c : numbers) sum += c.value->template get<double>();
          totals["sum"] = sum;
        }
        totals["min"] = *numbers.front().value;
        totals["max"] = *numbers.back().value;
      }
      rows.push_back({"", Render(group), totals.dump()});
    }
  }
  return rows;
}

using testing::RowsText;

// ---- The run. ----

class ViewRun {
 public:
  ViewRun(uint64_t seed, size_t replica_count) : seed_(seed), rng_(seed) {
    Options options;
    options.view_build_step_documents = 1 + rng_() % 7;  // many build steps
    for (size_t idx = 0; idx < replica_count; ++idx) {
      auto db = Database::Open(dir_.Sub("r" + std::to_string(idx)), options);
      EXPECT_TRUE(db.ok());
      replicas_.push_back(std::move(db).value());
      declared_.emplace_back();
    }
  }

  void Run(int steps) {
    for (int step = 0; step < steps; ++step) {
      size_t replica = rng_() % replicas_.size();
      switch (rng_() % 10) {
        case 0:
          MaybeDeclare(replica);
          break;
        case 1:
        case 2:
          Deliver(rng_() % replicas_.size(), replica);
          break;
        default:
          Edit(replica);
      }
    }
    // Heal, declare the views not yet declared (their builds may still
    // commit and receive), heal again.
    Heal();
    for (size_t replica = 0; replica < replicas_.size(); ++replica) {
      while (declared_[replica].size() < Views().size()) MaybeDeclare(replica);
    }
    Heal();
  }

  void Heal() {
    for (int round = 0; round < 2; ++round) {
      for (size_t from = 0; from < replicas_.size(); ++from) {
        for (size_t to = 0; to < replicas_.size(); ++to) {
          if (from != to) Deliver(from, to, /*complete=*/true);
        }
      }
    }
  }

  void Check() {
    std::vector<Doc> docs = Documents(*replicas_[0]);
    for (const ViewDefinition& view : Views()) {
      std::string expected = RowsText(ModelRows(view, docs));
      std::optional<Hash> digest_on_first;
      for (size_t idx = 0; idx < replicas_.size(); ++idx) {
        Database& db = *replicas_[idx];
        SCOPED_TRACE("seed " + std::to_string(seed_) + " replica " +
                     std::to_string(idx) + " view " + view.name);
        ASSERT_EQ(db.Heads(), replicas_[0]->Heads());
        auto incremental = db.ViewDigest(view.name);
        ASSERT_TRUE(incremental.ok());
        std::string rows = RowsText(testing::ViewRows(db, view.name));
        EXPECT_EQ(rows, expected);
        ASSERT_TRUE(db.RebuildView(view.name).ok());
        EXPECT_EQ(*db.ViewDigest(view.name), *incremental);
        EXPECT_EQ(RowsText(testing::ViewRows(db, view.name)), rows);
        if (!digest_on_first) digest_on_first = *incremental;
        EXPECT_EQ(*incremental, *digest_on_first);
      }
    }
  }

  size_t documents() { return Documents(*replicas_[0]).size(); }

 private:
  static std::vector<Doc> Documents(Database& db) {
    std::vector<Doc> docs;
    auto keys = db.ListKeys(kCollection);
    EXPECT_TRUE(keys.ok());
    for (const std::string& key : *keys) {
      auto text = db.GetJson(std::string(kCollection) + "/" + key);
      EXPECT_TRUE(text.ok());
      docs.push_back({key, json::parse(*text)});
    }
    return docs;
  }

  void MaybeDeclare(size_t replica) {
    std::vector<ViewDefinition> views = Views();
    std::vector<size_t> missing;
    for (size_t idx = 0; idx < views.size(); ++idx) {
      if (!declared_[replica].count(idx)) missing.push_back(idx);
    }
    if (missing.empty()) return;
    size_t chosen = missing[rng_() % missing.size()];
    declared_[replica].insert(chosen);
    // Between build steps: local commits and changes from a peer land on
    // both sides of the build's cursor.
    Status status = replicas_[replica]->CreateView(
        views[chosen], [&](const ViewBuildProgress&) {
          if (rng_() % 2) Edit(replica);
          if (rng_() % 3 == 0) Deliver(rng_() % replicas_.size(), replica);
        });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  json RandomNumberOrNot() {
    switch (rng_() % 6) {
      case 0:
        return static_cast<double>(rng_() % 40) / 4 - 3;  // floats, some -
      case 1:
        return "s" + std::to_string(rng_() % 3);
      case 2:
        return nullptr;
      default:
        return static_cast<int64_t>(rng_() % 21) - 5;
    }
  }

  void Edit(size_t replica) {
    Database& db = *replicas_[replica];
    std::string doc = std::string(kCollection) + "/k" +
                      std::to_string(rng_() % 3 ? rng_() % 8 : rng_() % kKeys);
    auto txn = db.Begin();
    Status status;
    switch (rng_() % 9) {
      case 0:
      case 1: {
        json body = json::object();
        if (rng_() % 4) body["n"] = RandomNumberOrNot();
        if (rng_() % 2) body["g"] = std::string(1, "xyz"[rng_() % 3]);
        if (rng_() % 3 == 0) body["a"] = {{"b", rng_() % 5}};
        status = txn->PutJson(doc, body.dump()).status();
        break;
      }
      case 2:
      case 3: {
        json value = RandomNumberOrNot();
        status = txn->SetJson(doc, "n", value.dump()).status();
        break;
      }
      case 4:
        status = txn->Set(doc, "g", std::string(1, "xyz"[rng_() % 3])).status();
        break;
      case 5: {
        auto current = txn->GetJson(doc);
        if (!current.ok() || !json::parse(*current).contains("c")) {
          status = txn->Make(doc, "c", ObjectType::kCounter).status();
        }
        if (status.ok()) {
          status =
              txn->Increment(doc, "c", static_cast<int64_t>(rng_() % 9) - 4)
                  .status();
        }
        break;
      }
      case 6:
        status = txn->DeleteDocument(doc).status();
        break;
      case 7:
        status = txn->Delete(doc, "n").status();
        break;
      default:
        status = txn->SetJson(doc, "a.b", std::to_string(rng_() % 5)).status();
    }
    if (status.ok()) {
      auto committed = txn->Commit();
      (void)committed;  // an edit of a missing document may be refused
    } else {
      txn->Abort();
    }
  }

  void Deliver(size_t from, size_t to, bool complete = false) {
    if (from == to) return;
    Database& source = *replicas_[from];
    std::vector<uint64_t> positions;
    for (uint64_t pos = 1; pos <= source.LogLength(); ++pos) {
      positions.push_back(pos);
    }
    std::shuffle(positions.begin(), positions.end(), rng_);
    if (!complete) {
      positions.resize(positions.size() - rng_() % (positions.size() / 3 + 1));
    }
    for (uint64_t pos : positions) {
      auto stored = source.GetChangeAt(pos);
      ASSERT_TRUE(stored.ok());
      auto outcome = replicas_[to]->Receive(stored->hash, stored->bytes,
                                            *source.ProveChange(stored->hash));
      ASSERT_TRUE(outcome.ok() || outcome.status().IsAlreadyExists())
          << outcome.status().ToString();
    }
  }

  uint64_t seed_;
  std::mt19937_64 rng_;
  testing::TempDir dir_;
  std::vector<std::unique_ptr<Database>> replicas_;
  std::vector<std::set<size_t>> declared_;
};

class ViewPropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ViewPropertyTest, IncrementalEqualsRebuiltEqualsModelOnEveryReplica) {
  ViewRun run(GetParam(), 3);
  run.Run(300);
  EXPECT_GT(run.documents(), 5u);  // the views had something to show
  run.Check();
}

INSTANTIATE_TEST_SUITE_P(Seeds, ViewPropertyTest,
                         ::testing::Range<uint64_t>(1, 13));

}  // namespace
}  // namespace weft
