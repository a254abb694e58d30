#!/usr/bin/env bash
# kiln lint end to end: exit codes, thresholds, config precedence, formats,
# stdin, pragmas, --build-arg and the pre-commit hook definition.
set -euo pipefail
: "${KILN:?}" "${SRC:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
export HOME="$t/home" XDG_CONFIG_HOME="$t/xdg"
mkdir -p "$HOME" "$XDG_CONFIG_HOME"
unset NO_COLOR $(env | grep -o '^HADOLINT_[A-Z_]*' || true)
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_exit() {  # expect_exit CODE CMD...
  local want=$1; shift
  set +e; "$@" >"$t/out" 2>"$t/err"; local got=$?; set -e
  [ "$got" = "$want" ] || { cat "$t/out" "$t/err" >&2; fail "exit $got, want $want: $*"; }
}

printf 'FROM debian:12\nRUN echo ok\n' > clean.Dockerfile
printf 'FROM debian\nRUN cd /tmp\n' > warn.Dockerfile
printf 'FROM debian:12\nLABEL Key=v\n' > style.Dockerfile
printf 'FROM debian:12\nFOO bar\n' > broken.Dockerfile

# Exit codes and thresholds
expect_exit 0 "$KILN" lint --no-shellcheck clean.Dockerfile
[ ! -s "$t/out" ] || fail "clean file printed findings"
expect_exit 1 "$KILN" lint --no-shellcheck warn.Dockerfile
grep -q '^warn.Dockerfile:1 DL3006 warning: Always tag the version of an image explicitly$' "$t/out" || fail "tty line"
expect_exit 0 "$KILN" lint --no-shellcheck --no-fail warn.Dockerfile
expect_exit 0 "$KILN" lint --no-shellcheck -t error warn.Dockerfile
expect_exit 1 "$KILN" lint --no-shellcheck -t warning warn.Dockerfile
expect_exit 0 "$KILN" lint --no-shellcheck style.Dockerfile            # style < info (default threshold)
expect_exit 1 "$KILN" lint --no-shellcheck -t style style.Dockerfile
expect_exit 1 "$KILN" lint --no-shellcheck -t none style.Dockerfile
expect_exit 1 "$KILN" lint --no-shellcheck -t bogus warn.Dockerfile
expect_exit 0 "$KILN" lint --no-shellcheck -f codacy warn.Dockerfile      # as hadolint: codacy and
expect_exit 0 "$KILN" lint --no-shellcheck -f codeclimate warn.Dockerfile # codeclimate exit 0
expect_exit 1 "$KILN" lint missing.Dockerfile
grep -q 'missing.Dockerfile' "$t/err" || fail "missing file error names the file"

# Parse errors are DL1000 with line and column
expect_exit 1 "$KILN" lint --no-shellcheck -f json broken.Dockerfile
grep -q '"code":"DL1000","column":1,"file":"broken.Dockerfile","level":"error","line":2' "$t/out" || fail "DL1000 json"

# An empty or comment-only Dockerfile has no findings (as in hadolint)
printf '# only a comment\n' > comments.Dockerfile
expect_exit 0 "$KILN" lint --no-shellcheck comments.Dockerfile
: > empty.Dockerfile
expect_exit 0 "$KILN" lint --no-shellcheck empty.Dockerfile

# stdin and --file-path-in-report
expect_exit 1 sh -c "\"$KILN\" lint --no-shellcheck -f json - < warn.Dockerfile"
grep -q '"file":"-"' "$t/out" || fail "stdin file name"
expect_exit 1 "$KILN" lint --no-shellcheck -f json --file-path-in-report src/Dockerfile warn.Dockerfile
grep -q '"file":"src/Dockerfile"' "$t/out" || fail "file-path-in-report"

# Severity overrides and ignores from flags
expect_exit 0 "$KILN" lint --no-shellcheck --ignore DL3006 --ignore DL3003 warn.Dockerfile
expect_exit 0 "$KILN" lint --no-shellcheck --style DL3006 --style DL3003 warn.Dockerfile
expect_exit 1 "$KILN" lint --no-shellcheck --error DL3048 -t error style.Dockerfile

# Config file in $PWD, then env beats it, then flags beat env
printf 'failure-threshold: error\n' > .hadolint.yaml
expect_exit 0 "$KILN" lint --no-shellcheck warn.Dockerfile
expect_exit 1 env HADOLINT_FAILURE_THRESHOLD=warning "$KILN" lint --no-shellcheck warn.Dockerfile
expect_exit 0 env HADOLINT_FAILURE_THRESHOLD=warning "$KILN" lint --no-shellcheck -t error warn.Dockerfile
rm .hadolint.yaml
printf 'ignored: [DL3006, DL3003]\n' > "$XDG_CONFIG_HOME/hadolint.yaml"
expect_exit 0 "$KILN" lint --no-shellcheck warn.Dockerfile
printf 'ignored: [DL3006]\n' > other.yaml
expect_exit 1 "$KILN" lint --no-shellcheck -c other.yaml warn.Dockerfile   # -c replaces the search
grep -q DL3003 "$t/out" || fail "-c config"
expect_exit 1 "$KILN" lint -c nonexistent.yaml warn.Dockerfile
printf 'ignored: [DL3006\n' > bad.yaml
expect_exit 1 "$KILN" lint -c bad.yaml warn.Dockerfile
grep -q 'bad.yaml' "$t/err" || fail "bad config names the file"
rm "$XDG_CONFIG_HOME/hadolint.yaml"
expect_exit 0 env HADOLINT_NOFAIL=1 "$KILN" lint --no-shellcheck warn.Dockerfile
expect_exit 0 env HADOLINT_IGNORE=DL3006,DL3003 "$KILN" lint --no-shellcheck warn.Dockerfile

# Formats: repeatable -f, -o
expect_exit 1 "$KILN" lint --no-shellcheck -f json -f checkstyle warn.Dockerfile clean.Dockerfile
grep -q '^\[{"code":"DL3006"' "$t/out" || fail "json first"
grep -q "<checkstyle version='4.3'><file name='warn.Dockerfile' >" "$t/out" || fail "checkstyle second"
expect_exit 1 "$KILN" lint --no-shellcheck -f sarif -o report.sarif warn.Dockerfile
[ ! -s "$t/out" ] || fail "-o still printed to stdout"
grep -q '"version":"2.1.0"' report.sarif || fail "sarif file"
grep -q '"helpUri":"https://github.com/hadolint/hadolint/wiki/DL3006"' report.sarif || fail "sarif rule help URI"
expect_exit 1 "$KILN" lint --no-shellcheck -f junit warn.Dockerfile clean.Dockerfile
grep -q '<testcase id="hadolint.rule.DL3006" time="0.001">' "$t/out" || fail "junit case"
grep -q 'failures="0" id="hadolint" name="Hadolint 2.15.1" time="0.001"/></testsuites>$' "$t/out" || fail "junit clean suite"
expect_exit 1 env HADOLINT_FORMAT=gnu "$KILN" lint --no-shellcheck warn.Dockerfile
grep -q '^hadolint:warn.Dockerfile:1: DL3006 warning' "$t/out" || fail "HADOLINT_FORMAT"

# Pragmas
printf '# hadolint ignore=DL3006\nFROM debian\n# hadolint global ignore=DL3003\nRUN cd /x\n' > pragma.Dockerfile
expect_exit 0 "$KILN" lint --no-shellcheck pragma.Dockerfile
expect_exit 1 "$KILN" lint --no-shellcheck --disable-ignore-pragma pragma.Dockerfile

# BuildKit checks and --build-arg BUILDKIT_DOCKERFILE_CHECK
printf 'FROM debian:12 AS Build\n' > bk.Dockerfile
expect_exit 1 "$KILN" lint --no-shellcheck bk.Dockerfile     # BuildKit's checks in the same pass
grep -q 'StageNameCasing warning: Stage name' "$t/out" || fail "build check"
expect_exit 0 "$KILN" lint --no-shellcheck --no-build-checks bk.Dockerfile   # hadolint's findings only
expect_exit 0 "$KILN" lint --no-shellcheck --build-arg BUILDKIT_DOCKERFILE_CHECK=skip=StageNameCasing bk.Dockerfile
expect_exit 1 "$KILN" lint --no-shellcheck --build-arg BUILDKIT_DOCKERFILE_CHECK=error=true bk.Dockerfile

# ShellCheck (when installed), and a missing shellcheck gives one notice
printf 'FROM debian:12\nRUN echo $1\n' > sc.Dockerfile
if command -v shellcheck >/dev/null; then
  expect_exit 1 "$KILN" lint sc.Dockerfile
  grep -q '^sc.Dockerfile:2 SC2086 info:' "$t/out" || fail "shellcheck finding"
fi
expect_exit 0 env PATH=/nonexistent "$KILN" lint sc.Dockerfile sc.Dockerfile
[ "$(grep -c 'shellcheck not found' "$t/err")" = 1 ] || fail "one notice"

# Many files in one call are linted in parallel; the report keeps the input order and
# equals the per-file reports one after another (ShellCheck on when installed).
mkdir many
for i in $(seq 1 40); do
  case $((i % 4)) in
    0) printf 'FROM debian\nRUN cd /tmp && echo $%d\n' "$i" ;;
    1) printf 'FROM debian:12\nUSER app%d\n' "$i" ;;
    2) printf 'FROM debian:12\nFOO bar\n' ;;
    3) printf 'FROM alpine:3\nRUN apk add curl && ls *.%d\n' "$i" ;;
  esac > "many/$i.Dockerfile"
done
order=$(seq 40 -1 1 | sed 's|.*|many/&.Dockerfile|')
expect_exit 1 "$KILN" lint $order
cp "$t/out" many.out
: > each.out
for f in $order; do "$KILN" lint "$f" >> each.out 2>/dev/null || true; done
cmp -s many.out each.out || { diff each.out many.out >&2; fail "one call differs from the per-file reports"; }
[ "$(cut -d: -f1 many.out | uniq)" = "$order" ] || fail "report not in input order"

# The version: hadolint's words and the release matched, then kiln's
expect_exit 0 "$KILN" lint --version
grep -q '^Haskell Dockerfile Linter 2.15.1 (kiln lint ' "$t/out" || fail "--version"
expect_exit 0 "$KILN" lint -v
grep -q '^Haskell Dockerfile Linter 2.15.1 ' "$t/out" || fail "-v"

# The rule list and the pre-commit hook
expect_exit 0 "$KILN" lint --list-rules
grep -q '^DL3008 .*warning.*docs/lint/DL3008.md' "$t/out" || fail "--list-rules"
grep -q 'id: kiln-lint' "$SRC/.pre-commit-hooks.yaml" || fail "pre-commit hook"
echo "lint_cli: ok"
