#!/usr/bin/env bash
# Registry benchmark: push and pull an image with one big layer (half random, half
# text; SIZE_MB uncompressed, gzip level 1) to/from a local CNCF distribution registry
# over plain HTTP on 127.0.0.1, kiln against `skopeo copy` of the same image.
#
#   bench/push_bench.sh                 # SIZE_MB=1024 ROUNDS=3 KILN=build/kiln
#   SIZE_MB=256 ROUNDS=2 bench/push_bench.sh
#
# Each round, with fresh registries and stores:
#   skopeo push  skopeo copy oci:LAYOUT:big docker://R1/bench/sk:1
#   kiln pull    kiln pull R1/bench/sk:1                          (empty KILN_ROOT)
#   skopeo pull  skopeo copy docker://R1/bench/sk:1 oci:DIR:big    (empty DIR; order alternates)
#   kiln push    kiln push R2/bench/kiln:1 R1/bench/sk:1           (R2: an empty registry)
# Prints one line per measurement and the medians. Results: docs/BENCHMARKS.md ("Registry").
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
KILN="${KILN:-$SRC/build/kiln}"
SIZE_MB="${SIZE_MB:-1024}"
ROUNDS="${ROUNDS:-3}"
. "$SRC/tests/lib/registry.sh"
reg_init
half=$((SIZE_MB / 2))
echo "building a ${SIZE_MB} MiB layer (${half} MiB random + ${half} MiB text, gzip -1)..." >&2
reg_make_oci "$REG_TMP/layout" big amd64 --seed bench --extra-mb "$half" --text-mb "$half" --gzip >/dev/null
blob=$(find "$REG_TMP/layout/blobs/sha256" -type f -size +1M -printf '%s\n' | sort -n | tail -1)
echo "layer blob: $blob bytes compressed" >&2

# secs CMD...: runs CMD, prints "WALL CPU" (seconds; CPU = user + sys of CMD and its children).
secs() {
  python3 -c 'import resource, subprocess, sys, time
t = time.time()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f %.2f" % (time.time() - t, r.ru_utime + r.ru_stime))' "$@"
}
declare -A all cpu
for round in $(seq 1 "$ROUNDS"); do
  reg_start "r1-$round"; R1=$REG_HOST; D1=$REG_DATA
  reg_start "r2-$round"; R2=$REG_HOST; D2=$REG_DATA
  export KILN_ROOT="$REG_TMP/kiln-$round"
  # `sync` before each measurement: no tool pays for the previous one's writeback.
  # Odd rounds measure kiln first, even rounds skopeo first.
  sync; t_sp=$(secs skopeo copy -q --dest-tls-verify=false "oci:$REG_TMP/layout:big" "docker://$R1/bench/sk:1")
  kpull() { sync; t_kpull=$(secs "$KILN" pull -q "$R1/bench/sk:1"); }
  spull() { sync; t_spull=$(secs skopeo copy -q --src-tls-verify=false "docker://$R1/bench/sk:1" "oci:$REG_TMP/pulled-$round:big"); }
  if [ $((round % 2)) = 1 ]; then kpull; spull; else spull; kpull; fi
  sync; t_kpush=$(secs "$KILN" push -q "$R2/bench/kiln:1" "$R1/bench/sk:1")
  echo "round $round (wall/cpu s): skopeo push ${t_sp/ //}  kiln push ${t_kpush/ //}  skopeo pull ${t_spull/ //}  kiln pull ${t_kpull/ //}"
  all[sp]+="${t_sp% *} "; all[kpush]+="${t_kpush% *} "; all[spull]+="${t_spull% *} "; all[kpull]+="${t_kpull% *} "
  cpu[sp]+="${t_sp#* } "; cpu[kpush]+="${t_kpush#* } "; cpu[spull]+="${t_spull#* } "; cpu[kpull]+="${t_kpull#* } "
  rm -rf "$KILN_ROOT" "$REG_TMP/pulled-$round" "$D1" "$D2"
done
median() { python3 -c 'import statistics,sys; print("%.2f" % statistics.median(map(float, sys.argv[1:])))' $1; }
ratio() { python3 -c "print('%.2f' % ($1/$2))"; }
sp=$(median "${all[sp]}"); kpush=$(median "${all[kpush]}"); spull=$(median "${all[spull]}"); kpull=$(median "${all[kpull]}")
csp=$(median "${cpu[sp]}"); ckpush=$(median "${cpu[kpush]}"); cspull=$(median "${cpu[spull]}"); ckpull=$(median "${cpu[kpull]}")
echo "median over $ROUNDS rounds (${SIZE_MB} MiB layer, ${blob} bytes compressed):"
echo "  push: kiln ${kpush}s (cpu ${ckpush}s)  skopeo ${sp}s (cpu ${csp}s)  wall ratio $(ratio "$kpush" "$sp")"
echo "  pull: kiln ${kpull}s (cpu ${ckpull}s)  skopeo ${spull}s (cpu ${cspull}s)  wall ratio $(ratio "$kpull" "$spull")"
