#!/usr/bin/env bash
# Fidelity to BuildKit: every case of ../shared/corpus and tests/fixtures/fidelity builds with
# kiln to the same image (files and config) as dockerd's BuildKit. Starts the oracle
# (../shared/tools/oracle-up: dockerd + a registry on 127.0.0.1:5000, about a minute).
# Set KILN_SKIP_FIDELITY=1 to skip.
set -uo pipefail
if [ -n "${KILN_SKIP_FIDELITY:-}" ]; then echo "fidelity: skipped (KILN_SKIP_FIDELITY set)"; exit 0; fi
if [ ! -x "$SHARED/tools/oracle-up" ]; then echo "fidelity: skipped: $SHARED/tools/oracle-up not found"; exit 0; fi
if ! "$SHARED/tools/oracle-up" >/tmp/kiln-oracle-up.log 2>&1; then
  echo "fidelity: skipped: the reference builder could not start:"; tail -5 /tmp/kiln-oracle-up.log; exit 0
fi
export KILN_ROOT=$(mktemp -d /var/tmp/kiln-fidelity-XXXXXX)
trap 'rm -rf "$KILN_ROOT"' EXIT
rc=0
"$SHARED/tools/fidelity" "$SHARED/corpus" "$KILN" || rc=1
"$SHARED/tools/fidelity" "$SRC/tests/fixtures/fidelity" "$KILN" || rc=1
# Every case also compares the history entries (created_by, comment, empty_layer) and
# the layer count: the fidelity tool left the reference as fidelity-ref-NAME, and
# kiln's cache is warm, so this only exports again.
out=$(mktemp -d); trap 'rm -rf "$KILN_ROOT" "$out"' EXIT
for dir in "$SRC"/tests/fixtures/fidelity/*/; do
  [ -f "$dir/expect" ] && continue
  docker image inspect "fidelity-ref-$(basename "$dir")" >/dev/null 2>&1 || continue  # skipped by the tool
  name=$(basename "$dir"); args=$(cat "$dir/args" 2>/dev/null || true)
  if ! (cd "$dir" && "$KILN" build $args --output "type=oci,dest=$out/$name.tar" . >"$out/$name.log" 2>&1); then
    echo "FAIL history $name: kiln build failed: $(tail -1 "$out/$name.log")"; rc=1; continue
  fi
  if python3 "$SRC/tests/lib/history_diff.py" "fidelity-ref-$name" "$out/$name.tar" >"$out/$name.diff" 2>&1; then
    echo "PASS history $name"
  else
    echo "FAIL history $name:"; head -5 "$out/$name.diff" | sed 's/^/  /'; rc=1
  fi
done
exit $rc
