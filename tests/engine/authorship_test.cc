// Signed authorship (dag/FORMAT.md): what a forger can try through
// Receive and import, and what verify finds in stored proofs.
#include "dag/authorship.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "dag/change_codec.h"
#include "engine/bundle/bundle.h"
#include "tests/testutil/authors.h"
#include "tests/testutil/db.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using testing::ExpectVerified;
using testing::OpenOrDie;
using testing::Put;
using testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

class AuthorshipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    author_ = OpenOrDie(dir_.Sub("author"));
    // Past a proof point that is sent (4096), by 44 changes.
    for (int doc = 0; doc < 4140; ++doc) {
      Put(author_.get(), "t/" + std::to_string(doc % 7),
          R"({"n": )" + std::to_string(doc) + "}");
    }
    target_ = OpenOrDie(dir_.Sub("target"));
    ASSERT_TRUE(author_->Export(bundle_).ok());
  }

  // The author's bundle with `tamper` applied, written to `bundle_`.
  void Tampered(const std::function<void(engine::Bundle*)>& tamper) {
    auto bundle = engine::DecodeBundle(ReadAll(bundle_));
    ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
    tamper(&*bundle);
    WriteAll(bundle_, engine::EncodeBundle(*bundle));
  }

  TempDir dir_;
  std::string bundle_ = dir_.Sub("bundle.weft");
  std::unique_ptr<Database> author_;
  std::unique_ptr<Database> target_;
};

TEST_F(AuthorshipTest, ImportRefusesChangesTheirActorDidNotSign) {
  auto genuine = engine::DecodeBundle(ReadAll(bundle_));
  ASSERT_TRUE(genuine.ok());
  auto proofs = dag::DecodeProofs(genuine->proofs, 1000);
  ASSERT_TRUE(proofs.ok());
  // The proof made at seq 4096 by the commit (those at the multiples of
  // 256 before it stay home), and the cover of seq 4140.
  ASSERT_EQ(proofs->size(), 2u);
  EXPECT_EQ((*proofs)[0].seq, 4096u);
  EXPECT_EQ((*proofs)[1].seq, 4140u);

  struct Case {
    const char* name;
    std::function<void(engine::Bundle*)> tamper;
    const char* reason;
  };
  const Case cases[] = {
      {"no proofs", [](engine::Bundle* b) { b->proofs.clear(); },
       "without a proof"},
      {"an altered signature",
       [&](engine::Bundle* b) {
         auto altered = *proofs;
         altered[1].signature[0] ^= 0x40;
         b->proofs = dag::EncodeProofs(altered);
       },
       "does not verify"},
      {"an altered proof inside the run",
       [&](engine::Bundle* b) {
         auto altered = *proofs;
         altered[0].signature[63] ^= 0x01;
         b->proofs = dag::EncodeProofs(altered);
       },
       "does not verify"},
      {"another key's signature",
       [&](engine::Bundle* b) {
         auto other = *proofs;
         other.resize(1);
         other[0].seq = 4140;
         other[0].signature = testing::AuthorFromSeed(5).Sign(4140, Hash());
         b->proofs = dag::EncodeProofs(other);
       },
       "does not verify"},
      {"the genuine proofs over other bytes",
       [&](engine::Bundle* b) {
         dag::RunChange& last = b->changes.back();
         last.change.message = "forged";
         dag::EncodedChange forged = dag::EncodeChange(last.change);
         last.bytes = forged.bytes;
         last.hash = forged.hash;
         b->heads = {forged.hash};
       },
       "does not verify"},
      {"proofs that are not proofs",
       [](engine::Bundle* b) { b->proofs = "\x05garbage"; }, "proofs"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    Tampered(test.tamper);
    auto imported = target_->Import(bundle_);
    ASSERT_FALSE(imported.ok());
    EXPECT_NE(imported.status().ToString().find(test.reason), std::string::npos)
        << imported.status().ToString();
    EXPECT_EQ(target_->LogLength(), 0u);
    ASSERT_TRUE(author_->Export(bundle_).ok());  // the genuine one again
  }
  auto imported = target_->Import(bundle_);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->stored, 4140u);
  auto report = target_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->proofs_checked, 2u);
}

// A copy of a database (its identity key with it) that writes on is a
// second writer of the same actor: what it wrote is the same seq as other
// changes, refused as an equivocation through Receive and import alike.
TEST_F(AuthorshipTest, ChangesReplayedFromACopyOfTheDatabaseAreRefused) {
  std::string copy_dir = dir_.Sub("copy");
  ASSERT_TRUE(author_->Checkpoint(copy_dir).ok());
  auto copy = OpenOrDie(copy_dir);
  EXPECT_EQ(copy->local_actor(), author_->local_actor());
  Put(author_.get(), "t/original", R"({"by": "the author"})");
  Put(copy.get(), "t/copy", R"({"by": "the copy"})");
  ASSERT_TRUE(target_->Import(bundle_).ok());
  auto original = author_->GetChangeAt(4141);
  ASSERT_TRUE(original.ok());
  ASSERT_TRUE(
      target_->Receive(original->bytes, *author_->ProveChange(original->hash))
          .ok());
  auto replayed = copy->GetChangeAt(4141);
  ASSERT_TRUE(replayed.ok());
  auto received =
      target_->Receive(replayed->bytes, *copy->ProveChange(replayed->hash));
  EXPECT_TRUE(received.status().IsInvalidArgument())
      << received.status().ToString();
  EXPECT_NE(received.status().ToString().find("equivocation"),
            std::string::npos);
  ASSERT_TRUE(copy->Export(bundle_).ok());
  auto imported = target_->Import(bundle_);
  EXPECT_FALSE(imported.ok());
  EXPECT_NE(imported.status().ToString().find("equivocation"),
            std::string::npos)
      << imported.status().ToString();
  EXPECT_EQ(target_->LogLength(), 4141u);
  EXPECT_TRUE(target_->GetJson("t/copy").status().IsNotFound());
  ExpectVerified(*target_);
}

// A proof stored ahead of its changes (a cover whose tail names changes
// not yet here) is dropped when other changes of that actor arrive in its
// place: a copy of the database wrote them with the same key, so the old
// proof vouches for a branch this replica never stored, and passing it on
// would make every further replica refuse the batch.
TEST_F(AuthorshipTest, AProofOfABranchNeverStoredIsNotPassedOn) {
  auto writer = OpenOrDie(dir_.Sub("writer"));
  for (int n = 1; n <= 3; ++n) Put(writer.get(), "w/1", R"({"n": 1})");
  std::string copy_dir = dir_.Sub("writer-copy");
  ASSERT_TRUE(writer->Checkpoint(copy_dir).ok());
  auto copy = OpenOrDie(copy_dir);
  Put(writer.get(), "w/1", R"({"by": "writer"})");  // seqs 4 and 5
  Put(writer.get(), "w/1", R"({"by": "writer", "again": true})");
  for (int n = 4; n <= 6; ++n) Put(copy.get(), "w/1", R"({"by": "copy"})");
  for (uint64_t position = 1; position <= 3; ++position) {
    auto stored = writer->GetChangeAt(position);
    // Each proof is the writer's signature at seq 5, with a tail of hashes.
    ASSERT_TRUE(
        target_->Receive(stored->bytes, *writer->ProveChange(stored->hash))
            .ok());
  }
  for (uint64_t position = 4; position <= 6; ++position) {
    auto stored = copy->GetChangeAt(position);
    auto received =
        target_->Receive(stored->bytes, *copy->ProveChange(stored->hash));
    ASSERT_TRUE(received.ok()) << received.status().ToString();
  }
  ExpectVerified(*target_);
  std::string passed_on = dir_.Sub("passed-on.weft");
  ASSERT_TRUE(target_->Export(passed_on).ok());
  auto further = OpenOrDie(dir_.Sub("further"));
  auto imported = further->Import(passed_on);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->stored, 6u);
  EXPECT_EQ(*further->GetJson("w/1"), *copy->GetJson("w/1"));
}

// The key a database signs with is its own: a database opened with
// another one's key file refuses to open, and one without it refuses to
// open for writing (a read-only open goes on).
TEST_F(AuthorshipTest, ADatabaseSignsOnlyWithItsOwnKey) {
  author_.reset();
  target_.reset();
  std::filesystem::copy_file(dir_.Sub("target") + "/identity.key",
                             dir_.Sub("author") + "/identity.key",
                             std::filesystem::copy_options::overwrite_existing);
  auto wrong = Database::Open(dir_.Sub("author"), Options());
  EXPECT_TRUE(wrong.status().IsInvalidArgument()) << wrong.status().ToString();
  EXPECT_NE(wrong.status().ToString().find("another database's key"),
            std::string::npos);
  std::filesystem::remove(dir_.Sub("author") + "/identity.key");
  auto missing = Database::Open(dir_.Sub("author"), Options());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_NE(missing.status().ToString().find("identity.key is missing"),
            std::string::npos);
  Options read_only;
  read_only.read_only = true;
  auto reader = Database::Open(dir_.Sub("author"), read_only);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->LogLength(), 4140u);
  // Its changes after the last stored proof (seq 4096) cannot be signed.
  auto exported = (*reader)->Export(bundle_);
  EXPECT_FALSE(exported.ok());
  EXPECT_NE(exported.status().ToString().find("no identity key"),
            std::string::npos)
      << exported.status().ToString();
}

}  // namespace
}  // namespace weft
