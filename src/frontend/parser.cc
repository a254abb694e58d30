// Dockerfile text -> Ast, following BuildKit's parser.Parse line for line:
// directives at the top, comments, continuation lines (with comment and empty
// lines inside), the per-instruction line parsers, then heredoc bodies.
#include "frontend/parser.h"

#include <algorithm>

#include "frontend/diagnostic.h"
#include "frontend/heredoc.h"
#include "frontend/line_parsers.h"
#include "frontend/source_lines.h"
#include "frontend/text_util.h"

namespace kiln::frontend {
namespace {

using internal::SourceLine;

std::string_view TrimNewline(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool IsCommentLine(std::string_view raw) {
  std::string_view t = text::TrimLeftSpace(TrimNewline(raw));
  return !t.empty() && t[0] == '#';
}

// Go's regexp \s: [\t\n\f\r ].
bool IsReSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsAlpha(c) || (c >= '0' && c <= '9'); }

// ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ on the text after "#" (left-trimmed).
bool MatchDirective(std::string_view s, std::string_view* key, std::string_view* value) {
  if (s.empty() || !IsAlpha(s[0])) return false;
  size_t p = 1;
  while (p < s.size() && IsAlnum(s[p])) ++p;
  *key = s.substr(0, p);
  while (p < s.size() && IsReSpace(s[p])) ++p;
  if (p >= s.size() || s[p] != '=') return false;
  ++p;
  while (p < s.size() && IsReSpace(s[p])) ++p;
  size_t end = s.size();
  while (end > p && IsReSpace(s[end - 1])) --end;
  if (end <= p) return false;
  *value = s.substr(p, end - p);
  return true;
}

bool IsDirectiveName(std::string_view lower) {
  return lower == "syntax" || lower == "escape" || lower == "check";
}

// A piece of a logical line: where it came from in the source.
struct Segment {
  size_t offset;  // in the logical line
  int line;       // 1-based source line
  int column;     // 1-based column of the piece's first byte
};

class Builder {
 public:
  Builder(Ast* ast, const std::vector<SourceLine>& lines, size_t bom)
      : ast_(ast), lines_(lines), bom_(bom) {}

  Status Run() {
    // BuildKit reads lines with a bufio.Scanner and its 64 KiB token limit.
    constexpr size_t kMaxLine = 65535;
    for (size_t k = 0; k < lines_.size(); ++k) {
      size_t len = lines_[k].text.size() + (k == 0 ? bom_ : 0);
      if (len > kMaxLine) {
        return SourceError(*ast_, {static_cast<int>(k) + 1, 1},
                           "dockerfile line greater than max allowed size of 65535",
                           "split the line with line continuations (end a line with the escape "
                           "character and go on on the next)");
      }
    }
    size_t i = 0;
    while (i < lines_.size()) RETURN_IF_ERROR(Logical(&i));
    if (ast_->instructions.empty()) {
      bool blank = std::all_of(ast_->source.begin(), ast_->source.end(),
                               [](char c) { return text::IsSpace(static_cast<unsigned char>(c)); });
      int line = std::max<int>(1, static_cast<int>(lines_.size()));
      return SourceError(*ast_, {line, 1},
                         blank ? "the Dockerfile is empty" : "the Dockerfile has no instructions",
                         "a Dockerfile needs at least a FROM instruction, e.g. `FROM alpine:3.20`");
    }
    return Status::OK();
  }

 private:
  // Reads one logical line starting at lines_[*i] (and what follows it).
  Status Logical(size_t* i) {
    const SourceLine& first = lines_[*i];
    int line_no = static_cast<int>(*i) + 1;
    std::string_view raw = first.text;
    if (IsCommentLine(raw)) {
      std::string_view c = text::TrimSpace(raw.substr(1));
      if (c.empty())
        comments_.clear();
      else
        comments_.emplace_back(c);
    }
    std::string_view token = text::TrimLeftSpace(TrimNewline(raw));
    RETURN_IF_ERROR(
        Directive(token, line_no, static_cast<int>(TrimNewline(raw).size() - token.size()) + 1));
    if (!token.empty() && token[0] == '#') token = token.substr(token.size());
    ++*i;

    int start_col = static_cast<int>(TrimNewline(raw).size() - token.size()) + 1;
    bool end_of_line = true;
    std::string_view piece = TrimContinuation(token, &end_of_line);
    if (end_of_line && piece.empty()) return Status::OK();

    std::string line(piece);
    std::vector<Segment> segs{{0, line_no, start_col}};
    int last_line = line_no;
    int first_empty = 0;
    while (!end_of_line && *i < lines_.size()) {
      const SourceLine& next = lines_[*i];
      int no = static_cast<int>(*i) + 1;
      std::string_view tok = TrimNewline(next.text);
      RETURN_IF_ERROR(Directive(tok, no, 1));
      ++*i;
      last_line = no;
      if (IsCommentLine(next.text)) continue;
      if (text::TrimLeftSpace(tok).empty()) {
        if (!first_empty) first_empty = no;
        continue;
      }
      std::string_view p = TrimContinuation(tok, &end_of_line);
      segs.push_back({line.size(), no, 1});
      line.append(p);
    }

    if (first_empty) {
      ParseWarning w;
      w.rule = "NoEmptyContinuation";
      w.message = "Empty continuation line found in: " + line;
      // BuildKit reports the instruction's last line.
      w.range = {{last_line, 1}, {last_line, 1}};
      ast_->warnings.push_back(std::move(w));
    }

    // Segments are sorted by offset: the last one starting at or before `off`.
    auto pos = [&](size_t off) {
      auto it = std::upper_bound(segs.begin(), segs.end(), off,
                                 [](size_t o, const Segment& g) { return o < g.offset; });
      const Segment& s = *(it == segs.begin() ? it : it - 1);
      return Position{s.line, s.column + static_cast<int>(off - s.offset)};
    };

    internal::RawNode node;
    internal::LineError err;
    if (!internal::ParseInstructionLine(line, ast_->escape, &node, &err)) {
      std::string msg = err.message;
      if (node.keyword.empty() && msg.rfind("unknown instruction", 0) == 0)
        msg = "empty instruction: a line continuation with nothing after it";
      return SourceError(*ast_, pos(err.offset), msg, err.hint);
    }

    Instruction ins = Convert(node, line, pos);
    RETURN_IF_ERROR(CheckFlags(ins));
    ins.comments = std::move(comments_);
    comments_.clear();

    RETURN_IF_ERROR(Heredocs(line, pos, i, &ins, &last_line));
    std::string_view last_text = TrimNewline(lines_[last_line - 1].text);
    ins.range.end = {last_line, std::max<int>(1, static_cast<int>(last_text.size()))};
    for (Instruction& child : ins.next) child.range.end = ins.range.end;
    ast_->instructions.push_back(std::move(ins));
    return Status::OK();
  }

  template <typename PosFn>
  Instruction Convert(internal::RawNode& node, const std::string& line, PosFn& pos) {
    Instruction ins;
    ins.keyword = text::ToLower(node.keyword);
    ins.keyword_as_written = std::move(node.keyword);
    ins.json = node.json;
    ins.original = line;
    ins.range.start = pos(node.keyword_offset);
    ins.flags.reserve(node.flags.size());
    ins.flag_positions.reserve(node.flags.size());
    for (auto& f : node.flags) {
      ins.flags.push_back(std::move(f.text));
      ins.flag_positions.push_back(pos(f.offset));
    }
    ins.args.reserve(node.args.size());
    ins.arg_positions.reserve(node.args.size());
    for (auto& a : node.args) {
      ins.args.push_back(std::move(a.text));
      ins.arg_positions.push_back(pos(a.offset));
    }
    for (auto& c : node.child) {
      Instruction child = Convert(c, line, pos);
      child.original = line.substr(std::min(line.size(), c.keyword_offset));
      ins.next.push_back(std::move(child));
    }
    return ins;
  }

  Status CheckFlags(const Instruction& ins) {
    for (size_t k = 0; k < ins.flags.size(); ++k) {
      const std::string& f = ins.flags[k];
      std::string_view name = std::string_view(f).substr(2);
      name = name.substr(0, name.find('='));
      if (name.empty()) {
        return SourceError(*ast_, ins.flag_positions[k],
                           "flag without a name: `" + f + "`",
                           "write flags as --name=value (e.g. --from=build) or --name; a lone `--` "
                           "ends the flags");
      }
    }
    for (const Instruction& c : ins.next) RETURN_IF_ERROR(CheckFlags(c));
    return Status::OK();
  }

  static bool HeredocKeyword(const std::string& lower) {
    return lower == "run" || lower == "copy" || lower == "add";
  }

  template <typename PosFn>
  Status Heredocs(const std::string& line, PosFn& pos, size_t* i, Instruction* ins,
                  int* last_line) {
    const Instruction* n = ins;
    if (n->keyword == "onbuild" && !n->next.empty()) n = &n->next[0];
    if (!HeredocKeyword(n->keyword) || n->json) return Status::OK();
    if (line.find("<<") == std::string::npos) return Status::OK();
    for (internal::HeredocStart& h : internal::HeredocsFromLine(line)) {
      Heredoc doc;
      doc.name = std::move(h.name);
      doc.expand = h.expand;
      doc.chomp = h.chomp;
      doc.file_descriptor = h.fd;
      doc.position = pos(h.offset);
      doc.body.start = {static_cast<int>(*i) + 1, 1};
      bool terminated = false;
      while (*i < lines_.size()) {
        const SourceLine& l = lines_[*i];
        ++*i;
        *last_line = static_cast<int>(*i);
        std::string_view candidate = TrimNewline(l.text);
        if (doc.chomp) {
          while (!candidate.empty() && candidate[0] == '\t') candidate.remove_prefix(1);
        }
        if (candidate == doc.name) {
          terminated = true;
          break;
        }
        std::string_view body = l.text;
        if (doc.chomp) {
          while (!body.empty() && body[0] == '\t') body.remove_prefix(1);
        }
        doc.content.append(body);
        if (l.newline) doc.content += '\n';
      }
      if (!terminated) {
        return SourceError(*ast_, doc.position,
                           "unterminated heredoc: no line `" + doc.name + "` ends the heredoc <<" +
                               (doc.chomp ? "-" : "") + doc.name,
                           "end the heredoc with a line containing only `" + doc.name + "`" +
                               (doc.chomp ? " (leading tabs allowed)" : " (no leading spaces)"));
      }
      doc.body.end = {*last_line, std::max<int>(1, static_cast<int>(doc.name.size()))};
      ins->heredocs.push_back(std::move(doc));
    }
    return Status::OK();
  }

  // BuildKit's line-continuation regex: the escape token, then only spaces or
  // tabs, at the end of the line, not preceded by another escape token (or
  // alone on the line). Returns the line without it.
  std::string_view TrimContinuation(std::string_view s, bool* end_of_line) const {
    size_t e = s.size();
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
    if (e > 0 && s[e - 1] == ast_->escape && (e == 1 || s[e - 2] != ast_->escape)) {
      *end_of_line = false;
      return s.substr(0, e - 1);
    }
    *end_of_line = true;
    return s;
  }

  // BuildKit's DirectiveParser.ParseLine plus the escape-token switch.
  Status Directive(std::string_view token, int line_no, int column) {
    std::string_view key, value;
    if (directives_done_) {
      // Not BuildKit: flag a directive that BuildKit silently treats as a comment.
      std::string_view t = text::TrimLeftSpace(token);
      // (Not for `check`: kiln lint reads `# check=...` comments above an instruction.)
      if (!t.empty() && t[0] == '#' && MatchDirective(text::TrimLeftSpace(t.substr(1)), &key, &value) &&
          (text::ToLower(key) == "syntax" || text::ToLower(key) == "escape")) {
        ParseWarning w;
        w.rule = "MisplacedDirective";
        w.message = "parser directive `" + text::ToLower(key) +
                    "` is ignored: directives must come first in the file, before any "
                    "instruction, comment or blank line";
        w.range = {{line_no, column}, {line_no, column + static_cast<int>(t.size()) - 1}};
        ast_->warnings.push_back(std::move(w));
      }
      return Status::OK();
    }
    if (token.empty() || token[0] != '#') {
      directives_done_ = true;
      return Status::OK();
    }
    std::string_view after = text::TrimLeftSpace(token.substr(1));
    if (!MatchDirective(after, &key, &value)) {
      directives_done_ = true;
      return Status::OK();
    }
    std::string k = text::ToLower(key);
    if (!IsDirectiveName(k)) {
      directives_done_ = true;
      return Status::OK();
    }
    Position value_pos{line_no, column + static_cast<int>(value.data() - token.data())};
    for (const auto& d : ast_->directives) {
      if (d.name == k) {
        return SourceError(*ast_, {line_no, column + static_cast<int>(key.data() - token.data())},
                           "only one " + k + " parser directive can be used",
                           "remove this `# " + k + "=` line; the first one (line " +
                               std::to_string(d.range.start.line) + ") is in effect");
      }
    }
    if (k == "escape") {
      if (value != "`" && value != "\\") {
        return SourceError(*ast_, value_pos,
                           "invalid escape token '" + std::string(value) + "' does not match ` or \\",
                           "use `# escape=\\` (the default) or `# escape=``");
      }
      ast_->escape = value[0];
    }
    kiln::frontend::Directive d;
    d.name = k;
    d.value = std::string(value);
    d.range = {{line_no, column}, {line_no, column + static_cast<int>(token.size()) - 1}};
    d.value_position = value_pos;
    ast_->directives.push_back(std::move(d));
    return Status::OK();
  }

  Ast* ast_;
  const std::vector<SourceLine>& lines_;
  size_t bom_;  // bytes of BOM removed from the first line
  std::vector<std::string> comments_;
  bool directives_done_ = false;
};

}  // namespace

Result<Ast> Parse(std::string_view text, const std::string& filename) {
  Ast ast;
  ast.filename = filename;
  size_t bom = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
    bom = 3;
  }
  ast.source = std::string(text);
  auto lines = internal::ParseSourceLines(ast.source);
  if (!lines.ok()) return lines.status().WithContext(filename);
  Builder b(&ast, *lines, bom);
  RETURN_IF_ERROR(b.Run());
  return ast;
}

}  // namespace kiln::frontend
