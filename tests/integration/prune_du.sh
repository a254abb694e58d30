#!/usr/bin/env bash
# kiln du and kiln prune on a scratch root: an unreferenced blob is reported and
# collected, a referenced layout stays, and bad flag values are clear errors.
set -euo pipefail
root=$(mktemp -d "${TMPDIR:-/tmp}/kiln-prune-test.XXXXXX")
trap 'rm -rf "$root"' EXIT

"$KILN" --root "$root" du > "$root/du.out"
grep -q '^Total: *0B$' "$root/du.out" || { cat "$root/du.out"; echo "empty store should use 0B"; exit 1; }

# An unreferenced blob (as a killed build might leave) is reclaimable and pruned.
blob=$root/payload
head -c 5000 /dev/urandom > "$blob"
hex=$(sha256sum "$blob" | cut -d' ' -f1)
mkdir -p "$root/content/blobs/sha256"
cp "$blob" "$root/content/blobs/sha256/$hex"
"$KILN" --root "$root" du | grep -q '^Blobs: *5kB$' || { "$KILN" --root "$root" du; echo "du did not count the blob"; exit 1; }
"$KILN" --root "$root" prune > "$root/prune.out"
grep -q 'Deleted 0 cache records, 0 snapshots, 1 blobs' "$root/prune.out" || { cat "$root/prune.out"; exit 1; }
grep -q 'Total reclaimed space: 5kB' "$root/prune.out" || { cat "$root/prune.out"; exit 1; }
[ ! -e "$root/content/blobs/sha256/$hex" ] || { echo "blob survived prune"; exit 1; }

# Flags.
"$KILN" --root "$root" prune --all --keep-storage 10GB --keep-duration 1h30m > /dev/null
if "$KILN" --root "$root" prune --keep-storage 10XB 2> "$root/err"; then echo "bad size accepted"; exit 1; fi
grep -q 'keep-storage' "$root/err" || { cat "$root/err"; exit 1; }
if "$KILN" --root "$root" prune --keep-duration 3 2> "$root/err"; then echo "bad duration accepted"; exit 1; fi
grep -q 'keep-duration' "$root/err" || { cat "$root/err"; exit 1; }
"$KILN" prune --help | grep -q -- '--keep-storage'
echo "prune_du: ok"
