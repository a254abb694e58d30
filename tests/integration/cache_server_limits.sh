#!/usr/bin/env bash
# kiln cache-server at its limits: --max-size evicts the least recently used image
# (a GET counts as a use) and its blobs; a full disk (a small tmpfs as --root) gives a
# clear error, leaves nothing half-written, and the server keeps serving.
set -euo pipefail
. "$SRC/tests/lib/registry.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
reg_init

cs_start() {
  CS_ROOT="$1"; shift
  local port; port="$(reg_free_port)"
  "$KILN" cache-server --listen "127.0.0.1:$port" --root "$CS_ROOT" --no-access-log "$@" >> "$REG_TMP/log" 2>&1 &
  CS_PID=$!; REG_PIDS+=("$CS_PID"); CS="127.0.0.1:$port"
  reg_wait_http "http://$CS/v2/" || { cat "$REG_TMP/log" >&2; fail "server did not start"; }
}
# push_image REPO TAG BYTES: a random layer, a config and a manifest; prints the layer digest.
push_image() {
  local repo="$1" tag="$2" n="$3" f="$REG_TMP/blob.$2"
  head -c "$n" /dev/urandom > "$f"
  local d=sha256:$(sha256sum "$f" | cut -d' ' -f1)
  curl -sf -X POST --data-binary @"$f" "http://$CS/v2/$repo/blobs/uploads/?digest=$d" >/dev/null || return 1
  printf '{"tag":"%s"}' "$tag" > "$f.cfg"
  local c=sha256:$(sha256sum "$f.cfg" | cut -d' ' -f1)
  curl -sf -X POST --data-binary @"$f.cfg" "http://$CS/v2/$repo/blobs/uploads/?digest=$c" >/dev/null || return 1
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}' \
    "$c" "$(stat -c %s "$f.cfg")" "$d" "$n" > "$f.man"
  curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" --data-binary @"$f.man" \
    "http://$CS/v2/$repo/manifests/$tag" >/dev/null || return 1
  echo "$d"
}
status() { curl -s -o /dev/null -w '%{http_code}' -I "http://$CS/v2/$1"; }

# --- eviction: room for three 1 MB images
cs_start "$REG_TMP/evict" --max-size 3500KB
a=$(push_image team/app a 1000000); sleep 0.05
b=$(push_image team/app b 1000000); sleep 0.05
c=$(push_image team/app c 1000000); sleep 0.05
curl -sf -o /dev/null "http://$CS/v2/team/app/manifests/a"   # a is used: b is now the oldest
sleep 0.05
d=$(push_image team/app d 1000000)
[ "$(status team/app/manifests/b)" = 404 ] || fail "b (least recently used) was not evicted"
[ "$(status "team/app/blobs/$b")" = 404 ] || fail "b's layer was not evicted"
for t in a c d; do [ "$(status team/app/manifests/$t)" = 200 ] || fail "$t was evicted"; done
[ "$(status "team/app/blobs/$a")" = 200 ] || fail "a's layer was evicted"
curl -sf "http://$CS/metrics" | grep -q '^kiln_cache_evictions_total [1-9]' || fail "evictions not counted"
size=$(curl -sf "http://$CS/metrics" | sed -n 's/^kiln_cache_store_bytes //p')
[ "$size" -le 3500000 ] || fail "store is $size bytes, over --max-size"

# --- a full disk
if [ "$(id -u)" != 0 ]; then echo "cache_server_limits: eviction ok; full disk needs root, skipped"; exit 0; fi
mkdir -p "$REG_TMP/small"
mount -t tmpfs -o size=4m tmpfs "$REG_TMP/small"
trap 'umount -l "$REG_TMP/small" 2>/dev/null || true; reg_cleanup' EXIT
cs_start "$REG_TMP/small/root"
small=$(push_image team/app small 100000) || fail "small push"
head -c 8000000 /dev/urandom > "$REG_TMP/huge"
h=sha256:$(sha256sum "$REG_TMP/huge" | cut -d' ' -f1)
code=$(curl -s -o "$REG_TMP/e" -w '%{http_code}' -X POST --data-binary @"$REG_TMP/huge" "http://$CS/v2/team/app/blobs/uploads/?digest=$h" || true)
[ "$code" = 507 ] && grep -q "disk is full" "$REG_TMP/e" || fail "full disk: $code $(cat "$REG_TMP/e" 2>/dev/null)"
[ -z "$(ls -A "$REG_TMP/small/root/uploads")" ] || fail "the failed upload left a file"
[ "$(status "team/app/blobs/$h")" = 404 ] || fail "a partial blob is visible"
[ "$(status team/app/manifests/small)" = 200 ] || fail "the server stopped serving after the full disk"
push_image team/app small2 100000 >/dev/null || fail "a push that fits fails after the full disk"
echo "cache_server_limits: ok"
