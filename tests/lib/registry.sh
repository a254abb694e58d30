# shellcheck shell=bash disable=SC2034
# Shared helpers for tests that need a container registry. Source it:
#   . "$SRC/tests/lib/registry.sh"
# Everything runs on 127.0.0.1 with free ports and temporary directories, and every
# process started here is stopped by reg_cleanup (installed as an EXIT trap by
# reg_init). Needs Debian's docker-registry (CNCF distribution 2.8), openssl,
# apache2-utils (htpasswd), python3, curl; skopeo for the interop helpers.
#
#   reg_init                 creates $REG_TMP (a temp dir) and the EXIT trap
#   reg_free_port            prints a free TCP port on 127.0.0.1
#   reg_make_ca DIR          writes DIR/ca.{crt,key} and DIR/server.{crt,key} (SAN 127.0.0.1, localhost)
#   reg_htpasswd FILE U P    adds bcrypt user U with password P to FILE
#   reg_start NAME [--tls DIR] [--htpasswd FILE] [--token REALM SERVICE ISSUER CERT]
#                            starts a registry storing under $REG_TMP/NAME/data and waits until it
#                            answers; sets REG_HOST (127.0.0.1:PORT), REG_DATA (storage root), REG_PID
#   reg_start_token_server NAME   starts tests/lib/token_server.py with a fresh RSA key and
#                            certificate and users file $REG_TMP/NAME/users ("user:pass" lines, one
#                            user "alice:wonderland" by default); sets TOKEN_REALM, TOKEN_CERT,
#                            TOKEN_ISSUER, TOKEN_SERVICE, TOKEN_LOG (one line per token request)
#   reg_make_oci DIR TAG ARCHES [opts]   builds an OCI layout (tests/lib/make_oci.py) and prints the
#                            digest TAG points at; ARCHES like "amd64" or "amd64,arm64,arm/v7"
#   reg_skopeo_push DIR TAG REF [--all]  copies oci:DIR:TAG to docker://REF (plain HTTP allowed)
#   reg_start_proxy MODE     starts tests/lib/fault_proxy.py in front of $REG_HOST (MODE: pass,
#                            cut-once, stall); sets PROXY_HOST and PROXY_LOG
#   reg_blob_path DIGEST     path of a blob in $REG_DATA's filesystem storage (to tamper with it)
#   reg_cleanup              stops every process started here and removes $REG_TMP

REG_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REG_PIDS=()

reg_init() {
  local c missing=()
  for c in docker-registry skopeo openssl htpasswd python3 curl; do
    command -v "$c" >/dev/null || missing+=("$c")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "registry tests need: ${missing[*]} (run tools/setup)" >&2
    return 1
  fi
  REG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/kiln-regtest.XXXXXX")"
  trap reg_cleanup EXIT
}

reg_cleanup() {
  local p
  for p in "${REG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${REG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  REG_PIDS=()
  [ -n "${REG_TMP:-}" ] && rm -rf "$REG_TMP"
}

reg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

reg_make_ca() {
  local d="$1"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kiln test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null
}

reg_htpasswd() {
  if [ -f "$1" ]; then htpasswd -bB "$1" "$2" "$3" 2>/dev/null; else htpasswd -cbB "$1" "$2" "$3" 2>/dev/null; fi
}

# Waits until URL answers any HTTP status (curl exit 0), for up to 20 s.
reg_wait_http() {
  for _ in $(seq 1 200); do
    if curl -sk -o /dev/null --max-time 2 "$1"; then return 0; fi
    sleep 0.1
  done
  echo "reg_wait_http: $1 did not answer" >&2
  return 1
}

reg_start() {
  local name="$1"; shift
  local dir="$REG_TMP/$name"
  mkdir -p "$dir/data"
  local port; port="$(reg_free_port)"
  local tls="" auth=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --tls) tls="  tls:
    certificate: $2/server.crt
    key: $2/server.key"; shift 2 ;;
      --htpasswd) auth="auth:
  htpasswd:
    realm: kiln-test
    path: $2"; shift 2 ;;
      --token) auth="auth:
  token:
    realm: $2
    service: $3
    issuer: $4
    rootcertbundle: $5"; shift 5 ;;
      *) echo "reg_start: unknown option $1" >&2; return 1 ;;
    esac
  done
  cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: kiln-test-secret
$tls
$auth
YAML
  docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
  REG_PID=$!
  REG_PIDS+=("$REG_PID")
  REG_HOST="127.0.0.1:$port"
  REG_DATA="$dir/data"
  local scheme=http; [ -n "$tls" ] && scheme=https
  reg_wait_http "$scheme://$REG_HOST/v2/" || { cat "$dir/log" >&2; return 1; }
}

reg_start_token_server() {
  local name="$1"
  local dir="$REG_TMP/$name"
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kiln token signer" \
    -keyout "$dir/token.key" -out "$dir/token.crt" 2>/dev/null
  [ -f "$dir/users" ] || echo "alice:wonderland" > "$dir/users"
  local port; port="$(reg_free_port)"
  TOKEN_LOG="$dir/token.log"
  : > "$TOKEN_LOG"
  python3 "$REG_LIB_DIR/token_server.py" "$port" "$dir/token.key" "$dir/token.crt" kiln-test-issuer \
    "$dir/users" "$TOKEN_LOG" > "$dir/server.log" 2>&1 &
  REG_PIDS+=("$!")
  TOKEN_REALM="http://127.0.0.1:$port/token"
  TOKEN_CERT="$dir/token.crt"
  TOKEN_ISSUER=kiln-test-issuer
  TOKEN_SERVICE=kiln-test-registry
  reg_wait_http "$TOKEN_REALM" || { cat "$dir/server.log" >&2; return 1; }
  : > "$TOKEN_LOG"
}

reg_make_oci() {
  python3 "$REG_LIB_DIR/make_oci.py" "$@"
}

reg_skopeo_push() {
  local dir="$1" tag="$2" ref="$3"; shift 3
  skopeo copy -q --dest-tls-verify=false "$@" "oci:$dir:$tag" "docker://$ref" >/dev/null
}

reg_start_proxy() {
  local port; port="$(reg_free_port)"
  PROXY_LOG="$REG_TMP/proxy-$port.log"
  : > "$PROXY_LOG"
  python3 "$REG_LIB_DIR/fault_proxy.py" "$port" "$REG_HOST" "$1" "$PROXY_LOG" > "$REG_TMP/proxy-$port.out" 2>&1 &
  REG_PIDS+=("$!")
  PROXY_HOST="127.0.0.1:$port"
  reg_wait_http "http://$PROXY_HOST/v2/" || { cat "$REG_TMP/proxy-$port.out" >&2; return 1; }
  : > "$PROXY_LOG"
}

reg_blob_path() {
  local hex="${1#sha256:}"
  echo "$REG_DATA/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}
