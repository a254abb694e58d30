#!/usr/bin/env bash
# Outputs of kiln build: -o type=local (a directory), type=tar, type=oci (a
# layout tarball whose layers hold exactly the build's files), type=docker (a
# docker-load-able archive named by -t), the default image store; -f - reads
# the Dockerfile from stdin; -q prints only the image ID.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/o"; mkdir -p "$ctx/sub"; echo hello > "$ctx/sub/hello.txt"
df="FROM $BASE
COPY sub/ /app/
RUN echo built > /app/built && rm /bin/vi"
echo "$df" | kb -f - -o "type=local,dest=$WORK/local" "$ctx" >"$WORK/l.log" 2>&1 || { cat "$WORK/l.log"; fail "type=local"; }
[ "$(cat "$WORK/local/app/hello.txt")" = hello ] && [ "$(cat "$WORK/local/app/built")" = built ] || fail "type=local content"
[ -e "$WORK/local/bin/vi" ] && fail "type=local: a deleted file is present"
[ -x "$WORK/local/bin/busybox" ] || fail "type=local lacks the base image's files"

echo "$df" | kb -f - -o "type=tar,dest=$WORK/fs.tar" "$ctx" >/dev/null 2>&1 || fail "type=tar"
tar -tf "$WORK/fs.tar" > "$WORK/fs.list"  # not piped into grep -q: pipefail would catch tar's SIGPIPE
grep -q '^\(\./\)\?app/built$' "$WORK/fs.list" || fail "type=tar lacks app/built"

echo "$df" | kb -f - -o "type=oci,dest=$WORK/oci.tar" "$ctx" >/dev/null 2>&1 || fail "type=oci"
mkdir -p "$WORK/oci" && tar -xf "$WORK/oci.tar" -C "$WORK/oci"
python3 - "$WORK/oci" <<'PY' || fail "type=oci layout"
import json, os, sys, tarfile
d = sys.argv[1]
assert json.load(open(os.path.join(d, "oci-layout")))["imageLayoutVersion"] == "1.0.0"
blob = lambda dg: os.path.join(d, "blobs", "sha256", dg.split(":")[1])
man = json.load(open(blob(json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
assert len(man["layers"]) == len(cfg["rootfs"]["diff_ids"]) == 4, (man["layers"], cfg["rootfs"])
# The last layer holds the RUN's changes: the new file and a whiteout for /bin/vi.
names = tarfile.open(blob(man["layers"][-1]["digest"])).getnames()
assert "app/built" in names and "bin/.wh.vi" in names, names
hist = [h for h in cfg["history"] if not h.get("empty_layer")]
assert len(hist) == 4, cfg["history"]
PY

echo "$df" | kb -f - -t out-test:v1 -o "type=docker,dest=$WORK/docker.tar" "$ctx" >/dev/null 2>&1 || fail "type=docker"
tar -xOf "$WORK/docker.tar" manifest.json > "$WORK/docker-manifest.json"
grep -q '"docker.io/library/out-test:v1"\|"out-test:v1"' "$WORK/docker-manifest.json" || fail "type=docker: no RepoTags"

# The default output: the image store, named by -t; -q prints the image ID only.
id=$(echo "$df" | "$KILN" build -q -f - -t out-test:v2 "$ctx") || fail "default output"
[[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "-q printed: $id"
echo "build_outputs: ok"
