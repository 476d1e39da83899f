// Faults of the disk at every point of a small workload: the N-th write,
// sync, rename or file creation fails with ENOSPC or EIO (and so does
// everything after it, as on a full or failing disk), for every N the
// workload reaches. Each failure must be a clear error, never a crash;
// once the fault is lifted the database opens, verifies clean, and holds
// every commit that was acknowledged before it.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "storage/fault_plan.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using storage::FaultPlan;
using testing::TempDir;

struct Outcome {
  std::vector<Hash> acknowledged;
  Status first_error;
};

// Opens, commits 16 changes (documents, a text, a view made midway),
// closes. Stops at the first error, after one more try that must not
// crash either. `before_close` (if set) acts on the database last. A
// commit that returns once the plan has cut the power is not acknowledged:
// that machine had stopped.
Outcome Workload(
    const std::string& path, std::shared_ptr<FaultPlan> plan,
    const std::function<void(Database*, Outcome*)>& before_close = nullptr,
    bool sync = true) {
  Outcome outcome;
  Options options;
  options.sync = sync;  // true: every acknowledged commit is fsynced
  auto db = Database::OpenWithFaults(path, options, plan);
  if (!db.ok()) {
    outcome.first_error = db.status();
    return outcome;
  }
  for (int commit = 0; commit < 16; ++commit) {
    if (commit == 8) {
      ViewDefinition view;
      view.name = "by_n";
      view.collection = "t";
      view.fields = {"n"};
      Status made = (*db)->CreateView(view);
      if (!made.ok()) {
        outcome.first_error = made;
        break;
      }
    }
    auto txn = (*db)->Begin();
    std::string doc = "t/" + std::to_string(commit % 5);
    Status edit = txn->Set(doc, "n", int64_t{commit}).status();
    if (edit.ok() && commit % 3 == 0) {
      edit = txn->SpliceText(doc, "note", 0, 0, "text ").status();
    }
    if (!edit.ok()) {
      outcome.first_error = edit;
      break;
    }
    Result<Hash> hash = txn->Commit();
    if (!hash.ok()) {
      outcome.first_error = hash.status();
      auto retry = (*db)->Begin();
      retry->Set("t/retry", "n", int64_t{1});
      Result<Hash> again = retry->Commit();
      if (again.ok() && !plan->PowerIsOff()) {
        outcome.acknowledged.push_back(*again);
      }
      break;
    }
    if (!plan->PowerIsOff()) outcome.acknowledged.push_back(*hash);
  }
  if (before_close) before_close(db->get(), &outcome);
  return outcome;  // the database closes here (its flush may fail too)
}

TEST(FaultWalkTest, EveryWriteSyncRenameAndCreateCanFail) {
  TempDir dir;
  auto counting = std::make_shared<FaultPlan>();
  Outcome clean = Workload(dir.Sub("count"), counting);
  ASSERT_TRUE(clean.first_error.ok()) << clean.first_error.ToString();
  ASSERT_EQ(clean.acknowledged.size(), 16u);
  uint64_t points = counting->count();
  ASSERT_GT(points, 16u);
  RecordProperty("fault_points", std::to_string(points));
  int failed_open = 0, failed_commit = 0, failed_at_close = 0;
  for (uint64_t point = 1; point <= points; ++point) {
    SCOPED_TRACE("fault at point " + std::to_string(point) + " of " +
                 std::to_string(points));
    std::string path = dir.Sub("walk" + std::to_string(point));
    auto plan = std::make_shared<FaultPlan>();
    plan->FailFrom(
        point, point % 2 ? FaultPlan::Error::kIo : FaultPlan::Error::kNoSpace);
    Outcome outcome = Workload(path, plan);
    if (!outcome.first_error.ok()) {
      EXPECT_NE(outcome.first_error.ToString().find("injected"),
                std::string::npos)
          << outcome.first_error.ToString();
      (outcome.acknowledged.empty() ? failed_open : failed_commit) += 1;
    } else {
      ++failed_at_close;  // only the close's flush met the fault
    }
    plan->Lift();
    auto reopened = Database::Open(path, Options());
    if (!reopened.ok() && reopened.status().IsNotFound() &&
        outcome.acknowledged.empty()) {
      continue;  // failed before the database existed
    }
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    auto report = (*reopened)->Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    for (const std::string& problem : report->problems) {
      ADD_FAILURE() << problem;
    }
    for (const Hash& hash : outcome.acknowledged) {
      EXPECT_TRUE((*reopened)->GetChange(hash).ok())
          << "acknowledged commit " << hash.Short() << " lost";
    }
  }
  RecordProperty("failed_open", std::to_string(failed_open));
  RecordProperty("failed_commit", std::to_string(failed_commit));
  RecordProperty("failed_at_close", std::to_string(failed_at_close));
}

// What a server does after a failed write (cli serve): the fault lifted,
// the database reopens in place and writes again, with every commit
// acknowledged before the fault, at every third point of the walk.
TEST(FaultWalkTest, AfterAFailedWriteTheDatabaseReopensInPlace) {
  TempDir dir;
  auto counting = std::make_shared<FaultPlan>();
  ASSERT_TRUE(Workload(dir.Sub("count"), counting).first_error.ok());
  int reopened = 0;
  for (uint64_t point = 1; point <= counting->count(); point += 3) {
    SCOPED_TRACE("fault at point " + std::to_string(point));
    auto plan = std::make_shared<FaultPlan>();
    plan->FailFrom(point, FaultPlan::Error::kNoSpace);
    Workload(dir.Sub("walk" + std::to_string(point)), plan,
             [&](Database* db, Outcome* outcome) {
               if (outcome->first_error.ok()) return;  // met at close only
               plan->Lift();
               Status again = db->Reopen();
               ASSERT_TRUE(again.ok()) << again.ToString();
               EXPECT_TRUE(db->WriteFailure().ok());
               auto txn = db->Begin();
               ASSERT_TRUE(txn->Set("t/after", "n", int64_t{1}).status().ok());
               Result<Hash> hash = txn->Commit();
               ASSERT_TRUE(hash.ok()) << hash.status().ToString();
               outcome->acknowledged.push_back(*hash);
               for (const Hash& acknowledged : outcome->acknowledged) {
                 EXPECT_TRUE(db->GetChange(acknowledged).ok())
                     << "acknowledged commit " << acknowledged.Short()
                     << " lost";
               }
               auto report = db->Verify();
               ASSERT_TRUE(report.ok()) << report.status().ToString();
               for (const std::string& problem : report->problems) {
                 ADD_FAILURE() << problem;
               }
               ++reopened;
             });
  }
  EXPECT_GT(reopened, 10);
  RecordProperty("reopened", std::to_string(reopened));
}

// The power goes at every point of the workload: after the machine
// stopped, each file holds what was synced. With sync = true every
// acknowledged commit is there; with sync = false what is there is a
// prefix of them (no holes); either way the database opens and verifies.
TEST(FaultWalkTest, APowerLossKeepsWhatWasSynced) {
  TempDir dir;
  for (bool sync : {true, false}) {
    auto counting = std::make_shared<FaultPlan>();
    std::string name = sync ? "synced" : "unsynced";
    ASSERT_TRUE(
        Workload(dir.Sub(name), counting, nullptr, sync).first_error.ok());
    uint64_t points = counting->count(), bytes_dropped = 0;
    size_t commits_lost = 0;
    for (uint64_t point = 1; point <= points; ++point) {
      SCOPED_TRACE(name + ": power lost at point " + std::to_string(point));
      std::string path = dir.Sub(name + std::to_string(point));
      auto plan = std::make_shared<FaultPlan>();
      plan->CutPowerFrom(point);
      Outcome outcome = Workload(path, plan, nullptr, sync);
      bytes_dropped += plan->DropUnsynced();
      auto reopened = Database::Open(path, Options());
      if (!reopened.ok() && outcome.acknowledged.empty()) continue;
      ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
      auto report = (*reopened)->Verify();
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      for (const std::string& problem : report->problems) {
        ADD_FAILURE() << problem;
      }
      size_t kept = 0;
      while (kept < outcome.acknowledged.size() &&
             (*reopened)->GetChange(outcome.acknowledged[kept]).ok()) {
        ++kept;
      }
      for (size_t later = kept; later < outcome.acknowledged.size(); ++later) {
        EXPECT_FALSE((*reopened)->GetChange(outcome.acknowledged[later]).ok())
            << "commit " << later << " kept after commit " << kept << " lost";
      }
      if (sync) {
        EXPECT_EQ(kept, outcome.acknowledged.size())
            << "acknowledged commits lost";
      }
      commits_lost += outcome.acknowledged.size() - kept;
    }
    RecordProperty(name + "_points", std::to_string(points));
    RecordProperty(name + "_bytes_dropped", std::to_string(bytes_dropped));
    RecordProperty(name + "_commits_lost", std::to_string(commits_lost));
    if (sync) {
      EXPECT_GT(bytes_dropped, 0u);  // the cut did drop something
    }
  }
}

}  // namespace
}  // namespace weft
