#!/usr/bin/env bash
# Oracle test: an image kiln exports with type=docker loads with `docker load` and runs
# with `docker run` (needs dockerd, see ../shared/tools/oracle-up, and a static busybox).
set -euo pipefail
if ! timeout 10 docker info >/dev/null 2>&1; then echo "exporter_docker_load: dockerd not running: skipped"; exit 0; fi
bb=$(command -v busybox || true)
if [ -z "$bb" ] || ! file -L "$bb" | grep -q static; then echo "exporter_docker_load: no static busybox: skipped"; exit 0; fi
work=$(mktemp -d)
tag="kiln-exporter-test:$$"
trap 'docker rmi -f "$tag" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
fail() { echo "exporter_docker_load: FAIL: $*"; exit 1; }
mkdir -p "$work/rootfs/bin"
cp "$bb" "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sh"
echo "hello from kiln" > "$work/rootfs/msg"
cat > "$work/config.json" <<JSON
{"architecture":"$(docker version -f '{{.Server.Arch}}')","os":"linux",
 "config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh","-c","cat /msg && echo \$GREETING"],"WorkingDir":"/"}}
JSON
for variant in "" ",oci-mediatypes=true" ",compression=uncompressed"; do
  "$KILN" --root "$work/root" import "$work/rootfs" --config "$work/config.json" -t "$tag" \
    -o "type=docker,dest=$work/img.tar$variant" 2>/dev/null
  out=$(docker load -i "$work/img.tar")
  grep -q "Loaded image: $tag" <<<"$out" || fail "docker load ($variant): $out"
  got=$(docker run --rm --network=none -e GREETING=hi "$tag")
  [ "$got" = "hello from kiln
hi" ] || fail "docker run ($variant) printed: $got"
  docker rmi -f "$tag" >/dev/null
done
echo "exporter_docker_load: ok"
