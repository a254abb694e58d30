#!/usr/bin/env bash
# kiln pull/push/inspect against a plain-HTTP registry (CNCF distribution on 127.0.0.1),
# with skopeo on the other side: OCI and Docker schema2 manifests, indexes and
# manifest lists with platform selection, digests, cross-repository mounts, chunked
# uploads, several tags, and errors in plain words.
set -euo pipefail
. "$SRC/tests/lib/registry.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
reg_init
reg_start plain
export KILN_ROOT="$REG_TMP/root" DOCKER_CONFIG="$REG_TMP/docker"
R=$REG_HOST

# Images made by skopeo from OCI layouts: one OCI image, one OCI index (3 platforms),
# and the same converted to Docker schema2 / manifest list.
reg_make_oci "$REG_TMP/oci" one amd64 >/dev/null
reg_make_oci "$REG_TMP/oci" multi amd64,arm64,arm/v7 >/dev/null
reg_skopeo_push "$REG_TMP/oci" one "$R/test/one:t1"
reg_skopeo_push "$REG_TMP/oci" multi "$R/test/multi:v1" --all
reg_skopeo_push "$REG_TMP/oci" one "$R/test/docker:v2s2" --format v2s2
reg_skopeo_push "$REG_TMP/oci" multi "$R/test/dlist:v1" --all --format v2s2

# --- pull an OCI manifest; the digest printed is the registry's
want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$R/test/one:t1")
got=$("$KILN" pull -q "$R/test/one:t1")
[ "$got" = "$want" ] || fail "pull printed $got, registry has $want"
layer=$(skopeo inspect --tls-verify=false --format '{{index .Layers 0}}' "docker://$R/test/one:t1")
[ -f "$KILN_ROOT/content/blobs/sha256/${layer#sha256:}" ] || fail "layer $layer not in the content store"

# --- Docker schema2 manifest
mt=$(skopeo inspect --tls-verify=false --raw "docker://$R/test/docker:v2s2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mediaType"])')
[ "$mt" = application/vnd.docker.distribution.manifest.v2+json ] || fail "skopeo did not make a schema2 manifest ($mt)"
"$KILN" pull -q "$R/test/docker:v2s2" >/dev/null

# --- index / manifest list with platform selection
for repo in multi dlist; do
  for p in linux/amd64 linux/arm64 linux/arm/v7; do
    "$KILN" inspect --remote --platform "$p" "$R/test/$repo:v1" > "$REG_TMP/inspect.json"
    got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["platform"])' "$REG_TMP/inspect.json")
    [ "$got" = "$p" ] || fail "inspect --platform $p of $repo gave $got"
  done
  if "$KILN" pull --platform linux/s390x "$R/test/$repo:v1" 2> "$REG_TMP/err"; then fail "s390x pulled"; fi
  grep -q "no image for platform linux/s390x" "$REG_TMP/err" || fail "unclear platform error: $(cat "$REG_TMP/err")"
  grep -q "linux/arm/v7" "$REG_TMP/err" || fail "platform error does not list what exists: $(cat "$REG_TMP/err")"
done
idx=$(skopeo inspect --tls-verify=false --raw "docker://$R/test/dlist:v1" | sha256sum | cut -d' ' -f1)
got=$("$KILN" pull -q --platform linux/arm64 "$R/test/dlist:v1")
[ "$got" = "sha256:$idx" ] || fail "pull of a list printed $got, not the list digest sha256:$idx"
python3 - "$REG_TMP/inspect.json" <<'PY' || fail "inspect JSON lacks fields"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json", j["mediaType"]
assert len(j["manifests"]) == 3
assert j["manifest"]["digest"].startswith("sha256:")
assert j["config"]["digest"].startswith("sha256:")
assert len(j["layers"]) == 1 and j["layers"][0]["size"] > 0
assert j["image"]["architecture"] == "arm"
PY

# --- pinned digests are honoured exactly; a wrong one is the registry's 404
one_digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$R/test/one:t1")
got=$("$KILN" pull -q "$R/test/one:whatever@$one_digest")
[ "$got" = "$one_digest" ] || fail "pull by digest printed $got"
zero="sha256:$(printf '0%.0s' $(seq 64))"
if "$KILN" pull "$R/test/one@$zero" 2> "$REG_TMP/err"; then fail "unknown digest pulled"; fi
grep -q "not found" "$REG_TMP/err" || fail "unclear error: $(cat "$REG_TMP/err")"
if "$KILN" pull "$R/test/one:nope" 2> "$REG_TMP/err"; then fail "unknown tag pulled"; fi
grep -q 'test/one:nope not found: the registry answered "manifest unknown"' "$REG_TMP/err" || fail "unclear error: $(cat "$REG_TMP/err")"
if "$KILN" pull "$R/Bad/Name" 2> "$REG_TMP/err"; then fail "bad reference accepted"; fi
grep -q "must be lowercase" "$REG_TMP/err" || fail "unclear error: $(cat "$REG_TMP/err")"

# --- push: cross-repository mount from the repository it was pulled from, several tags
"$KILN" push "$R/other/copy:v2" "$R/test/one:t1" -t extra -t third 2> "$REG_TMP/out" >/dev/null
grep -q "2 mounted" "$REG_TMP/out" || fail "expected 2 mounted blobs: $(cat "$REG_TMP/out")"
for t in v2 extra third; do
  d=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$R/other/copy:$t")
  [ "$d" = "$one_digest" ] || fail "tag $t has $d, want $one_digest"
done
# pushing again uploads nothing
"$KILN" push "$R/other/copy:v2" "$R/test/one:t1" 2> "$REG_TMP/out" >/dev/null
grep -q "0 blobs uploaded, 0 mounted, 2 already present" "$REG_TMP/out" || fail "re-push: $(cat "$REG_TMP/out")"

# --- chunked upload through a logging proxy (a different host: nothing to mount)
reg_start_proxy pass
"$KILN" push --chunk-size 262144 "$PROXY_HOST/chunked/x:1" "$R/test/one:t1" 2> "$REG_TMP/out" >/dev/null ||
  fail "chunked push: $(cat "$REG_TMP/out")"
grep -q "2 blobs uploaded" "$REG_TMP/out" || fail "chunked push: $(cat "$REG_TMP/out")"
patches=$(grep -c '^PATCH ' "$PROXY_LOG" || true)
[ "$patches" -ge 4 ] || fail "expected several PATCH chunks, saw $patches"
skopeo copy -q --src-tls-verify=false "docker://$R/chunked/x:1" "oci:$REG_TMP/back:x" >/dev/null
blob=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"]; print(m)' "$REG_TMP/back")
[ -f "$REG_TMP/back/blobs/sha256/${blob#sha256:}" ] || fail "skopeo could not copy back what kiln pushed"

# --- an index: pull every platform, push it, skopeo copies it all
got=$("$KILN" pull -q --all-platforms "$R/test/multi:v1")
want=$(skopeo inspect --tls-verify=false --raw "docker://$R/test/multi:v1" | sha256sum | cut -d' ' -f1)
[ "$got" = "sha256:$want" ] || fail "--all-platforms printed $got"
"$KILN" push -q "$R/copy/multi:v1" "$R/test/multi:v1" >/dev/null
got=$(skopeo inspect --tls-verify=false --raw "docker://$R/copy/multi:v1" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "pushed index differs"
skopeo copy -q --all --src-tls-verify=false --dest-tls-verify=false "docker://$R/copy/multi:v1" "docker://$R/copy/again:v1" >/dev/null ||
  fail "skopeo cannot copy the pushed index"

# --- images made by kiln itself: push by name and by ID, and the image exporter's push
mkdir -p "$REG_TMP/rootfs/etc" && echo hello > "$REG_TMP/rootfs/etc/greeting"
"$KILN" import -t "$R/built/app:1" "$REG_TMP/rootfs" 2>/dev/null
d=$("$KILN" push -q "$R/built/app:1")
[ "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$R/built/app:1")" = "$d" ] || fail "push of a built image"
id=$("$KILN" inspect "$R/built/app:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
"$KILN" push -q "$R/built/byid:1" "${id#sha256:}" >/dev/null || fail "push by image ID"
"$KILN" import -o "type=registry,name=$R/built/direct:1" "$REG_TMP/rootfs" 2>/dev/null || fail "-o type=registry"
skopeo inspect --tls-verify=false "docker://$R/built/direct:1" >/dev/null || fail "-o type=registry pushed nothing"

# --- a missing local image is a clear error
if "$KILN" push "$R/nothing/here:1" 2> "$REG_TMP/err"; then fail "pushed a missing image"; fi
grep -q "no image .* in kiln's local store" "$REG_TMP/err" || fail "unclear error: $(cat "$REG_TMP/err")"
echo "registry_pull_push: ok"
