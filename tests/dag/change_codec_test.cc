#include "dag/change_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "base/utf.h"
#include "dag/sha256.h"
#include "tests/testutil/authors.h"
#include "tests/testutil/drafts.h"

namespace weft::dag {
namespace {

using testing::SampleChange;

void ExpectSameChange(const Change& a, const Change& b) {
  EXPECT_EQ(a.parents, b.parents);
  EXPECT_EQ(a.actor, b.actor);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.start_op, b.start_op);
  EXPECT_EQ(a.time_ms, b.time_ms);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.docs, b.docs);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t op_idx = 0; op_idx < a.ops.size(); ++op_idx) {
    const Op& x = a.ops[op_idx];
    const Op& y = b.ops[op_idx];
    EXPECT_EQ(x.action, y.action) << op_idx;
    EXPECT_EQ(x.doc, y.doc) << op_idx;
    EXPECT_EQ(x.obj, y.obj) << op_idx;
    EXPECT_EQ(x.key, y.key) << op_idx;
    EXPECT_EQ(x.elem, y.elem) << op_idx;
    EXPECT_EQ(x.value, y.value) << op_idx;
    EXPECT_EQ(x.delta, y.delta) << op_idx;
    EXPECT_EQ(x.count, y.count) << op_idx;
    EXPECT_EQ(x.text, y.text) << op_idx;
    EXPECT_EQ(x.pred, y.pred) << op_idx;
    EXPECT_EQ(x.flavour, y.flavour) << op_idx;
  }
}

TEST(ChangeCodecTest, RoundTripEveryOpKind) {
  Change change = SampleChange();
  ASSERT_TRUE(ValidateChange(change).ok()) << ValidateChange(change).ToString();
  EncodedChange encoded = EncodeChange(change);
  EXPECT_EQ(encoded.hash, Sha256(encoded.bytes));
  Result<Change> decoded = DecodeChange(encoded.bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameChange(change, *decoded);
  // Encoding is deterministic for one build: same change, same bytes.
  EXPECT_EQ(EncodeChange(*decoded).bytes, encoded.bytes);
}

TEST(ChangeCodecTest, EmptyChangeRoundTrips) {
  Change change;
  change.actor = testing::ActorFromSeed(9);
  change.author_key = testing::AuthorFromSeed(9).public_key();
  change.seq = 1;
  change.start_op = 1;
  EncodedChange encoded = EncodeChange(change);
  Result<Change> decoded = DecodeChange(encoded.bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameChange(change, *decoded);
}

TEST(ChangeCodecTest, MisalignedBytesDecode) {
  EncodedChange encoded = EncodeChange(SampleChange());
  std::string shifted = "x" + encoded.bytes;
  Result<Change> decoded = DecodeChange(std::string_view(shifted).substr(1));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
}

TEST(ChangeCodecTest, EveryTruncationIsRejected) {
  Change change = SampleChange();
  EncodedChange encoded = EncodeChange(change);
  for (size_t length = 0; length < encoded.bytes.size(); ++length) {
    Result<Change> decoded =
        DecodeChange(std::string_view(encoded.bytes).substr(0, length));
    if (decoded.ok()) {
      // Only trailing alignment padding may go: the same change, other
      // bytes (so another hash: a claimed hash would still not match).
      EXPECT_GE(length + 8, encoded.bytes.size()) << "length " << length;
      ExpectSameChange(change, *decoded);
    }
  }
  EXPECT_FALSE(
      DecodeChange(
          std::string_view(encoded.bytes).substr(0, encoded.bytes.size() - 8))
          .ok());
}

TEST(ChangeCodecTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(12345);
  EncodedChange encoded = EncodeChange(SampleChange());
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(rng() % 512, '\0');
    for (char& byte : bytes) byte = static_cast<char>(rng());
    if (round % 2 == 0 && bytes.size() >= 8) {
      // Give half of them the right identifier so the verifier is exercised.
      bytes.replace(4, 4, encoded.bytes.substr(4, 4));
    }
    Result<Change> decoded = DecodeChange(bytes);
    EXPECT_FALSE(decoded.ok());
  }
}

TEST(ChangeCodecTest, BitFlipsNeverCrashAndDecodeOnlyValidChanges) {
  EncodedChange encoded = EncodeChange(SampleChange());
  size_t rejected = 0;
  for (size_t byte_idx = 0; byte_idx < encoded.bytes.size(); ++byte_idx) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = encoded.bytes;
      flipped[byte_idx] ^= static_cast<char>(1 << bit);
      Result<Change> decoded = DecodeChange(flipped);
      if (!decoded.ok()) {
        ++rejected;
        continue;
      }
      // A flip inside a value may still be a valid change, but a different
      // one: its hash differs, and it passes validation.
      EXPECT_NE(Sha256(flipped), encoded.hash);
      EXPECT_TRUE(ValidateChange(*decoded).ok());
    }
  }
  EXPECT_GT(rejected, 0u);
}

TEST(ChangeCodecTest, MutatedRandomChangesNeverCrash) {
  std::mt19937_64 rng(777);
  size_t rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    ChangeDraft draft = testing::RandomDraft(rng, 1 + rng() % 6);
    Change change;
    uint64_t seed = rng() % 16;
    change.actor = testing::ActorFromSeed(seed);
    change.seq = 1 + rng() % 5;
    if (change.seq == 1) {
      change.author_key = testing::AuthorFromSeed(seed).public_key();
    }
    change.start_op = 1 + rng() % 100;
    change.docs = draft.docs;
    change.ops = draft.ops;
    change.ops[0].pred = {OpId{1, testing::ActorFromSeed(3)}};
    if (change.start_op == 1) change.ops[0].pred.clear();
    std::string bytes = EncodeChange(change).bytes;
    for (int flips = 1 + rng() % 4; flips > 0; --flips) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    Result<Change> decoded = DecodeChange(bytes);
    if (!decoded.ok()) {
      ++rejected;
      continue;
    }
    EXPECT_TRUE(ValidateChange(*decoded).ok());
  }
  EXPECT_GT(rejected, 0u);
}

TEST(ChangeCodecTest, OversizedIsInvalidArgument) {
  EncodedChange encoded = EncodeChange(SampleChange());
  Result<Change> decoded =
      DecodeChange(encoded.bytes, encoded.bytes.size() - 1);
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().IsInvalidArgument());
  EXPECT_NE(decoded.status().message().find("over the limit"),
            std::string::npos);
}

struct BadCase {
  const char* name;
  void (*mutate)(Change*);
  const char* message_part;
};

const BadCase kBadCases[] = {
    {"seq0", [](Change* c) { c->seq = 0; }, "seq is 0"},
    {"start_op0", [](Change* c) { c->start_op = 0; }, "start_op is 0"},
    {"dup_parent", [](Change* c) { c->parents.push_back(c->parents[0]); },
     "parent twice"},
    {"doc_index", [](Change* c) { c->ops[0].doc = 7; }, "document index"},
    {"forward_ref", [](Change* c) { c->ops[1].obj.counter = 5000; },
     "not older"},
    {"bad_utf8_text", [](Change* c) { c->ops[14].text = "\xc3\x28"; }, "UTF-8"},
    {"bad_utf8_value", [](Change* c) { c->ops[2].value = std::string("\xff"); },
     "UTF-8"},
    {"empty_key", [](Change* c) { c->docs[0].key.clear(); }, "empty"},
    {"zero_delete", [](Change* c) { c->ops[13].count = 0; }, "delete of 0"},
    {"counter_overflow", [](Change* c) { c->start_op = limits::kOpCounterMax; },
     "out of range"},
    {"flavour_misfit",
     [](Change* c) { c->ops[0].flavour = Flavour::kTwoPhase; }, "flavour"},
    {"long_key", [](Change* c) { c->ops[0].key.assign(5000, 'k'); },
     "longer than"},
};

TEST(ChangeCodecTest, InvalidChangesAreRejectedWithAReason) {
  for (const BadCase& bad : kBadCases) {
    Change change = SampleChange();
    bad.mutate(&change);
    Status status = ValidateChange(change);
    ASSERT_FALSE(status.ok()) << bad.name;
    EXPECT_TRUE(status.IsInvalidArgument()) << bad.name;
    EXPECT_NE(status.message().find(bad.message_part), std::string::npos)
        << bad.name << ": " << status.ToString();
  }
}

TEST(ChangeCodecTest, DecoderAppliesTheSameRulesToBytes) {
  // Encode a valid change, then patch an invalid value into the bytes the
  // encoder would refuse: a seq of 0 written over the real seq.
  Change change = SampleChange();
  change.seq = 0x1122334455667788ULL;
  EncodedChange encoded = EncodeChange(change);
  std::string needle("\x88\x77\x66\x55\x44\x33\x22\x11", 8);
  size_t at = encoded.bytes.find(needle);
  ASSERT_NE(at, std::string::npos);
  encoded.bytes.replace(at, 8, std::string(8, '\0'));
  Result<Change> decoded = DecodeChange(encoded.bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("seq is 0"), std::string::npos);
}

TEST(ChangeCodecTest, TextInsertsTakeOneCounterPerCodePoint) {
  Change change;
  change.actor = testing::ActorFromSeed(4);
  change.author_key = testing::AuthorFromSeed(4).public_key();
  change.seq = 1;
  change.start_op = 10;
  change.docs = {{"notes", "a"}};
  Op insert;
  insert.action = OpAction::kTextInsert;
  insert.text = "h\xc3\xa9llo";  // 5 code points: ids 10..14
  Op after;
  after.action = OpAction::kTextInsert;
  after.elem = OpId{14, change.actor};  // after the last character
  after.text = "!";                     // id 15
  change.ops = {insert, after};
  EXPECT_EQ(OpWidth(insert), 5u);
  EXPECT_EQ(change.EndOp(), 15u);
  ASSERT_TRUE(ValidateChange(change).ok());
  change.ops[1].elem.counter = 15;  // its own id: not older
  EXPECT_TRUE(ValidateChange(change).IsInvalidArgument());
  change.ops[1].elem.counter = 12;  // a character in the middle of the run
  Result<Change> decoded = DecodeChange(EncodeChange(change).bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->EndOp(), 15u);
}

TEST(Utf8Test, AcceptsAndRejects) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
}

// The checks hold wherever the bad bytes fall, inside or after a run of
// ASCII checked eight bytes at a time; decoding then round-trips.
TEST(Utf8Test, EveryOffsetInLongerTextIsChecked) {
  const std::vector<std::string> bad = {"\xc0\xaf", "\xed\xa0\x80",
                                        "\xf4\x90\x80\x80", "\xe2\x82", "\x80"};
  const std::string good = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  for (size_t offset = 0; offset < 20; ++offset) {
    std::string ascii(offset, 'a');
    for (const std::string& bytes : bad) {
      EXPECT_FALSE(IsValidUtf8(ascii + bytes + "tail of text")) << offset;
    }
    std::string text = ascii + good + std::string(offset % 9, 'z');
    ASSERT_TRUE(IsValidUtf8(text)) << offset;
    std::u32string decoded = Utf8ToUtf32(text);
    EXPECT_EQ(decoded.size(), offset + 3 + offset % 9);
    EXPECT_EQ(decoded[offset], U'\u00e9');
    EXPECT_EQ(decoded[offset + 2], U'\U0001F600');
    EXPECT_EQ(Utf32ToUtf8(decoded), text);
  }
}

}  // namespace
}  // namespace weft::dag
