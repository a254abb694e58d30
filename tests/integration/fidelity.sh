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
exit $rc
