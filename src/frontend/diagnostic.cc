#include "frontend/diagnostic.h"

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

}  // namespace kiln::frontend
