#include "frontend/diagnostic.h"

#include <algorithm>
#include <cctype>

namespace kiln::frontend {

std::string SourceSnippet(std::string_view source, int line, int column) {
  if (line <= 0) return "";
  size_t start = 0;
  for (int l = 1; l < line; ++l) {
    size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return "";
    start = nl + 1;
  }
  size_t end = source.find('\n', start);
  if (end == std::string_view::npos) end = source.size();
  std::string_view text = source.substr(start, end - start);
  while (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  constexpr size_t kMax = 200;
  bool cut = text.size() > kMax && column <= static_cast<int>(kMax);
  if (cut) text = text.substr(0, kMax);
  std::string num = std::to_string(line);
  std::string out = "  " + num + " | " + std::string(text) + (cut ? "..." : "") + "\n";
  out += "  " + std::string(num.size(), ' ') + " | ";
  for (int i = 1; i < column && static_cast<size_t>(i - 1) < text.size(); ++i)
    out += text[i - 1] == '\t' ? '\t' : ' ';
  out += "^";
  return out;
}

Status SourceError(const std::string& filename, std::string_view source, Position at,
                   const std::string& message, const std::string& hint) {
  std::string snippet = SourceSnippet(source, at.line, at.column);
  std::string m = message;
  if (!snippet.empty()) m += "\n" + snippet;
  Status st = Status::InvalidArgument(std::move(m))
                  .WithLocation(SourceLocation{filename, at.line, at.column});
  if (!hint.empty()) st = st.WithHint(hint);
  return st;
}

namespace {

size_t FoldedDistance(std::string_view a, std::string_view b) {
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
  if (loc.known() && st.message().find('\n') == std::string::npos) {
    std::string snippet = SourceSnippet(source, loc.line, std::max(1, loc.column));
    if (!snippet.empty()) out += "\n" + snippet;
  }
  if (!st.hint().empty()) out += "\n  hint: " + st.hint();
  return out;
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& options) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const std::string& o : options) {
    size_t d = FoldedDistance(word, o);
    if (d < best_d) {
      best_d = d;
      best = o;
    }
  }
  if (best_d == 0) return best;
  // A plausible typo: at most about a third of the word changed.
  size_t limit = std::max<size_t>(1, (word.size() + 2) / 3);
  return best_d <= limit ? best : "";
}

}  // namespace kiln::frontend
