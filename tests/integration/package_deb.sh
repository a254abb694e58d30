#!/usr/bin/env bash
# kiln installs without building: `cmake --install` lays out the binary, man page, docs and the
# pre-commit hook; tools/package makes a stripped kiln_<version>_amd64.deb whose Depends names the
# Debian libraries the binary links; installed by apt into a fresh Debian 12 root (mmdebstrap,
# from the package mirror; the downloaded .debs are kept in BUILD/mmdebstrap-cache) it runs
# `kiln --version`, `kiln lint` and a FROM scratch build. Label "slow" (about a minute).
set -euo pipefail
build=$(dirname "$KILN")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$("$KILN" --version | awk '{print $2}')
fail() { echo "package_deb: $*"; exit 1; }

# cmake --install: the layout under the prefix, and the installed binary runs.
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/kiln share/man/man1/kiln.1 share/doc/kiln/README.md share/doc/kiln/docs/ARCHITECTURE.md \
         share/kiln/pre-commit-hooks.yaml; do
  [ -e "$work/prefix/$f" ] || fail "cmake --install did not install $f"
done
[ "$("$work/prefix/bin/kiln" --version)" = "kiln $version" ] || fail "installed binary: wrong version"
grep -q '^\.SH "KILN build"' "$work/prefix/share/man/man1/kiln.1" || fail "man page lacks kiln build"
man -l "$work/prefix/share/man/man1/kiln.1" 2>/dev/null | grep -q -- '--build-arg' \
  || fail "man page does not render kiln build's flags"

# tools/package: name, Depends from the linked libraries, a stripped binary.
deb=$(KILN_BUILD_DIR="$build" KILN_PACKAGE_NO_BUILD=1 "$SRC/tools/package" "$work/out")
[ "$deb" = "$work/out/kiln_${version}_amd64.deb" ] || fail "unexpected package path $deb"
[ "$(ls -A "$work/out")" = "kiln_${version}_amd64.deb" ] || fail "scratch files left in OUTDIR: $(ls -A "$work/out")"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libstdc++6 libcurl4 libarchive13 libantlr4-runtime libsqlite3-0 libtbb12; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -x "$deb" "$work/x"
readelf -S "$work/x/usr/bin/kiln" | grep -qE '\.(debug_info|symtab)' && fail "packaged binary is not stripped"
[ -f "$work/x/usr/share/man/man1/kiln.1" ] || fail "package lacks the man page"
[ -f "$work/x/usr/share/kiln/pre-commit-hooks.yaml" ] || fail "package lacks the pre-commit hook"

if [ "$(id -u)" != 0 ]; then echo "package_deb: not root, the install into a Debian root was not checked"; exit 0; fi

# apt installs the .deb and its dependencies into a fresh bookworm root.
cache="$build/mmdebstrap-cache"
mkdir -p "$cache"
root="$work/root"
mmdebstrap --variant=apt --skip=download/empty --skip=essential/unlink \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in $cache /var/cache/apt/archives/" \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  --include="$deb" \
  --customize-hook="sync-out /var/cache/apt/archives $cache" \
  bookworm "$root" >"$work/mmdebstrap.log" 2>&1 || { tail -30 "$work/mmdebstrap.log"; fail "mmdebstrap failed"; }
[ ! -e "$root/usr/local/bin/kiln" ] && [ -x "$root/usr/bin/kiln" ] || fail "kiln not installed in the root"

mkdir -p "$root/w/ctx"
printf 'FROM debian\nCOPY hello.txt /\nCMD ["/hello.txt"]\n' >"$root/w/Dockerfile.lint"
printf 'FROM scratch\nCOPY hello.txt /\nLABEL org.example=kiln\n' >"$root/w/ctx/Dockerfile"
echo "hello from the package" >"$root/w/ctx/hello.txt"
# In the root: its own /proc and /tmp (a mount namespace), kiln's state under /w/state.
in_root() {
  unshare --mount --pid --fork --mount-proc sh -c \
    'mount -t proc proc "$0/proc" && mount -t tmpfs tmpfs "$0/tmp" && exec chroot "$0" /bin/sh -c "$1"' "$root" "$1"
}
[ "$(in_root 'kiln --version')" = "kiln $version" ] || fail "kiln --version in the root"
rc=0; lint=$(in_root 'cd /w && kiln lint --no-color Dockerfile.lint') || rc=$?
[ "$rc" = 1 ] && grep -q 'DL3006' <<<"$lint" || fail "kiln lint in the root (exit $rc): $lint"
in_root 'cd /w && kiln --root /w/state build --progress plain -t hello:1 -o type=local,dest=/w/out ctx' \
  >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "kiln build in the root"; }
[ "$(cat "$root/w/out/hello.txt")" = "hello from the package" ] || fail "build output lacks hello.txt"
echo "package_deb: ok ($(du -k "$deb" | cut -f1) KiB package)"
