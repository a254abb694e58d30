// The physical-line structure of a Dockerfile.
//
// BuildKit reads a Dockerfile line by line, and what a line means depends on
// state the grammar cannot see: the escape token is chosen by a directive at
// the top of the file, and whether the lines after a RUN/COPY/ADD are heredoc
// bodies depends on that instruction's words. So the grammar stops at the line
// level: it classifies every physical line as a comment line, a text line
// (instruction text, continuation text, heredoc body) or a blank line, and the
// hand-written code in src/frontend/ (parser.cc, line_parsers.cc) assembles
// logical lines, continuations, directives and heredocs exactly as BuildKit.
//
// The input is fed as bytes (one symbol per byte, see parse_tree_adapter.cc),
// so token offsets are byte offsets and any byte sequence is valid input.
grammar Dockerfile;

dockerfile
  : line* EOF
  ;

// One token per physical line, its '\n' included (the file's last line may
// have none).
line
  : COMMENT_LINE   # commentLine
  | TEXT_LINE      # textLine
  | NEWLINE        # blankLine
  ;

// Every token starts at the beginning of a line and runs through its '\n'.
// On a tie (a line whose first non-blank is '#') the earlier rule wins, so
// comment lines are COMMENT_LINE.
COMMENT_LINE
  : [ \t\u000B\f\r]* '#' ~[\n]* '\n'?
  ;

TEXT_LINE
  : ~[\n]+ '\n'?
  ;

NEWLINE
  : '\n'
  ;
