#!/usr/bin/env bash
# One Dockerfile loading (src/build/dockerfile.h) under kiln build, graph and lint:
# the same bad flag or the same Dockerfile outside the context gives the same
# error from each command.
set -euo pipefail
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export KILN_ROOT="$TMP/root"
fail() { echo "flags_consistent: FAIL: $*" >&2; exit 1; }
mkdir -p "$TMP/ctx"
printf 'FROM scratch\nCOPY a /a\n' > "$TMP/ctx/Dockerfile"
echo a > "$TMP/ctx/a"

same_error() {  # pattern, then the shared arguments
  local pat=$1; shift
  if "$KILN" build "$@" "$TMP/ctx" >/dev/null 2>"$TMP/b"; then fail "build accepted $*"; fi
  if "$KILN" graph "$@" "$TMP/ctx" >/dev/null 2>"$TMP/g"; then fail "graph accepted $*"; fi
  grep -q -- "$pat" "$TMP/b" || fail "build $*: $(cat "$TMP/b")"
  cmp -s "$TMP/b" "$TMP/g" || fail "build and graph differ for $*: $(cat "$TMP/b") vs $(cat "$TMP/g")"
}
same_error "--platform bogus: not a platform" --platform bogus
same_error "--build-arg =x: no argument name" --build-arg =x
same_error "--build-context noequals: want NAME=DIR" --build-context noequals
# A Dockerfile in the context that is a symlink to a host file is never read.
echo "FROM scratch" > "$TMP/outside"
ln -s "$TMP/outside" "$TMP/ctx/Evil"
same_error "read Dockerfile" -f "$TMP/ctx/Evil"

# lint reads --build-arg the same way.
if "$KILN" lint --build-arg =x "$TMP/ctx/Dockerfile" >/dev/null 2>"$TMP/l"; then fail "lint accepted --build-arg =x"; fi
grep -q -- "--build-arg =x: no argument name" "$TMP/l" || fail "lint: $(cat "$TMP/l")"
echo "flags_consistent: ok"
