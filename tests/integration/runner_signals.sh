#!/usr/bin/env bash
# The runner's process tree and mounts die with the process that runs it, on
# SIGINT and SIGTERM alike (black box: kiln_runner_tool, next to build/kiln).
# Also checks tests/lib/mkrootfs.sh.
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
KILN=${KILN:-$SRC/build/kiln}
tool=$(dirname "$KILN")/src/runner/kiln_runner_tool
if [ "$(id -u)" != 0 ]; then echo "runner_signals: SKIP: needs root (namespaces)"; exit 0; fi
if [ ! -x /bin/busybox ]; then echo "runner_signals: SKIP: needs busybox-static"; exit 0; fi
[ -x "$tool" ] || { echo "runner_signals: FAIL: $tool not built" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$SRC/tests/lib/mkrootfs.sh" "$work/lower"
for f in bin/busybox bin/sh bin/ls etc/passwd etc/group; do
  [ -e "$work/lower/$f" ] || { echo "FAIL: mkrootfs.sh made no $f" >&2; exit 1; }
done
grep -q '^app:x:1000:1000:' "$work/lower/etc/passwd" || { echo "FAIL: no user app" >&2; exit 1; }
[ "$(stat -c %a "$work/lower/tmp")" = 1777 ] || { echo "FAIL: /tmp is not 1777" >&2; exit 1; }

mounts() { awk '{print $5}' /proc/self/mountinfo | sort; }
alive() { pgrep -f -- "$1" || true; }

# Job control: without it bash starts background jobs with SIGINT ignored.
set -m
for sig in INT TERM; do
  mkdir -p "$work/u$sig" "$work/w$sig"
  before=$(mounts)
  marker="kiln-sig$sig-$$"
  TMPDIR=$work "$tool" --overlay "lowerdir=$work/lower,upperdir=$work/u$sig,workdir=$work/w$sig" -- \
    /bin/sh -c "sleep 9${$}1 & sleep 9${$}2 & echo $marker; wait" >"$work/out$sig" &
  pid=$!
  for _ in $(seq 100); do grep -qs "$marker" "$work/out$sig" && break; sleep 0.05; done
  grep -q "$marker" "$work/out$sig" || { echo "FAIL: the container did not start" >&2; exit 1; }
  [ -n "$(alive "sleep 9${$}[2]")" ] || { echo "FAIL: no sleep in the container" >&2; exit 1; }
  kill -"$sig" "$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" -gt 128 ] || { echo "FAIL: the tool did not die of SIG$sig (status $status)" >&2; exit 1; }
  for _ in $(seq 100); do [ -z "$(alive "sleep 9${$}[12]")" ] && break; sleep 0.05; done
  if [ -n "$(alive "sleep 9${$}[12]")" ]; then echo "FAIL: processes left after SIG$sig: $(alive "sleep 9${$}[12]")" >&2; exit 1; fi
  [ "$(mounts)" = "$before" ] || { echo "FAIL: mounts changed after SIG$sig" >&2; diff <(echo "$before") <(mounts) >&2; exit 1; }
  echo "ok: SIG$sig kills the container's tree and leaves no mount"
done
