#include "fileop/mode.h"

#include <gtest/gtest.h>

namespace kiln::fileop {
namespace {

mode_t Ap(const std::string& spec, mode_t m, bool dir = false) {
  auto s = ModeSpec::Parse(spec);
  EXPECT_TRUE(s.ok()) << spec << ": " << s.status().ToString();
  return s.ok() ? s->Apply(m, dir) : 0;
}

TEST(ModeSpec, Octal) {
  EXPECT_EQ(Ap("755", 0644), 0755u);
  EXPECT_EQ(Ap("0600", 0777), 0600u);
  EXPECT_EQ(Ap("4755", 0644), 04755u);
  EXPECT_TRUE(ModeSpec::Parse("")->empty());
  EXPECT_EQ(Ap("", 0640), 0640u);
}

TEST(ModeSpec, Symbolic) {
  EXPECT_EQ(Ap("u+x", 0644), 0744u);
  EXPECT_EQ(Ap("u+x,g-w", 0664), 0744u);
  EXPECT_EQ(Ap("+x", 0644), 0755u);
  EXPECT_EQ(Ap("a=r", 0777), 0444u);
  EXPECT_EQ(Ap("go-rwx", 0777), 0700u);
  EXPECT_EQ(Ap("o=u", 0750), 0757u);
  EXPECT_EQ(Ap("a+X", 0644, false), 0644u);
  EXPECT_EQ(Ap("a+X", 0644, true), 0755u);
  EXPECT_EQ(Ap("a+X", 0744, false), 0755u);
  EXPECT_EQ(Ap("u+s", 0755), 04755u);
  EXPECT_EQ(Ap("g+s", 0755), 02755u);
  EXPECT_EQ(Ap("+t", 0755, true), 01755u);
  EXPECT_EQ(Ap("u=rwx,g=rx,o=", 0), 0750u);
}

TEST(ModeSpec, Errors) {
  for (const char* bad : {"u", "u+q", "rwx", "99", "777777", "u+x,", ",u+x", "z+x"}) {
    auto s = ModeSpec::Parse(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) { EXPECT_NE(s.status().message().find("--chmod"), std::string::npos); }
  }
}

}  // namespace
}  // namespace kiln::fileop
