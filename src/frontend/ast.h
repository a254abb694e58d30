// The Dockerfile syntax tree, as BuildKit's parser produces it (before variable
// expansion). Produced by parser.h; read by the lowering, outline and the linter.
// No ANTLR type appears here.
#pragma once

#include <string>
#include <vector>

namespace kiln::frontend {

// 1-based line and column; columns count bytes.
struct Position {
  int line = 0;
  int column = 0;
};

struct Range {
  Position start, end;  // end is inclusive
};

struct Heredoc {
  std::string name;         // delimiter word, unquoted
  std::string content;      // body lines as written, each with its line ending ("\n" or
                            // "\r\n"; the file's last line may have none); for <<- the
                            // leading tabs of every line are already stripped
  bool expand = true;       // false when the delimiter was quoted
  bool chomp = false;       // <<- : leading tabs stripped
  int file_descriptor = 0;  // the "3" of 3<<EOF; 0 when absent
  Position position;        // where the <<WORD (or 3<<WORD) starts
  Range body;               // first body line to the terminator line (inclusive)
};

struct Instruction {
  std::string keyword;              // lower-case: "from", "run", ...
  std::string keyword_as_written;   // as in the file: "From", "RUN"
  std::vector<std::string> flags;   // raw flags: "--from=build", "--link"
  std::vector<std::string> args;    // BuildKit's Next chain (ENV/LABEL: key, value, sep
                                    // triples; sep is "=" or "" for the legacy `ENV k v`)
  bool json = false;                // exec form (a JSON array was parsed)
  std::vector<Heredoc> heredocs;
  std::string original;             // the instruction's text, continuation lines joined
  std::vector<std::string> comments;  // comment lines above (as BuildKit's PrevComment: text
                                      // after "#", trimmed; an empty "#" line clears them)
  Range range;                      // from the keyword to the last line
  // ONBUILD: the nested instruction (exactly one element; none for a bare ONBUILD).
  std::vector<Instruction> next;
  // Where each flag and each argument starts (same lengths as flags / args).
  // Arguments of the JSON form point at their opening quote; for ENV/LABEL
  // key=value words the key, the "=" and the value point into the word.
  std::vector<Position> flag_positions;
  std::vector<Position> arg_positions;
};

struct Directive {
  std::string name;   // lower-case: "syntax", "escape", "check"
  std::string value;
  Range range;
  Position value_position;  // where the value starts
};

// Something suspicious the parser accepted (BuildKit's parser warnings),
// e.g. an empty continuation line.
struct ParseWarning {
  std::string rule;     // "NoEmptyContinuation" (BuildKit's), or kiln's
                        // "MisplacedDirective"
  std::string message;
  Range range;
};

struct Ast {
  std::string filename;
  std::string source;              // the file as read (BOM removed)
  char escape = '\\';
  std::vector<Directive> directives;
  std::vector<Instruction> instructions;
  std::vector<ParseWarning> warnings;
};

}  // namespace kiln::frontend
