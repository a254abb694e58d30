// Word expansion exactly as BuildKit's Dockerfile shell lexer
// (moby/buildkit frontend/dockerfile/shell): $v, ${v}, ${v:-w}, ${v-w},
// ${v:+w}, ${v+w}, ${v:?msg}, ${v?msg}, ${v#p}, ${v##p}, ${v%p}, ${v%%p},
// ${v/p/r}, ${v//p/r}, single and double quotes, the escape token (backslash
// or backtick), and BuildKit's error messages.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frontend/text_util.h"
#include "base/status.h"

namespace kiln::frontend {

// Variables visible to an expansion. Case-sensitive (as on Linux).
class VarLookup {
 public:
  virtual ~VarLookup() = default;
  // The value, or nullptr when the variable is not set.
  virtual const std::string* Find(std::string_view name) const = 0;
};

// An ordered list of variables ("K=V" order is kept; setting an existing key
// replaces its value in place), as BuildKit's llb.EnvList / image Env.
class VarList : public VarLookup {
 public:
  VarList() = default;
  // From "K=V" strings (a missing "=" means an empty value).
  static VarList FromEnv(const std::vector<std::string>& env);

  void Set(const std::string& key, std::string value);
  void Erase(const std::string& key);
  const std::string* Find(std::string_view name) const override;
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  std::vector<std::string> Keys() const;
  std::vector<std::string> ToEnv() const;  // "K=V" in order
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  size_t size() const { return items_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// A lookup layered over another: first `over`, then `under`.
class LayeredLookup : public VarLookup {
 public:
  LayeredLookup(const VarLookup& over, const VarLookup& under) : over_(over), under_(under) {}
  const std::string* Find(std::string_view name) const override {
    if (const std::string* v = over_.Find(name)) return v;
    return under_.Find(name);
  }

 private:
  const VarLookup& over_;
  const VarLookup& under_;
};

struct ExpandResult {
  std::string word;                // the expanded word (quotes removed)
  std::vector<std::string> words;  // the same, split into words as the shell would
  std::set<std::string> matched;   // variables referenced and set
  std::set<std::string> unmatched; // variables referenced but not set
};

class ShellLex {
 public:
  explicit ShellLex(char escape = '\\') : escape_(static_cast<unsigned char>(escape)) {}

  // Options, as the fields of BuildKit's shell.Lex.
  bool raw_quotes = false;           // keep quote characters in the result
  bool raw_escapes = false;          // keep escape characters in the result
  bool skip_process_quotes = false;  // quotes are ordinary characters
  bool skip_unset_env = false;       // leave references to unset variables as written

  // Expands `word`. Errors read like BuildKit's: `failed to process "X": ...`.
  Result<ExpandResult> Process(std::string_view word, const VarLookup& env) const;
  Result<std::string> ProcessWord(std::string_view word, const VarLookup& env) const;
  Result<std::vector<std::string>> ProcessWords(std::string_view word, const VarLookup& env) const;

 private:
  char32_t escape_;
};

// Go's strconv.Quote, used where BuildKit formats with %q (one implementation, in text_util).
using text::GoQuote;

}  // namespace kiln::frontend
