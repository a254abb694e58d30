#!/usr/bin/env bash
# Runner benchmark: a RUN writing 1 GB inside the namespace executor, over an
# overlay root, against the same script run natively (same static busybox and
# applets: PATH is the rootfs's /bin, whose links lead to the host's busybox;
# same filesystem). Target: at most 1.4x native.
#
#   bench/run_bench.sh [BUILD_DIR]        (as root; needs busybox-static)
#
# Runs alternate (native, runner, runner, native, ...) with `sync` and the previous
# output removed before each, and the medians are compared, so that drift on a
# shared machine hits both sides alike.
# Env: RUNS (default 7), SIZE_MB (default 1024), BENCH_DIR (default a temp dir
# under /var/tmp: the same filesystem kiln's snapshots live on).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
runs=${RUNS:-7}
size=${SIZE_MB:-1024}
tool=$build/src/runner/kiln_runner_tool
if [ "$(id -u)" != 0 ]; then echo "run_bench.sh: needs root (the executor uses namespaces)" >&2; exit 1; fi
cmake --build "$build" --target kiln_runner_tool >/dev/null

work=${BENCH_DIR:-$(mktemp -d /var/tmp/kiln-bench-runner.XXXXXX)}
trap 'rm -rf "$work"' EXIT
bash "$src/tests/lib/mkrootfs.sh" "$work/lower"
mkdir -p "$work/upper" "$work/work" "$work/native"
ov="lowerdir=$work/lower,upperdir=$work/upper,workdir=$work/work"

# time_one CMD...: "WALL CPU" seconds taken by CMD (CPU = user + system of the
# whole process tree), after removing old output and syncing.
time_one() {
  rm -rf "$work"/upper/* "$work"/native/*
  sync
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null
  awk '{printf "%s %.3f\n", $1, $2 + $3}' "$work/time"
}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

report() {  # report NAME NATIVE_SCRIPT RUNNER_SCRIPT
  local name=$1 native=$2 runner=$3 n=() r=()
  for i in $(seq "$runs"); do  # alternate which goes first, too
    if [ $((i % 2)) = 1 ]; then
      n+=("$(time_one env PATH="$work/lower/bin" /bin/busybox sh -c "$native")")
      r+=("$(time_one "$tool" --overlay "$ov" -- /bin/sh -c "$runner")")
    else
      r+=("$(time_one "$tool" --overlay "$ov" -- /bin/sh -c "$runner")")
      n+=("$(time_one env PATH="$work/lower/bin" /bin/busybox sh -c "$native")")
    fi
  done
  local nw rw nc rc
  nw=$(printf '%s\n' "${n[@]}" | cut -d' ' -f1 | median)
  rw=$(printf '%s\n' "${r[@]}" | cut -d' ' -f1 | median)
  nc=$(printf '%s\n' "${n[@]}" | cut -d' ' -f2 | median)
  rc=$(printf '%s\n' "${r[@]}" | cut -d' ' -f2 | median)
  if [ "$(echo "$nw < 0.05" | bc -l)" = 1 ]; then  # too short for a ratio
    printf '%-28s wall: native %6.3fs runner %6.3fs (start-up cost: %.3fs)\n' "$name" "$nw" "$rw" \
      "$(echo "$rw - $nw" | bc -l)"
  else
    printf '%-28s wall: native %6.3fs runner %6.3fs ratio %5.2fx | cpu: native %6.3fs runner %6.3fs ratio %5.2fx\n' \
      "$name" "$nw" "$rw" "$(echo "$rw / $nw" | bc -l)" "$nc" "$rc" "$(echo "$rc / ($nc + 0.0005)" | bc -l)"
  fi
  echo "    wall samples: native $(printf '%s\n' "${n[@]}" | cut -d' ' -f1 | tr '\n' ' ')| runner $(printf '%s\n' "${r[@]}" | cut -d' ' -f1 | tr '\n' ' ')"
}

echo "runner benchmark: $runs alternating runs, ${size} MB, $(nproc) cores, $(uname -r), load: $(cut -d" " -f1-3 /proc/loadavg)"
report "dd ${size}MB" \
  "dd if=/dev/zero of=$work/native/out bs=1M count=$size 2>/dev/null" \
  "dd if=/dev/zero of=/out bs=1M count=$size 2>/dev/null"
# Note: the root overlay is volatile, so fsync inside the RUN returns at once
# (as under eatmydata); this row shows what a syncing script pays natively.
report "dd ${size}MB conv=fsync" \
  "dd if=/dev/zero of=$work/native/out bs=1M count=$size conv=fsync 2>/dev/null" \
  "dd if=/dev/zero of=/out bs=1M count=$size conv=fsync 2>/dev/null"
# 1 GB as 1024 files of 1 MB written by a shell loop.
# shellcheck disable=SC2016  # expanded inside the container
loop='i=0; while [ $i -lt '$size' ]; do head -c 1048576 /dev/zero > DIR/f$i; i=$((i+1)); done'
report "shell loop ${size}x1MB files" "${loop//DIR/$work/native}" "${loop//DIR/\/tmp}"
report "RUN true (start-up)" "true" "true"
