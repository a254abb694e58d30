#!/usr/bin/env bash
# kiln build benchmarks (issue 5, "Speed"); results go to docs/BENCHMARKS.md ("Build").
#   bench/build_bench.sh [KILN]            (default: build-rel/kiln, else build/kiln)
#   BENCH_SKIP_CONTEXT=1   skip the 480 MB context cases
#   BENCH_SKIP_BIGRUN=1    skip the 1 GB RUN case
#   BENCH_ROUNDS=N         one-file-changed rounds (kiln and docker alternately; default 3)
# Cases:
#   1. four independent stages each running `sleep 2`, cold (--no-cache): goal <= 2.2 s
#   2. the same, all cached: goal <= 30 ms
#   3. a 480 MB / 20,000-file context copied with `COPY . .`: rebuild without a change
#      (goal <= 100 ms) and with one file changed (goal <= 0.15x docker build)
#   4. a RUN writing 1 GB vs the same script run natively (goal <= 1.4x)
# docker build runs side by side when `docker info` works (../shared/tools/oracle-up).
# Needs root (RUN steps run in namespaces) and busybox-static. Uses hyperfine when present.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kiln=${1:-}
if [ -z "$kiln" ]; then
  if [ -x "$here/build-rel/kiln" ]; then kiln="$here/build-rel/kiln"; else kiln="$here/build/kiln"; fi
fi
kiln=$(realpath "$kiln")
work=$(mktemp -d /tmp/kiln-build-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export KILN_ROOT="$work/root"
have_docker=0
export DOCKER_BUILDKIT=1
if [ -x /usr/bin/docker ] && /usr/bin/docker info >/dev/null 2>&1; then have_docker=1; fi
# docker build with BuildKit; --network=host as oracle-up's dockerd has no bridge.
dk() { /usr/bin/docker build --network=host "$@"; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# time_ms CMD...: wall time of one run in ms (output discarded).
time_ms() { local s; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; echo $(( ($(date +%s%N) - s) / 1000000 )); }
# best_ms N CMD...: the best of N runs (hyperfine's median when available).
best_ms() {
  local n=$1; shift
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 2 --runs "$n" --export-json "$work/h.json" "$(printf '%q ' "$@")" >/dev/null 2>&1
    python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["results"][0]["median"]*1000, 1))' "$work/h.json"
  else
    local best=999999 t
    for _ in $(seq "$n"); do t=$(time_ms "$@"); [ "$t" -lt "$best" ] && best=$t; done
    echo "$best"
  fi
}

echo "kiln: $kiln ($("$kiln" --version)); $(nproc) cores; $(uname -r)"
# Base image: FROM scratch + busybox-static.
mkdir -p "$work/base" && cp /bin/busybox "$work/base/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox","--install","-s","/bin"]\n' > "$work/base/Dockerfile"
"$kiln" build -q -t bench-base:1 "$work/base" >/dev/null

# 1 + 2: four sleeping stages.
mkdir -p "$work/sleep"
{
  for i in 1 2 3 4; do printf 'FROM bench-base:1 AS s%d\nRUN sleep 2 && echo %d > /%d\n' "$i" "$i" "$i"; done
  printf 'FROM bench-base:1\n'
  for i in 1 2 3 4; do printf 'COPY --from=s%d /%d /%d\n' "$i" "$i" "$i"; done
} > "$work/sleep/Dockerfile"
cold=$(time_ms "$kiln" build --no-cache -t bench-sleep:1 "$work/sleep")
cached=$(best_ms 20 "$kiln" build -q -t bench-sleep:1 "$work/sleep")
echo "four sleep-2 stages, cold (--no-cache): ${cold} ms (goal <= 2200)"
echo "four sleep-2 stages, cached: ${cached} ms (goal <= 30)"
if [ $have_docker = 1 ]; then
  dk -q -t bench-base:1 "$work/base" >/dev/null || have_docker=0
  d_cold=$(time_ms dk --no-cache -t bench-sleep:1 "$work/sleep")
  d_cached=$(best_ms 5 /usr/bin/docker build --network=host -q -t bench-sleep:1 "$work/sleep")
  echo "  docker build: cold ${d_cold} ms, cached ${d_cached} ms"
fi

# 3: a 480 MB / 20,000-file context.
if [ "${BENCH_SKIP_CONTEXT:-0}" != 1 ]; then
  ctx="$work/ctx"; mkdir -p "$ctx"
  python3 - "$ctx" <<'PY'
import os, sys
root = sys.argv[1]
block = os.urandom(1 << 20)
for i in range(20000):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    off = (i * 7919) % ((1 << 20) - 24576)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(block[off:off + 24000] + i.to_bytes(4, "little"))
PY
  printf 'FROM bench-base:1\nCOPY . /ctx/\n' > "$ctx/Dockerfile"
  first=$(time_ms "$kiln" build -q -t bench-ctx:1 "$ctx")
  sync  # the first build's (and the generated context's) write-back is not the rebuild's
  nochange=$(best_ms 10 "$kiln" build -q -t bench-ctx:1 "$ctx")
  echo "480 MB / 20,000-file context: first build ${first} ms; rebuild, no change: ${nochange} ms (goal <= 100)"
  [ $have_docker = 1 ] && { dk -q -t bench-ctx:1 "$ctx" >/dev/null || have_docker=0; }
  # One file changed: kiln and docker alternately (each after a fresh change of
  # the first file of the layer and a sync, so neither starts while the disk still
  # writes back what the other wrote), BENCH_ROUNDS rounds, medians compared.
  ks=() ds=()
  for r in $(seq "${BENCH_ROUNDS:-3}"); do
    echo "kiln-$r" >> "$ctx/d000/f00000"
    sync
    ks+=("$(time_ms "$kiln" build -q -t bench-ctx:1 "$ctx")")
    if [ $have_docker = 1 ]; then
      echo "docker-$r" >> "$ctx/d000/f00000"
      sync
      ds+=("$(time_ms dk -q -t bench-ctx:1 "$ctx")")
    fi
  done
  median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
  km=$(median "${ks[@]}")
  echo "one file changed: kiln median ${km} ms (runs: ${ks[*]})"
  if [ $have_docker = 1 ]; then
    dm=$(median "${ds[@]}")
    echo "  docker build, one file changed: median ${dm} ms (runs: ${ds[*]}); kiln/docker = $(python3 -c "print(round($km/$dm, 3))") (goal <= 0.15)"
  fi
  rm -rf "$ctx"
fi

# 4: a RUN writing 1 GB vs the same script natively.
if [ "${BENCH_SKIP_BIGRUN:-0}" != 1 ]; then
  mkdir -p "$work/big" "$work/native"
  script='dd if=/dev/zero of=/big bs=1M count=1024 2>/dev/null && sync -f /big'
  printf 'FROM bench-base:1\nRUN %s\n' "$script" > "$work/big/Dockerfile"
  "$kiln" build --no-cache --progress plain -o "type=local,dest=$work/bigout" "$work/big" >"$work/big.log" 2>&1
  # The RUN step's own time, from its "#N DONE x.ys" line (the export is not part of it).
  n=$(grep -m1 'RUN dd' "$work/big.log" | cut -d' ' -f1)
  run=$(grep "^$n DONE" "$work/big.log" | awk '{print $3}')
  native=$(time_ms sh -c "${script//\/big/$work/native/big}")
  echo "RUN writing 1 GB: ${run} in the build; natively: ${native} ms (goal <= 1.4x)"
  rm -rf "$work/bigout" "$work/native"
fi
