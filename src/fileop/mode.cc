#include "fileop/mode.h"

#include <sys/stat.h>

namespace kiln::fileop {
namespace {

constexpr mode_t kUser = S_IRWXU | S_ISUID;
constexpr mode_t kGroup = S_IRWXG | S_ISGID;
constexpr mode_t kOther = S_IRWXO | S_ISVTX;

Status Bad(const std::string& s, const std::string& why) {
  return Status::InvalidArgument("invalid --chmod \"" + s + "\": " + why)
      .WithHint("use octal (\"755\") or symbolic modes like \"u+x,g-w\" or \"a=rX\"");
}

}  // namespace

Result<ModeSpec> ModeSpec::Parse(const std::string& s) {
  ModeSpec spec;
  if (s.empty()) return spec;
  if (s.find_first_not_of("01234567") == std::string::npos) {
    if (s.size() > 5) return Bad(s, "octal mode too large");
    mode_t m = static_cast<mode_t>(std::stoul(s, nullptr, 8));
    if (m > 07777) return Bad(s, "octal mode too large");
    spec.octal_ = m;
    return spec;
  }
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    std::string part = s.substr(i, j - i);
    i = j + 1;
    if (part.empty()) return Bad(s, "empty clause");
    size_t k = 0;
    mode_t who = 0;
    for (; k < part.size() && std::string("ugoa").find(part[k]) != std::string::npos; ++k) {
      switch (part[k]) {
        case 'u': who |= kUser; break;
        case 'g': who |= kGroup; break;
        case 'o': who |= kOther; break;
        default: who |= kUser | kGroup | kOther;
      }
    }
    if (who == 0) who = kUser | kGroup | kOther;
    if (k == part.size()) return Bad(s, "missing operator (+, - or =) in \"" + part + "\"");
    // One or more "op perms" groups, e.g. "u=rw+x" is not common but chmod accepts it.
    while (k < part.size()) {
      char op = part[k];
      if (op != '+' && op != '-' && op != '=') {
        return Bad(s, std::string("unexpected '") + op + "' in \"" + part + "\"");
      }
      ++k;
      size_t start = k;
      while (k < part.size() && std::string("rwxXstugo").find(part[k]) != std::string::npos) ++k;
      std::string perms = part.substr(start, k - start);
      if (perms.find_first_of("ugo") != std::string::npos && perms.size() != 1) {
        return Bad(s, "a permission copy (u, g or o) must stand alone in \"" + part + "\"");
      }
      spec.clauses_.push_back({who, op, perms});
    }
    if (j == s.size()) break;
  }
  return spec;
}

mode_t ModeSpec::Apply(mode_t mode, bool is_dir) const {
  mode &= 07777;
  if (octal_) return (mode & ~0777) | (*octal_ & 0777) | (*octal_ & 07000);
  for (const auto& c : clauses_) {
    mode_t bits = 0;
    if (c.perms == "u" || c.perms == "g" || c.perms == "o") {
      mode_t src = c.perms == "u" ? (mode >> 6) & 7 : c.perms == "g" ? (mode >> 3) & 7 : mode & 7;
      bits = (src << 6) | (src << 3) | src;
    } else {
      for (char p : c.perms) {
        switch (p) {
          case 'r': bits |= 0444; break;
          case 'w': bits |= 0222; break;
          case 'x': bits |= 0111; break;
          case 'X': if (is_dir || (mode & 0111)) bits |= 0111; break;
          case 's': bits |= S_ISUID | S_ISGID; break;
          case 't': bits |= S_ISVTX; break;
        }
      }
    }
    bits &= c.who;
    if (c.op == '+') mode |= bits;
    else if (c.op == '-') mode &= ~bits;
    else mode = (mode & ~(c.who & 0777)) | bits;
  }
  return mode;
}

}  // namespace kiln::fileop
