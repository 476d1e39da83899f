// Export and import: a bundle restores a replica, is idempotent, and a
// damaged bundle is rejected whole.
#include "engine/bundle/bundle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "base/varint.h"
#include "dag/sha256.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = std::move(Database::Open(dir_.Sub("source"), Options())).value();
    target_ = std::move(Database::Open(dir_.Sub("target"), Options())).value();
    std::mt19937_64 rng(5);
    for (int commit = 0; commit < 30; ++commit) {
      auto txn = source_->Begin();
      ASSERT_TRUE(txn->Set("notes/" + std::to_string(commit % 4), "n",
                           static_cast<int64_t>(commit))
                      .status()
                      .ok());
      ASSERT_TRUE(txn->SpliceText("notes/0", "text", 0, 0, "ab").status().ok());
      ASSERT_TRUE(txn->Commit().ok());
    }
    bundle_ = dir_.Sub("all.weftbundle");
  }
  void ExpectSameAs(const Database& copy) {
    EXPECT_EQ(copy.Heads(), source_->Heads());
    EXPECT_EQ(copy.LogLength(), source_->LogLength());
    for (int doc = 0; doc < 4; ++doc) {
      std::string address = "notes/" + std::to_string(doc);
      EXPECT_EQ(*copy.EncodedState(address), *source_->EncodedState(address));
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> source_, target_;
  std::string bundle_;
};

TEST_F(BundleTest, ExportImportRestoresAReplicaAndIsIdempotent) {
  auto exported = source_->Export(bundle_);
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(exported->changes, 30u);
  auto imported = target_->Import(bundle_);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->stored, 30u);
  ExpectSameAs(*target_);
  auto again = target_->Import(bundle_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0u);
  EXPECT_EQ(again->changes_in_bundle, 30u);
  ExpectSameAs(*target_);
  auto report = target_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
}

TEST_F(BundleTest, ImportMergesWithLocalWork) {
  auto txn = target_->Begin();
  ASSERT_TRUE(txn->Set("notes/9", "mine", true).status().ok());
  ASSERT_TRUE(txn->Commit().ok());
  ASSERT_TRUE(source_->Export(bundle_).ok());
  auto imported = target_->Import(bundle_);
  ASSERT_TRUE(imported.ok());
  EXPECT_EQ(target_->LogLength(), 31u);
  EXPECT_EQ(target_->Heads().size(), 2u);  // two independent histories
  EXPECT_EQ(*target_->EncodedState("notes/1"),
            *source_->EncodedState("notes/1"));
}

TEST_F(BundleTest, EveryDamagedBundleIsRejectedWhole) {
  ASSERT_TRUE(source_->Export(bundle_).ok());
  std::string good = ReadAll(bundle_);
  std::mt19937_64 rng(9);
  std::vector<std::string> damaged;
  for (int flip = 0; flip < 40; ++flip) {  // one flipped bit anywhere
    std::string bytes = good;
    bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
    damaged.push_back(bytes);
  }
  damaged.push_back(good.substr(0, good.size() / 2));  // truncated
  damaged.push_back(good + "x");                       // trailing byte
  damaged.push_back("");                               // empty
  for (const std::string& bytes : damaged) {
    WriteAll(bundle_, bytes);
    auto imported = target_->Import(bundle_);
    ASSERT_FALSE(imported.ok());
    EXPECT_TRUE(imported.status().IsCorruption())
        << imported.status().ToString();
    EXPECT_EQ(target_->LogLength(), 0u);
    EXPECT_TRUE(target_->GetJson("notes/1").status().IsNotFound());
  }
  EXPECT_TRUE(target_->Import(dir_.Sub("absent")).status().IsIOError());
}

TEST_F(BundleTest, AWellFramedBundleThatBreaksClosureStoresNothing) {
  std::vector<dag::RunChange> changes;
  ASSERT_TRUE(source_
                  ->ScanLog(1,
                            [&](uint64_t position, const Hash&) {
                              changes.push_back(*dag::RunChangeOf(
                                  source_->GetChangeAt(position)->bytes));
                              return true;
                            })
                  .ok());
  engine::Bundle bundle;
  bundle.changes.assign(changes.begin() + 1, changes.end());  // no root
  bundle.heads = source_->Heads();
  WriteAll(bundle_, engine::EncodeBundle(bundle));
  auto imported = target_->Import(bundle_);
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.status().message().find("parent is not stored"),
            std::string::npos)
      << imported.status().ToString();
  EXPECT_EQ(target_->LogLength(), 0u);

  bundle.changes = changes;
  bundle.heads = {Hash()};  // a head that is not in the bundle
  WriteAll(bundle_, engine::EncodeBundle(bundle));
  imported = target_->Import(bundle_);
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.status().message().find("head"), std::string::npos);
  EXPECT_EQ(target_->LogLength(), 0u);
  EXPECT_TRUE(target_->GetJson("notes/1").status().IsNotFound());
}

ViewDefinition IndexOn(const std::string& name, const std::string& field) {
  ViewDefinition view;
  view.name = name;
  view.kind = ViewKind::kIndex;
  view.collection = "notes";
  view.fields = {field};
  return view;
}

// A bundle restores a replica's views too: definitions travel, rows are
// built on import, equal to the source's; a local view of the same name is
// kept.
TEST_F(BundleTest, ViewsTravelAndAreBuiltOnImport) {
  ASSERT_TRUE(source_->CreateView(IndexOn("by_n", "n")).ok());
  ASSERT_TRUE(source_->CreateView(IndexOn("by_text", "text")).ok());
  ASSERT_TRUE(target_->CreateView(IndexOn("by_text", "n")).ok());  // differs
  ASSERT_TRUE(source_->Export(bundle_).ok());
  auto imported = target_->Import(bundle_);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->views_created, std::vector<std::string>{"by_n"});
  EXPECT_EQ(imported->views_kept, std::vector<std::string>{"by_text"});
  EXPECT_EQ(*target_->ViewDigest("by_n"), *source_->ViewDigest("by_n"));
  ExpectSameAs(*target_);
  auto again = target_->Import(bundle_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->views_created.empty());
  EXPECT_EQ(again->stored, 0u);
}

TEST_F(BundleTest, ABundleWithABadViewDefinitionStoresNothing) {
  ASSERT_TRUE(source_->Export(bundle_).ok());
  auto bundle = engine::DecodeBundle(ReadAll(bundle_));
  ASSERT_TRUE(bundle.ok());
  bundle->views = {IndexOn("fine", "n").ToJson(), "{\"name\": \"x\"}"};
  WriteAll(bundle_, engine::EncodeBundle(*bundle));
  auto imported = target_->Import(bundle_);
  ASSERT_FALSE(imported.ok());
  EXPECT_TRUE(imported.status().IsCorruption()) << imported.status().ToString();
  EXPECT_NE(imported.status().ToString().find("view definition 2"),
            std::string::npos)
      << imported.status().ToString();
  EXPECT_EQ(target_->LogLength(), 0u);
  EXPECT_TRUE(target_->ListViews().empty());
}

// Bundles written before signed authorship (versions 1 and 2) hold
// unsigned changes: refused, saying why, nothing stored.
TEST_F(BundleTest, BundlesBeforeSignedAuthorshipAreRefused) {
  for (char version : {'\x01', '\x02'}) {
    std::string bytes = "WEFTBNDL";
    bytes += std::string(1, version) + std::string("\x00\x00\x00", 3);
    PutVarint(&bytes, 0);                         // no changes
    PutVarint(&bytes, 0);                         // no heads
    if (version == '\x02') PutVarint(&bytes, 0);  // no views
    bytes += dag::Sha256(bytes).AsStringView();
    WriteAll(bundle_, bytes);
    auto imported = target_->Import(bundle_);
    EXPECT_TRUE(imported.status().IsNotSupported())
        << imported.status().ToString();
    EXPECT_NE(imported.status().ToString().find("before signed authorship"),
              std::string::npos)
        << imported.status().ToString();
    EXPECT_EQ(target_->LogLength(), 0u);
  }
}

}  // namespace
}  // namespace weft
