#include "frontend/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/diagnostic.h"

namespace kiln::frontend {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Ast MustParse(std::string_view text) {
  auto r = Parse(text, "Dockerfile");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return Ast{};
  return std::move(r).value();
}

Status MustFail(std::string_view text) {
  auto r = Parse(text, "Dockerfile");
  EXPECT_FALSE(r.ok()) << "parsed: " << (r.ok() ? DumpAst(*r) : "");
  if (r.ok()) return Status::OK();
  EXPECT_EQ(r.status().location().file, "Dockerfile");
  EXPECT_FALSE(r.status().hint().empty()) << r.status().ToString();
  return r.status();
}

void ExpectAt(const Status& st, int line, int column) {
  EXPECT_EQ(st.location().line, line) << st.ToString();
  EXPECT_EQ(st.location().column, column) << st.ToString();
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// --- BuildKit's golden files ---------------------------------------------

TEST(ParserConformance, BuildKitGoldenFiles) {
  std::filesystem::path dir = std::filesystem::path(KILN_SHARED_DIR) / "conformance/buildkit-parser";
  int cases = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "testfiles")) {
    SCOPED_TRACE(e.path().filename().string());
    auto ast = Parse(ReadAll(e.path() / "Dockerfile"));
    ASSERT_TRUE(ast.ok()) << ast.status().ToString();
    std::string want = ReadAll(e.path() / "result");
    while (!want.empty() && want.back() == '\n') want.pop_back();
    std::string got = DumpAst(*ast);
    while (!got.empty() && got.back() == '\n') got.pop_back();
    EXPECT_EQ(got, want);
    ++cases;
  }
  for (const auto& e : std::filesystem::directory_iterator(dir / "testfiles-negative")) {
    SCOPED_TRACE(e.path().filename().string());
    EXPECT_FALSE(Parse(ReadAll(e.path() / "Dockerfile")).ok());
    ++cases;
  }
  EXPECT_EQ(cases, 19);
}

// --- instructions, flags, forms -------------------------------------------

TEST(Parser, AllInstructionsLowerAndMixedCase) {
  Ast ast = MustParse(
      "from alpine AS build\nRun echo hi\nCMD x\nLABEL a=b\nMAINTAINER me\nEXPOSE 80/tcp 443\n"
      "ENV A=1\nADD a b\nCOPY a b\nENTRYPOINT [\"e\"]\nVOLUME /v\nUSER u\nWORKDIR /w\nARG X\n"
      "ONBUILD RUN x\nSTOPSIGNAL SIGTERM\nHEALTHCHECK NONE\nSHELL [\"/bin/sh\",\"-c\"]\n");
  std::vector<std::string> kw;
  for (const auto& i : ast.instructions) kw.push_back(i.keyword);
  EXPECT_THAT(kw, ElementsAre("from", "run", "cmd", "label", "maintainer", "expose", "env", "add",
                              "copy", "entrypoint", "volume", "user", "workdir", "arg", "onbuild",
                              "stopsignal", "healthcheck", "shell"));
  EXPECT_EQ(ast.instructions[0].keyword_as_written, "from");
  EXPECT_EQ(ast.instructions[1].keyword_as_written, "Run");
  EXPECT_THAT(ast.instructions[0].args, ElementsAre("alpine", "AS", "build"));
  EXPECT_THAT(ast.instructions[5].args, ElementsAre("80/tcp", "443"));
}

TEST(Parser, Flags) {
  Ast ast = MustParse(
      "FROM scratch\n"
      "COPY --from=build --link --chown=\"a b\" src dst\n"
      "COPY --link -- --weird dst\n"
      "RUN --mount=type=cache,target=/root/.cache --network=none make\n");
  const auto& c = ast.instructions[1];
  EXPECT_THAT(c.flags, ElementsAre("--from=build", "--link", "--chown=a b"));
  EXPECT_THAT(c.args, ElementsAre("src", "dst"));
  ASSERT_EQ(c.flag_positions.size(), 3u);
  EXPECT_EQ(c.flag_positions[1].line, 2);
  EXPECT_EQ(c.flag_positions[1].column, 19);
  EXPECT_EQ(c.arg_positions[0].column, 40);
  EXPECT_THAT(ast.instructions[2].flags, ElementsAre("--link"));
  EXPECT_THAT(ast.instructions[2].args, ElementsAre("--weird", "dst"));
  EXPECT_THAT(ast.instructions[3].flags,
              ElementsAre("--mount=type=cache,target=/root/.cache", "--network=none"));
  EXPECT_THAT(ast.instructions[3].args, ElementsAre("make"));
}

TEST(Parser, JsonAndShellForms) {
  Ast ast = MustParse(
      "FROM a\n"
      "CMD [\"echo\", \"a b\"]\n"
      "CMD ['single', 'quotes']\n"
      "RUN [\"unterminated\"\n"
      "ENTRYPOINT [ ]\n"
      "COPY [\"a b\", \"/c\"]\n"
      "COPY [\"x\" /y\n");
  EXPECT_TRUE(ast.instructions[1].json);
  EXPECT_THAT(ast.instructions[1].args, ElementsAre("echo", "a b"));
  EXPECT_FALSE(ast.instructions[2].json);
  EXPECT_THAT(ast.instructions[2].args, ElementsAre("['single', 'quotes']"));
  EXPECT_FALSE(ast.instructions[3].json);
  EXPECT_THAT(ast.instructions[3].args, ElementsAre("[\"unterminated\""));
  EXPECT_TRUE(ast.instructions[4].json);
  EXPECT_TRUE(ast.instructions[4].args.empty());
  EXPECT_THAT(ast.instructions[5].args, ElementsAre("a b", "/c"));
  EXPECT_THAT(ast.instructions[6].args, ElementsAre("[\"x\"", "/y"));
}

TEST(Parser, JsonEscapesAndUnicode) {
  Ast ast = MustParse("CMD [\"\\u00e9\\ud83d\\ude00\", \"\\ud800\", \"a\\/b\"]\n");
  EXPECT_THAT(ast.instructions[0].args, ElementsAre("é😀", "\xEF\xBF\xBD", "a/b"));
}

TEST(Parser, JsonWithNonStringIsAnError) {
  Status st = MustFail("FROM a\nCMD [\"a\", 1]\n");
  EXPECT_THAT(st.message(), StartsWith("when using JSON array syntax, arrays must be comprised of strings only"));
  ExpectAt(st, 2, 11);
}

TEST(Parser, EnvAndLabelForms) {
  Ast ast = MustParse(
      "FROM a\nENV A 1 2\nENV B=\"x y\" C=z\nLABEL \"k\"=v\nARG N=1 M\n");
  EXPECT_THAT(ast.instructions[1].args, ElementsAre("A", "1 2", ""));
  EXPECT_THAT(ast.instructions[2].args, ElementsAre("B", "\"x y\"", "=", "C", "z", "="));
  EXPECT_THAT(ast.instructions[3].args, ElementsAre("\"k\"", "v", "="));
  EXPECT_THAT(ast.instructions[4].args, ElementsAre("N=1", "M"));
  ASSERT_EQ(ast.instructions[2].arg_positions.size(), 6u);
  EXPECT_EQ(ast.instructions[2].arg_positions[3].column, 13);  // C
  EXPECT_EQ(ast.instructions[2].arg_positions[4].column, 15);  // z
}

TEST(Parser, Healthcheck) {
  Ast ast = MustParse("FROM a\nHEALTHCHECK --interval=5s CMD [\"curl\", \"-f\"]\n");
  EXPECT_THAT(ast.instructions[1].flags, ElementsAre("--interval=5s"));
  EXPECT_THAT(ast.instructions[1].args, ElementsAre("CMD", "curl", "-f"));
  EXPECT_TRUE(ast.instructions[1].json);
}

// --- lines -----------------------------------------------------------------

TEST(Parser, ContinuationsWithCommentsAndBlankLines) {
  Ast ast = MustParse(
      "FROM a\n"
      "RUN apt-get update \\\n"
      "  # a comment inside\n"
      "  && apt-get install -y \\\n"
      "\n"
      "     curl\n"
      "USER me\n");
  ASSERT_EQ(ast.instructions.size(), 3u);
  const auto& run = ast.instructions[1];
  EXPECT_THAT(run.args, ElementsAre("apt-get update   && apt-get install -y      curl"));
  EXPECT_EQ(run.range.start.line, 2);
  EXPECT_EQ(run.range.start.column, 1);
  EXPECT_EQ(run.range.end.line, 6);
  EXPECT_EQ(run.range.end.column, 9);
  ASSERT_EQ(ast.warnings.size(), 1u);
  EXPECT_EQ(ast.warnings[0].rule, "NoEmptyContinuation");
  EXPECT_EQ(ast.warnings[0].range.start.line, 6);
  EXPECT_THAT(ast.warnings[0].message, HasSubstr("Empty continuation line found in:"));
  EXPECT_EQ(ast.instructions[2].range.start.line, 7);
}

TEST(Parser, ContinuationAtEndOfFileAndEscapedBackslash) {
  Ast ast = MustParse("FROM a\nENV C x\\\\\nENV D y\nRUN z \\");
  EXPECT_THAT(ast.instructions[1].args, ElementsAre("C", "x\\\\", ""));
  EXPECT_THAT(ast.instructions[3].args, ElementsAre("z"));
}

TEST(Parser, PositionsOnContinuationLines) {
  Ast ast = MustParse("FROM a\nCOPY \\\n  --from=b \\\n  src \\\n dst\n");
  const auto& c = ast.instructions[1];
  EXPECT_EQ(c.flag_positions[0].line, 3);
  EXPECT_EQ(c.flag_positions[0].column, 3);
  EXPECT_EQ(c.arg_positions[0].line, 4);
  EXPECT_EQ(c.arg_positions[0].column, 3);
  EXPECT_EQ(c.arg_positions[1].line, 5);
  EXPECT_EQ(c.arg_positions[1].column, 2);
}

TEST(Parser, CrlfAndBom) {
  Ast ast = MustParse("\xEF\xBB\xBF# syntax=docker/dockerfile:1\r\nFROM a\r\nRUN echo \\\r\n  hi\r\n");
  ASSERT_EQ(ast.directives.size(), 1u);
  EXPECT_EQ(ast.directives[0].value, "docker/dockerfile:1");
  EXPECT_THAT(ast.instructions[0].args, ElementsAre("a"));
  EXPECT_THAT(ast.instructions[1].args, ElementsAre("echo   hi"));
  EXPECT_EQ(ast.source.substr(0, 1), "#");
}

TEST(Parser, CommentsAttachToNextInstruction) {
  Ast ast = MustParse("# one\n# two\nFROM a\n\n# three\n#\n# four\nRUN x\nRUN y\n");
  EXPECT_THAT(ast.instructions[0].comments, ElementsAre("one", "two"));
  EXPECT_THAT(ast.instructions[1].comments, ElementsAre("four"));
  EXPECT_TRUE(ast.instructions[2].comments.empty());
}

TEST(Parser, OriginalAndLeadingWhitespace) {
  Ast ast = MustParse("FROM a\n   RUN   echo  hi  \n");
  EXPECT_EQ(ast.instructions[1].original, "RUN   echo  hi  ");
  EXPECT_EQ(ast.instructions[1].range.start.column, 4);
  EXPECT_THAT(ast.instructions[1].args, ElementsAre("echo  hi"));
}

// --- directives ------------------------------------------------------------

TEST(Parser, Directives) {
  Ast ast = MustParse("# SYNTAX = docker/dockerfile:1.7\n#Escape=`\n# check=skip=all\nFROM a\nRUN a `\n  b\n");
  ASSERT_EQ(ast.directives.size(), 3u);
  EXPECT_EQ(ast.directives[0].name, "syntax");
  EXPECT_EQ(ast.directives[0].value, "docker/dockerfile:1.7");
  EXPECT_EQ(ast.directives[0].value_position.column, 12);
  EXPECT_EQ(ast.directives[1].name, "escape");
  EXPECT_EQ(ast.directives[2].name, "check");
  EXPECT_EQ(ast.directives[2].value, "skip=all");
  EXPECT_EQ(ast.escape, '`');
  EXPECT_THAT(ast.instructions[1].args, ElementsAre("a   b"));
}

TEST(Parser, DirectivesOnlyAtTheTop) {
  Ast ast = MustParse("# hello\n# escape=`\nFROM a\n# syntax=x\nRUN a \\\n b\n");
  EXPECT_TRUE(ast.directives.empty());
  EXPECT_EQ(ast.escape, '\\');
  EXPECT_THAT(ast.instructions[1].args, ElementsAre("a  b"));
  ASSERT_EQ(ast.warnings.size(), 2u);
  EXPECT_EQ(ast.warnings[0].rule, "MisplacedDirective");
  EXPECT_EQ(ast.warnings[0].range.start.line, 2);
  EXPECT_EQ(ast.warnings[1].range.start.line, 4);

  Ast blank = MustParse("\n# escape=`\nFROM a\n");
  EXPECT_TRUE(blank.directives.empty());
}

TEST(Parser, DirectiveTwiceIsAnError) {
  Status st = MustFail("# escape=`\n# ESCAPE=\\\nFROM a\n");
  EXPECT_THAT(st.message(), StartsWith("only one escape parser directive can be used"));
  ExpectAt(st, 2, 3);
}

TEST(Parser, InvalidEscapeIsAnError) {
  Status st = MustFail("#escape = x\nFROM a\n");
  EXPECT_THAT(st.message(), StartsWith("invalid escape token 'x' does not match ` or \\"));
  ExpectAt(st, 1, 11);
}

// --- heredocs --------------------------------------------------------------

TEST(Parser, Heredocs) {
  Ast ast = MustParse(
      "FROM a\n"
      "RUN <<EOF\n"
      "echo $HOME\n"
      "EOF\n"
      "RUN <<-\"EOT\" 3<<'X' cat\n"
      "\t\tindented\n"
      "\tEOT\n"
      "body x\n"
      "X\n"
      "COPY <<one <<two /dst/\n"
      "1\n"
      "one\n"
      "2\n"
      "two\n"
      "RUN [\"<<EOF\"]\n"
      "USER me\n");
  ASSERT_EQ(ast.instructions.size(), 6u);
  const auto& r1 = ast.instructions[1];
  ASSERT_EQ(r1.heredocs.size(), 1u);
  EXPECT_EQ(r1.heredocs[0].name, "EOF");
  EXPECT_EQ(r1.heredocs[0].content, "echo $HOME\n");
  EXPECT_TRUE(r1.heredocs[0].expand);
  EXPECT_FALSE(r1.heredocs[0].chomp);
  EXPECT_EQ(r1.range.end.line, 4);
  EXPECT_THAT(r1.args, ElementsAre("<<EOF"));

  const auto& r2 = ast.instructions[2];
  ASSERT_EQ(r2.heredocs.size(), 2u);
  EXPECT_EQ(r2.heredocs[0].name, "EOT");
  EXPECT_TRUE(r2.heredocs[0].chomp);
  EXPECT_FALSE(r2.heredocs[0].expand);
  EXPECT_EQ(r2.heredocs[0].content, "indented\n");
  EXPECT_EQ(r2.heredocs[1].name, "X");
  EXPECT_EQ(r2.heredocs[1].file_descriptor, 3);
  EXPECT_FALSE(r2.heredocs[1].expand);
  EXPECT_EQ(r2.heredocs[1].content, "body x\n");
  EXPECT_EQ(r2.heredocs[1].position.line, 5);
  EXPECT_EQ(r2.heredocs[1].position.column, 14);

  const auto& c = ast.instructions[3];
  ASSERT_EQ(c.heredocs.size(), 2u);
  EXPECT_EQ(c.heredocs[0].content, "1\n");
  EXPECT_EQ(c.heredocs[1].content, "2\n");
  EXPECT_EQ(c.heredocs[1].body.start.line, 13);
  EXPECT_EQ(c.heredocs[1].body.end.line, 14);

  EXPECT_TRUE(ast.instructions[4].heredocs.empty());  // JSON form: no heredoc
  EXPECT_EQ(ast.instructions[5].keyword, "user");
}

TEST(Parser, HeredocInOnbuildAndCrlf) {
  Ast ast = MustParse("FROM a\r\nONBUILD RUN <<EOF\r\nx\r\nEOF\r\nUSER u\r\n");
  ASSERT_EQ(ast.instructions.size(), 3u);
  ASSERT_EQ(ast.instructions[1].heredocs.size(), 1u);
  EXPECT_EQ(ast.instructions[1].heredocs[0].content, "x\r\n");
}

TEST(Parser, NotHeredocs) {
  Ast ast = MustParse("FROM a\nRUN echo \"<<EOF\" && cat<<EOF2\nUSER u\nENV X <<EOF\n");
  EXPECT_TRUE(ast.instructions[1].heredocs.empty());
  EXPECT_EQ(ast.instructions.size(), 4u);
}

TEST(Parser, UnterminatedHeredoc) {
  Status st = MustFail("FROM a\nRUN cat <<EOF\nhello\n EOF\n");
  EXPECT_THAT(st.message(), StartsWith("unterminated heredoc"));
  ExpectAt(st, 2, 9);
}

// --- ONBUILD ---------------------------------------------------------------

TEST(Parser, OnbuildNesting) {
  Ast ast = MustParse("FROM a\nONBUILD COPY --from=b x y\nONBUILD\n");
  const auto& ob = ast.instructions[1];
  ASSERT_EQ(ob.next.size(), 1u);
  EXPECT_EQ(ob.next[0].keyword, "copy");
  EXPECT_THAT(ob.next[0].flags, ElementsAre("--from=b"));
  EXPECT_THAT(ob.next[0].args, ElementsAre("x", "y"));
  EXPECT_EQ(ob.next[0].range.start.column, 9);
  EXPECT_EQ(ob.next[0].flag_positions[0].column, 14);
  EXPECT_TRUE(ast.instructions[2].next.empty());
  EXPECT_EQ(DumpAst(ast), "(from \"a\")\n(onbuild (copy [\"--from=b\"] \"x\" \"y\"))\n(onbuild)\n");
}

// --- errors ----------------------------------------------------------------

TEST(ParserErrors, UnknownInstructionSuggestsRun) {
  Status st = MustFail("FROM a\n  MKDIR /app\n");
  EXPECT_THAT(st.message(), StartsWith("unknown instruction: MKDIR (did you mean RUN mkdir?)"));
  EXPECT_THAT(st.message(), HasSubstr("  2 |   MKDIR /app\n    |   ^"));
  ExpectAt(st, 2, 3);
}

TEST(ParserErrors, UnknownInstructionSuggestsKeyword) {
  Status st = MustFail("FRM alpine\n");
  EXPECT_THAT(st.message(), StartsWith("unknown instruction: FRM (did you mean FROM?)"));
  ExpectAt(st, 1, 1);
}

TEST(ParserErrors, LostContinuation) {
  Status st = MustFail("FROM a\nRUN apt-get update &&\n    apt-get install -y curl\n");
  EXPECT_THAT(st.message(), StartsWith("unknown instruction: apt-get (did you mean RUN apt-get?)"));
  EXPECT_THAT(st.hint(), HasSubstr("previous line"));
  ExpectAt(st, 3, 5);
}

TEST(ParserErrors, UnknownInstructionInOnbuild) {
  Status st = MustFail("FROM a\nONBUILD CPY a b\n");
  EXPECT_THAT(st.message(), StartsWith("unknown instruction: CPY (did you mean COPY?)"));
  ExpectAt(st, 2, 9);
}

TEST(ParserErrors, EmptyFile) {
  Status st = MustFail("");
  EXPECT_THAT(st.message(), StartsWith("the Dockerfile is empty"));
  ExpectAt(st, 1, 1);
  Status ws = MustFail("\n  \n\t\n");
  EXPECT_THAT(ws.message(), StartsWith("the Dockerfile is empty"));
  Status comments = MustFail("# just\n# comments\n");
  EXPECT_THAT(comments.message(), StartsWith("the Dockerfile has no instructions"));
  ExpectAt(comments, 2, 1);
}

TEST(ParserErrors, FlagWithoutName) {
  Status st = MustFail("FROM a\nCOPY --link --=x a b\n");
  EXPECT_THAT(st.message(), StartsWith("flag without a name: `--=x`"));
  ExpectAt(st, 2, 13);
}

TEST(ParserErrors, EnvWithoutValue) {
  Status st = MustFail("FROM a\nENV \\\n  PATH\n");
  EXPECT_THAT(st.message(), StartsWith("ENV must have two arguments"));
  ExpectAt(st, 3, 3);
}

TEST(ParserErrors, LabelWithoutEquals) {
  Status st = MustFail("FROM a\nLABEL a=b c\n");
  EXPECT_THAT(st.message(), StartsWith("Syntax error - can't find = in \"c\". Must be of the form: name=value"));
  ExpectAt(st, 2, 11);
}

TEST(ParserErrors, LoneContinuation) {
  Status st = MustFail("FROM a\n\\\n");
  EXPECT_THAT(st.message(), StartsWith("empty instruction"));
  ExpectAt(st, 2, 1);
}

TEST(ParserErrors, ErrorStringHasCaretAndHint) {
  auto r = Parse("FROM a\nMKDIR /x\n", "path/Dockerfile");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(),
            "path/Dockerfile:2:1: unknown instruction: MKDIR (did you mean RUN mkdir?)\n"
            "  2 | MKDIR /x\n"
            "    | ^\n"
            "  hint: " + r.status().hint());
}

// --- dump --------------------------------------------------------------------

TEST(Dump, GoQuoting) {
  Ast ast = MustParse("FROM a\nCMD [\"tab\\there\", \"nul\\u0000\", \"\\u00a0nbsp\", \"é\", \"\\u200b\"]\nRUN \xff\n");
  EXPECT_EQ(DumpAst(ast),
            "(from \"a\")\n"
            "(cmd \"tab\\there\" \"nul\\x00\" \"\\u00a0nbsp\" \"é\" \"\\u200b\")\n"
            "(run \"\\xff\")\n");
}

TEST(Diagnostic, SnippetKeepsTabs) {
  EXPECT_EQ(SourceSnippet("a\n\tRUN x\n", 2, 2), "  2 | \tRUN x\n    | \t^");
  EXPECT_EQ(SourceSnippet("a\n", 5, 1), "");
}

TEST(Fixtures, EveryParserFixtureParses) {
  std::filesystem::path dir = std::filesystem::path(KILN_SOURCE_DIR) / "tests/fixtures/parser";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(e.path().string());
    auto r = Parse(ReadAll(e.path()), e.path().string());
    if (e.path().extension() == ".bad") {  // must be rejected, with a location
      ASSERT_FALSE(r.ok());
      EXPECT_GT(r.status().location().line, 0);
      continue;
    }
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    ++n;
  }
  EXPECT_GE(n, 3);
}

}  // namespace
}  // namespace kiln::frontend

namespace kiln::frontend {
namespace {
TEST(ParserErrors, ChainedOnbuild) {
  auto r = Parse("FROM a\nONBUILD onbuild RUN x\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::StartsWith("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"));
  EXPECT_EQ(r.status().location().line, 2);
  EXPECT_EQ(r.status().location().column, 9);
}
}  // namespace
}  // namespace kiln::frontend

namespace kiln::frontend {
namespace {

// BuildKit's TestParseExtractsHeredoc cases (minus `USER <<INVALID`, whose
// next line is an unknown instruction, an error in kiln). Content is chomped
// for <<-, as ast.h promises; BuildKit chomps one layer later.
TEST(ParserHeredoc, BuildKitCasesWithoutUnknownInstruction) {
  std::string text =
      "FROM alpine:3.6\n"
      "RUN 3<<EMPTY2\nEMPTY2\n"
      "RUN \"<<NOHEREDOC\"\n"
      "RUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\n"
      "RUN <<COMMENT\n# internal comment\necho foo bar # trailing comment\nCOMMENT\n"
      "RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n"
      "COPY <<X <<Y /dest\nY\nX\nX\nY\n"
      "RUN <<eo'f'\necho foo\neof\n"
      "RUN <<eo\\'f\necho foo\neo'f\n"
      "RUN <<'e'o\\'f\necho foo\neo'f\n"
      "RUN <<'one two'\necho bar\none two\n"
      "RUN <<$EOF\n$EOF\n"
      "RUN <<  EOF\nEOF\n"
      "RUN <<  EOF  > foo\nEOF\n"
      "RUN << -EOF\n-EOF\n"
      "RUN [\"<<EOF\"]\n";
  auto r = Parse(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& in = r->instructions;
  ASSERT_EQ(in.size(), 16u);
  auto one = [&](size_t i, const std::string& name, const std::string& content, bool expand) {
    SCOPED_TRACE(in[i].original);
    ASSERT_EQ(in[i].heredocs.size(), 1u);
    EXPECT_EQ(in[i].heredocs[0].name, name);
    EXPECT_EQ(in[i].heredocs[0].content, content);
    EXPECT_EQ(in[i].heredocs[0].expand, expand);
  };
  one(1, "EMPTY2", "", true);
  EXPECT_EQ(in[1].heredocs[0].file_descriptor, 3);
  EXPECT_TRUE(in[2].heredocs.empty());
  one(3, "UNINDENT2", "baz\nquux\n", true);
  one(4, "COMMENT", "# internal comment\necho foo bar # trailing comment\n", true);
  one(5, "MOUNT", "echo hello\n", true);
  ASSERT_EQ(in[6].heredocs.size(), 2u);
  EXPECT_EQ(in[6].heredocs[0].content, "Y\n");
  EXPECT_EQ(in[6].heredocs[1].content, "X\n");
  one(7, "eof", "echo foo\n", false);
  one(8, "eo'f", "echo foo\n", true);
  one(9, "eo'f", "echo foo\n", false);
  one(10, "one two", "echo bar\n", false);
  one(11, "$EOF", "", true);
  one(12, "EOF", "", true);
  one(13, "EOF", "", true);
  one(14, "-EOF", "", true);
  EXPECT_TRUE(in[15].heredocs.empty());
  EXPECT_TRUE(in[15].json);
}

}  // namespace
}  // namespace kiln::frontend

namespace kiln::frontend {
namespace {
TEST(ParserErrors, LineTooLong) {
  std::string ok = "FROM a\nLABEL x=" + std::string(65535 - 8, 'a') + "\n";
  EXPECT_TRUE(Parse(ok).ok());
  std::string bad = "FROM a\nLABEL x=" + std::string(65536 - 8, 'a') + "\n";
  auto r = Parse(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::StartsWith("dockerfile line greater than max allowed size of 65535"));
  EXPECT_EQ(r.status().location().line, 2);
}
}  // namespace
}  // namespace kiln::frontend
