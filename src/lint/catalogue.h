// The rule catalogue as data: every rule kiln lint knows, with hadolint's codes,
// default severities and messages (DL*), and BuildKit's build checks by name.
// ShellCheck findings (SC*) come from shellcheck itself and are not listed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::lint {

// The hadolint release whose rules, messages, config and output kiln lint matches.
inline constexpr const char* kHadolintVersion = "2.15.1";

// Ordered from most to least severe, as hadolint orders them.
enum class Severity { kError = 0, kWarning, kInfo, kStyle, kIgnore };

const char* SeverityName(Severity s);  // "error", "warning", "info", "style", "ignore"
// Accepts error|warning|info|style|ignore|none (none == ignore); case-insensitive.
std::optional<Severity> ParseSeverity(std::string_view s);

enum class RuleKind { kHadolint, kBuildCheck };

struct RuleInfo {
  std::string_view code;      // "DL3006", "StageNameCasing"
  Severity severity;          // default severity
  std::string_view message;   // hadolint's message; BuildKit's description
  RuleKind kind = RuleKind::kHadolint;
  std::string_view summary = {};  // BuildKit: the rule's description (docs)
};

const std::vector<RuleInfo>& Catalogue();
const RuleInfo* FindRule(std::string_view code);
// "docs/lint/DL3006.md", relative to the repository root.
std::string DocPath(std::string_view code);
// A BuildKit check's documentation URL, as BuildKit prints it:
// "JSONArgsRecommended" -> https://docs.docker.com/go/dockerfile/rule/json-args-recommended/
std::string BuildCheckUrl(std::string_view code);
// Where a rule is documented: hadolint's wiki page for DL*, ShellCheck's wiki
// for SC*, BuildKit's docs (BuildCheckUrl) for build checks.
std::string HelpUri(std::string_view code);

}  // namespace kiln::lint
