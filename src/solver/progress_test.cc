#include "solver/progress_printer.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace kiln::solver {
namespace {

std::string Render(ProgressMode mode, const std::vector<ProgressEvent>& events) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  {
    auto p = NewProgressPrinter(mode, f);
    for (const auto& e : events) p->Event(e);
    p->Close();
  }
  fclose(f);
  std::string s(buf, len);
  free(buf);
  return s;
}

ProgressEvent Ev(ProgressEvent::Kind k, std::string v, std::string name, std::string data = "", double at = 0) {
  ProgressEvent e;
  e.kind = k;
  e.vertex = std::move(v);
  e.name = std::move(name);
  e.data = std::move(data);
  static const Clock::time_point base = Clock::now();
  e.time = base + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at));
  return e;
}

TEST(ProgressPrinterTest, PlainLooksLikeBuildKit) {
  using K = ProgressEvent::Kind;
  std::string out = Render(ProgressMode::kPlain, {
      Ev(K::kCached, "a", "[1/2] FROM base"),
      Ev(K::kStarted, "b", "[2/2] RUN make", "", 1.0),
      Ev(K::kLog, "b", "[2/2] RUN make", "hello\nwor", 1.25),
      Ev(K::kLog, "b", "[2/2] RUN make", "ld\n", 1.5),
      Ev(K::kDone, "b", "[2/2] RUN make", "", 1.3 + 1.0),
      Ev(K::kStarted, "c", "", "", 2.0),  // unnamed: hidden
  });
  EXPECT_EQ(out,
            "#1 [1/2] FROM base\n#1 CACHED\n\n"
            "#2 [2/2] RUN make\n#2 0.250 hello\n#2 0.500 world\n#2 DONE 1.3s\n");
}

TEST(ProgressPrinterTest, PlainRepeatsTheHeaderWhenOutputsInterleave) {
  using K = ProgressEvent::Kind;
  std::string out = Render(ProgressMode::kPlain, {
      Ev(K::kStarted, "a", "A"), Ev(K::kStarted, "b", "B"),
      Ev(K::kLog, "a", "A", "x\n"), Ev(K::kError, "b", "B", "boom"), Ev(K::kCancelled, "a", "A"),
  });
  EXPECT_EQ(out, "#1 A\n\n#2 B\n\n#1 A\n#1 0.000 x\n\n#2 B\n#2 ERROR: boom\n\n#1 A\n#1 CANCELED\n");
}

TEST(ProgressPrinterTest, RawJsonHasVertexesAndBase64Logs) {
  using K = ProgressEvent::Kind;
  std::string out = Render(ProgressMode::kRawJson, {Ev(K::kStarted, "a", "A"), Ev(K::kLog, "a", "A", "hi\n")});
  EXPECT_NE(out.find("\"vertexes\""), std::string::npos);
  EXPECT_NE(out.find("\"data\":\"aGkK\""), std::string::npos);
}

TEST(ProgressPrinterTest, QuietPrintsNothing) {
  EXPECT_EQ(Render(ProgressMode::kQuiet, {Ev(ProgressEvent::Kind::kStarted, "a", "A")}), "");
}

TEST(ProgressPrinterTest, ParsesModes) {
  EXPECT_TRUE(ParseProgressMode("plain").ok());
  EXPECT_FALSE(ParseProgressMode("fancy").ok());
}

}  // namespace
}  // namespace kiln::solver
