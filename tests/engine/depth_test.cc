// The document depth limit (limits::kDocumentDepthMax): deeper JSON, paths
// and received changes are refused; a state stored before the limit still
// renders and round-trips without exhausting the stack.
#include <gtest/gtest.h>

#include "base/varint.h"
#include "dag/change_codec.h"
#include "engine/crdt/document.h"
#include "tests/testutil/authors.h"
#include "tests/testutil/db.h"
#include "tests/testutil/drafts.h"
#include "tests/testutil/temp_dir.h"
#include "weft/database.h"

namespace weft {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

constexpr size_t kMax = limits::kDocumentDepthMax;

using testing::NestedMaps;

// JSON objects nested `levels` deep around the value 1.
std::string NestedJson(size_t levels) {
  std::string text;
  for (size_t level = 0; level < levels; ++level) text += "{\"k\": ";
  text += "1";
  text.append(levels, '}');
  return text;
}

TEST(DepthTest, AReceivedChangeNestingTooDeepIsRefused) {
  engine::Document at_limit, over;
  EXPECT_TRUE(at_limit.ApplyReceivedChange(NestedMaps(kMax), 0).ok());
  EXPECT_EQ(at_limit.MaxDepth(), kMax);
  Status status = over.ApplyReceivedChange(NestedMaps(kMax + 1), 0);
  EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
  EXPECT_NE(status.ToString().find("deeper than 100"), std::string::npos);
}

// What a database written before the limit may hold (the log's replay
// applies stored changes unchecked): it renders, cut at the limit, and its
// state round-trips with its depths.
TEST(DepthTest, AStateDeeperThanTheLimitStillRendersAndRoundTrips) {
  engine::Document document;
  document.ApplyChange(NestedMaps(65000), 0);
  EXPECT_EQ(document.MaxDepth(), 65000u);
  std::string json = document.ToJson();
  EXPECT_EQ(json.substr(0, 12), "{\"k\":{\"k\":{\"");
  EXPECT_NE(json.find("null"), std::string::npos);  // cut
  EXPECT_LT(json.size(), 10 * kMax);
  auto loaded = engine::Document::Deserialize(document.Serialize());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->MaxDepth(), 65000u);
  EXPECT_EQ(loaded->ToJson(), json);
}

// A stored state of `levels` nested maps, each naming the next under
// `names` keys ("a", then "b"). Two is what no op can write: each object is
// made by one op and named by that op's entry alone.
std::string StateOfNestedMaps(size_t levels, size_t names) {
  std::string state = "\1\1";         // version, one actor
  state.append(ActorId::kSize, 'a');  // the actor table
  state += '\0';                      // no creates
  PutVarint(&state, levels + 1);      // objects, the root first
  uint64_t entry_counter = levels + 1;
  for (size_t level = 0; level <= levels; ++level) {
    PutVarint(&state, level);       // id: counter (the root's is 0) ...
    if (level != 0) state += '\0';  // ... and actor index
    state += std::string(2, '\0');  // a map, default flavour
    bool last = level == levels;
    PutVarint(&state, last ? 0 : names);
    for (size_t name = 0; name < names && !last; ++name) {
      state += '\1';                           // the key's length
      state += static_cast<char>('a' + name);  // and byte
      state += '\1';                           // one entry:
      PutVarint(&state, entry_counter++);      // its id,
      state += std::string(3, '\0');           // actor 0, live, flavour 0,
      state += '\1';                           // and a nested object:
      PutVarint(&state, level + 1);            // the next map
      state += '\0';
    }
  }
  return state;
}

TEST(DepthTest, AStateNamingAnObjectTwiceIsRefused) {
  auto once = engine::Document::Deserialize(StateOfNestedMaps(3, 1));
  ASSERT_TRUE(once.ok()) << once.status().ToString();
  EXPECT_EQ(once->ToJson(), R"({"a":{"a":{"a":{}}}})");
  // Rendered as it stands, 40 levels named twice would be 2^40 maps.
  for (size_t levels : {1, 40}) {
    auto twice = engine::Document::Deserialize(StateOfNestedMaps(levels, 2));
    ASSERT_FALSE(twice.ok()) << levels;
    EXPECT_TRUE(twice.status().IsCorruption()) << twice.status().ToString();
    EXPECT_NE(twice.status().ToString().find("named twice"), std::string::npos);
  }
}

TEST(DepthTest, LocalJsonAndPathsDeeperThanTheLimitAreRefused) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  {
    auto txn = db->Begin();  // the root object plus kMax levels
    ASSERT_TRUE(txn->PutJson("t/ok", NestedJson(kMax + 1)).status().ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  for (size_t levels : {kMax + 2, size_t{100000}}) {
    auto txn = db->Begin();
    Status status = txn->PutJson("t/deep", NestedJson(levels)).status();
    EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
    EXPECT_NE(status.ToString().find("deeper than"), std::string::npos)
        << status.ToString();
    EXPECT_FALSE(txn->Commit().ok());
  }
  // A value inside the deepest object: kMax + 1 segments.
  std::string path = "a";
  for (size_t part = 0; part < kMax; ++part) path += ".a";
  {
    auto txn = db->Begin();
    ASSERT_TRUE(txn->Set("t/path", path, int64_t{1}).status().ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  {
    auto txn = db->Begin();  // an object there would be one level too deep
    Status status = txn->Make("t/path", path, ObjectType::kMap).status();
    EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
    EXPECT_NE(status.ToString().find("at most 100 levels"), std::string::npos)
        << status.ToString();
  }
  std::string long_path = "a";
  for (size_t part = 1; part < 100000; ++part) long_path += ".a";
  for (const std::string& too_long : {path + ".a", long_path}) {
    auto txn = db->Begin();
    Status status = txn->Set("t/path", too_long, int64_t{1}).status();
    EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
    EXPECT_NE(status.ToString().find("at most 101 segments"),
              std::string::npos);
  }
  EXPECT_TRUE(db->GetPathJson("t/path", path).ok());
  EXPECT_TRUE(
      db->GetPathJson("t/path", long_path).status().IsInvalidArgument());
}

// The whole path through Receive: refused, nothing stored, and a view on
// the collection keeps working.
TEST(DepthTest, ADeepChangeFromAPeerIsRefusedBeforeAnythingIsStored) {
  TempDir dir;
  auto db = OpenOrDie(dir.Sub("db"));
  ViewDefinition view;
  view.name = "by_k";
  view.collection = "t";
  view.fields = {"k"};
  ASSERT_TRUE(db->CreateView(view).ok());
  dag::EncodedChange deep = testing::MakeSigned(5, NestedMaps(65000));
  ASSERT_LT(deep.bytes.size(), Options().change_bytes_max);
  auto outcome = db->Receive(deep.bytes, testing::EncodedProofsOf(deep.bytes));
  EXPECT_TRUE(outcome.status().IsInvalidArgument())
      << outcome.status().ToString();
  EXPECT_EQ(db->LogLength(), 0u);
  EXPECT_TRUE(db->GetJson("t/deep").status().IsNotFound());
  testing::Put(db.get(), "t/1", R"({"k": 1})");
  EXPECT_EQ(testing::ViewRows(*db, "by_k").size(), 1u);
  testing::ExpectVerified(*db);
}

}  // namespace
}  // namespace weft
