#include "base/go_match.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

struct MatchCase {
  const char* pattern;
  const char* name;
  bool match;
  bool bad;
};

// Go's path/filepath match_test.go table (the cases that apply on Unix).
TEST(GoMatch, GoTable) {
  const MatchCase cases[] = {
      {"abc", "abc", true, false},       {"*", "abc", true, false},
      {"*c", "abc", true, false},        {"a*", "a", true, false},
      {"a*", "abc", true, false},        {"a*", "ab/c", false, false},
      {"a*/b", "abc/b", true, false},    {"a*/b", "a/c/b", false, false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true, false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true, false},
      {"a*b?c*x", "abxbbxdbxebxczzy", false, false},
      {"ab[c]", "abc", true, false},     {"ab[b-d]", "abc", true, false},
      {"ab[e-g]", "abc", false, false},  {"ab[^c]", "abc", false, false},
      {"ab[^b-d]", "abc", false, false}, {"ab[^e-g]", "abc", true, false},
      {"a\\*b", "a*b", true, false},     {"a\\*b", "ab", false, false},
      {"a?b", "a☺b", true, false},       {"a[^a]b", "a☺b", true, false},
      {"a???b", "a☺b", false, false},    {"a[^a][^a][^a]b", "a☺b", false, false},
      {"[a-ζ]*", "α", true, false},      {"*[a-ζ]", "A", false, false},
      {"a?b", "a/b", false, false},      {"a*b", "a/b", false, false},
      {"[\\]a]", "]", true, false},      {"[\\-]", "-", true, false},
      {"[x\\-]", "x", true, false},      {"[x\\-]", "-", true, false},
      {"[x\\-]", "z", false, false},     {"[\\-x]", "x", true, false},
      {"[\\-x]", "-", true, false},      {"[\\-x]", "a", false, false},
      {"[]a]", "]", false, true},        {"[-]", "-", false, true},
      {"[x-]", "x", false, true},        {"[x-]", "-", false, true},
      {"[x-]", "z", false, true},        {"[-x]", "x", false, true},
      {"[-x]", "-", false, true},        {"[-x]", "a", false, true},
      {"\\", "a", false, true},          {"[a-b-c]", "a", false, true},
      {"[", "a", false, true},           {"[^", "a", false, true},
      {"[^bc", "a", false, true},        {"a[", "a", false, true},
      {"a[", "ab", false, true},         {"a[", "x", false, true},
      {"a/b[", "x", false, true},        {"*x", "xxx", true, false},
  };
  for (const auto& c : cases) {
    auto r = GoMatch(c.pattern, c.name);
    if (c.bad) {
      EXPECT_FALSE(r.ok()) << c.pattern << " vs " << c.name;
    } else {
      ASSERT_TRUE(r.ok()) << c.pattern << ": " << r.status().ToString();
      EXPECT_EQ(*r, c.match) << c.pattern << " vs " << c.name;
    }
  }
}

TEST(HasWildcards, Escapes) {
  EXPECT_TRUE(HasWildcards("*.txt"));
  EXPECT_TRUE(HasWildcards("a/b?"));
  EXPECT_TRUE(HasWildcards("[ab]"));
  EXPECT_FALSE(HasWildcards("plain/file"));
  EXPECT_FALSE(HasWildcards("a\\*b"));
}

}  // namespace
}  // namespace kiln
