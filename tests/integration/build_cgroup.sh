#!/usr/bin/env bash
# Each RUN step runs in a cgroup of its own under a `kiln` parent (issue 16):
# a fork burst stops at --pids-limit and fails the step, --memory kills a step
# that needs more (with a hint), a background child never outlives its step,
# device nodes made inside RUN cannot be opened, and no step cgroup is left.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/ctx"; mkdir -p "$ctx"
pids_root=/sys/fs/cgroup/pids; [ -d "$pids_root" ] || pids_root=/sys/fs/cgroup
marker="sleep 5$$"
log() { cat "$WORK/log"; }

cat >"$ctx/Dockerfile" <<DF
FROM $BASE
RUN cat /proc/self/cgroup
RUN $marker >/dev/null 2>&1 & echo bg-started
RUN mkdir -p /tmp && mknod /tmp/kvm c 10 232 && { (exec 3</tmp/kvm) 2>/dev/null && echo kvm-opened || echo kvm-denied; }
DF
kb --no-cache "$ctx" >"$WORK/log" 2>&1 || { log; fail "the build failed"; }
grep -q "/kiln/[0-9]*-[0-9]*" "$WORK/log" || { log; fail "RUN is not in a kiln step cgroup"; }
grep -q kvm-denied "$WORK/log" || { log; fail "a device node made in RUN could be opened"; }
if pgrep -f "$marker" >/dev/null; then fail "a background child of RUN outlived its step"; fi
cg=$(grep -o "/kiln/[0-9]*-[0-9]*" "$WORK/log" | head -1)
[ ! -e "$pids_root$cg" ] || fail "the step cgroup $cg was left behind"

# A fork burst: 100 background sleeps against a limit of 20.
cat >"$ctx/Dockerfile" <<DF
FROM $BASE
RUN i=0; while [ \$i -lt 100 ]; do $marker & i=\$((i+1)); done; echo all \$i started
DF
if kb --no-cache --pids-limit 20 "$ctx" >"$WORK/log" 2>&1; then log; fail "the fork burst was not stopped"; fi
grep -q "fork" "$WORK/log" || { log; fail "want the shell's fork error"; }
grep -q "did not complete successfully" "$WORK/log" || { log; fail "want the step's failure"; }
if pgrep -f "$marker" >/dev/null; then fail "processes of the fork burst outlived the step"; fi
# With the default limit (4096) the same step runs; its sleeps die with it.
kb --no-cache "$ctx" >"$WORK/log" 2>&1 || { log; fail "100 processes must fit the default limit"; }
grep -q "all 100 started" "$WORK/log" || { log; fail "want all 100 started"; }
if pgrep -f "$marker" >/dev/null; then fail "background sleeps outlived the step"; fi

# --memory: a step that needs ~100 MB under a 16 MiB limit.
cat >"$ctx/Dockerfile" <<'DF'
ARG BASE
FROM $BASE
RUN x=$(head -c 100000000 /dev/zero | tr '\0' a); echo ${#x}
DF
if kb --no-cache --build-arg BASE="$BASE" --memory 16m "$ctx" >"$WORK/log" 2>&1; then log; fail "--memory 16m did not stop the step"; fi
grep -q "exit code: 137" "$WORK/log" || { log; fail "want exit code 137"; }
grep -q "ran out of memory" "$WORK/log" || { log; fail "want the out-of-memory hint"; }

# Bad flags: the flag, what is wrong, a hint; nothing runs.
if kb --memory 12x "$ctx" >"$WORK/log" 2>&1; then fail "--memory 12x accepted"; fi
grep -q -- "--memory 12x: not a size" "$WORK/log" || { log; fail "want the --memory error"; }
if kb --cpu-period 50000 "$ctx" >"$WORK/log" 2>&1; then fail "--cpu-period alone accepted"; fi
grep -q -- "--cpu-period needs --cpu-quota" "$WORK/log" || { log; fail "want the --cpu-period error"; }

# --cpu-quota applies (the step still runs).
cat >"$ctx/Dockerfile" <<DF
FROM $BASE
RUN echo quota-ok
DF
kb --no-cache --cpu-quota 50000 "$ctx" >"$WORK/log" 2>&1 || { log; fail "--cpu-quota build failed"; }
grep -q quota-ok "$WORK/log" || { log; fail "want quota-ok"; }
echo "build_cgroup: ok"
