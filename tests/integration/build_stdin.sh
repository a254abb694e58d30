#!/usr/bin/env bash
# `kiln build -` as `docker build -`: stdin is a Dockerfile alone (empty context)
# or a tar of the context (compressed or not; -f is relative to it). Nothing of
# the unpacked context is left behind in kiln's root.
source "$SRC/tests/lib/build_base.sh"
printf 'FROM %s\nRUN echo from-stdin > /x\n' "$BASE" | kb -o "type=local,dest=$WORK/o1" - >"$WORK/log1" 2>&1 ||
  { cat "$WORK/log1"; fail "Dockerfile on stdin"; }
[ "$(cat "$WORK/o1/x")" = from-stdin ] || fail "Dockerfile on stdin: output"

mkdir -p "$WORK/tc/sub"
printf 'FROM %s\nCOPY sub/a /a\n' "$BASE" > "$WORK/tc/sub/Dockerfile.x"
echo in-tar > "$WORK/tc/sub/a"
tar -C "$WORK/tc" -cz . | kb -f sub/Dockerfile.x -o "type=local,dest=$WORK/o2" - >"$WORK/log2" 2>&1 ||
  { cat "$WORK/log2"; fail "tar.gz context on stdin"; }
[ "$(cat "$WORK/o2/a")" = in-tar ] || fail "tar context: output"

# A lone Dockerfile has an empty context: COPY fails, naming the file.
if printf 'FROM %s\nCOPY a /a\n' "$BASE" | kb -o "type=local,dest=$WORK/o3" - >"$WORK/log3" 2>&1; then
  fail "COPY from an empty stdin context succeeded"
fi
grep -q '"/a": not found' "$WORK/log3" || { cat "$WORK/log3"; fail "empty context error"; }
if printf 'FROM %s\n' "$BASE" | "$KILN" build -f - - >"$WORK/log4" 2>&1; then fail "-f - with context -"; fi
grep -q "cannot both come from stdin" "$WORK/log4" || { cat "$WORK/log4"; fail "-f - - error"; }
left=$(find "$KILN_ROOT/tmp" -maxdepth 1 -name 'stdin-context*' | wc -l)
[ "$left" = 0 ] || fail "stdin contexts left in $KILN_ROOT/tmp"
echo "build_stdin: ok"
