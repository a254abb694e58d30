#!/usr/bin/env bash
# COPY --parents (Dockerfile frontend 1.7-labs semantics): sources keep their
# directories below the context (or below a "/./" pivot), with wildcards,
# directories, --from a stage and --exclude; an unrelated change stays CACHED.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/ctx"
mkdir -p "$ctx/a/b" "$ctx/c" "$ctx/src/pkg/d" "$ctx/other"
echo x >"$ctx/a/b/x.txt"; echo y >"$ctx/a/b/y.md"; echo z >"$ctx/c/z.txt"
echo go >"$ctx/src/pkg/d/m.go"; echo doc >"$ctx/src/pkg/d/README.md"; echo o >"$ctx/other/o.txt"
cat >"$ctx/Dockerfile" <<'EOF2'
FROM scratch AS stage
COPY --parents a/b/x.txt c/z.txt /tree/

FROM scratch
COPY --parents a/b/x.txt c/z.txt /p/
COPY --parents ./a/b/*.txt /q/
COPY --parents src/./pkg/d/*.go /pivot/
COPY --parents --exclude=**/*.md src/pkg /dir/
COPY --parents --from=stage /tree/./c/*.txt /fromstage/
EOF2
kb -o "type=local,dest=$WORK/out" "$ctx" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "build failed"; }
o="$WORK/out"
( cd "$o" && find . -type f | sort ) >"$WORK/files"
cat >"$WORK/want" <<'EOF2'
./dir/src/pkg/d/m.go
./fromstage/c/z.txt
./p/a/b/x.txt
./p/c/z.txt
./pivot/pkg/d/m.go
./q/a/b/x.txt
EOF2
diff -u "$WORK/want" "$WORK/files" || fail "COPY --parents copied other files than expected"
[ "$(cat "$o/p/a/b/x.txt")" = x ] && [ "$(cat "$o/fromstage/c/z.txt")" = z ] || fail "file contents"

# A missing non-wildcard source is an error, as without --parents.
mkdir -p "$WORK/bad"; printf 'FROM scratch\nCOPY --parents nope/x.txt /p/\n' >"$WORK/bad/Dockerfile"
if kb "$WORK/bad" >"$WORK/bad.log" 2>&1; then fail "a missing source was accepted"; fi
grep -q 'not found' "$WORK/bad.log" || { cat "$WORK/bad.log"; fail "missing source: no 'not found'"; }

# The steps key on the files they copy: an unrelated change keeps them CACHED.
echo changed >"$ctx/other/o.txt"
kb -o "type=local,dest=$WORK/out2" "$ctx" >"$WORK/log2" 2>&1 || { cat "$WORK/log2"; fail "rebuild failed"; }
grep -A1 'COPY --parents ./a/b/\*.txt /q/' "$WORK/log2" | grep -q CACHED || { cat "$WORK/log2"; fail "unrelated change re-ran COPY --parents"; }
echo changed >"$ctx/a/b/x.txt"
kb -o "type=local,dest=$WORK/out3" "$ctx" >"$WORK/log3" 2>&1 || { cat "$WORK/log3"; fail "rebuild failed"; }
[ "$(cat "$WORK/out3/q/a/b/x.txt")" = changed ] || fail "a changed source was not copied again"
echo "build_copy_parents: ok"
