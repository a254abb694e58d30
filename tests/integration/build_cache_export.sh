#!/usr/bin/env bash
# kiln build --cache-to / --cache-from: a build on one root exports its cache
# (type=registry to a docker-registry on 127.0.0.1, type=local, type=inline), and
# a build on a fresh root imports it: every step is CACHED, nothing runs, the
# results are the same bytes. mode=min exports only the final image's steps;
# a changed step reruns only what follows it; a broken cache source only warns.
source "$SRC/tests/lib/build_base.sh"
. "$SRC/tests/lib/registry.sh"
if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
  echo "build_cache_export: docker-registry or skopeo missing: skipped"; exit 0
fi
reg_init
trap 'reg_cleanup; rm -rf "$WORK"' EXIT
reg_start plain
export DOCKER_CONFIG="$REG_TMP/docker"
R=$REG_HOST
R1=$KILN_ROOT
"$KILN" build -q --push -t "$R/t/base:1" "$WORK/base" >/dev/null || fail "pushing the base image"

ctx="$WORK/ctx"; mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<EOF
FROM $R/t/base:1 AS builder
RUN echo ran-b; cat /proc/sys/kernel/random/uuid > /b
FROM $R/t/base:1
RUN echo ran-id; cat /proc/sys/kernel/random/uuid > /id
COPY --from=builder /b /b
RUN echo ran-empty
EOF
diff_ids() {
  python3 -c '
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
blob = lambda d: json.load(t.extractfile("blobs/sha256/" + d.split(":")[1]))
idx = json.load(t.extractfile("index.json"))
m = blob(idx["manifests"][0]["digest"])
print(" ".join(blob(m["config"]["digest"])["rootfs"]["diff_ids"]))' "$1"
}
ran() { grep -q "^#[0-9]* [0-9.]* ran-$1" "$2"; }
fresh_root() { export KILN_ROOT="$WORK/root-$1"; }
# build NAME ARGS...: into $WORK/NAME.{log,out,tar}
build() {
  local n=$1; shift
  kb -o "type=local,dest=$WORK/$n.out" -o "type=oci,dest=$WORK/$n.tar" "$@" "$ctx" >"$WORK/$n.log" 2>&1 ||
    { cat "$WORK/$n.log"; fail "build $n"; }
}
all_cached() {  # LOG: nothing ran
  for s in b id empty; do ran $s "$1" && { cat "$1"; fail "$1: step ran-$s ran despite the imported cache"; }; done
  return 0
}
same() {  # A B: same /id, /b, layers
  [ "$(cat "$WORK/$1.out/id")" = "$(cat "$WORK/$2.out/id")" ] || fail "$2: /id differs from $1"
  [ "$(cat "$WORK/$1.out/b")" = "$(cat "$WORK/$2.out/b")" ] || fail "$2: /b differs from $1"
  [ "$(diff_ids "$WORK/$1.tar")" = "$(diff_ids "$WORK/$2.tar")" ] || fail "$2: image layers differ from $1"
}

# type=registry, mode=max: every step of both stages.
build a --cache-to "type=registry,ref=$R/t/cache:max,mode=max"
ran id "$WORK/a.log" || fail "first build did not run"
skopeo inspect --tls-verify=false --raw "docker://$R/t/cache:max" | grep -q 'application/vnd.kiln.cache.config.v1+json' ||
  fail "the registry cache manifest has no kiln cache config"
fresh_root 2
build b --cache-from "type=registry,ref=$R/t/cache:max"
all_cached "$WORK/b.log"
[ "$(grep -c ' CACHED$' "$WORK/b.log")" -ge 5 ] || { cat "$WORK/b.log"; fail "registry import: not every step CACHED"; }
same a b
echo "registry cache (mode=max): ok"

# mode=min (default): the final stage's steps only; the builder stage reruns.
export KILN_ROOT=$R1
build a2 --cache-to "type=registry,ref=$R/t/cache:min"
fresh_root 3
build c --cache-from "$R/t/cache:min"
all_cached "$WORK/c.log"  # the builder stage is not needed: the COPY from it is cached
[ "$(cat "$WORK/a.out/id")" = "$(cat "$WORK/c.out/id")" ] || fail "mode=min: /id differs"
# The intermediate stage's RUN is only in the mode=max export.
kb --target builder --cache-from "$R/t/cache:min" "$ctx" >"$WORK/c2.log" 2>&1 || { cat "$WORK/c2.log"; fail "build c2"; }
ran b "$WORK/c2.log" || { cat "$WORK/c2.log"; fail "mode=min: the builder stage's RUN came from the cache"; }
fresh_root 3b
kb --target builder --cache-from "$R/t/cache:max" "$ctx" >"$WORK/c3.log" 2>&1 || { cat "$WORK/c3.log"; fail "build c3"; }
ran b "$WORK/c3.log" && { cat "$WORK/c3.log"; fail "mode=max: the builder stage's RUN was not cached"; }
echo "registry cache (mode=min): ok"

# type=local.
export KILN_ROOT=$R1
build a3 --cache-to "type=local,dest=$WORK/lcache,mode=max"
[ -f "$WORK/lcache/index.json" ] && [ -f "$WORK/lcache/oci-layout" ] || fail "type=local: no OCI layout"
fresh_root 4
build d --cache-from "type=local,src=$WORK/lcache"
all_cached "$WORK/d.log"
same a d
# A change after the cached steps reruns only the later steps.
echo 'RUN echo ran-new; echo new > /new' >>"$ctx/Dockerfile"
fresh_root 5
build e --cache-from "type=local,src=$WORK/lcache"
all_cached "$WORK/e.log"
ran new "$WORK/e.log" || { cat "$WORK/e.log"; fail "the new step did not run"; }
[ "$(cat "$WORK/a.out/id")" = "$(cat "$WORK/e.out/id")" ] || fail "after a change: /id differs"
sed -i '$d' "$ctx/Dockerfile"
echo "local cache: ok"

# type=inline: the records ride in the pushed image's config.
export KILN_ROOT=$R1
kb --push -t "$R/t/app:inline" --cache-to type=inline -o "type=image" -o "type=local,dest=$WORK/f.out" "$ctx" \
  >"$WORK/f.log" 2>&1 || { cat "$WORK/f.log"; fail "inline build"; }
skopeo inspect --tls-verify=false --config --raw "docker://$R/t/app:inline" | grep -q 'kiln.cache.v1' ||
  fail "inline: the image config has no kiln.cache.v1 records"
fresh_root 6
kb --cache-from "$R/t/app:inline" -o "type=local,dest=$WORK/g.out" "$ctx" >"$WORK/g.log" 2>&1 ||
  { cat "$WORK/g.log"; fail "inline import"; }
ran id "$WORK/g.log" && { cat "$WORK/g.log"; fail "inline: the final stage's RUN was not cached"; }
[ "$(cat "$WORK/f.out/id")" = "$(cat "$WORK/g.out/id")" ] || fail "inline: /id differs"
echo "inline cache: ok"

# A missing or broken cache source warns and builds.
fresh_root 7
kb --cache-from "$R/t/none:1" --cache-from "type=local,src=$WORK/nothing" "$ctx" >"$WORK/h.log" 2>&1 ||
  { cat "$WORK/h.log"; fail "a missing cache source failed the build"; }
grep -q "WARNING: --cache-from $R/t/none:1" "$WORK/h.log" || { cat "$WORK/h.log"; fail "no warning for a missing cache ref"; }
ran id "$WORK/h.log" || fail "a missing cache: the steps did not run"
# Records whose blobs are gone from the cache are misses (warned), not errors.
cp -r "$WORK/lcache" "$WORK/lcache-broken"
python3 -c '
import json, os, sys
d = sys.argv[1]
b = lambda x: os.path.join(d, "blobs/sha256", x.split(":")[1])
m = json.load(open(b(json.load(open(os.path.join(d, "index.json")))["manifests"][0]["digest"])))
for l in m["layers"]: os.unlink(b(l["digest"]))' "$WORK/lcache-broken"
fresh_root 8
kb --cache-from "type=local,src=$WORK/lcache-broken" "$ctx" >"$WORK/j.log" 2>&1 || { cat "$WORK/j.log"; fail "missing cache blobs failed the build"; }
ran id "$WORK/j.log" || { cat "$WORK/j.log"; fail "missing cache blobs: the step did not run"; }
grep -q "not usable" "$WORK/j.log" || { cat "$WORK/j.log"; fail "missing cache blobs: no warning"; }
# Bad flags: a clear error, exit 1.
if "$KILN" build --cache-to type=local,dest=x,colour=red "$ctx" >"$WORK/i.log" 2>&1; then fail "unknown attribute accepted"; fi
grep -q 'unknown attribute `colour`' "$WORK/i.log" || { cat "$WORK/i.log"; fail "unknown attribute: message"; }
if "$KILN" build --cache-from type=gha "$ctx" >"$WORK/i.log" 2>&1; then fail "unknown type accepted"; fi
grep -q 'unknown cache type `gha`' "$WORK/i.log" || { cat "$WORK/i.log"; fail "unknown type: message"; }
echo "build_cache_export: ok"
