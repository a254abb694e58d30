#!/usr/bin/env bash
# Building FROM an image built in the same store uses the snapshot its export
# recorded (no layer is unpacked again), and gives the same files; after the
# build cache is pruned the image still works as a base (then it is unpacked).
source "$SRC/tests/lib/build_base.sh"
mkdir -p "$WORK/app"
printf 'FROM %s\nRUN echo app > /app\n' "$BASE" > "$WORK/app/Dockerfile"
kb --no-cache -o "type=local,dest=$WORK/o1" "$WORK/app" >"$WORK/log1" 2>&1 || { cat "$WORK/log1"; fail "build FROM a local image"; }
grep -q "extracting sha256:" "$WORK/log1" && { cat "$WORK/log1"; fail "the local base image was unpacked again"; }
[ "$(cat "$WORK/o1/app")" = app ] && [ -x "$WORK/o1/bin/busybox" ] || fail "output of the build FROM a local image"
"$KILN" prune -a >"$WORK/prune.log" 2>&1 || { cat "$WORK/prune.log"; fail "prune"; }
kb --no-cache -o "type=local,dest=$WORK/o2" "$WORK/app" >"$WORK/log2" 2>&1 || { cat "$WORK/log2"; fail "build after prune"; }
diff -r "$WORK/o1" "$WORK/o2" >/dev/null || fail "outputs differ after prune"
echo "build_from_local: ok"
