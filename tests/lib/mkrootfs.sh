#!/usr/bin/env bash
# mkrootfs.sh DIR: a tiny busybox root filesystem for tests (needs Debian's
# busybox-static: /bin/busybox). Creates:
#   DIR/bin/busybox and a symlink per applet (busybox --install -s), so /bin/sh,
#     ls, id, ps, hostname, ip, ... all exist;
#   DIR/etc/passwd: root (uid 0, home /root) and app (uid 1000, gid 1000, home /home/app);
#   DIR/etc/group: root (0), users (100, members: app), app (1000);
#   DIR/tmp (mode 1777), DIR/root (0700), DIR/home/app (owned by 1000:1000).
# No /proc, /dev, /sys, /etc/hosts: the runner provides those mountpoints.
# DIR may exist (it must then be empty or a previous mkrootfs output).
set -euo pipefail
dir=${1:?usage: mkrootfs.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}
help=$("$busybox" --help 2>&1 || true)
if [[ "$help" != BusyBox* ]]; then
  echo "mkrootfs.sh: $busybox is not busybox; install busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi
ldd_out=$(LC_ALL=C ldd "$busybox" 2>&1 || true)
if [[ "$ldd_out" != *"not a dynamic"* ]]; then
  echo "mkrootfs.sh: $busybox is not statically linked; install busybox-static" >&2
  exit 1
fi
mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/home/app"
cp "$busybox" "$dir/bin/busybox"
chmod 0755 "$dir/bin/busybox"
# busybox --install needs /proc/self/exe to point at it; do it by hand instead.
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] && continue
  ln -sf busybox "$dir/bin/$applet"
done
cat >"$dir/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
PW
cat >"$dir/etc/group" <<'GR'
root:x:0:
users:x:100:app
app:x:1000:
GR
chmod 1777 "$dir/tmp"
chmod 0700 "$dir/root"
chown 1000:1000 "$dir/home/app" 2>/dev/null || true
