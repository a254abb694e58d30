#!/usr/bin/env bash
# TLS with a CA from certs.d, htpasswd Basic auth, kiln login/logout and the docker
# config file; wrong credentials fail fast with a clear error.
set -euo pipefail
. "$SRC/tests/lib/registry.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
reg_init
reg_make_ca "$REG_TMP/ca"
reg_htpasswd "$REG_TMP/htpasswd" alice wonderland
reg_start tls --tls "$REG_TMP/ca" --htpasswd "$REG_TMP/htpasswd"
R=$REG_HOST
export KILN_ROOT="$REG_TMP/root" DOCKER_CONFIG="$REG_TMP/docker"
mkdir -p "$REG_TMP/certs.d/$R"
cp "$REG_TMP/ca/ca.crt" "$REG_TMP/certs.d/$R/ca.crt"
reg_make_oci "$REG_TMP/oci" one amd64 --seed tls >/dev/null
skopeo copy -q --dest-cert-dir "$REG_TMP/certs.d/$R" --dest-creds alice:wonderland \
  "oci:$REG_TMP/oci:one" "docker://$R/secure/one:1" >/dev/null

# --- the CA is not trusted yet: a clear TLS error, no fallback to plain HTTP
if "$KILN" pull "$R/secure/one:1" 2> "$REG_TMP/err"; then fail "pulled without trusting the CA"; fi
grep -qi "certificate" "$REG_TMP/err" || fail "unclear TLS error: $(cat "$REG_TMP/err")"
grep -q "certs.d" "$REG_TMP/err" || fail "TLS error lacks the certs.d hint: $(cat "$REG_TMP/err")"
# ... unless the registry is declared insecure (TLS without verification)
"$KILN" inspect --remote --insecure-registry "$R" "$R/secure/one:1" > /dev/null 2> "$REG_TMP/err" && fail "anonymous inspect worked"
grep -q "requires a user name and password" "$REG_TMP/err" || fail "insecure TLS: $(cat "$REG_TMP/err")"

export KILN_CERTS_D="$REG_TMP/certs.d"
# --- anonymous: refused with a hint to log in
if "$KILN" pull "$R/secure/one:1" 2> "$REG_TMP/err"; then fail "anonymous pull worked"; fi
grep -q "kiln login $R" "$REG_TMP/err" || fail "no login hint: $(cat "$REG_TMP/err")"

# --- wrong password: fails fast, nothing written
t0=$(now_ms)
if echo wrong | "$KILN" login -u alice --password-stdin "$R" 2> "$REG_TMP/err"; then fail "login with a wrong password"; fi
t1=$(now_ms)
[ $((t1 - t0)) -lt 3000 ] || fail "wrong credentials took $((t1 - t0)) ms (retry storm?)"
grep -q "refused the credentials" "$REG_TMP/err" || fail "unclear login error: $(cat "$REG_TMP/err")"
[ ! -e "$DOCKER_CONFIG/config.json" ] || fail "config written after a failed login"

# --- login writes config.json (0600) as docker does
echo wonderland | "$KILN" login -u alice --password-stdin "https://$R/v2/" > "$REG_TMP/out" 2>/dev/null
grep -q "Login Succeeded" "$REG_TMP/out" || fail "login: $(cat "$REG_TMP/out")"
[ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ] || fail "config.json mode $(stat -c %a "$DOCKER_CONFIG/config.json")"
python3 - "$DOCKER_CONFIG/config.json" "$R" <<'PY' || fail "config.json content: $(cat "$DOCKER_CONFIG/config.json")"
import base64, json, sys
j = json.load(open(sys.argv[1]))
assert base64.b64decode(j["auths"][sys.argv[2]]["auth"]).decode() == "alice:wonderland"
PY

# --- pull and push with the saved credentials; skopeo reads what kiln pushed
"$KILN" pull -q "$R/secure/one:1" > /dev/null
"$KILN" push -q "$R/secure/copy:2" "$R/secure/one:1" > /dev/null
skopeo inspect --cert-dir "$REG_TMP/certs.d/$R" --creds alice:wonderland "docker://$R/secure/copy:2" > /dev/null ||
  fail "skopeo cannot read what kiln pushed"

# --- a stale password in the config: clear error, fast
python3 - "$DOCKER_CONFIG/config.json" "$R" <<'PY'
import base64, json, sys
j = json.load(open(sys.argv[1]))
j["auths"][sys.argv[2]]["auth"] = base64.b64encode(b"alice:stale").decode()
json.dump(j, open(sys.argv[1], "w"))
PY
t0=$(now_ms)
if "$KILN" inspect --remote "$R/secure/one:1" 2> "$REG_TMP/err" >/dev/null; then fail "stale password accepted"; fi
t1=$(now_ms)
[ $((t1 - t0)) -lt 3000 ] || fail "stale credentials took $((t1 - t0)) ms"
grep -q "refused the credentials" "$REG_TMP/err" || fail "unclear error: $(cat "$REG_TMP/err")"

# --- logout removes the entry
"$KILN" logout "$R" > /dev/null
python3 -c 'import json,sys; assert sys.argv[2] not in json.load(open(sys.argv[1])).get("auths", {})' "$DOCKER_CONFIG/config.json" "$R" ||
  fail "logout left credentials"
"$KILN" logout "$R" 2>&1 | grep -q "not logged in" || fail "second logout"
echo "registry_tls_auth: ok"
