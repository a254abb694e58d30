// Mirrors BuildKit's frontend/dockerfile/parser line parsers (behaviour, not
// code): the dispatch table, parseWords, parseNameVal, parseJSON and friends.
#include "frontend/line_parsers.h"

#include <algorithm>

#include "frontend/json_array.h"
#include "frontend/suggest.h"
#include "frontend/text_util.h"

namespace kiln::frontend::internal {
namespace {

using text::IsSpace;

size_t OffsetIn(std::string_view outer, std::string_view inner) {
  return static_cast<size_t>(inner.data() - outer.data());
}

enum class Kind {
  kMaybeJsonToList,   // ADD, COPY, VOLUME
  kNameOrNameVal,     // ARG
  kMaybeJson,         // CMD, ENTRYPOINT, RUN, SHELL
  kNameVal,           // ENV, LABEL
  kWhitespace,        // EXPOSE, FROM
  kHealthcheck,
  kString,            // MAINTAINER, STOPSIGNAL, USER, WORKDIR
  kSubCommand,        // ONBUILD
};

struct Entry {
  const char* name;
  Kind kind;
};

constexpr Entry kDispatch[] = {
    {"add", Kind::kMaybeJsonToList},   {"arg", Kind::kNameOrNameVal},
    {"cmd", Kind::kMaybeJson},         {"copy", Kind::kMaybeJsonToList},
    {"entrypoint", Kind::kMaybeJson},  {"env", Kind::kNameVal},
    {"expose", Kind::kWhitespace},     {"from", Kind::kWhitespace},
    {"healthcheck", Kind::kHealthcheck}, {"label", Kind::kNameVal},
    {"maintainer", Kind::kString},     {"onbuild", Kind::kSubCommand},
    {"run", Kind::kMaybeJson},         {"shell", Kind::kMaybeJson},
    {"stopsignal", Kind::kString},     {"user", Kind::kString},
    {"volume", Kind::kMaybeJsonToList}, {"workdir", Kind::kString},
};

const Entry* Lookup(std::string_view lower) {
  for (const Entry& e : kDispatch)
    if (lower == e.name) return &e;
  return nullptr;
}

// parseStringsWhitespaceDelimited.
void WhitespaceDelimited(std::string_view rest, size_t base, RawNode* out) {
  if (rest.empty()) return;
  for (std::string_view piece : text::SplitBlanks(rest, -1))
    out->args.push_back({std::string(piece), base + OffsetIn(rest, piece)});
}

// parseJSON; returns the JSON outcome and fills out->args on success.
JsonArrayResult Json(std::string_view rest, size_t base, RawNode* out, LineError* err) {
  std::vector<JsonString> items;
  size_t bad = 0;
  JsonArrayResult r = ParseJsonArray(rest, &items, &bad);
  if (r == JsonArrayResult::kOk) {
    out->json = true;
    for (auto& it : items) out->args.push_back({std::move(it.value), base + it.offset});
  } else if (r == JsonArrayResult::kNotStrings) {
    err->message = "when using JSON array syntax, arrays must be comprised of strings only";
    err->hint = "quote every element, e.g. [\"sleep\", \"10\"]";
    err->offset = base + bad;
  }
  return r;
}

bool MaybeJson(std::string_view rest, size_t base, RawNode* out, LineError* err) {
  if (rest.empty()) return true;
  JsonArrayResult r = Json(rest, base, out, err);
  if (r == JsonArrayResult::kNotStrings) return false;
  if (r == JsonArrayResult::kNotArray) out->args.push_back({std::string(rest), base});
  return true;
}

bool MaybeJsonToList(std::string_view rest, size_t base, RawNode* out, LineError* err) {
  JsonArrayResult r = Json(rest, base, out, err);
  if (r == JsonArrayResult::kNotStrings) return false;
  if (r == JsonArrayResult::kNotArray) WhitespaceDelimited(rest, base, out);
  return true;
}

// parseNameVal: `KEY name value` (legacy) or `KEY a=b c=d`.
bool NameVal(std::string_view rest, size_t base, std::string_view key, char escape,
             RawNode* out, LineError* err) {
  std::vector<Word> words = ParseWords(rest, base, escape);
  if (words.empty()) return true;
  if (words[0].text.find('=') == std::string::npos) {
    std::vector<std::string_view> parts = text::SplitBlanks(rest, 2);
    if (parts.size() < 2) {
      err->message = std::string(key) + " must have two arguments";
      err->hint = "give " + std::string(key) + " a value: `" + std::string(key) + " " +
                  std::string(rest) + "=value`";
      err->offset = base;
      return false;
    }
    out->args.push_back({std::string(parts[0]), base + OffsetIn(rest, parts[0])});
    out->args.push_back({std::string(parts[1]), base + OffsetIn(rest, parts[1])});
    out->args.push_back({"", base + OffsetIn(rest, parts[1])});
    return true;
  }
  for (Word& w : words) {
    size_t eq = w.text.find('=');
    if (eq == std::string::npos) {
      err->message = "Syntax error - can't find = in " + text::GoQuote(w.text) +
                     ". Must be of the form: name=value";
      err->hint = "write every " + std::string(key) + " entry as name=value (quote values with spaces)";
      err->offset = w.offset;
      return false;
    }
    out->args.push_back({w.text.substr(0, eq), w.offset});
    out->args.push_back({w.text.substr(eq + 1), w.offset + eq + 1});
    out->args.push_back({"=", w.offset + eq});
  }
  return true;
}

// parseHealthConfig: the type word (CMD, NONE, ...) then parseMaybeJSON.
bool Healthcheck(std::string_view rest, size_t base, RawNode* out, LineError* err) {
  size_t sep = 0;
  while (sep < rest.size() && !text::IsSpaceByte(static_cast<unsigned char>(rest[sep]))) ++sep;
  size_t next = sep;
  while (next < rest.size() && text::IsSpaceByte(static_cast<unsigned char>(rest[next]))) ++next;
  if (sep == 0) return true;
  out->args.push_back({std::string(rest.substr(0, sep)), base});
  return MaybeJson(rest.substr(next), base + next, out, err);
}

void ShiftOffsets(RawNode* n, size_t by) {
  n->keyword_offset += by;
  for (Word& w : n->flags) w.offset += by;
  for (Word& w : n->args) w.offset += by;
  for (RawNode& c : n->child) ShiftOffsets(&c, by);
}

bool UnknownInstruction(std::string_view keyword, size_t offset, LineError* err) {
  Suggestion s = SuggestInstruction(keyword);
  err->message = "unknown instruction: " + std::string(keyword);
  if (!s.text.empty()) err->message += " (did you mean " + s.text + "?)";
  err->hint = s.hint;
  err->offset = offset;
  return false;
}

}  // namespace

const std::vector<std::string>& KnownInstructions() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Entry& e : kDispatch) v.push_back(e.name);
    return v;
  }();
  return names;
}

bool IsKnownInstruction(std::string_view lower) { return Lookup(lower) != nullptr; }

std::vector<Word> ParseWords(std::string_view rest, size_t base, char escape) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::vector<Word> words;
  std::string word;
  size_t word_start = 0;
  char32_t quote = 0;
  bool blank_ok = false;
  size_t width = 0;
  char32_t ch = 0;
  for (size_t pos = 0; pos <= rest.size(); pos += width) {
    if (pos != rest.size()) ch = text::DecodeRune(rest, pos, &width);
    if (phase == kSpaces) {
      if (pos == rest.size()) break;
      if (IsSpace(ch)) continue;
      phase = kWord;
      word_start = pos;
    }
    if (pos == rest.size()) {  // in a word or a quote at the end of input
      if (blank_ok || !word.empty()) words.push_back({word, base + word_start});
      break;
    }
    // Appends the current rune as the original bytes (or U+FFFD when invalid).
    auto put = [&](size_t at, size_t w, char32_t r) {
      if (r == text::kRuneError && w == 1)
        text::AppendRune(word, r);
      else
        word.append(rest.substr(at, w));
    };
    if (phase == kWord) {
      if (IsSpace(ch)) {
        phase = kSpaces;
        if (blank_ok || !word.empty()) words.push_back({word, base + word_start});
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = kQuote;
      }
      if (escape != '\0' && ch == static_cast<char32_t>(escape)) {
        if (pos + width == rest.size()) continue;  // an escape at the very end is dropped
        put(pos, width, ch);
        pos += width;
        ch = text::DecodeRune(rest, pos, &width);
      }
      put(pos, width, ch);
      continue;
    }
    // kQuote
    if (ch == quote) phase = kWord;
    if (escape != '\0' && ch == static_cast<char32_t>(escape) && quote != '\'') {
      if (pos + width == rest.size()) {
        phase = kWord;
        continue;
      }
      put(pos, width, ch);
      pos += width;
      ch = text::DecodeRune(rest, pos, &width);
    }
    put(pos, width, ch);
  }
  return words;
}

bool ParseInstructionLine(std::string_view line, char escape, RawNode* out, LineError* err) {
  // splitCommand: the keyword, then flags, then the (trimmed) rest.
  std::string_view trimmed = text::TrimSpace(line);
  std::vector<std::string_view> cmdline = text::SplitBlanks(trimmed, 2);
  out->keyword = std::string(cmdline[0]);
  out->keyword_offset = OffsetIn(line, cmdline[0]);
  std::string_view rest;
  size_t rest_base = OffsetIn(line, trimmed) + trimmed.size();
  if (cmdline.size() == 2) {
    rest = ExtractFlags(cmdline[1], OffsetIn(line, cmdline[1]), &out->flags);
    rest = text::TrimSpace(rest);
    rest_base = OffsetIn(line, rest);
  }
  std::string lower = text::ToLower(out->keyword);
  const Entry* e = Lookup(lower);
  if (e == nullptr) return UnknownInstruction(out->keyword, out->keyword_offset, err);
  switch (e->kind) {
    case Kind::kMaybeJsonToList:
      return MaybeJsonToList(rest, rest_base, out, err);
    case Kind::kNameOrNameVal:
      out->args = ParseWords(rest, rest_base, escape);
      return true;
    case Kind::kMaybeJson:
      return MaybeJson(rest, rest_base, out, err);
    case Kind::kNameVal:
      return NameVal(rest, rest_base, text::ToUpper(lower), escape, out, err);
    case Kind::kWhitespace:
      WhitespaceDelimited(rest, rest_base, out);
      return true;
    case Kind::kHealthcheck:
      return Healthcheck(rest, rest_base, out, err);
    case Kind::kString:
      if (!rest.empty()) out->args.push_back({std::string(rest), rest_base});
      return true;
    case Kind::kSubCommand: {
      if (rest.empty()) return true;
      // BuildKit rejects this when it builds instructions; rejecting it here
      // also bounds the recursion.
      std::string_view next_kw = text::SplitBlanks(rest, 2)[0];
      if (text::ToLower(next_kw) == "onbuild") {
        err->message = "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed";
        err->hint = "write a single ONBUILD followed by the instruction to run later";
        err->offset = rest_base;
        return false;
      }
      RawNode child;
      if (!ParseInstructionLine(rest, escape, &child, err)) {
        err->offset += rest_base;
        return false;
      }
      ShiftOffsets(&child, rest_base);  // child offsets are relative to `rest`
      out->child.push_back(std::move(child));
      return true;
    }
  }
  return true;
}

std::string_view ExtractFlags(std::string_view line, size_t base, std::vector<Word>* flags) {
  enum { kSpaces, kWord, kQuote } phase = kSpaces;
  std::string word;
  size_t word_start = 0;
  char quote = 0;
  bool blank_ok = false;
  // BuildKit walks bytes and writes each as a rune: bytes >= 0x80 come out
  // re-encoded as UTF-8 of U+0080..U+00FF. Mirrored on purpose.
  auto put = [&](unsigned char c) { text::AppendRune(word, c); };
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    unsigned char ch = pos < line.size() ? static_cast<unsigned char>(line[pos]) : 0;
    if (phase == kSpaces) {
      if (pos == line.size()) break;
      if (text::IsSpaceByte(ch)) continue;
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') return line.substr(pos);
      phase = kWord;
      word_start = pos;
    }
    if (pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) flags->push_back({word, base + word_start});
      break;
    }
    if (phase == kWord) {
      if (text::IsSpaceByte(ch)) {
        phase = kSpaces;
        if (word == "--") return line.substr(pos);
        if (blank_ok || !word.empty()) flags->push_back({word, base + word_start});
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = static_cast<char>(ch);
        blank_ok = true;
        phase = kQuote;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == line.size()) continue;
        ++pos;
        ch = static_cast<unsigned char>(line[pos]);
      }
      put(ch);
      continue;
    }
    // kQuote
    if (ch == static_cast<unsigned char>(quote)) {
      phase = kWord;
      continue;
    }
    if (ch == '\\') {
      if (pos + 1 == line.size()) {
        phase = kWord;
        continue;
      }
      ++pos;
      ch = static_cast<unsigned char>(line[pos]);
    }
    put(ch);
  }
  return line.substr(line.size());
}

}  // namespace kiln::frontend::internal
