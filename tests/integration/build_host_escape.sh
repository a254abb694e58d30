#!/usr/bin/env bash
# A hostile Dockerfile and context never read or write host files (issue 16):
# bind-mount sources that are symlinks (in the context or in a stage, absolute
# or through a directory link), a Dockerfile or .dockerignore that is a symlink
# to a host file, and deeply nested ${A:-...} (a crash before) all stay inside
# the build. BuildKit refuses each of these the same way.
source "$SRC/tests/lib/build_base.sh"
secret="kiln-host-secret-$RANDOM$RANDOM"
printf '%s\n' "$secret" > "$WORK/canary"
printf 'original\n' > "$WORK/victim"
ctx="$WORK/ctx"; mkdir -p "$ctx"
ln -s / "$ctx/hostroot"
ln -s "$WORK/canary" "$ctx/leak"
ln -s ../../../../../../../../.. "$ctx/up"

check_no_leak() {  # $1: log file
  if grep -q "$secret" "$1"; then cat "$1"; fail "host file content leaked into the build: $2"; fi
}

# 1. context symlink to / as a bind source: /h is the context's own hostroot (the context root).
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
RUN --mount=type=bind,source=hostroot,target=/h cat /h$WORK/canary || echo no-host-file
EOF
kb --no-cache "$ctx" >"$WORK/log1" 2>&1 || true
check_no_leak "$WORK/log1" "bind source hostroot -> /"
grep -q no-host-file "$WORK/log1" || { cat "$WORK/log1"; fail "hostroot: expected the host file to be absent"; }

# 2. context symlink to a host file as a bind source (read-only and rw), and a
#    relative link climbing out of the context.
for src in leak up$WORK/canary; do
  for rw in "" ",rw"; do
    cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
RUN --mount=type=bind,source=$src,target=/v$rw cat /v
EOF
    kb --no-cache "$ctx" >"$WORK/log2" 2>&1 && { cat "$WORK/log2"; fail "$src$rw: the build should fail (no such source)"; }
    check_no_leak "$WORK/log2" "bind source $src$rw"
    grep -q "not found" "$WORK/log2" || { cat "$WORK/log2"; fail "$src$rw: want a not-found error"; }
  done
done

# 3. a stage's symlink to a host file, mounted rw from that stage: the host file stays unchanged.
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE AS evil
RUN ln -s $WORK/victim /victimlink && ln -s / /rootlink
FROM $BASE
RUN --mount=type=bind,from=evil,source=/victimlink,target=/v,rw sh -c 'echo X >> /v' || true
RUN --mount=type=bind,from=evil,source=/rootlink,target=/r,rw sh -c 'echo X >> /r$WORK/victim; cat /r$WORK/canary' || true
RUN --mount=type=bind,from=evil,source=/victimlink,target=/v cat /v || true
EOF
kb --no-cache "$ctx" >"$WORK/log3" 2>&1 || true
[ "$(cat "$WORK/victim")" = original ] || { cat "$WORK/log3"; fail "a RUN wrote to the host file through a stage's symlink"; }
check_no_leak "$WORK/log3" "stage symlinks"

# 4. a Dockerfile that is a symlink to a host file is not found, and never echoed.
printf 'FROM-NOT %s\n' "$secret" > "$WORK/hostdockerfile"
ctx4="$WORK/ctx4"; mkdir -p "$ctx4"; ln -s "$WORK/hostdockerfile" "$ctx4/Dockerfile"
kb "$ctx4" >"$WORK/log4" 2>&1 && fail "a Dockerfile symlinked to a host file was built"
check_no_leak "$WORK/log4" "Dockerfile symlink"
grep -qi "not found\|no such" "$WORK/log4" || { cat "$WORK/log4"; fail "Dockerfile symlink: want a not-found error"; }

# 5. a .dockerignore that is a symlink to a host file is ignored (a.txt is copied).
printf 'a.txt\n' > "$WORK/hostignore"
ctx5="$WORK/ctx5"; mkdir -p "$ctx5"; ln -s "$WORK/hostignore" "$ctx5/.dockerignore"; echo a > "$ctx5/a.txt"
printf 'FROM %s\nCOPY a.txt /a.txt\n' "$BASE" > "$ctx5/Dockerfile"
kb -o "type=local,dest=$WORK/out5" "$ctx5" >"$WORK/log5" 2>&1 || { cat "$WORK/log5"; fail ".dockerignore symlink: build failed"; }
[ -f "$WORK/out5/a.txt" ] || fail ".dockerignore symlinked to a host file was applied"

# 6. ${A:-...} nested 7,000 deep builds (it crashed with SIGSEGV), as docker builds it.
ctx6="$WORK/ctx6"; mkdir -p "$ctx6"
python3 -c "
n=7000
print('FROM scratch'); print('ARG A'); print('LABEL x=' + '\${A:-'*n + 'deep' + '}'*n)" > "$ctx6/Dockerfile"
kb -o "type=oci,dest=$WORK/deep.tar" "$ctx6" >"$WORK/log6" 2>&1 || { tail -5 "$WORK/log6"; fail "nested substitutions: build failed"; }
"$KILN" graph "$ctx6" >/dev/null 2>&1 || fail "nested substitutions: kiln graph failed"
echo "ok: host files stay out of reach"
