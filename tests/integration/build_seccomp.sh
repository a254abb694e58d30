#!/usr/bin/env bash
# RUN steps run under docker's default seccomp profile (issue 16): filter mode 2
# in /proc/self/status, and what docker's profile refuses without CAP_SYS_ADMIN
# (a new user namespace, mount) fails with EPERM, while ordinary work (fork,
# exec, files) still runs.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/ctx"; mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
RUN grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
RUN unshare -U true 2>&1 || echo "unshare-refused"
RUN mkdir -p /m && mount -t tmpfs none /m 2>&1 || echo "mount-refused"
RUN sh -c 'echo child-ok' && ls / >/dev/null && echo files-ok
EOF
kb --no-cache "$ctx" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "the build failed"; }
want() { grep -q -- "$1" "$WORK/log" || { cat "$WORK/log"; fail "want '$1' in the build output: $2"; }; }
want 'Seccomp:[[:space:]]*2' "seccomp filter mode inside RUN"
want 'NoNewPrivs:[[:space:]]*0' "no_new_privs stays off under the filter (as BuildKit: setuid works)"
want 'unshare-refused' "unshare -U must fail"
want 'Operation not permitted' "EPERM from the profile"
want 'mount-refused' "mount must fail"
want 'child-ok' "fork and exec still work"
want 'files-ok' "file access still works"
if grep -q 'Seccomp:[[:space:]]*0' "$WORK/log"; then cat "$WORK/log"; fail "RUN ran without seccomp"; fi
echo "build_seccomp: ok"
