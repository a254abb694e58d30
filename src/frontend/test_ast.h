// Hand-built Asts for frontend unit tests (independent of the parser).
#pragma once

#include <cctype>
#include <string>
#include <vector>

#include "frontend/ast.h"

namespace kiln::frontend::testing {

// Builds an Ast line by line: each call adds one instruction on the next line.
class AstBuilder {
 public:
  explicit AstBuilder(std::string filename = "Dockerfile") { ast_.filename = std::move(filename); }

  // kw: "FROM", "RUN", ... ; args as BuildKit's parser would produce them.
  AstBuilder& Add(const std::string& kw, std::vector<std::string> args, std::vector<std::string> flags = {},
                  bool json = false) {
    ast_.instructions.push_back(Make(kw, std::move(args), std::move(flags), json));
    return *this;
  }
  // A JSON (exec) form instruction.
  AstBuilder& Json(const std::string& kw, std::vector<std::string> args) { return Add(kw, std::move(args), {}, true); }
  // ONBUILD <inner>.
  AstBuilder& Onbuild(const std::string& kw, std::vector<std::string> args) {
    Instruction inner = Make(kw, args, {}, false, false);
    Instruction ob = Make("ONBUILD", {}, {}, false, false);
    ob.original = "ONBUILD " + inner.original;
    ob.args.insert(ob.args.begin(), inner.keyword);
    ob.args.insert(ob.args.end(), args.begin(), args.end());
    ob.next.push_back(inner);
    Fix(ob);
    ast_.instructions.push_back(ob);
    return *this;
  }
  AstBuilder& Comment(const std::string& text) {
    pending_comments_.push_back(text);
    source_ += "# " + text + "\n";
    line_++;
    return *this;
  }
  // Adds a heredoc to the last instruction.
  AstBuilder& WithHeredoc(const std::string& name, const std::string& content, bool expand = true) {
    Heredoc h;
    h.name = name;
    h.content = content;
    h.expand = expand;
    ast_.instructions.back().heredocs.push_back(h);
    return *this;
  }
  Ast Build() const {
    Ast a = ast_;
    a.source = source_;
    return a;
  }

 private:
  Instruction Make(const std::string& kw, std::vector<std::string> args, std::vector<std::string> flags, bool json,
                   bool fix = true) {
    Instruction ins;
    ins.keyword_as_written = kw;
    for (char c : kw) ins.keyword += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ins.flags = std::move(flags);
    ins.args = std::move(args);
    ins.json = json;
    std::string text = kw;
    for (const std::string& f : ins.flags) text += " " + f;
    if (json) {
      text += " [";
      for (size_t i = 0; i < ins.args.size(); i++) text += (i ? ", \"" : "\"") + ins.args[i] + "\"";
      text += "]";
    } else {
      for (const std::string& a : ins.args) text += " " + a;
    }
    ins.original = text;
    ins.comments = pending_comments_;
    if (fix) {
      pending_comments_.clear();
      Fix(ins);
    }
    return ins;
  }
  void Fix(Instruction& ins) {
    line_++;
    ins.range.start = {line_, 1};
    ins.range.end = {line_, static_cast<int>(ins.original.size())};
    source_ += ins.original + "\n";
  }

  Ast ast_;
  std::string source_;
  int line_ = 0;
  std::vector<std::string> pending_comments_;
};

}  // namespace kiln::frontend::testing
