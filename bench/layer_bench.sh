#!/usr/bin/env bash
# Layer export benchmark (docs/BENCHMARKS.md, "Layers"): builds a directory of
# SIZE_MB (default 1024) MiB, half random bytes and half text, then compares
# kiln's layer export (zstd, gzip) with `tar -c | zstd -T2 -3` and
# `tar -c | gzip -6`, reporting wall time and peak RSS from /usr/bin/time -v.
#   bench/layer_bench.sh [BUILD_DIR=build] [SIZE_MB=1024]
# Build first (a release build gives the real numbers):
#   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-rel --target kiln_layer_bench
set -euo pipefail
build=${1:-build}
size_mb=${2:-1024}
bin=$build/bench/kiln_layer_bench
[ -x "$bin" ] || { echo "missing $bin: build the kiln_layer_bench target first" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-layer-bench-data.XXXXXX")
[ -n "${KEEP_DATA:-}" ] || trap 'rm -rf "$work"' EXIT
data=$work/data
mkdir -p "$data/random" "$data/text"

files=$(( size_mb / 2 / 2 ))  # 2 MiB files, half random, half text
echo "generating ${size_mb} MiB in $data ($files random + $files text files of 2 MiB)"
for i in $(seq 1 "$files"); do head -c 2097152 /dev/urandom > "$data/random/r$i"; done
python3 - "$data/text" "$files" <<'PY'
import os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
words = []
for root in ("/usr/share/common-licenses", "/usr/include"):
    for dp, _, fs in os.walk(root):
        for f in fs:
            try:
                words += open(os.path.join(dp, f), errors="ignore").read().split()
            except OSError:
                pass
        if len(words) > 2_000_000:
            break
rng = random.Random(42)
corpus = " ".join(rng.choice(words) + ("\n" if rng.random() < 0.08 else "") for _ in range(3_000_000)).encode()
for i in range(1, n + 1):
    off = rng.randrange(0, len(corpus) - 2097152)
    with open(f"{out}/t{i}", "wb") as f:
        f.write(corpus[off:off + 2097152])
PY
du -sh "$data"
tar -C "$data" -cf - . > /dev/null  # warm the page cache

measure() {  # label, command...
  local label=$1; shift
  local log=$work/time.log
  /usr/bin/time -v "$@" > "$work/out" 2> "$log"
  local wall rss user sys
  wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
  user=$(grep "User time" "$log" | awk '{print $NF}')
  sys=$(grep "System time" "$log" | awk '{print $NF}')
  printf '%-26s wall %8s  cpu %6.1fs  peak RSS %5d MB  %s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
    $((rss / 1024)) "$(head -1 "$work/out" | head -c 100)"
}

measure "kiln zstd (level 3)" "$bin" "$data" zstd
measure "tar -c | zstd -T2 -3" bash -c "tar -C '$data' -cf - . | zstd -T2 -3 -c > '$work/out.tar.zst'; sync '$work/out.tar.zst'; stat -c %s '$work/out.tar.zst'"
measure "kiln gzip (level 6)" "$bin" "$data" gzip
measure "tar -c | gzip -6" bash -c "tar -C '$data' -cf - . | gzip -6 -c > '$work/out.tar.gz'; sync '$work/out.tar.gz'; stat -c %s '$work/out.tar.gz'"
