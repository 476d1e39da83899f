// The port's contract, run against both adapters.
#include "storage/kv_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "rocksdb/db.h"
#include "storage/memory_kv_store.h"
#include "storage/rocksdb_kv_store.h"
#include "tests/testutil/raw_rocksdb.h"
#include "tests/testutil/temp_dir.h"

namespace weft::storage {
namespace {

class KvStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      auto store = OpenRocksDbKvStore(dir_.Sub("db"), RocksDbStoreOptions());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
    } else {
      store_ = NewMemoryKvStore();
    }
  }
  testing::TempDir dir_;
  std::unique_ptr<KvStore> store_;
};

TEST_P(KvStoreTest, BatchIsAtomicAndFamiliesAreSeparate) {
  auto batch = store_->NewBatch();
  batch->Put(Family::kIndex, "k", "in index");
  batch->Put(Family::kLog, "k", "in log");
  batch->Put(Family::kMeta, "gone", "x");
  batch->Delete(Family::kMeta, "gone");
  EXPECT_EQ(batch->Count(), 4u);
  std::string value;
  EXPECT_TRUE(store_->Get(Family::kIndex, "k", &value).IsNotFound());
  ASSERT_TRUE(store_->Write(batch.get(), true).ok());
  ASSERT_TRUE(store_->Get(Family::kIndex, "k", &value).ok());
  EXPECT_EQ(value, "in index");
  ASSERT_TRUE(store_->Get(Family::kLog, "k", &value).ok());
  EXPECT_EQ(value, "in log");
  EXPECT_TRUE(store_->Get(Family::kMeta, "gone", &value).IsNotFound());
  EXPECT_TRUE(store_->Get(Family::kActors, "k", &value).IsNotFound());
}

TEST_P(KvStoreTest, IteratorSeeksAndOrders) {
  auto batch = store_->NewBatch();
  for (const char* key : {"b", "d", "a", "c"}) {
    batch->Put(Family::kIndex, key, std::string("v") + key);
  }
  ASSERT_TRUE(store_->Write(batch.get(), false).ok());
  auto it = store_->NewIterator(Family::kIndex);
  std::string keys;
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys += it->key();
  EXPECT_EQ(keys, "abcd");
  it->Seek("bb");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  EXPECT_EQ(it->value(), "vc");
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->Prev();
  EXPECT_EQ(it->key(), "c");
  it->Seek("z");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_P(KvStoreTest, DeleteRangeRemovesHalfOpenRangeAtomically) {
  auto batch = store_->NewBatch();
  for (const char* key : {"a", "b", "ba", "c", "d"}) {
    batch->Put(Family::kViews, key, "v");
  }
  ASSERT_TRUE(store_->Write(batch.get(), false).ok());
  batch->Clear();
  batch->DeleteRange(Family::kViews, "b", "c");
  batch->Put(Family::kViews, "bb", "written after the range delete");
  ASSERT_TRUE(store_->Write(batch.get(), false).ok());
  auto it = store_->NewIterator(Family::kViews);
  std::string keys;
  for (it->SeekToFirst(); it->Valid(); it->Next())
    keys += std::string(it->key()) + ",";
  EXPECT_EQ(keys, "a,bb,c,d,");
}

TEST_P(KvStoreTest, IteratorIsASnapshot) {
  auto batch = store_->NewBatch();
  batch->Put(Family::kDocs, "a", "1");
  ASSERT_TRUE(store_->Write(batch.get(), false).ok());
  auto it = store_->NewIterator(Family::kDocs);
  batch->Clear();
  batch->Put(Family::kDocs, "b", "2");
  ASSERT_TRUE(store_->Write(batch.get(), false).ok());
  int count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  EXPECT_EQ(count, 1);
}

// Families that share one RocksDB column family (storage layout 2) still
// see only their own keys, whichever way they are scanned or deleted.
TEST_P(KvStoreTest, EachFamilySeesOnlyItsOwnKeys) {
  const std::vector<std::string> keys = {std::string(), std::string(1, '\0'),
                                         "a", "\xff", "\xff\xff"};
  auto batch = store_->NewBatch();
  for (int family = 0; family < kFamilyCount; ++family) {
    for (const std::string& key : keys) {
      batch->Put(static_cast<Family>(family), key,
                 FamilyName(static_cast<Family>(family)) + key);
    }
  }
  ASSERT_TRUE(store_->Write(batch.get(), false).ok());
  for (int family_idx = 0; family_idx < kFamilyCount; ++family_idx) {
    Family family = static_cast<Family>(family_idx);
    SCOPED_TRACE(FamilyName(family));
    auto it = store_->NewIterator(family);
    std::vector<std::string> forward, backward;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      forward.emplace_back(it->key());
      EXPECT_EQ(it->value(), FamilyName(family) + std::string(it->key()));
    }
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      backward.emplace_back(it->key());
    }
    EXPECT_EQ(forward, keys);
    EXPECT_EQ(backward, std::vector<std::string>(keys.rbegin(), keys.rend()));
    it->Seek("\xff\xff\x01");
    EXPECT_FALSE(it->Valid());
    it->Seek("b");
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), "\xff");
    EXPECT_TRUE(it->status().ok());
  }
  batch->Clear();
  batch->DeleteRange(Family::kDocs, "", "\xff\xff\xff");
  batch->Delete(Family::kMeta, "a");
  ASSERT_TRUE(store_->Write(batch.get(), false).ok());
  for (int family_idx = 0; family_idx < kFamilyCount; ++family_idx) {
    Family family = static_cast<Family>(family_idx);
    SCOPED_TRACE(FamilyName(family));
    size_t expected = family == Family::kDocs   ? 0
                      : family == Family::kMeta ? keys.size() - 1
                                                : keys.size();
    size_t count = 0;
    auto it = store_->NewIterator(family);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
    EXPECT_EQ(count, expected);
    std::string value;
    EXPECT_EQ(store_->Get(family, "a", &value).ok(),
              family != Family::kDocs && family != Family::kMeta);
  }
}

INSTANTIATE_TEST_SUITE_P(Adapters, KvStoreTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? "RocksDb" : "Memory";
                         });

TEST(RocksDbKvStoreTest, SecondOpenIsBusy) {
  testing::TempDir dir;
  auto first = OpenRocksDbKvStore(dir.Sub("db"), RocksDbStoreOptions());
  ASSERT_TRUE(first.ok());
  auto second = OpenRocksDbKvStore(dir.Sub("db"), RocksDbStoreOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().IsBusy()) << second.status().ToString();
}

TEST(RocksDbKvStoreTest, MissingDatabaseIsNotFoundWithoutCreate) {
  testing::TempDir dir;
  RocksDbStoreOptions options;
  options.create_if_missing = false;
  auto store = OpenRocksDbKvStore(dir.Sub("absent"), options);
  EXPECT_TRUE(store.status().IsNotFound()) << store.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("absent")));
}

TEST(RocksDbKvStoreTest, CheckpointIsAnOpenableCopy) {
  testing::TempDir dir;
  {
    auto store = OpenRocksDbKvStore(dir.Sub("db"), RocksDbStoreOptions());
    ASSERT_TRUE(store.ok());
    auto batch = (*store)->NewBatch();
    batch->Put(Family::kMeta, "key", "value");
    ASSERT_TRUE((*store)->Write(batch.get(), true).ok());
    ASSERT_TRUE((*store)->Checkpoint(dir.Sub("copy")).ok());
    EXPECT_GT((*store)->ApproximateSizeBytes(), 0u);
  }
  auto copy = OpenRocksDbKvStore(dir.Sub("copy"), RocksDbStoreOptions());
  ASSERT_TRUE(copy.ok());
  std::string value;
  ASSERT_TRUE((*copy)->Get(Family::kMeta, "key", &value).ok());
  EXPECT_EQ(value, "value");
}

size_t LogFileCount(const std::string& path) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    count += entry.path().extension() == ".log";
  }
  return count;
}

// What was written is read after each reopen, and opens that write nothing
// (a script of `weft get`) leave no empty logs behind.
TEST(RocksDbKvStoreTest, DataSurvivesReopensThatLeaveNoLogsBehind) {
  testing::TempDir dir;
  {
    auto store = OpenRocksDbKvStore(dir.Sub("db"), RocksDbStoreOptions());
    ASSERT_TRUE(store.ok());
    auto batch = (*store)->NewBatch();
    batch->Put(Family::kPeers, "p", "state");
    ASSERT_TRUE((*store)->Write(batch.get(), false).ok());
  }
  for (int open = 0; open < 10; ++open) {
    auto store = OpenRocksDbKvStore(dir.Sub("db"), RocksDbStoreOptions());
    ASSERT_TRUE(store.ok());
    std::string value;
    ASSERT_TRUE((*store)->Get(Family::kPeers, "p", &value).ok());
    EXPECT_EQ(value, "state");
  }
  // The current log, and at most the one holding the write if no flush
  // has taken it yet.
  EXPECT_LE(LogFileCount(dir.Sub("db")), 2u);
}

// weft keeps no RocksDB OPTIONS file (it sets every option at open): a
// writable open writes none and removes those an older build left.
TEST(RocksDbKvStoreTest, NoOptionsFileIsKept) {
  testing::TempDir dir;
  auto options_files = [&] {
    std::vector<std::filesystem::path> files;
    for (const auto& entry :
         std::filesystem::directory_iterator(dir.Sub("db"))) {
      if (entry.path().filename().string().rfind("OPTIONS-", 0) == 0) {
        files.push_back(entry.path());
      }
    }
    return files;
  };
  {
    auto store = OpenRocksDbKvStore(dir.Sub("db"), RocksDbStoreOptions());
    ASSERT_TRUE(store.ok());
    auto batch = (*store)->NewBatch();
    batch->Put(Family::kDocs, "d", "state");
    ASSERT_TRUE((*store)->Write(batch.get(), false).ok());
    EXPECT_TRUE(options_files().empty());
  }
  EXPECT_TRUE(options_files().empty());
  std::ofstream(dir.Sub("db/OPTIONS-000007")) << "[Version]\n\x01garbage";
  RocksDbStoreOptions read_only;
  read_only.read_only = true;
  for (const auto& options : {read_only, RocksDbStoreOptions()}) {
    auto store = OpenRocksDbKvStore(dir.Sub("db"), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::string value;
    ASSERT_TRUE((*store)->Get(Family::kDocs, "d", &value).ok());
    EXPECT_EQ(value, "state");
    EXPECT_EQ(options_files().empty(), !options.read_only);
  }
}

// Storage layout 1, as weft wrote until its small families shared one
// column family: a column family per family, each with `key0`..`key99`
// holding the family's name.
constexpr int kLayoutOneKeys = 100;

void WriteLayoutOne(const std::string& path) {
  std::unique_ptr<rocksdb::DB> db = testing::OpenRawRocksDb(path);
  ASSERT_NE(db, nullptr);
  for (int family = 0; family < kFamilyCount; ++family) {
    const char* name = FamilyName(static_cast<Family>(family));
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    ASSERT_TRUE(
        db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &handle)
            .ok());
    for (int key = 0; key < kLayoutOneKeys; ++key) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handle,
                          "key" + std::to_string(key), name)
                      .ok());
    }
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
}

void ExpectLayoutOneData(const std::string& path, bool read_only) {
  RocksDbStoreOptions options;
  options.read_only = read_only;
  auto store = OpenRocksDbKvStore(path, options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int family_idx = 0; family_idx < kFamilyCount; ++family_idx) {
    Family family = static_cast<Family>(family_idx);
    SCOPED_TRACE(FamilyName(family));
    std::string value;
    ASSERT_TRUE((*store)->Get(family, "key42", &value).ok());
    EXPECT_EQ(value, FamilyName(family));
    int count = 0;
    auto it = (*store)->NewIterator(family);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
    EXPECT_EQ(count, kLayoutOneKeys);
  }
}

std::vector<std::string> ColumnFamilies(const std::string& path) {
  std::vector<std::string> names;
  EXPECT_TRUE(
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::sort(names.begin(), names.end());
  return names;
}

const std::vector<std::string> kLayoutTwo = {"default", "index", "log", "seqs"};

TEST(RocksDbKvStoreTest, LayoutOneIsReadAsItIsAndMovedByAWritableOpen) {
  testing::TempDir dir;
  WriteLayoutOne(dir.Sub("db"));
  ExpectLayoutOneData(dir.Sub("db"), /*read_only=*/true);
  EXPECT_EQ(ColumnFamilies(dir.Sub("db")).size(), 9u);  // untouched
  ExpectLayoutOneData(dir.Sub("db"), /*read_only=*/false);
  EXPECT_EQ(ColumnFamilies(dir.Sub("db")), kLayoutTwo);
  ExpectLayoutOneData(dir.Sub("db"), /*read_only=*/true);
  ExpectLayoutOneData(dir.Sub("db"), /*read_only=*/false);
}

// A writable open that stopped while moving layout 1: either before it
// had copied every family into the shared column family (all of layout 1
// is still there), or while dropping them (some are gone, all were copied).
TEST(RocksDbKvStoreTest, AMoveThatStoppedIsFinishedByTheNextWritableOpen) {
  for (bool copied_all : {false, true}) {
    SCOPED_TRACE(copied_all ? "stopped dropping" : "stopped copying");
    testing::TempDir dir;
    WriteLayoutOne(dir.Sub("db"));
    {
      std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
      for (const std::string& name : ColumnFamilies(dir.Sub("db"))) {
        descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
      }
      std::vector<rocksdb::ColumnFamilyHandle*> handles;
      rocksdb::DB* raw = nullptr;
      ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.Sub("db"),
                                    descriptors, &handles, &raw)
                      .ok());
      std::unique_ptr<rocksdb::DB> db(raw);
      for (size_t i = 0; i < descriptors.size(); ++i) {
        const std::string& name = descriptors[i].name;
        for (Family family : {Family::kActors, Family::kDocs, Family::kMeta,
                              Family::kPeers, Family::kViews}) {
          if (name != FamilyName(family)) continue;
          int copied = copied_all ? kLayoutOneKeys : kLayoutOneKeys / 2;
          for (int key = 0; key < copied; ++key) {
            ASSERT_TRUE(db->Put(rocksdb::WriteOptions(),
                                std::string(1, static_cast<char>(family)) +
                                    "key" + std::to_string(key),
                                name)
                            .ok());
          }
          if (copied_all && family != Family::kMeta) {
            ASSERT_TRUE(db->DropColumnFamily(handles[i]).ok());
          }
        }
      }
      for (auto* handle : handles) {
        ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
      }
    }
    ExpectLayoutOneData(dir.Sub("db"), /*read_only=*/true);
    ExpectLayoutOneData(dir.Sub("db"), /*read_only=*/false);
    EXPECT_EQ(ColumnFamilies(dir.Sub("db")), kLayoutTwo);
    ExpectLayoutOneData(dir.Sub("db"), /*read_only=*/false);
  }
}

// A database written by another format version may have families this
// build does not know (format 2 had `heads`): it still opens, so that its
// version entry can say why the engine refuses it, and the family is kept.
TEST(RocksDbKvStoreTest, OpensDatabaseWithUnknownFamily) {
  testing::TempDir dir;
  {
    std::unique_ptr<rocksdb::DB> db = testing::OpenRawRocksDb(dir.Sub("db"));
    ASSERT_NE(db, nullptr);
    // A format-2 database: today's families and `heads`.
    std::vector<std::string> names = {"heads"};
    for (int family = 0; family < kFamilyCount; ++family) {
      names.push_back(FamilyName(static_cast<Family>(family)));
    }
    for (const std::string& name : names) {
      rocksdb::ColumnFamilyHandle* handle = nullptr;
      ASSERT_TRUE(
          db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &handle)
              .ok());
      ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    }
  }
  {
    auto store = OpenRocksDbKvStore(dir.Sub("db"), RocksDbStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto batch = (*store)->NewBatch();
    batch->Put(Family::kMeta, "k", "v");
    ASSERT_TRUE((*store)->Write(batch.get(), false).ok());
  }
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(),
                                              dir.Sub("db"), &families)
                  .ok());
  EXPECT_NE(std::find(families.begin(), families.end(), "heads"),
            families.end());
  auto store = OpenRocksDbKvStore(dir.Sub("db"), RocksDbStoreOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::string value;
  ASSERT_TRUE((*store)->Get(Family::kMeta, "k", &value).ok());
  EXPECT_EQ(value, "v");
}

// Another program's RocksDB database is refused and left as it was; so is
// a folder holding other files, where a new database would be mixed in.
TEST(RocksDbKvStoreTest, ForeignDataIsRefusedUntouched) {
  testing::TempDir dir;
  {
    std::unique_ptr<rocksdb::DB> db = testing::OpenRawRocksDb(dir.Sub("other"));
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "theirs", "v").ok());
  }
  auto store = OpenRocksDbKvStore(dir.Sub("other"), RocksDbStoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsInvalidArgument()) << store.status().ToString();
  EXPECT_NE(store.status().ToString().find("not a weft database"),
            std::string::npos);
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(),
                                              dir.Sub("other"), &families)
                  .ok());
  EXPECT_EQ(families, std::vector<std::string>{"default"});

  std::filesystem::create_directories(dir.Sub("photos"));
  std::ofstream(dir.Sub("photos/cat.jpg")) << "meow";
  store = OpenRocksDbKvStore(dir.Sub("photos"), RocksDbStoreOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().ToString().find("a folder holding other files"),
            std::string::npos)
      << store.status().ToString();
  EXPECT_EQ(
      std::distance(std::filesystem::directory_iterator(dir.Sub("photos")),
                    std::filesystem::directory_iterator()),
      1);
  std::filesystem::create_directories(dir.Sub("empty"));
  EXPECT_TRUE(OpenRocksDbKvStore(dir.Sub("empty"), RocksDbStoreOptions()).ok());
}

}  // namespace
}  // namespace weft::storage
