#!/usr/bin/env bash
# mkrootfs.sh DIR: a tiny busybox root filesystem for tests (needs Debian's
# busybox-static: /bin/busybox). Creates:
#   DIR/bin/busybox and a symlink per applet in DIR/bin (busybox --install -s),
#     so /bin/sh, ls, id, ps, hostname, ip, ... all exist (DIR/usr/bin/busybox
#     is a link to it);
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
mkdir -p "$dir/bin" "$dir/usr/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/home/app"
cp "$busybox" "$dir/bin/busybox"
chmod 0755 "$dir/bin/busybox"
# One symlink per applet, all in /bin. `busybox --install -s` points them at
# the busybox it runs as (/proc/self/exe: /bin/busybox, or /usr/bin/busybox
# where /bin is a link to usr/bin), so both paths lead to the copy in DIR.
[ -e "$dir/usr/bin/busybox" ] || ln -s ../../bin/busybox "$dir/usr/bin/busybox"
"$busybox" --install -s "$dir/bin" 2>/dev/null || true
[ -L "$dir/bin/sh" ] || { echo "mkrootfs.sh: busybox --install -s $dir/bin made no /bin/sh" >&2; exit 1; }
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
