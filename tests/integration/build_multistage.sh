#!/usr/bin/env bash
# Multi-stage builds: an unused failing stage never runs, COPY --from, --target,
# --build-arg, --label, --iidfile and --metadata-file; a failing RUN exits 1
# naming its Dockerfile line with an excerpt and the last lines of its output.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/ms"; mkdir -p "$ctx"; echo "from context" > "$ctx/a.txt"
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE AS base
ARG GREETING=hi
RUN echo "\$GREETING" > /greeting

FROM base AS broken
RUN echo about to fail; exit 7

FROM base AS one
COPY a.txt /one.txt
RUN cat /one.txt /greeting > /one.out

FROM base AS two
RUN echo two > /two.out

FROM base
COPY --from=one /one.out /r/one
COPY --from=two /two.out /r/two
WORKDIR /r
LABEL stage=final
EOF
kb --build-arg GREETING=hello -o "type=local,dest=$WORK/out" "$ctx" >"$WORK/log" 2>&1 ||
  { cat "$WORK/log"; fail "multi-stage build failed"; }
grep -q "about to fail" "$WORK/log" && fail "the unused failing stage ran"
[ "$(cat "$WORK/out/r/one")" = "$(printf 'from context\nhello')" ] || fail "COPY --from=one: $(cat "$WORK/out/r/one")"
[ "$(cat "$WORK/out/r/two")" = "two" ] || fail "COPY --from=two"

# Into the image store, with an image ID file and buildx's metadata file.
kb --build-arg GREETING=hello -t ms:1 --iidfile "$WORK/iid" --metadata-file "$WORK/md.json" "$ctx" \
  >"$WORK/log2" 2>&1 || { cat "$WORK/log2"; fail "build into the image store failed"; }
grep -q '^sha256:[0-9a-f]\{64\}$' "$WORK/iid" || fail "iidfile: $(cat "$WORK/iid")"
python3 - "$WORK/md.json" "$WORK/iid" <<'PY' || fail "metadata file"
import json, sys
m = json.load(open(sys.argv[1])); iid = open(sys.argv[2]).read().strip()
assert m["containerimage.config.digest"] == iid, m
assert m["containerimage.digest"].startswith("sha256:"), m
PY

# The target's config carries the labels (Dockerfile and --label) and WorkingDir.
kb -o "type=oci,dest=$WORK/ms.tar" --label extra=yes "$ctx" >"$WORK/log3" 2>&1 || { cat "$WORK/log3"; fail "oci export"; }
mkdir -p "$WORK/oci" && tar -xf "$WORK/ms.tar" -C "$WORK/oci"
python3 - "$WORK/oci" <<'PY' || fail "image config"
import json, sys, os
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
blob = lambda dg: os.path.join(d, "blobs", "sha256", dg.split(":")[1])
man = json.load(open(blob(idx["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
assert cfg["config"]["Labels"] == {"stage": "final", "extra": "yes"}, cfg["config"]
assert cfg["config"]["WorkingDir"] == "/r", cfg["config"]
PY

# --target picks the failing stage: exit 1, the line, an excerpt, the output.
if kb --target broken "$ctx" >"$WORK/fail.log" 2>&1; then fail "--target broken succeeded"; fi
grep -q 'Dockerfile:6' "$WORK/fail.log" || { cat "$WORK/fail.log"; fail "no Dockerfile line in the error"; }
grep -q '>>> RUN echo about to fail; exit 7' "$WORK/fail.log" || fail "no excerpt of the failing line"
grep -q '^about to fail' "$WORK/fail.log" || fail "no output lines in the error"
grep -q 'exit code: 7' "$WORK/fail.log" || fail "no exit code"
echo "build_multistage: ok"
