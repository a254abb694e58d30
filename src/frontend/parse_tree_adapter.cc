// The only file that sees ANTLR: runs the generated Dockerfile lexer/parser
// and turns its parse tree into kiln's SourceLine records.
#include <exception>

#include "DockerfileLexer.h"
#include "DockerfileParser.h"
#include "antlr4-runtime.h"
#include "frontend/source_lines.h"

namespace kiln::frontend::internal {
namespace {

// Feeds the lexer one symbol per byte, so any byte sequence is valid input and
// token indices are byte offsets (ANTLRInputStream would decode UTF-8). The
// grammar only looks at ASCII, so bytes >= 0x80 are fed as one placeholder
// symbol: ANTLR's lexer DFA caches only symbols <= 127, and the text itself
// is taken from the source by offset.
class ByteStream : public antlr4::ANTLRInputStream {
 public:
  void Reset(std::string_view bytes) {
    _data.resize(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(bytes[i]);
      _data[i] = c < 0x80 ? c : 0x7F;
    }
    p = 0;
  }
};

// Turns syntax errors into a flag instead of printing to stderr. The grammar
// accepts every input, so this only fires on an internal bug.
class ErrorFlag : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer*, antlr4::Token*, size_t line, size_t col,
                   const std::string& msg, std::exception_ptr) override {
    if (!failed) {
      failed = true;
      this->line = static_cast<int>(line);
      column = static_cast<int>(col) + 1;
      message = msg;
    }
  }
  bool failed = false;
  int line = 0, column = 0;
  std::string message;
};

// One line rule holds one token: its type says what kind of line it is.
SourceLine MakeLine(std::string_view source, antlr4::ParserRuleContext* ctx) {
  using P = kiln_grammar::DockerfileParser;
  antlr4::Token* tok = ctx->start;
  SourceLine l;
  l.offset = tok->getStartIndex();
  std::string_view text = source.substr(l.offset, tok->getStopIndex() - l.offset + 1);
  l.newline = !text.empty() && text.back() == '\n';
  if (l.newline) text.remove_suffix(1);
  l.text = text;
  switch (tok->getType()) {
    case P::COMMENT_LINE: l.kind = SourceLine::Kind::kComment; break;
    case P::TEXT_LINE: l.kind = SourceLine::Kind::kText; break;
    default: l.kind = SourceLine::Kind::kBlank; break;
  }
  return l;
}

// One lexer/parser pair per thread, reused: building them costs more than
// parsing a typical Dockerfile.
struct Machinery {
  ByteStream input;
  kiln_grammar::DockerfileLexer lexer{&input};
  antlr4::CommonTokenStream tokens{&lexer};
  kiln_grammar::DockerfileParser parser{&tokens};
  ErrorFlag errors;

  Machinery() {
    lexer.removeErrorListeners();
    lexer.addErrorListener(&errors);
    parser.removeErrorListeners();
    parser.addErrorListener(&errors);
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
  }

  void Reset(std::string_view source) {
    parser.getTreeTracker().reset();  // frees the previous parse tree
    errors = ErrorFlag();
    input.Reset(source);
    lexer.setInputStream(&input);
    tokens.setTokenSource(&lexer);
    parser.setTokenStream(&tokens);
  }
};

// Frees the parse tree when the parse is done (also on exceptions).
struct TreeGuard {
  Machinery* m;
  ~TreeGuard() { m->parser.getTreeTracker().reset(); }
};

}  // namespace

Result<std::vector<SourceLine>> ParseSourceLines(std::string_view source) {
  try {
    thread_local Machinery m;
    m.Reset(source);
    TreeGuard guard{&m};
    ErrorFlag& errors = m.errors;
    kiln_grammar::DockerfileParser::DockerfileContext* tree = m.parser.dockerfile();
    if (errors.failed) {
      return Status::Internal("Dockerfile grammar rejected the input: " + errors.message)
          .WithLocation({"", errors.line, errors.column});
    }
    // dockerfile : line* EOF -- every child but the last (EOF) is a line rule.
    std::vector<SourceLine> lines;
    const auto& children = tree->children;
    lines.reserve(children.size());
    for (size_t k = 0; k + 1 < children.size(); ++k)
      lines.push_back(MakeLine(source, static_cast<antlr4::ParserRuleContext*>(children[k])));
    return lines;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("Dockerfile grammar failed: ") + e.what());
  }
}

}  // namespace kiln::frontend::internal
