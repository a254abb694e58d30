#!/usr/bin/env bash
# RUN isolation seen through kiln build: --network=none leaves only `lo`; a RUN
# cannot see host processes; secrets (file and env) reach the RUN but leave no
# trace in the image, its config or kiln's store; cache mounts persist across
# builds and never land in a layer; tmpfs mounts are empty and discarded.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/iso"; mkdir -p "$ctx"
secret="kiln-secret-$RANDOM$RANDOM-value"
printf '%s' "$secret" > "$WORK/secret.txt"
export KILN_TEST_TOKEN="env-$secret"
# The Dockerfile holds only hashes: the secret itself must come from --secret.
h1=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)
h2=$(printf '%s' "env-$secret" | sha256sum | cut -d' ' -f1)
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
RUN --mount=type=secret,id=tok test "\$(sha256sum /run/secrets/tok | cut -d' ' -f1)" = "$h1" && echo secret-file-ok
RUN --mount=type=secret,id=tok,env=TOK test "\$(printf %s "\$TOK" | sha256sum | cut -d' ' -f1)" = "$h1" && echo secret-env-ok
RUN --mount=type=secret,id=envtok,target=/s/t test "\$(sha256sum /s/t | cut -d' ' -f1)" = "$h2" && echo secret-from-env-ok
RUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' > /netdevs
RUN ps -o pid,comm | tail -n +2 > /procs
RUN --mount=type=cache,target=/cache echo run >> /cache/count && wc -l < /cache/count > /cache-count
RUN --mount=type=tmpfs,target=/scratch test -z "\$(ls -A /scratch)" && echo x > /scratch/f && echo tmpfs-ok
EOF
kb --network=none --secret id=tok,src="$WORK/secret.txt" --secret id=envtok,env=KILN_TEST_TOKEN \
  -o "type=oci,dest=$WORK/img.tar" "$ctx" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "build failed"; }
for m in secret-file-ok secret-env-ok secret-from-env-ok tmpfs-ok; do
  grep -q "$m" "$WORK/log" || { cat "$WORK/log"; fail "missing $m"; }
done
mkdir -p "$WORK/img" "$WORK/rootfs" && tar -xf "$WORK/img.tar" -C "$WORK/img"
# Unpack every layer in order to see the final filesystem.
python3 - "$WORK/img" "$WORK/rootfs" <<'PY' || fail "unpacking the image"
import json, os, sys, tarfile
d, out = sys.argv[1], sys.argv[2]
blob = lambda dg: os.path.join(d, "blobs", "sha256", dg.split(":")[1])
man = json.load(open(blob(json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"])))
for l in man["layers"]:
    with tarfile.open(blob(l["digest"])) as t:
        t.extractall(out)
PY
[ "$(cat "$WORK/rootfs/netdevs")" = "lo" ] || fail "--network=none: devices: $(cat "$WORK/rootfs/netdevs")"
[ "$(wc -l < "$WORK/rootfs/procs")" -le 3 ] || fail "RUN sees other processes: $(cat "$WORK/rootfs/procs")"
[ -e "$WORK/rootfs/run/secrets/tok" ] && [ -s "$WORK/rootfs/run/secrets/tok" ] && fail "secret file left in the image"
[ -e "$WORK/rootfs/cache/count" ] && fail "cache mount content left in the image"
[ -e "$WORK/rootfs/scratch/f" ] && fail "tmpfs content left in the image"
# The secret appears nowhere: not in any blob (layers decompressed), config or kiln's store.
if grep -rqa "$secret" "$WORK/rootfs" "$WORK/img" "$KILN_ROOT"; then
  grep -rla "$secret" "$WORK/rootfs" "$WORK/img" "$KILN_ROOT" >&2
  fail "the secret leaked"
fi
for b in "$WORK"/img/blobs/sha256/*; do
  gzip -dc "$b" > "$WORK/layer.tar" 2>/dev/null || continue  # not gzip: already grepped above
  if grep -qa "$secret" "$WORK/layer.tar"; then fail "the secret is in layer $b"; fi
done
# Cache mounts persist across builds.
kb --no-cache --network=none --secret id=tok,src="$WORK/secret.txt" --secret id=envtok,env=KILN_TEST_TOKEN \
  -o "type=local,dest=$WORK/second" "$ctx" >"$WORK/log2" 2>&1 || { cat "$WORK/log2"; fail "second build"; }
[ "$(cat "$WORK/second/cache-count" | tr -d ' ')" = 2 ] || fail "cache mount did not persist: $(cat "$WORK/second/cache-count")"
# A missing required secret is a clear error (secrets are optional by default, as in BuildKit).
mkdir -p "$WORK/req"
printf 'FROM %s\nRUN --mount=type=secret,id=tok,required=true true\n' "$BASE" > "$WORK/req/Dockerfile"
if kb "$WORK/req" >"$WORK/log3" 2>&1; then fail "build without the secret succeeded"; fi
grep -q "secret .tok. not found" "$WORK/log3" || { cat "$WORK/log3"; fail "no clear error for a missing secret"; }
echo "build_isolation: ok"
