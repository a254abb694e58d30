#!/usr/bin/env bash
# Pulls that go wrong: a tampered blob in the registry's storage is detected and
# nothing is stored; a connection cut mid-blob is resumed with a Range request; a
# pull killed mid-blob leaves nothing half-stored and the next pull succeeds.
set -euo pipefail
. "$SRC/tests/lib/registry.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
reg_init
reg_start plain
export DOCKER_CONFIG="$REG_TMP/docker"
R=$REG_HOST
reg_make_oci "$REG_TMP/oci" tamper amd64 --seed tamper >/dev/null
reg_make_oci "$REG_TMP/oci" big amd64 --seed big --extra-mb 8 >/dev/null
reg_skopeo_push "$REG_TMP/oci" tamper "$R/t/tamper:1"
reg_skopeo_push "$REG_TMP/oci" big "$R/t/big:1"
layer_of() { skopeo inspect --tls-verify=false --format '{{index .Layers 0}}' "docker://$1"; }
in_store() { [ -f "$KILN_ROOT/content/blobs/sha256/${1#sha256:}" ]; }

# --- tampered blob: same size, different bytes
export KILN_ROOT="$REG_TMP/root-tamper"
layer=$(layer_of "$R/t/tamper:1")
path=$(reg_blob_path "$layer")
[ -f "$path" ] || fail "no blob file at $path"
printf 'XXXXXXXX' | dd of="$path" bs=1 seek=100 conv=notrunc status=none
if "$KILN" pull "$R/t/tamper:1" 2> "$REG_TMP/err"; then fail "tampered blob accepted"; fi
grep -q "$layer" "$REG_TMP/err" || fail "error does not name the blob: $(cat "$REG_TMP/err")"
grep -qi "nothing was stored" "$REG_TMP/err" || fail "error does not say nothing was stored: $(cat "$REG_TMP/err")"
! in_store "$layer" || fail "tampered blob stored"
if "$KILN" push "$R/t/other:1" "$R/t/tamper:1" 2>/dev/null; then fail "an image was recorded after a failed pull"; fi

# --- a connection cut in the middle of a blob is resumed with Range
export KILN_ROOT="$REG_TMP/root-resume"
reg_start_proxy cut-once
"$KILN" pull -q "$PROXY_HOST/t/big:1" > /dev/null 2> "$REG_TMP/err" || fail "pull with a cut connection: $(cat "$REG_TMP/err")"
grep -q 'GET /v2/t/big/blobs/sha256:[0-9a-f]* bytes=[0-9]*- 206' "$PROXY_LOG" || { cat "$PROXY_LOG"; fail "no Range request after the cut"; }
big=$(layer_of "$R/t/big:1")
in_store "$big" || fail "resumed blob not stored"
[ "$(sha256sum < "$KILN_ROOT/content/blobs/sha256/${big#sha256:}" | cut -d' ' -f1)" = "${big#sha256:}" ] || fail "resumed blob corrupt"

# --- a pull killed mid-blob leaves nothing visible; the next pull succeeds
export KILN_ROOT="$REG_TMP/root-kill"
reg_start_proxy stall
"$KILN" pull -q "$PROXY_HOST/t/big:1" > /dev/null 2>&1 &
kpid=$!
for _ in $(seq 1 200); do grep -q stalled "$PROXY_LOG" && break; sleep 0.1; done
grep -q stalled "$PROXY_LOG" || fail "the proxy never stalled"
kill -9 "$kpid"
wait "$kpid" 2>/dev/null || true
! in_store "$big" || fail "half a blob became visible"
find "$KILN_ROOT/content/blobs" -type f | while read -r f; do
  [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || fail "corrupt blob $f"
done
"$KILN" pull -q "$R/t/big:1" > /dev/null || fail "the pull after an interrupted one failed"
in_store "$big" || fail "blob missing after the second pull"
echo "registry_faults: ok"
