// The shell-word parse of RUN scripts.
#include "lint/shell.h"

#include <gtest/gtest.h>

namespace kiln::lint {
namespace {

std::vector<std::string> Names(const ParsedShell& s) {
  std::vector<std::string> out;
  for (const auto& c : s.commands) out.push_back(c.name);
  return out;
}

TEST(Shell, SplitsOnOperatorsAndNewlines) {
  auto s = ParseShell("a 1 && b 2 || c; d | e\nf & g");
  EXPECT_EQ(Names(s), (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"}));
  EXPECT_TRUE(s.has_pipes);
  EXPECT_FALSE(ParseShell("a || b").has_pipes);
}

TEST(Shell, QuotesAndEscapes) {
  auto s = ParseShell("echo 'a b' \"c $X d\" e\\ f \"q\\\"x\"");
  ASSERT_EQ(s.commands.size(), 1u);
  EXPECT_EQ(s.commands[0].Args(), (std::vector<std::string>{"a b", "c $X d", "e f", "q\"x"}));
  auto q = ParseShell("echo 'a && b' \"x | y\"");
  EXPECT_EQ(q.commands.size(), 1u);
  EXPECT_FALSE(q.has_pipes);
}

TEST(Shell, LineContinuations) {
  auto s = ParseShell("apt-get update \\\n  && apt-get install -y \\\n     curl");
  ASSERT_EQ(s.commands.size(), 2u);
  EXPECT_EQ(s.commands[1].Args(), (std::vector<std::string>{"install", "-y", "curl"}));
}

TEST(Shell, NestedCommandsAndStructures) {
  auto s = ParseShell("if [ -f x ]; then sudo ls; else for i in a b; do echo $(cd /x && pwd); done; fi");
  EXPECT_EQ(Names(s), (std::vector<std::string>{"[", "sudo", "echo", "cd", "pwd"}));
  auto sub = ParseShell("(cd /tmp && make) && { wget x; }");
  EXPECT_EQ(Names(sub), (std::vector<std::string>{"cd", "make", "wget"}));
  auto bt = ParseShell("echo `whoami`");
  EXPECT_EQ(Names(bt), (std::vector<std::string>{"echo", "whoami"}));
  auto cs = ParseShell("case $x in a) apt-get install y ;; *) true ;; esac");
  EXPECT_EQ(Names(cs), (std::vector<std::string>{"apt-get", "true"}));
}

TEST(Shell, AssignmentsRedirectionsComments) {
  auto s = ParseShell("DEBIAN_FRONTEND=noninteractive apt-get install -y x > /dev/null 2>&1 # comment && rm");
  ASSERT_EQ(s.commands.size(), 1u);
  EXPECT_EQ(s.commands[0].name, "apt-get");
  EXPECT_EQ(s.commands[0].Args(), (std::vector<std::string>{"install", "-y", "x"}));
  EXPECT_TRUE(ParseShell("A=1 B=2").commands.empty());
}

TEST(Shell, EffectiveCommandNames) {
  EXPECT_EQ(Names(ParseShell("command apt-get install x; exec -a n sudo ls; busybox wget x")),
            (std::vector<std::string>{"apt-get", "sudo", "wget"}));
  EXPECT_EQ(Names(ParseShell("$CC -o x x.c; command -v curl")), (std::vector<std::string>{"command"}));
}

TEST(Shell, Heredoc) {
  auto s = ParseShell("cat <<EOF > /f\nsudo rm -rf /\nEOF\necho done");
  EXPECT_EQ(Names(s), (std::vector<std::string>{"cat", "echo"}));
}

TEST(Shell, FlagsAsHadolintSplitsThem) {
  auto c = ParseShell("apt-get -qy --no-install-recommends -t bookworm install x").commands[0];
  EXPECT_TRUE(c.HasFlag("q"));
  EXPECT_TRUE(c.HasFlag("y"));
  EXPECT_TRUE(c.HasFlag("no-install-recommends"));
  EXPECT_EQ(c.ArgsNoFlags(), (std::vector<std::string>{"bookworm", "install", "x"}));
  EXPECT_EQ(c.DropFlagArg({"t"}).ArgsNoFlags(), (std::vector<std::string>{"install", "x"}));
  EXPECT_EQ(c.FlagArg("t"), (std::vector<std::string>{"bookworm"}));
  EXPECT_TRUE(c.HasArgs("apt-get", {"install"}));
  EXPECT_FALSE(c.HasArgs("apt", {"install"}));
}

TEST(Shell, UnterminatedInputDoesNotCrash) {
  for (const char* s : {"echo 'abc", "echo \"abc", "echo $(ls", "echo ${x", "echo `ls", "a &&", "|", "<<EOF"})
    (void)ParseShell(s);
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "$(";
  (void)ParseShell("echo " + deep);
  SUCCEED();
}

}  // namespace
}  // namespace kiln::lint
