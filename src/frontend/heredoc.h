// Heredoc openers (<<EOF, <<-EOF, <<"EOF", 3<<EOF) on a RUN/COPY/ADD line,
// found the way BuildKit finds them (its heredocsFromLine / ParseHeredoc).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::frontend::internal {

struct HeredocStart {
  std::string name;   // the terminator, quotes removed
  bool expand = true; // false when any part of the word was quoted
  bool chomp = false; // <<-
  int fd = 0;         // 3<<EOF
  size_t offset = 0;  // where the word starts in the line
};

// All heredoc openers on `line`, in order. Words are split as BuildKit's shell
// lexer splits them (quotes and backslash escapes keep a word together; the
// escape directive does not apply here, as in BuildKit).
std::vector<HeredocStart> HeredocsFromLine(std::string_view line);

// The body of a <<- heredoc: leading tabs removed from every line.
std::string ChompHeredoc(const std::string& s);

}  // namespace kiln::frontend::internal
