#!/usr/bin/env bash
# kiln build --push / -o type=image,name=REF,push=true / -o type=registry,name=REF push
# the built image to a plain-HTTP registry on 127.0.0.1; skopeo reads back the
# config digest that --metadata-file records.
source "$SRC/tests/lib/build_base.sh"
. "$SRC/tests/lib/registry.sh"
if ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
  echo "build_push: docker-registry or skopeo missing: skipped"; exit 0
fi
reg_init
trap 'reg_cleanup; rm -rf "$WORK"' EXIT
reg_start plain
export DOCKER_CONFIG="$REG_TMP/docker"
R=$REG_HOST
ctx="$WORK/push"; mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
RUN echo pushed > /msg
EOF
check_pushed() {  # REF METADATA_FILE
  local want got
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["containerimage.config.digest"])' "$2")
  got=$(skopeo inspect --tls-verify=false --config --raw "docker://$1" | python3 -c 'import hashlib,sys; print("sha256:"+hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
  [ "$want" = "$got" ] || fail "$1: registry config $got, metadata $want"
  got=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$1")
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["containerimage.digest"])' "$2")
  [ "$want" = "$got" ] || fail "$1: registry manifest $got, metadata $want"
}
kb --push -t "$R/b/app:1" --metadata-file "$WORK/m1.json" "$ctx" >"$WORK/log1" 2>&1 || { cat "$WORK/log1"; fail "--push"; }
check_pushed "$R/b/app:1" "$WORK/m1.json"
kb -o "type=image,name=$R/b/app:2,push=true" --metadata-file "$WORK/m2.json" "$ctx" >"$WORK/log2" 2>&1 ||
  { cat "$WORK/log2"; fail "push=true"; }
check_pushed "$R/b/app:2" "$WORK/m2.json"
kb -o "type=registry,name=$R/b/app:3" --metadata-file "$WORK/m3.json" "$ctx" >"$WORK/log3" 2>&1 ||
  { cat "$WORK/log3"; fail "type=registry"; }
check_pushed "$R/b/app:3" "$WORK/m3.json"
if kb --push "$ctx" >"$WORK/log4" 2>&1; then fail "--push without a name succeeded"; fi
grep -q "no name" "$WORK/log4" || { cat "$WORK/log4"; fail "--push without a name: error"; }
if kb --push -t 127.0.0.1:1/none:1 "$ctx" >"$WORK/log5" 2>&1; then fail "a push to a closed port succeeded"; fi
grep -q "push 127.0.0.1:1/none:1" "$WORK/log5" || { cat "$WORK/log5"; fail "push error does not name the image"; }
echo "build_push: ok"
