#include "fileop/match.h"

#include <algorithm>

#include "base/go_match.h"
#include "fileop/path.h"

namespace kiln::fileop {
namespace {

std::vector<std::string> SplitComps(const std::string& p) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// 2 = full match, 1 = `path` is a proper prefix of something that may match, 0 = no.
int MatchComps(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& path, size_t ni) {
  if (pi == pat.size()) return ni == path.size() ? 2 : 0;
  if (pat[pi] == "**") {
    int best = MatchComps(pat, pi + 1, path, ni);
    if (best == 2) return 2;
    if (ni < path.size()) {
      int r = MatchComps(pat, pi, path, ni + 1);
      if (r > best) best = r;
    } else {
      best = std::max(best, 1);
    }
    return best;
  }
  if (ni == path.size()) return 1;
  auto m = GoMatch(pat[pi], path[ni]);
  if (!m.ok() || !*m) return 0;
  return MatchComps(pat, pi + 1, path, ni + 1);
}

}  // namespace

IncludeResult IncludeMatch(const std::vector<std::string>& patterns, const std::string& path, bool is_dir) {
  IncludeResult r;
  std::vector<std::string> comps = SplitComps(path);
  for (std::string p : patterns) {
    if (is_dir) while (p.size() > 1 && p.back() == '/') p.pop_back();
    p = CleanPath(p);
    if (!p.empty() && p[0] == '/') p = p.substr(1);
    if (p.empty() || p == ".") return {true, false};  // the whole source (COPY --parents .)
    int m = MatchComps(SplitComps(p), 0, comps, 0);
    if (m == 2) return {true, false};
    if (m == 1 && is_dir) r = {true, true};
  }
  return r;
}

}  // namespace kiln::fileop
