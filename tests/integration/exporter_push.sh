#!/usr/bin/env bash
# The image exporter's push: `-o type=image,name=REF,push=true` (and type=registry) store
# the image locally, then push it last (the finalize step) to a plain-HTTP registry on
# 127.0.0.1; skopeo reads back the same manifest digest. A failing push fails the command.
set -euo pipefail
. "$SRC/tests/lib/registry.sh"
fail() { echo "exporter_push: FAIL: $*" >&2; exit 1; }
if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
  echo "exporter_push: docker-registry or skopeo missing: skipped"; exit 0
fi
reg_init
reg_start plain
export KILN_ROOT="$REG_TMP/root" DOCKER_CONFIG="$REG_TMP/docker"
R=$REG_HOST
mkdir -p "$REG_TMP/rootfs/etc"; echo pushed > "$REG_TMP/rootfs/etc/msg"

digest=$("$KILN" import "$REG_TMP/rootfs" -o "type=image,name=$R/exp/app:1,push=true" 2>&1 >/dev/null | grep '^sha256:')
remote=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$R/exp/app:1")
[ "$digest" = "$remote" ] || fail "pushed $digest, registry has $remote"
imgs=$("$KILN" images); grep -q "$R/exp/app" <<<"$imgs" || fail "pushed image not in the local store"

"$KILN" import "$REG_TMP/rootfs" -t "$R/exp/app:2" -o type=registry,compression=zstd 2>/dev/null
raw=$(skopeo inspect --tls-verify=false --raw "docker://$R/exp/app:2"); grep -q 'tar+zstd' <<<"$raw" || fail "type=registry zstd push"

if "$KILN" import "$REG_TMP/rootfs" -o "type=image,name=127.0.0.1:1/none:1,push=true" 2>"$REG_TMP/err"; then
  fail "a push to a closed port succeeded"
fi
grep -q "push 127.0.0.1:1/none:1" "$REG_TMP/err" || fail "push error does not name the image: $(cat "$REG_TMP/err")"
echo "exporter_push: ok"
