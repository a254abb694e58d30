#include "frontend/diagnostic.h"

#include <algorithm>
#include <cctype>

namespace kiln::frontend {

namespace {

std::string_view LineOf(std::string_view source, int line) {
  size_t pos = 0;
  for (int i = 1; i < line; i++) {
    pos = source.find('\n', pos);
    if (pos == std::string_view::npos) return {};
    pos++;
  }
  if (pos > source.size()) return {};
  size_t end = source.find('\n', pos);
  std::string_view l = source.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string FormatDiagnostic(const Status& st, std::string_view source) {
  if (st.ok()) return "";
  const SourceLocation& loc = st.location();
  std::string out;
  if (loc.known()) {
    out = loc.file + ":" + std::to_string(loc.line);
    if (loc.column > 0) out += ":" + std::to_string(loc.column);
    out += ": ";
  }
  out += st.message();
  if (loc.known()) {
    std::string_view text = LineOf(source, loc.line);
    if (!text.empty()) {
      std::string num = std::to_string(loc.line);
      std::string pad(num.size(), ' ');
      out += "\n " + num + " | " + std::string(text);
      if (loc.column > 0) {
        std::string caret;
        // Keep tabs so the caret lines up under tab-indented text.
        for (int i = 0; i + 1 < loc.column && static_cast<size_t>(i) < text.size(); i++)
          caret += text[i] == '\t' ? '\t' : ' ';
        out += "\n " + pad + " | " + caret + "^";
      }
    }
  }
  if (!st.hint().empty()) out += "\n  hint: " + st.hint();
  return out;
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& options) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const std::string& o : options) {
    size_t d = Distance(word, o);
    if (d < best_d) {
      best_d = d;
      best = o;
    }
  }
  // Plausible typo: at most a third of the word changed (and at least 1 edit allowed).
  size_t limit = std::max<size_t>(1, (word.size() + 2) / 3);
  if (best_d == 0 || best_d > limit) return best_d == 0 ? best : "";
  return best;
}

}  // namespace kiln::frontend
