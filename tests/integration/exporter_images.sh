#!/usr/bin/env bash
# Image store commands and every -o output, driven through `kiln import` (a directory
# as a one-layer image): images, tag, inspect, save, rm, du, prune; oci/docker/local/tar
# outputs accepted by skopeo and umoci; kill -9 during an export leaves nothing that
# looks complete.
set -euo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
k() { "$KILN" --root "$work/root" "$@"; }
fail() { echo "exporter_images: FAIL: $*"; exit 1; }
# Pipes into grep -q would race with SIGPIPE under pipefail: capture first.
has() { local out; out=$("${@:2}"); grep -qE "$1" <<<"$out"; }

mkdir -p "$work/rootfs/etc" "$work/rootfs/bin"
echo "hello" > "$work/rootfs/etc/hello"
ln -s hello "$work/rootfs/etc/link"
ln "$work/rootfs/etc/hello" "$work/rootfs/etc/hard"
printf '#!/bin/sh\necho hi\n' > "$work/rootfs/bin/hi"; chmod 4755 "$work/rootfs/bin/hi"

# The store: import, list, tag, inspect, save, rm.
k import "$work/rootfs" -t demo:1 2>/dev/null
has '^demo +1 ' k images || fail "images does not list demo:1"
k tag demo:1 localhost:5000/team/demo:2
has 'localhost:5000/team/demo' k images localhost:5000/team/demo || fail "tag missing"
id=$(k images -q demo:1)
[ ${#id} -eq 12 ] || fail "short id: '$id'"
k inspect demo:1 | python3 -c 'import json,sys; j=json.load(sys.stdin)[0]; assert j["Name"]=="docker.io/library/demo", j; assert len(j["Layers"])==1' \
  || fail "inspect JSON"
k inspect "$id" >/dev/null || fail "inspect by ID"
k save -o "$work/docker.tar" demo:1
has '^manifest.json$' tar -tf "$work/docker.tar" || fail "save: no manifest.json"
k save --format oci -o "$work/saved-oci.tar" demo:1
skopeo inspect "oci-archive:$work/saved-oci.tar" >/dev/null || fail "skopeo rejects kiln save --format oci"
skopeo inspect "docker-archive:$work/docker.tar" >/dev/null || fail "skopeo rejects kiln save (docker)"
if k inspect nope:1 2>"$work/err"; then fail "inspect of a missing image succeeded"; fi
grep -q "no such image: nope:1" "$work/err" || fail "missing-image error: $(cat "$work/err")"
if k rm "$id" 2>/dev/null; then fail "rm by ID of a 2-name image needs --force"; fi
has '^Untagged: demo:1$' k rm demo:1 || fail "rm output"
k rm -f "$id" >/dev/null
[ -z "$(k images -q)" ] || fail "images left after rm"
has '^Total:' k du || fail "du"
has 'Total reclaimed space' k prune || fail "prune"

# Outputs.
k import "$work/rootfs" -t out:1 -o "type=oci,dest=$work/o.tar" 2>/dev/null
skopeo inspect "oci-archive:$work/o.tar" >/dev/null || fail "skopeo rejects type=oci"
k import "$work/rootfs" -o "type=oci,dest=$work/layout,tar=false,name=out:1" 2>/dev/null
[ -f "$work/layout/index.json" ] || fail "layout without index.json"
if command -v umoci >/dev/null && [ "$(id -u)" = 0 ]; then
  umoci unpack --image "$work/layout:1" "$work/bundle" >/dev/null || fail "umoci rejects the layout"
  [ "$(cat "$work/bundle/rootfs/etc/hello")" = hello ] || fail "umoci rootfs content"
  [ "$(stat -c %a "$work/bundle/rootfs/bin/hi")" = 4755 ] || fail "setuid bit lost"
else
  echo "exporter_images: umoci or root missing: umoci check skipped"
fi
k import "$work/rootfs" -t d:1 -o "type=docker,dest=$work/d.tar" 2>/dev/null
has '"RepoTags":\["d:1"\]' tar -xOf "$work/d.tar" manifest.json || fail "docker archive RepoTags"
k import "$work/rootfs" -o "type=local,dest=$work/local" 2>/dev/null
[ "$(readlink "$work/local/etc/link")" = hello ] || fail "local output symlink"
[ "$(stat -c %i "$work/local/etc/hello")" = "$(stat -c %i "$work/local/etc/hard")" ] || fail "local output hard link"
k import "$work/rootfs" -o - 2>/dev/null > "$work/fs.tar"
has '^etc/hello$' tar -tf "$work/fs.tar" || fail "-o - tar stream"
k import "$work/rootfs" -o "type=oci,dest=-" 2>/dev/null > "$work/stream.tar"
has '^index.json$' tar -tf "$work/stream.tar" || fail "type=oci,dest=- stream"
if k import "$work/rootfs" -o "type=bogus" 2>"$work/err"; then fail "bad -o accepted"; fi
grep -q 'invalid --output' "$work/err" || fail "bad -o error: $(cat "$work/err")"

# Reproducible with SOURCE_DATE_EPOCH and rewrite-timestamp.
SOURCE_DATE_EPOCH=1700000000 k import "$work/rootfs" -o "type=oci,dest=$work/r1.tar,rewrite-timestamp=true" 2>/dev/null
touch "$work/rootfs/etc/hello"
SOURCE_DATE_EPOCH=1700000000 k import "$work/rootfs" -o "type=oci,dest=$work/r2.tar,rewrite-timestamp=true" 2>/dev/null
cmp -s "$work/r1.tar" "$work/r2.tar" || fail "SOURCE_DATE_EPOCH outputs differ"

# kill -9 during an export: the destination never looks complete.
mkdir -p "$work/big"
head -c 150000000 /dev/urandom > "$work/big/blob"
for kind in tar dir; do
  if [ $kind = tar ]; then spec="type=oci,dest=$work/killed.tar,compression=uncompressed"; else spec="type=oci,dest=$work/killed,tar=false,compression=uncompressed"; fi
  # kiln itself in the background (not through the function k, whose subshell
  # would take the kill while kiln went on writing under the rm below).
  "$KILN" --root "$work/root" import "$work/big" -o "$spec" 2>/dev/null & pid=$!
  caught=0
  for _ in $(seq 1 2000); do
    if compgen -G "$work/killed*.kiln-tmp-*" >/dev/null; then kill -9 $pid; caught=1; break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.005
  done
  wait $pid 2>/dev/null || true
  if [ $caught = 1 ] && { [ -e "$work/killed.tar" ] || [ -e "$work/killed/index.json" ]; }; then
    # The export may have finished between the look and the kill: then it must be whole.
    if [ $kind = tar ]; then skopeo inspect "oci-archive:$work/killed.tar" >/dev/null || fail "kill -9 left a broken $kind output"
    else
      python3 - "$work/killed" <<'PY' || fail "kill -9 left a broken $kind output"
import hashlib, json, os, sys
root = sys.argv[1]
def blob(d):
    p = os.path.join(root, "blobs", *d["digest"].split(":"))
    data = open(p, "rb").read()
    assert len(data) == d["size"] and "sha256:" + hashlib.sha256(data).hexdigest() == d["digest"], p
    return data
for m in json.load(open(os.path.join(root, "index.json")))["manifests"]:
    man = json.loads(blob(m))
    for d in [man["config"]] + man["layers"]:
        blob(d)
PY
    fi
  elif [ $caught = 0 ]; then
    echo "exporter_images: export finished before kill ($kind); checking it is whole instead"
    if [ $kind = tar ]; then skopeo inspect "oci-archive:$work/killed.tar" >/dev/null || fail "finished output broken"; fi
  fi
  rm -rf "$work"/killed*
done
echo "exporter_images: ok"
