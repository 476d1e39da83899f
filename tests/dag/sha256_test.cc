#include "dag/sha256.h"

#include <gtest/gtest.h>

namespace weft::dag {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256("").ToHex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256("abc").ToHex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                .ToHex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256(std::string(1000000, 'a')).ToHex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, StreamEqualsOneShot) {
  std::string input;
  for (int idx = 0; idx < 5000; ++idx) input += std::to_string(idx * 7919);
  Sha256Stream stream;
  for (size_t offset = 0; offset < input.size(); offset += 333) {
    stream.Update(std::string_view(input).substr(offset, 333));
  }
  EXPECT_EQ(stream.Finish(), Sha256(input));
  EXPECT_EQ(Sha256Stream().Finish(), Sha256(""));
}

TEST(HashTest, HexRoundTripAndErrors) {
  Hash hash = Sha256("abc");
  Result<Hash> parsed = Hash::FromHex(hash.ToHex());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, hash);
  EXPECT_EQ(hash.Short(), "ba7816bf8f01");
  EXPECT_TRUE(Hash::FromHex("ba7816").status().IsInvalidArgument());
  EXPECT_TRUE(Hash::FromHex(std::string(64, 'g')).status().IsInvalidArgument());
  std::string upper = hash.ToHex();
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(*Hash::FromHex(upper), hash);
}

TEST(HashTest, HexPrefixParsing) {
  std::string bytes;
  int nibble;
  ASSERT_TRUE(ParseHexPrefix("ba781", &bytes, &nibble).ok());
  EXPECT_EQ(bytes, std::string("\xba\x78", 2));
  EXPECT_EQ(nibble, 1);
  ASSERT_TRUE(ParseHexPrefix("ba78", &bytes, &nibble).ok());
  EXPECT_EQ(nibble, -1);
  EXPECT_FALSE(ParseHexPrefix("", &bytes, &nibble).ok());
  EXPECT_FALSE(ParseHexPrefix("xyz", &bytes, &nibble).ok());
  EXPECT_FALSE(ParseHexPrefix(std::string(65, 'a'), &bytes, &nibble).ok());
}

}  // namespace
}  // namespace weft::dag
