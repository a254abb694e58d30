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
// token indices are byte offsets (ANTLRInputStream would decode UTF-8).
class ByteStream : public antlr4::ANTLRInputStream {
 public:
  explicit ByteStream(std::string_view bytes) {
    _data.reserve(bytes.size());
    for (char c : bytes) _data.push_back(static_cast<unsigned char>(c));
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

SourceLine MakeLine(std::string_view source, SourceLine::Kind kind, antlr4::tree::TerminalNode* body,
                    antlr4::tree::TerminalNode* nl) {
  SourceLine l;
  l.kind = kind;
  antlr4::Token* first = body ? body->getSymbol() : nl->getSymbol();
  l.offset = first->getStartIndex();
  if (body) {
    antlr4::Token* t = body->getSymbol();
    l.text = source.substr(t->getStartIndex(), t->getStopIndex() - t->getStartIndex() + 1);
  } else {
    l.text = source.substr(l.offset, 0);
  }
  l.newline = nl != nullptr;
  return l;
}

}  // namespace

Result<std::vector<SourceLine>> ParseSourceLines(std::string_view source) {
  try {
    ByteStream input(source);
    kiln_grammar::DockerfileLexer lexer(&input);
    ErrorFlag errors;
    lexer.removeErrorListeners();
    lexer.addErrorListener(&errors);
    antlr4::CommonTokenStream tokens(&lexer);
    kiln_grammar::DockerfileParser parser(&tokens);
    parser.removeErrorListeners();
    parser.addErrorListener(&errors);
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
    kiln_grammar::DockerfileParser::DockerfileContext* tree = parser.dockerfile();
    if (errors.failed) {
      return Status::Internal("Dockerfile grammar rejected the input: " + errors.message)
          .WithLocation({"", errors.line, errors.column});
    }
    std::vector<SourceLine> lines;
    lines.reserve(tree->line().size());
    using P = kiln_grammar::DockerfileParser;
    for (P::LineContext* ctx : tree->line()) {
      if (auto* c = dynamic_cast<P::CommentLineContext*>(ctx)) {
        lines.push_back(MakeLine(source, SourceLine::Kind::kComment, c->COMMENT_LINE(), c->NEWLINE()));
      } else if (auto* t = dynamic_cast<P::TextLineContext*>(ctx)) {
        lines.push_back(MakeLine(source, SourceLine::Kind::kText, t->TEXT_LINE(), t->NEWLINE()));
      } else if (auto* b = dynamic_cast<P::BlankLineContext*>(ctx)) {
        lines.push_back(MakeLine(source, SourceLine::Kind::kBlank, nullptr, b->NEWLINE()));
      }
    }
    return lines;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("Dockerfile grammar failed: ") + e.what());
  }
}

}  // namespace kiln::frontend::internal
