#include "base/strings.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(Strings, LowerIsAsciiOnly) {
  EXPECT_EQ(Lower("FROM Busybox"), "from busybox");
  EXPECT_EQ(Lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");
}

TEST(Strings, TrimAndTrimRight) {
  EXPECT_EQ(Trim("  a b\t\r\n"), "a b");
  EXPECT_EQ(Trim(" \n\t"), "");
  EXPECT_EQ(Trim("\na\n", " "), "\na\n");
  EXPECT_EQ(TrimRight("  x \n"), "  x");
  EXPECT_EQ(TrimRight("\n\n"), "");
}

TEST(Strings, PrefixSuffix) {
  EXPECT_TRUE(StartsWith("--mount=type=cache", "--mount"));
  EXPECT_FALSE(StartsWith("-m", "--mount"));
  EXPECT_TRUE(EndsWith("a.rpm", ".rpm"));
  EXPECT_FALSE(EndsWith("rpm", ".rpm"));
}

TEST(Strings, ParseGoBoolAcceptsGoSpellingsOnly) {
  EXPECT_EQ(ParseGoBool("True"), true);
  EXPECT_EQ(ParseGoBool("t"), true);
  EXPECT_EQ(ParseGoBool("FALSE"), false);
  EXPECT_EQ(ParseGoBool("0"), false);
  EXPECT_EQ(ParseGoBool(""), std::nullopt);
  EXPECT_EQ(ParseGoBool("yes"), std::nullopt);
  EXPECT_EQ(ParseGoBool("tRUE"), std::nullopt);
}

}  // namespace
}  // namespace kiln
