#!/usr/bin/env bash
# RUN --mount=type=bind,rw: writes through a writable bind of the build context,
# of a context sub-path (directory or file) and of a stage's sub-path are
# visible during the RUN and then thrown away, as BuildKit does: neither the
# context on the host, nor the mounted stage, nor the image keeps them.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/c"; mkdir -p "$ctx/dir/inner"
echo orig > "$ctx/dir/f.txt"; echo top > "$ctx/top.txt"; chmod 750 "$ctx/dir"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE AS other
RUN mkdir -p /data/sub && echo o > /data/sub/o.txt

FROM $BASE
RUN --mount=type=bind,rw,target=/ctx echo w > /ctx/top.txt && echo new > /ctx/new.txt && rm /ctx/dir/f.txt && \
    cat /ctx/top.txt /ctx/new.txt > /r1 && ls /ctx/dir > /r1.ls
RUN --mount=type=bind,source=dir,target=/d,rw echo changed > /d/f.txt && cat /d/f.txt > /r2 && stat -c %a /d > /r2.mode && \
    touch /d/inner/x && ls /d/inner > /r2.ls
RUN --mount=type=bind,source=top.txt,target=/t.txt,rw echo t2 >> /t.txt && cat /t.txt > /r3
RUN --mount=type=bind,from=other,source=/data/sub,target=/s,rw echo more > /s/o.txt && ls /s > /r4.ls && cat /s/o.txt > /r4
RUN --mount=type=bind,source=dir,target=/d cat /d/f.txt > /after && ls /d/inner > /after.ls
DF
kb -o "type=local,dest=$WORK/out" "$ctx" >"$WORK/1.log" 2>&1 || { cat "$WORK/1.log"; fail "build with rw binds"; }
o="$WORK/out"
[ "$(cat "$o/r1")" = "w
new" ] || fail "rw context bind: writes not visible in the RUN ($(cat "$o/r1"))"
[ "$(cat "$o/r1.ls")" = inner ] || fail "rw context bind: rm not visible ($(cat "$o/r1.ls"))"
[ "$(cat "$o/r2")" = changed ] && [ "$(cat "$o/r2.ls")" = x ] || fail "rw sub-path bind: writes not visible"
[ "$(cat "$o/r2.mode")" = 750 ] || fail "rw sub-path bind: mode of the mount root $(cat "$o/r2.mode")"
[ "$(cat "$o/r3")" = "top
t2" ] || fail "rw file bind: $(cat "$o/r3")"
[ "$(cat "$o/r4")" = more ] && [ "$(cat "$o/r4.ls")" = o.txt ] || fail "rw stage sub-path bind"
# Thrown away: the host context, the next RUN's view and the image are untouched.
[ "$(cat "$ctx/top.txt")" = top ] && [ "$(cat "$ctx/dir/f.txt")" = orig ] && [ ! -e "$ctx/new.txt" ] &&
  [ -z "$(ls "$ctx/dir/inner")" ] || fail "a rw bind wrote to the build context on the host"
[ "$(cat "$o/after")" = orig ] && [ -z "$(cat "$o/after.ls")" ] || fail "rw bind writes leaked into a later mount"
for p in ctx/new.txt d/f.txt t.txt s/o.txt; do
  [ -s "$o/$p" ] && fail "rw bind write /$p reached the image"
done
leftover=$(find "$KILN_ROOT/tmp" -maxdepth 1 -name 'rwbind-*' 2>/dev/null | head -1)
[ -z "$leftover" ] || fail "scratch directory left behind: $leftover"
echo "run_mount_bind_rw: ok"
