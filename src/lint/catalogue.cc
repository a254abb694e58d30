#include "lint/catalogue.h"

#include <algorithm>
#include <cctype>

namespace kiln::lint {

namespace {
using S = Severity;
constexpr RuleKind BK = RuleKind::kBuildCheck;
constexpr RuleKind HL = RuleKind::kHadolint;

const std::vector<RuleInfo> kRules = {
    {"DL1001", S::kIgnore, "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`."},
    {"DL3000", S::kError, "Use absolute WORKDIR."},
    {"DL3001", S::kInfo,
     "For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, "
     "`shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`"},
    {"DL3002", S::kWarning, "Last USER should not be root."},
    {"DL3003", S::kWarning, "Use WORKDIR to switch to a directory."},
    {"DL3004", S::kError, "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root"},
    {"DL3006", S::kWarning, "Always tag the version of an image explicitly"},
    {"DL3007", S::kWarning,
     "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag"},
    {"DL3008", S::kWarning,
     "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install "
     "<package>=<version>`"},
    {"DL3009", S::kInfo, "Delete the apt-get lists after installing something."},
    {"DL3010", S::kInfo, "Use `ADD` for extracting archives into an image."},
    {"DL3011", S::kError, "Valid UNIX ports range from 0 to 65535"},
    {"DL3012", S::kError, "Multiple `HEALTHCHECK` instructions."},
    {"DL3013", S::kWarning,
     "Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip "
     "install --requirement <requirements file>`."},
    {"DL3014", S::kWarning, "Use the `-y` switch to avoid manual input `apt-get -y install <package>`"},
    {"DL3015", S::kInfo, "Avoid additional packages by specifying `--no-install-recommends`"},
    {"DL3016", S::kWarning, "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`"},
    {"DL3018", S::kWarning, "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`"},
    {"DL3019", S::kInfo,
     "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done "
     "installing packages"},
    {"DL3020", S::kError, "Use COPY instead of ADD for files and folders"},
    {"DL3021", S::kError, "COPY with more than 2 arguments requires the last argument to end with /."},
    {"DL3022", S::kWarning, "COPY --from should reference a previously defined FROM alias"},
    {"DL3023", S::kError, "`COPY --from` cannot reference its own `FROM` alias"},
    {"DL3024", S::kError, "FROM aliases (stage names) must be unique."},
    {"DL3025", S::kWarning, "Use arguments JSON notation for CMD and ENTRYPOINT arguments"},
    {"DL3026", S::kError, "Use only an allowed registry in the FROM image"},
    {"DL3027", S::kWarning, "Do not use apt as it is meant to be a end-user tool, use apt-get or apt-cache instead"},
    {"DL3028", S::kWarning, "Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`."},
    {"DL3029", S::kWarning, "Do not use --platform flag with FROM"},
    {"DL3030", S::kWarning, "Use the -y switch to avoid manual input `yum install -y <package`"},
    {"DL3032", S::kWarning, "`yum clean all` missing after yum command."},
    {"DL3033", S::kWarning, "Specify version with `yum install -y <package>-<version>`."},
    {"DL3034", S::kWarning, "Non-interactive switch missing from `zypper` command: `zypper install -y`"},
    {"DL3035", S::kWarning, "Do not use `zypper dist-upgrade`."},
    {"DL3036", S::kWarning, "`zypper clean` missing after zypper use."},
    {"DL3037", S::kWarning, "Specify version with `zypper install -y <package>=<version>`."},
    {"DL3038", S::kWarning, "Use the -y switch to avoid manual input `dnf install -y <package>`."},
    {"DL3040", S::kWarning, "`dnf clean all` missing after dnf command."},
    {"DL3041", S::kWarning, "Specify version with `dnf install -y <package>-<version>`."},
    {"DL3042", S::kWarning, "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`."},
    {"DL3043", S::kError, "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction."},
    {"DL3044", S::kError, "Do not refer to an environment variable within the same `ENV` statement where it is defined."},
    {"DL3045", S::kWarning, "`COPY` to a relative destination without `WORKDIR` set."},
    {"DL3046", S::kWarning, "`useradd` without flag `-l` and high UID will result in excessively large Image."},
    {"DL3047", S::kInfo,
     // sic: hadolint 2.12 has no space after "<url>`."
     "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`.Or consider using `-q` or "
     "`-nv` (shorthands for `--quiet` or `--no-verbose`)."},
    {"DL3048", S::kStyle, "Invalid label key."},
    {"DL3049", S::kInfo, "Label `<label>` is missing."},
    {"DL3050", S::kInfo, "Superfluous label(s) present."},
    {"DL3051", S::kWarning, "Label `<label>` is empty."},
    {"DL3052", S::kWarning, "Label `<label>` is not a valid URL."},
    {"DL3053", S::kWarning, "Label `<label>` is not a valid time format - must conform to RFC3339."},
    {"DL3054", S::kWarning, "Label `<label>` is not a valid SPDX license identifier."},
    {"DL3055", S::kWarning, "Label `<label>` is not a valid git hash."},
    {"DL3056", S::kWarning, "Label `<label>` does not conform to semantic versioning."},
    {"DL3057", S::kIgnore, "`HEALTHCHECK` instruction missing."},
    {"DL3058", S::kWarning, "Label `<label>` is not a valid email format - must conform to RFC5322."},
    {"DL3059", S::kInfo, "Multiple consecutive `RUN` instructions. Consider consolidation."},
    {"DL3060", S::kInfo, "`yarn cache clean` missing after `yarn install` was run."},
    {"DL3061", S::kError, "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment."},
    {"DL3062", S::kWarning, "Pin versions in go install. Instead of `go install <package>` use `go install <package>@<version>`"},
    {"DL3063", S::kWarning, "Stage name should not be a reserved word"},
    {"DL3064", S::kWarning, "Potentially sensitive data should not be used in the `ARG` or `ENV` commands"},
    {"DL3065", S::kWarning,
     "Setting `FROM --platform` to predefined `$TARGETPLATFORM` in is redundant as this is the default behavior"},
    {"DL3066", S::kInfo, "Non-numeric user-id may not be resolvable by host system"},
    {"DL3067", S::kWarning, "Do not copy an entire filesystem from another stage"},
    {"DL4000", S::kError, "MAINTAINER is deprecated"},
    {"DL4001", S::kWarning, "Either use Wget or Curl but not both."},
    {"DL4003", S::kWarning,
     "Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect"},
    {"DL4004", S::kError,
     "Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last "
     "`ENTRYPOINT` will take effect"},
    {"DL4005", S::kWarning, "Use SHELL to change the default shell"},
    {"DL4006", S::kWarning,
     "Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an alpine image or "
     "if your shell is symlinked to busybox then consider explicitly setting your SHELL to /bin/ash, or disable "
     "this check"},
    // BuildKit build checks: the message column holds the rule's description.
    {"StageNameCasing", S::kWarning, "Stage names should be lowercase", BK},
    {"FromAsCasing", S::kWarning, "The 'as' keyword should match the case of the 'from' keyword", BK},
    {"NoEmptyContinuation", S::kWarning, "Empty continuation lines will become errors in a future release", BK},
    {"ConsistentInstructionCasing", S::kWarning,
     "All commands within the Dockerfile should use the same casing (either upper or lower)", BK},
    {"DuplicateStageName", S::kWarning, "Stage names should be unique", BK},
    {"ReservedStageName", S::kWarning, "Reserved words should not be used as stage names", BK},
    {"JSONArgsRecommended", S::kWarning,
     "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals", BK},
    {"MaintainerDeprecated", S::kWarning,
     "The MAINTAINER instruction is deprecated, use a label instead to define an image author", BK},
    {"UndefinedArgInFrom", S::kWarning, "FROM command must use declared ARGs", BK},
    {"WorkdirRelativePath", S::kWarning,
     "Relative workdir without an absolute workdir declared within the build can have unexpected results if the "
     "base image changes",
     BK},
    {"UndefinedVar", S::kWarning, "Variables should be defined before their use", BK},
    {"MultipleInstructionsDisallowed", S::kWarning,
     "Multiple instructions of the same type should not be used in the same stage", BK},
    {"LegacyKeyValueFormat", S::kWarning, "Legacy key/value format with whitespace separator should not be used", BK},
    {"InvalidDefaultArgInFrom", S::kWarning,
     "Default value for global ARG results in an empty or invalid base image name", BK},
    {"FromPlatformFlagConstDisallowed", S::kWarning, "FROM --platform flag should not use a constant value", BK},
    {"RedundantTargetPlatform", S::kWarning,
     "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior", BK},
    {"SecretsUsedInArgOrEnv", S::kWarning, "Sensitive data should not be used in the ARG or ENV commands", BK},
    {"InvalidBaseImagePlatform", S::kWarning, "Base image platform does not match expected target platform", BK},
    {"CopyIgnoredFile", S::kWarning, "Attempting to Copy file that is excluded by .dockerignore", BK},
    {"ExposeProtoCasing", S::kWarning, "Protocol in EXPOSE instruction should be lowercase", BK},
    {"ExposeInvalidFormat", S::kWarning,
     "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a "
     "future release",
     BK},
};
}  // namespace

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kInfo: return "info";
    case Severity::kStyle: return "style";
    case Severity::kIgnore: return "ignore";
  }
  return "ignore";
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "error") return Severity::kError;
  if (l == "warning") return Severity::kWarning;
  if (l == "info") return Severity::kInfo;
  if (l == "style") return Severity::kStyle;
  if (l == "ignore" || l == "none") return Severity::kIgnore;
  return std::nullopt;
}

const std::vector<RuleInfo>& Catalogue() {
  (void)HL;
  return kRules;
}

const RuleInfo* FindRule(std::string_view code) {
  for (const auto& r : kRules)
    if (r.code == code) return &r;
  return nullptr;
}

std::string DocPath(std::string_view code) { return "docs/lint/" + std::string(code) + ".md"; }

std::string BuildCheckUrl(std::string_view code) {
  // Kebab case; a run of capitals is one word ("JSONArgs" -> "json-args").
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  std::string slug;
  for (size_t i = 0; i < code.size(); i++) {
    char c = code[i];
    bool word_start = i > 0 && upper(c) &&
                      (!upper(code[i - 1]) || (i + 1 < code.size() && !upper(code[i + 1])));
    if (word_start) slug += '-';
    slug += upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return "https://docs.docker.com/go/dockerfile/rule/" + slug + "/";
}

std::string HelpUri(std::string_view code) {
  std::string c(code);
  if (c.rfind("DL", 0) == 0) return "https://github.com/hadolint/hadolint/wiki/" + c;
  if (c.rfind("SC", 0) == 0) return "https://www.shellcheck.net/wiki/" + c;
  return BuildCheckUrl(code);
}

}  // namespace kiln::lint
