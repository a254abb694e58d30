#!/usr/bin/env bash
# The binary starts, prints its version and help, and rejects unknown commands
# by name (listing the commands, suggesting the nearest) while real ones parse.
set -euo pipefail
"$KILN" --version | grep -q '^kiln [0-9]'
"$KILN" --help | grep -q 'kiln'
if "$KILN" no-such-command 2>/dev/null; then echo "unknown command accepted"; exit 1; fi

unknown() {  # WORD ARGS... : `kiln ARGS` must fail naming WORD and listing the commands
  local word=$1 err rc=0
  shift
  err=$("$KILN" "$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -ne 0 ] || { echo "kiln $* exited 0"; exit 1; }
  grep -q "unknown command \"$word\"" <<<"$err" || { echo "kiln $*: $err"; exit 1; }
  grep -q 'build, lint' <<<"$err" || { echo "kiln $*: no command list: $err"; exit 1; }
  if grep -q 'context is required' <<<"$err"; then echo "kiln $*: $err"; exit 1; fi
  out=$err
}
unknown compose compose build; grep -q 'kiln --help' <<<"$out"
unknown biuld biuld; grep -q 'did you mean `kiln build`' <<<"$out"
unknown imgaes --root /tmp/kiln-nowhere imgaes; grep -q 'did you mean `kiln images`' <<<"$out"
unknown xyzzy --log-level=info xyzzy
if grep -q 'did you mean' <<<"$out"; then echo "far word got a suggestion: $out"; exit 1; fi

# Real commands and global options still parse: a positional after build is a context.
err=$("$KILN" --root /tmp/kiln-nowhere build 2>&1 >/dev/null) && exit 1 || true
grep -q 'context is required' <<<"$err" || { echo "kiln build: $err"; exit 1; }
"$KILN" --log-level warn debug ast - <<<"FROM scratch" | grep -q "from"
help=$("$KILN" build --help)  # not piped into grep -q: its early exit would SIGPIPE kiln
grep -q 'context' <<<"$help"
"$KILN" -- --version 2>/dev/null && { echo "'--' then --version accepted"; exit 1; } || true
echo "cli_basics: ok"
