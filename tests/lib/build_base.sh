# Sourced by tests/integration/build_*.sh. Sets up a private kiln root and a
# base image made in the test: FROM scratch + Debian's busybox-static, then
# `RUN ["/bin/busybox","--install","-s","/bin"]`, tagged $BASE.
#   WORK      a scratch directory (removed on exit)
#   KILN_ROOT kiln's state directory, inside WORK
#   kb ARGS   runs `$KILN build ARGS` with plain progress
#   BASE      the base image name
set -euo pipefail
: "${KILN:?set KILN to the kiln binary}"
if [ "$(id -u)" != 0 ]; then
  echo "$(basename "$0"): skipped: needs root (RUN steps run in namespaces)"
  exit 0
fi
if [[ "$(/bin/busybox --help 2>&1 || true)" != BusyBox* ]]; then
  echo "$(basename "$0"): needs Debian's busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi
WORK=$(mktemp -d /tmp/kiln-build-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export KILN_ROOT="$WORK/root"
BASE=kiln-test-base:1
kb() { "$KILN" build --progress plain "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

make_base() {
  mkdir -p "$WORK/base"
  cp /bin/busybox "$WORK/base/busybox"
  cat >"$WORK/base/Dockerfile" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox","--install","-s","/bin"]
DF
  "$KILN" build -q -t "$BASE" "$WORK/base" >/dev/null || fail "building the busybox base image"
}
make_base
