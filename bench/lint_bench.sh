#!/usr/bin/env bash
# kiln lint throughput (docs/BENCHMARKS.md, "Lint"):
#  1. N (1,000) generated Dockerfiles linted by one kiln process pinned to one core,
#     without ShellCheck (target >= 1,000 files/s); 1b the same on every core (target < 0.5 s wall);
#  2. with ShellCheck against shellcheck alone on the same RUN scripts, one shellcheck
#     process per Dockerfile in both cases (target <= 1.2x):
#     2a shellcheck alone, 2b one kiln process for all files, 2c one kiln process per file.
# Times are wall clock and CPU (user+sys of the process tree). The machine should be idle.
# Usage: bench/lint_bench.sh [KILN] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KILN=$(realpath "${1:-$here/../build/kiln}")
N=${2:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/lint_gen.py" "$work" "$N"
cd "$work"
ls -d ????/Dockerfile > files.txt
pin="taskset -c 0"
command -v taskset >/dev/null || pin=""

# measure LABEL CMD...: prints wall and CPU seconds of CMD (run via bash -c).
measure() {
  local label=$1; shift
  local tf; tf=$(mktemp)
  /usr/bin/time -f "%e %U %S" -o "$tf" bash -c "$*" > /dev/null
  read -r wall user sys < "$tf"
  rm -f "$tf"
  cpu=$(echo "$user + $sys" | bc -l)
  printf '%-44s wall %7.3fs  cpu %7.3fs\n' "$label" "$wall" "$cpu"
  LAST_WALL=$wall LAST_CPU=$cpu
}

measure "1  kiln lint --no-shellcheck ($N files)" "$pin '$KILN' lint --no-shellcheck --no-fail -f json \$(cat files.txt)"
printf '   => %.0f files/s (wall), %.0f files/s (cpu)\n' "$(echo "$N / $LAST_WALL" | bc -l)" "$(echo "$N / $LAST_CPU" | bc -l)"
measure "1b kiln lint --no-shellcheck, all cores" "'$KILN' lint --no-shellcheck --no-fail -f json \$(cat files.txt)"

if ! command -v shellcheck >/dev/null; then echo "shellcheck not installed: part 2 skipped"; exit 0; fi
measure "2a shellcheck alone (1 process/Dockerfile)" \
  "for d in ????; do $pin shellcheck --format=json1 --severity=style --exclude=SC2187,SC1090,SC1091 \$d/run_*.sh || true; done"
sc_wall=$LAST_WALL sc_cpu=$LAST_CPU
measure "2b kiln lint, one process for all files" "$pin '$KILN' lint --no-fail -f json \$(cat files.txt)"
printf '   => ratio to 2a: %.3f (wall), %.3f (cpu)\n' "$(echo "$LAST_WALL / $sc_wall" | bc -l)" "$(echo "$LAST_CPU / $sc_cpu" | bc -l)"
measure "2c kiln lint, one process per file" "for d in ????; do $pin '$KILN' lint --no-fail -f json \$d/Dockerfile; done"
printf '   => ratio to 2a: %.3f (wall), %.3f (cpu)\n' "$(echo "$LAST_WALL / $sc_wall" | bc -l)" "$(echo "$LAST_CPU / $sc_cpu" | bc -l)"
