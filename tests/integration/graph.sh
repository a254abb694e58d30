#!/usr/bin/env bash
# kiln graph / kiln outline over tests/fixtures/lower: reachable stages only,
# stable digests, ARG/ENV resolution, COPY --from by index and name, errors
# with file:line:column, a caret and a hint.
set -euo pipefail
FIX="$SRC/tests/fixtures/lower"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "graph.sh: $*" >&2; exit 1; }

# --- multi-stage: the unused failing stage never matters -----------------------
"$KILN" graph "$FIX/multistage" > "$TMP/g1.json"
"$KILN" graph "$FIX/multistage" > "$TMP/g2.json"
cmp -s "$TMP/g1.json" "$TMP/g2.json" || fail "graph output differs between runs"
jq -e '[.ops[].metadata.description] | map(select(test("broken"))) | length == 0' "$TMP/g1.json" >/dev/null \
  || fail "the unused stage appears in the graph"
for d in "[builder 1/4] FROM docker.io/library/busybox:1.36" "[builder 2/4] WORKDIR /src" \
         "[builder 3/4] COPY app.sh ." "[stage-2 1/2] COPY --from=builder /out.txt /out.txt" \
         "[stage-2 2/2] COPY --from=0 /src/app.sh /app.sh" "[internal] load build context"; do
  jq -e --arg d "$d" '[.ops[].metadata.description] | index($d) != null' "$TMP/g1.json" >/dev/null \
    || fail "missing op description: $d"
done
# The build context is filtered by .dockerignore and by what COPY uses.
jq -e '.ops[] | select(.op.source.identifier == "local://context") | .op.source.attrs
       | (.excludepatterns == "[\"*.log\",\"tmp\"]") and (.followpaths == "[\"app.sh\"]")' "$TMP/g1.json" >/dev/null \
  || fail "context source attrs wrong: $(jq -c '.ops[] | select(.op.source.identifier == "local://context") | .op.source.attrs' "$TMP/g1.json")"
# Config and history of the target.
jq -e '.image_config.config.Cmd == ["/app.sh"]' "$TMP/g1.json" >/dev/null || fail "Cmd wrong"
jq -e '[.image_config.history[].created_by] == ["COPY /out.txt /out.txt # buildkit", "COPY /src/app.sh /app.sh # buildkit", "CMD [\"/app.sh\"]"]' \
  "$TMP/g1.json" >/dev/null || fail "history wrong: $(jq -c '[.image_config.history[].created_by]' "$TMP/g1.json")"
# Every op has a source map entry except the context source.
jq -e '[.ops[] | select(.op.source.identifier != "local://context") | .metadata.source | length] | all(. > 0)' \
  "$TMP/g1.json" >/dev/null || fail "an op has no Dockerfile lines"

# Editing the unused stage does not change the target's graph.
cp -r "$FIX/multistage" "$TMP/ms"
sed -i 's/RUN exit 1/RUN exit 2/' "$TMP/ms/Dockerfile"
"$KILN" graph "$TMP/ms" > "$TMP/g3.json"
[ "$(jq -r .output.digest "$TMP/g1.json")" = "$(jq -r .output.digest "$TMP/g3.json")" ] \
  || fail "a change in an unused stage changed the target"
# ...but editing a used stage does.
sed -i 's/> \/out.txt/> \/out2.txt/' "$TMP/ms/Dockerfile"
"$KILN" graph "$TMP/ms" > "$TMP/g4.json"
[ "$(jq -r .output.digest "$TMP/g1.json")" != "$(jq -r .output.digest "$TMP/g4.json")" ] \
  || fail "a change in a used stage did not change the target"

# Targeting the broken stage reports its error with location, caret and hint.
if "$KILN" graph --target broken "$FIX/multistage" > /dev/null 2> "$TMP/err"; then fail "broken target accepted"; fi
grep -q 'Dockerfile:12:1: unsupported mount type "bogus"' "$TMP/err" || fail "mount error: $(cat "$TMP/err")"
grep -q "^  12 | RUN --mount=type=bogus,target=/x cat /x/app.sh" "$TMP/err" || fail "no source line: $(cat "$TMP/err")"
grep -q "hint:" "$TMP/err" || fail "no hint: $(cat "$TMP/err")"

# dot output.
"$KILN" graph --format dot "$FIX/multistage" | grep -q '^digraph {' || fail "dot output"

# --- ARG / ENV -------------------------------------------------------------------
"$KILN" graph --build-arg VERSION=2.5 "$FIX/argenv" > "$TMP/a.json"
jq -e '.image_config.config.Env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP_VERSION=2.5","APP_FLAVOR=plain","HOME_DIR=/home/app","MODE=prod"]' \
  "$TMP/a.json" >/dev/null || fail "Env wrong: $(jq -c .image_config.config.Env "$TMP/a.json")"
jq -e '[.image_config.history[].created_by] | index("RUN |2 VERSION=2.5 FLAVOR= /bin/sh -c echo \"$APP_VERSION $APP_FLAVOR $HOME_DIR $VERSION\" > /info # buildkit") != null' \
  "$TMP/a.json" >/dev/null || fail "RUN history wrong: $(jq -c '[.image_config.history[].created_by]' "$TMP/a.json")"
jq -e '[.image_config.history[].created_by] | index("RUN |3 VERSION=2.5 FLAVOR= MODE=prod /bin/sh -c echo $MODE # buildkit") != null' \
  "$TMP/a.json" >/dev/null || fail "ENV does not override ARG in RUN history"
jq -e '.ops[] | select(.op.source) | .op.source.identifier == "docker-image://127.0.0.1:5000/busybox:latest"' \
  "$TMP/a.json" >/dev/null || fail "global ARG not used in FROM"
"$KILN" graph --build-arg IMAGE=alpine:3.19 "$FIX/argenv" | jq -e '.ops[0].op.source.identifier == "docker-image://docker.io/library/alpine:3.19"' >/dev/null \
  || fail "--build-arg does not override a global ARG"

# --- outline ---------------------------------------------------------------------
"$KILN" outline "$FIX/argenv" > "$TMP/outline.txt"
grep -q '^BUILD ARG' "$TMP/outline.txt" || fail "outline header: $(cat "$TMP/outline.txt")"
grep -Eq '^VERSION +1\.0 +the release to stamp into the image$' "$TMP/outline.txt" || fail "outline VERSION: $(cat "$TMP/outline.txt")"
grep -Eq '^IMAGE +127\.0\.0\.1:5000/busybox:latest' "$TMP/outline.txt" || fail "outline IMAGE: $(cat "$TMP/outline.txt")"
grep -Eq '^FLAVOR +<not set>' "$TMP/outline.txt" || fail "outline FLAVOR: $(cat "$TMP/outline.txt")"
"$KILN" outline --format json "$FIX/multistage" | jq -e '.stages | length == 3' >/dev/null || fail "outline json stages"

# --- errors ----------------------------------------------------------------------
expect_error() {  # file, pattern...
  local f=$1; shift
  if "$KILN" graph -f "$FIX/errors/$f" "$FIX/errors" > /dev/null 2> "$TMP/err"; then fail "$f accepted"; fi
  for p in "$@"; do grep -q -- "$p" "$TMP/err" || fail "$f: missing '$p' in: $(cat "$TMP/err")"; done
}
expect_error copy-from-typo.Dockerfile "copy-from-typo.Dockerfile:5:6: COPY --from names an unknown stage \"buidl\"" \
  "^  5 | COPY --from=buidl /out /out" "^    |      ^" 'hint: did you mean "build"?'
expect_error unknown-flag.Dockerfile "unknown-flag.Dockerfile:2:6: unknown flag: --chmode" \
  "hint: did you mean --chmod?"
expect_error bad-stage-name.Dockerfile "bad-stage-name.Dockerfile:1:17: invalid name for build stage" "hint:"
if "$KILN" graph --target nope "$FIX/multistage" > /dev/null 2> "$TMP/err"; then fail "unknown target accepted"; fi
grep -q 'target stage "nope" could not be found' "$TMP/err" || fail "unknown target: $(cat "$TMP/err")"
echo "graph: ok"
