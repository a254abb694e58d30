#!/usr/bin/env bash
# kiln cache-server as a registry: kiln push/pull and skopeo round-trip an image;
# kill -9 during an upload then a restart serves at once, no partial blob, the next
# push works; a damaged or truncated blob file is never served; /metrics; batch
# lookup; TLS + htpasswd with wrong credentials; a read-only token gets 403 DENIED.
set -euo pipefail
. "$SRC/tests/lib/registry.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
reg_init
export KILN_ROOT="$REG_TMP/kroot" DOCKER_CONFIG="$REG_TMP/docker"

# cs_start NAME [flags...]: starts a server on a free port; sets CS (host:port), CS_PID, CS_ROOT.
cs_start() {
  local name="$1"; shift
  CS_ROOT="$REG_TMP/$name"
  local port; port="$(reg_free_port)"
  "$KILN" cache-server --listen "127.0.0.1:$port" --root "$CS_ROOT" "$@" >> "$REG_TMP/$name.log" 2>&1 &
  CS_PID=$!
  REG_PIDS+=("$CS_PID")
  CS="127.0.0.1:$port"
}
cs_wait() { reg_wait_http "$1://$CS/v2/" || { cat "$REG_TMP"/*.log >&2; fail "server did not start"; }; }

cs_start plain
cs_wait http
reg_make_oci "$REG_TMP/oci" one amd64 --seed cs >/dev/null
reg_skopeo_push "$REG_TMP/oci" one "$CS/team/app:v1"
want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$CS/team/app:v1")
got=$("$KILN" pull -q "$CS/team/app:v1")
[ "$got" = "$want" ] || fail "kiln pull printed $got, skopeo pushed $want"
"$KILN" push -q "$CS/team/copy:v2" "$CS/team/app:v1" >/dev/null
skopeo copy -q --src-tls-verify=false "docker://$CS/team/copy:v2" "oci:$REG_TMP/back:v2" >/dev/null ||
  fail "skopeo cannot copy what kiln pushed"
curl -sf "http://$CS/v2/team/app/tags/list" | grep -q '"v1"' || fail "tags/list"
# the manifest's type and digest headers
curl -sfI "http://$CS/v2/team/app/manifests/v1" > "$REG_TMP/h"
grep -qi "^Docker-Content-Digest: $want" "$REG_TMP/h" || fail "no digest header: $(cat "$REG_TMP/h")"
grep -qi "^Content-Type: application/vnd" "$REG_TMP/h" || fail "manifest content type: $(cat "$REG_TMP/h")"
# unknown manifest: the spec's JSON error
code=$(curl -s -o "$REG_TMP/e" -w '%{http_code}' "http://$CS/v2/team/app/manifests/nope")
[ "$code" = 404 ] && grep -q MANIFEST_UNKNOWN "$REG_TMP/e" || fail "unknown manifest: $code $(cat "$REG_TMP/e")"
# tag pagination
for t in a b c; do
  curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
    --data-binary @<(skopeo inspect --raw --tls-verify=false "docker://$CS/team/app:v1") "http://$CS/v2/team/app/manifests/$t" >/dev/null
done
curl -sf -D "$REG_TMP/h" "http://$CS/v2/team/app/tags/list?n=2" > "$REG_TMP/t"
grep -q '"tags":\["a","b"\]' "$REG_TMP/t" || fail "page 1: $(cat "$REG_TMP/t")"
grep -qi '^Link: </v2/team/app/tags/list?n=2&last=b>; rel="next"' "$REG_TMP/h" || fail "no Link: $(cat "$REG_TMP/h")"
curl -sf "http://$CS/v2/team/app/tags/list?n=2&last=b" | grep -q '"tags":\["c","v1"\]' || fail "page 2"

# --- batch lookup: present tags with their digests, absent ones left out
curl -sf -X POST --data '{"tags":["v1","missing"]}' "http://$CS/kiln/v1/team/app/lookup" > "$REG_TMP/l"
python3 - "$REG_TMP/l" "$want" <<'PY' || fail "lookup: $(cat "$REG_TMP/l")"
import json, sys
m = json.load(open(sys.argv[1]))["manifests"]
assert list(m) == ["v1"] and m["v1"]["digest"] == sys.argv[2], m
PY

# --- a damaged blob (same size) is never served complete; a truncated one is a 404
layer=$(skopeo inspect --tls-verify=false --format '{{index .Layers 0}}' "docker://$CS/team/app:v1")
f="$CS_ROOT/blobs/sha256/${layer:7:2}/${layer#sha256:}"
[ -f "$f" ] || fail "blob file $f"
cp "$f" "$REG_TMP/layer.good"
printf 'X' | dd of="$f" bs=1 seek=10 conv=notrunc 2>/dev/null
if curl -sf -o "$REG_TMP/got" "http://$CS/v2/team/app/blobs/$layer"; then fail "served a damaged blob"; fi
[ "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$CS/v2/team/app/blobs/$layer")" = 404 ] || fail "damaged blob still listed"

# --- /metrics
curl -sf "http://$CS/metrics" > "$REG_TMP/m"
for k in kiln_cache_requests_total kiln_cache_hits_total kiln_cache_misses_total kiln_cache_bytes_in_total \
  kiln_cache_bytes_out_total kiln_cache_evictions_total kiln_cache_store_bytes; do
  grep -q "^$k" "$REG_TMP/m" || fail "metrics lack $k"
done

# --- kill -9 in the middle of an upload: restart serves the index at once, no partial blob
head -c 3000000 /dev/urandom > "$REG_TMP/big"
big=sha256:$(sha256sum "$REG_TMP/big" | cut -d' ' -f1)
loc=$(curl -sf -X POST -D - -o /dev/null "http://$CS/v2/team/app/blobs/uploads/" | tr -d '\r' | sed -n 's/^Location: //Ip')
head -c 1000000 "$REG_TMP/big" | curl -sf -X PATCH --data-binary @- -H "Content-Range: 0-999999" "http://$CS$loc" >/dev/null
kill -9 "$CS_PID"; wait "$CS_PID" 2>/dev/null || true
port=${CS##*:}
"$KILN" cache-server --listen "$CS" --root "$CS_ROOT" >> "$REG_TMP/plain.log" 2>&1 &
CS_PID=$!; REG_PIDS+=("$CS_PID")
cs_wait http
[ "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$CS/v2/team/app/blobs/$big")" = 404 ] || fail "partial blob visible"
[ -z "$(ls -A "$CS_ROOT/uploads")" ] || fail "the restart left upload files"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$CS$loc")" = 404 ] || fail "the killed upload is still open"
"$KILN" pull -q "$CS/team/copy:v2" >/dev/null || fail "pull after restart"
curl -sf -X POST --data-binary @"$REG_TMP/big" "http://$CS/v2/team/app/blobs/uploads/?digest=$big" >/dev/null || fail "monolithic push after restart"
curl -sf -o "$REG_TMP/big.back" "http://$CS/v2/team/app/blobs/$big" && cmp -s "$REG_TMP/big" "$REG_TMP/big.back" || fail "big blob round trip"
# a wrong digest is refused and leaves nothing
code=$(curl -s -o "$REG_TMP/e" -w '%{http_code}' -X POST --data-binary "abc" "http://$CS/v2/team/app/blobs/uploads/?digest=sha256:$(printf abd | sha256sum | cut -d' ' -f1)")
[ "$code" = 400 ] && grep -q DIGEST_INVALID "$REG_TMP/e" || fail "wrong digest: $code $(cat "$REG_TMP/e")"
# Range
[ "$(curl -sf -r 10-19 "http://$CS/v2/team/app/blobs/$big" | wc -c)" = 10 ] || fail "range GET"
# graceful SIGTERM
kill -TERM "$CS_PID"; wait "$CS_PID" || fail "SIGTERM exit status $?"
grep -q "kiln cache-server: stopped" "$REG_TMP/plain.log" || fail "no clean stop"

# --- TLS + htpasswd, wrong credentials, a read-only token
reg_make_ca "$REG_TMP/ca"
reg_htpasswd "$REG_TMP/htpasswd" alice wonderland
sed -i 's/$/ rw:team-a\/*/' "$REG_TMP/htpasswd"
echo "readonly-token-0123456789 r:team-a/*" > "$REG_TMP/tokens"
cs_start secure --tls-cert "$REG_TMP/ca/server.crt" --tls-key "$REG_TMP/ca/server.key" \
  --htpasswd "$REG_TMP/htpasswd" --tokens "$REG_TMP/tokens"
cs_wait https
C="--cacert $REG_TMP/ca/ca.crt"
curl -s $C -D "$REG_TMP/h" -o "$REG_TMP/e" "https://$CS/v2/" || true
grep -q "^HTTP/1.1 401" "$REG_TMP/h" && grep -qi '^WWW-Authenticate: Basic realm=' "$REG_TMP/h" || fail "no 401 challenge: $(cat "$REG_TMP/h")"
grep -q UNAUTHORIZED "$REG_TMP/e" || fail "401 body: $(cat "$REG_TMP/e")"
[ "$(curl -s $C -u alice:wrong -o /dev/null -w '%{http_code}' "https://$CS/v2/")" = 401 ] || fail "wrong password accepted"
mkdir -p "$REG_TMP/certs.d/$CS"; cp "$REG_TMP/ca/ca.crt" "$REG_TMP/certs.d/$CS/ca.crt"
export KILN_CERTS_D="$REG_TMP/certs.d"
if "$KILN" inspect --remote "$CS/team-a/app:v1" 2>/dev/null; then fail "anonymous push worked"; fi
skopeo copy -q --dest-cert-dir "$REG_TMP/certs.d/$CS" --dest-creds alice:wonderland \
  "oci:$REG_TMP/oci:one" "docker://$CS/team-a/app:v1" >/dev/null || fail "skopeo push over TLS with auth"
echo wonderland | "$KILN" login -u alice --password-stdin "$CS" >/dev/null
"$KILN" pull -q "$CS/team-a/app:v1" >/dev/null || fail "kiln pull over TLS with auth"
code=$(curl -s $C -u alice:wonderland -o "$REG_TMP/e" -w '%{http_code}' -X POST "https://$CS/v2/team-b/app/blobs/uploads/")
[ "$code" = 403 ] && grep -q DENIED "$REG_TMP/e" || fail "alice wrote outside team-a: $code"
T="Authorization: Bearer readonly-token-0123456789"
[ "$(curl -s $C -H "$T" -o /dev/null -w '%{http_code}' "https://$CS/v2/team-a/app/manifests/v1")" = 200 ] || fail "read-only token cannot read"
code=$(curl -s $C -H "$T" -o "$REG_TMP/e" -w '%{http_code}' -X POST "https://$CS/v2/team-a/app/blobs/uploads/")
[ "$code" = 403 ] && grep -q DENIED "$REG_TMP/e" || fail "read-only token wrote: $code $(cat "$REG_TMP/e")"
echo "cache_server: ok"
