#include "base/base64.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln {
namespace {

TEST(Base64, RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "user:pa:ss", std::string("\0\xff", 2)}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("alice:wonderland"), "YWxpY2U6d29uZGVybGFuZA==");
}

TEST(Base64, DecodeIsStrict) {
  EXPECT_FALSE(Base64Decode("abc").ok());                        // length
  EXPECT_FALSE(Base64Decode("YWxp Y2U=").ok());                  // whitespace inside
  EXPECT_FALSE(Base64Decode("YW!pY2U6").ok());                   // not the alphabet
  EXPECT_EQ(*Base64Decode("YWxpY2U6d29uZGVybGFuZA=="), "alice:wonderland");
}

}  // namespace
}  // namespace kiln
