// A shell-word parse of a RUN script, the way hadolint sees it through
// ShellCheck's parser: every simple command (including those inside $(...),
// backticks, subshells, if/for/while/case bodies and pipelines) with its
// arguments after quote removal, and whether the script has a pipe.
// This is not a shell: no expansion happens; "$X" stays "$X".
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::lint {

struct ShellArg {
  std::string text;  // the word with quotes and escapes removed
  int id = 0;        // position among all words of the script (increasing)
};

struct ShellCommand {
  std::string name;            // the command word ("apt-get", "/bin/sh")
  std::vector<ShellArg> args;  // the words after the name
  std::vector<ShellArg> flags; // "-abc" -> a,b,c; "--x=y" -> x (id of the word)

  // name == n and some argument equals one of `any_of`.
  bool HasArgs(std::string_view n, std::initializer_list<std::string_view> any_of) const;
  bool HasArg(std::string_view a) const;
  bool HasPrefixArg(std::string_view n, std::string_view prefix) const;
  bool HasFlag(std::string_view f) const;
  bool HasAnyFlag(std::initializer_list<std::string_view> fs) const;
  std::vector<std::string> Args() const;
  // Arguments that are not flags ("-x", "--y").
  std::vector<std::string> ArgsNoFlags() const;
  // A copy without the word that follows each of the given flags (their values).
  ShellCommand DropFlagArg(std::initializer_list<std::string_view> fs) const;
  // The values of flag `f` (the word after it).
  std::vector<std::string> FlagArg(std::string_view f) const;
};

struct ParsedShell {
  std::string original;
  std::vector<ShellCommand> commands;  // in source order (nested after their parent)
  bool has_pipes = false;

  bool Uses(std::string_view program) const;
  bool AnyCommand(bool (*pred)(const ShellCommand&)) const;
  // Index of the first command matching, or -1.
  template <typename F>
  int FindIndex(F pred) const {
    for (size_t i = 0; i < commands.size(); ++i)
      if (pred(commands[i])) return static_cast<int>(i);
    return -1;
  }
};

ParsedShell ParseShell(std::string_view script);

// The basename of a shell path: "/bin/bash" -> "bash".
std::string ShellBasename(std::string_view path);

}  // namespace kiln::lint
