#include "frontend/suggest.h"

#include <algorithm>
#include <vector>

#include "frontend/line_parsers.h"
#include "frontend/text_util.h"

namespace kiln::frontend {
namespace {

// Commands people write as if they were instructions (usually a RUN that lost
// its keyword, or a line that lost the continuation backslash above it).
constexpr const char* kShellCommands[] = {
    "mkdir", "cd", "echo", "apt", "apt-get", "apk", "yum", "dnf", "microdnf", "zypper",
    "pip", "pip3", "npm", "yarn", "pnpm", "gem", "go", "cargo", "make", "cmake", "git",
    "curl", "wget", "chmod", "chown", "chgrp", "ln", "rm", "cp", "mv", "touch", "cat",
    "tar", "unzip", "sh", "bash", "set", "export", "source", "useradd", "adduser",
    "groupadd", "addgroup", "sed", "ls", "python", "python3", "node", "dotnet", "mvn",
    "gradle", "composer", "install", "update-ca-certificates", "ldconfig", "sudo",
    "test", "if", "for", "then", "fi", "do", "done", "true", "exit", "printf", "find",
    "xargs", "grep", "awk", "gpg", "dpkg", "rpm", "conda", "bundle", "rustup", "php",
    "java", "javac", "ruby", "perl", "systemctl", "service", "&&", "||", "|", ";",
};

bool IsShellCommand(const std::string& lower) {
  for (const char* c : kShellCommands)
    if (lower == c) return true;
  return false;
}

// Characters no instruction has but command lines often do.
bool LooksLikeShell(const std::string& lower) {
  return lower.find_first_of("-./&|;$=") != std::string::npos;
}

}  // namespace

int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

Suggestion SuggestInstruction(std::string_view keyword) {
  Suggestion s;
  std::string lower = text::ToLower(keyword);
  const std::string list =
      "instructions are FROM, RUN, COPY, ADD, ENV, ARG, WORKDIR, USER, CMD, ENTRYPOINT, "
      "EXPOSE, VOLUME, LABEL, HEALTHCHECK, SHELL, STOPSIGNAL, ONBUILD, MAINTAINER";
  if (lower.empty()) {
    s.hint = "a continuation line (ending in the escape character) has no instruction after it; "
             "remove the trailing escape character or write the instruction";
    return s;
  }
  bool shell = IsShellCommand(lower);
  if (!shell && lower.size() <= 40) {
    int best = -1;
    std::string match;
    for (const std::string& name : internal::KnownInstructions()) {
      int d = EditDistance(lower, name);
      if (best < 0 || d < best) {
        best = d;
        match = name;
      }
    }
    int allowed = lower.size() <= 3 ? 1 : 2;
    if (best >= 0 && best <= allowed) {
      s.text = text::ToUpper(match);
      s.hint = "write `" + s.text + "`; " + list;
      return s;
    }
  }
  if (shell || LooksLikeShell(lower)) {
    std::string cmd = shell ? lower : std::string(keyword);
    s.text = "RUN " + cmd;
    s.hint = "run shell commands with `RUN " + cmd +
             " ...`; if this line continues the previous instruction, end the previous line "
             "with the escape character (`\\`)";
    return s;
  }
  s.hint = list;
  return s;
}

}  // namespace kiln::frontend
