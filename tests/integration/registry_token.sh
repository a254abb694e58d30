#!/usr/bin/env bash
# Bearer token auth (distribution's `auth: token` with a token server from the test
# suite): anonymous refusal, wrong password without a retry storm, login, tokens cached
# per scope, docker's identitytoken (refresh-token grant) and credential helpers.
set -euo pipefail
. "$SRC/tests/lib/registry.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
reg_init
reg_start_token_server tok
reg_start tokreg --token "$TOKEN_REALM" "$TOKEN_SERVICE" "$TOKEN_ISSUER" "$TOKEN_CERT"
R=$REG_HOST
export KILN_ROOT="$REG_TMP/root" DOCKER_CONFIG="$REG_TMP/docker"
reg_make_oci "$REG_TMP/oci" one amd64 --seed token >/dev/null
skopeo copy -q --dest-tls-verify=false --dest-creds alice:wonderland "oci:$REG_TMP/oci:one" "docker://$R/tok/one:1" >/dev/null

# --- anonymous: the token has no access; one retry with a fresh token at most
: > "$TOKEN_LOG"
if "$KILN" pull "$R/tok/one:1" 2> "$REG_TMP/err"; then fail "anonymous pull worked"; fi
grep -q "anonymous access" "$REG_TMP/err" || fail "unclear error: $(cat "$REG_TMP/err")"
grep -q "kiln login $R" "$REG_TMP/err" || fail "no login hint: $(cat "$REG_TMP/err")"
n=$(wc -l < "$TOKEN_LOG")
[ "$n" -le 2 ] || { cat "$TOKEN_LOG"; fail "anonymous pull made $n token requests"; }

# --- wrong password: exactly one token request, a clear error, nothing saved
: > "$TOKEN_LOG"
if echo nope | "$KILN" login -u alice --password-stdin "$R" 2> "$REG_TMP/err"; then fail "wrong password accepted"; fi
grep -q 'refused user "alice"' "$REG_TMP/err" || fail "unclear error: $(cat "$REG_TMP/err")"
[ "$(wc -l < "$TOKEN_LOG")" = 1 ] || fail "wrong password: $(wc -l < "$TOKEN_LOG") token requests"
[ ! -e "$DOCKER_CONFIG/config.json" ] || fail "config written after a failed login"

# --- login, then pull and push: one token per scope set, reused for every request
echo wonderland | "$KILN" login -u alice --password-stdin "$R" | grep -q "Login Succeeded"
: > "$TOKEN_LOG"
"$KILN" pull -q "$R/tok/one:1" > /dev/null
[ "$(grep -c 'GET alice 200' "$TOKEN_LOG")" = 1 ] || fail "pull: token requests: $(cat "$TOKEN_LOG")"
: > "$TOKEN_LOG"
"$KILN" push "$R/tok/pushed:1" "$R/tok/one:1" -t also 2> "$REG_TMP/out" > /dev/null || fail "push: $(cat "$REG_TMP/out")"
grep -q "2 mounted" "$REG_TMP/out" || fail "no cross-repository mount with tokens: $(cat "$REG_TMP/out")"
skopeo inspect --tls-verify=false --creds alice:wonderland "docker://$R/tok/pushed:also" > /dev/null || fail "skopeo cannot read the push"

# --- identitytoken (docker's refresh token): POST grant_type=refresh_token
python3 - "$DOCKER_CONFIG/config.json" "$R" <<'PY'
import json, sys
json.dump({"auths": {sys.argv[2]: {"identitytoken": "refresh-alice"}}}, open(sys.argv[1], "w"))
PY
: > "$TOKEN_LOG"
"$KILN" inspect --remote "$R/tok/one:1" > /dev/null || fail "identity token not used"
grep -q 'POST alice 200' "$TOKEN_LOG" || fail "no refresh-token grant: $(cat "$TOKEN_LOG")"

# --- a credential helper (credHelpers) speaking docker's protocol
mkdir -p "$REG_TMP/bin"
cat > "$REG_TMP/bin/docker-credential-kilntest" <<'SH'
#!/bin/sh
read -r server
[ "$1" = get ] && printf '{"ServerURL":"%s","Username":"alice","Secret":"wonderland"}\n' "$server"
SH
chmod +x "$REG_TMP/bin/docker-credential-kilntest"
python3 - "$DOCKER_CONFIG/config.json" "$R" <<'PY'
import json, sys
json.dump({"auths": {}, "credHelpers": {sys.argv[2]: "kilntest"}}, open(sys.argv[1], "w"))
PY
: > "$TOKEN_LOG"
PATH="$REG_TMP/bin:$PATH" "$KILN" inspect --remote --remote "$R/tok/one:1" > /dev/null || fail "credential helper not used"
grep -q 'GET alice 200' "$TOKEN_LOG" || fail "helper credentials not sent: $(cat "$TOKEN_LOG")"
echo "registry_token: ok"
