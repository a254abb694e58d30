#!/usr/bin/env bash
# Bad Dockerfiles: `kiln debug ast` exits 1 with file:line:col, the line, a caret and a hint.
set -euo pipefail
: "${KILN:?}" "${SRC:?}"
dir="$SRC/tests/fixtures/parser"
fail() { echo "FAIL: $*" >&2; exit 1; }
check() {  # FILE LOCATION MESSAGE
  local f="$dir/$1" err rc=0
  err=$("$KILN" debug ast "$f" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 1 ] || fail "$1: exit status $rc, want 1"
  grep -qF "$f:$2: $3" <<<"$err" || fail "$1: want '$f:$2: $3' in: $err"
  grep -qE '^ +\| *\^$' <<<"$err" || fail "$1: no caret line in: $err"
  grep -q '  hint: ' <<<"$err" || fail "$1: no hint in: $err"
}
check bad-unknown-instruction.Dockerfile.bad 2:1 "unknown instruction: MKDIR (did you mean RUN mkdir?)"
check bad-unterminated-heredoc.Dockerfile.bad 2:5 "unterminated heredoc"
check bad-duplicate-directive.Dockerfile.bad 2:3 "only one escape parser directive can be used"
check bad-flag-without-name.Dockerfile.bad 2:6 "flag without a name"
# An empty file.
empty=$(mktemp); trap 'rm -f "$empty"' EXIT
rc=0; err=$("$KILN" debug ast "$empty" 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 1 ] && grep -q "the Dockerfile is empty" <<<"$err" || fail "empty file: rc=$rc: $err"
# A good file still dumps.
"$KILN" debug ast "$dir/heredocs.Dockerfile" | grep -qF '(run "<<EOF")' || fail "heredocs.Dockerfile dump"
echo "parser errors: ok"
