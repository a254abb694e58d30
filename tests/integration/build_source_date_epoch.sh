#!/usr/bin/env bash
# SOURCE_DATE_EPOCH in the environment is the build argument, as buildx passes it (an explicit
# --build-arg wins): the config's created time and every history time are the epoch, and with
# rewrite-timestamp=true the new layers' file mtimes are clamped to it, so two uncached builds a
# second apart are byte-identical. A value that is not seconds is an error.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/ctx"; mkdir -p "$ctx"; echo data > "$ctx/data.txt"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE
COPY data.txt /app/
RUN echo built > /app/built && mkdir /app/dir && touch /app/dir/f
ENV A=1
DF
epoch=1700000000   # 2023-11-14T22:13:20Z

build() {  # OUT [ARGS...]: an uncached OCI export with rewrite-timestamp
  local out=$1; shift
  kb --no-cache "$@" -o "type=oci,dest=$out,rewrite-timestamp=true" "$ctx" >"$out.log" 2>&1 \
    || { cat "$out.log"; fail "build $out"; }
}
SOURCE_DATE_EPOCH=$epoch build "$WORK/a.tar"
sleep 1.1
touch "$ctx/data.txt"
SOURCE_DATE_EPOCH=$epoch build "$WORK/b.tar"
cmp -s "$WORK/a.tar" "$WORK/b.tar" || fail "two builds with SOURCE_DATE_EPOCH in the environment differ"

times() {  # TAR: the config's created time, its history times, and the newest mtime in new layers
  mkdir -p "$1.d" && tar -xf "$1" -C "$1.d"
  python3 - "$1.d" <<'PY'
import json, os, sys, tarfile
d = sys.argv[1]
blob = lambda dg: os.path.join(d, "blobs", *dg.split(":"))
idx = json.load(open(os.path.join(d, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
hist = sorted({h["created"] for h in cfg["history"][-3:]})
# The last two layers are this build's (COPY, RUN); the base image's are older anyway.
newest = max(m.mtime for l in man["layers"][-2:] for m in tarfile.open(blob(l["digest"])).getmembers())
print(cfg["created"], ",".join(hist), int(newest))
PY
}
got=$(times "$WORK/a.tar")
[ "$got" = "2023-11-14T22:13:20Z 2023-11-14T22:13:20Z $epoch" ] || fail "times with SOURCE_DATE_EPOCH=$epoch: $got"

# --build-arg wins over the environment.
SOURCE_DATE_EPOCH=$epoch build "$WORK/c.tar" --build-arg SOURCE_DATE_EPOCH=1600000000
got=$(times "$WORK/c.tar")
[ "$got" = "2020-09-13T12:26:40Z 2020-09-13T12:26:40Z 1600000000" ] || fail "--build-arg over the environment: $got"

# Not a number of seconds: an error naming the value, nothing written.
rc=0; err=$(SOURCE_DATE_EPOCH=yesterday kb -o "type=oci,dest=$WORK/bad.tar" "$ctx" 2>&1) || rc=$?
[ "$rc" != 0 ] && grep -q 'invalid SOURCE_DATE_EPOCH: yesterday' <<<"$err" || fail "bad epoch (exit $rc): $err"
[ -e "$WORK/bad.tar" ] && fail "bad epoch: output written"
echo "build_source_date_epoch: ok"
