#!/usr/bin/env bash
# buildx's entitlements: RUN --network=host, --network host and RUN --security=insecure
# fail before anything runs unless --allow names them (issue 16); the error points
# at the RUN and names the flag.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/ctx"; mkdir -p "$ctx"
marker="$WORK/ran"
printf 'FROM %s\nRUN echo first > /f\nRUN --network=host echo hostnet\n' "$BASE" > "$ctx/Dockerfile"
kb --no-cache "$ctx" >"$WORK/log" 2>&1 && { cat "$WORK/log"; fail "RUN --network=host ran without --allow network.host"; }
grep -q "network.host is not allowed" "$WORK/log" || { cat "$WORK/log"; fail "want BuildKit's entitlement error"; }
grep -q "Dockerfile:3" "$WORK/log" || { cat "$WORK/log"; fail "the error should point at line 3"; }
grep -q -- "--allow network.host" "$WORK/log" || { cat "$WORK/log"; fail "the hint should name --allow network.host"; }
if grep -q "echo first" "$WORK/log"; then cat "$WORK/log"; fail "steps ran before the entitlement check"; fi
# --network none on the command line does not let RUN --network=host through either.
kb --no-cache --network none "$ctx" >"$WORK/log" 2>&1 && fail "RUN --network=host overrode --network none without --allow"
kb --no-cache --allow network.host "$ctx" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "--allow network.host: build failed"; }
grep -q hostnet "$WORK/log" || { cat "$WORK/log"; fail "--allow network.host: the RUN did not run"; }
# The build flag needs it too.
printf 'FROM %s\nRUN echo x\n' "$BASE" > "$ctx/Dockerfile"
kb --no-cache --network host "$ctx" >"$WORK/log" 2>&1 && fail "--network host without --allow network.host"
grep -q "network.host is not allowed" "$WORK/log" || { cat "$WORK/log"; fail "--network host: want the entitlement error"; }
kb --no-cache --network host --allow network.host "$ctx" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "--network host --allow network.host failed"; }
# RUN --security=insecure.
printf 'FROM %s\nRUN --security=insecure grep Seccomp: /proc/self/status && mkdir /m && mount -t tmpfs none /m && echo insecure-mount-ok\n' "$BASE" > "$ctx/Dockerfile"
kb --no-cache "$ctx" >"$WORK/log" 2>&1 && fail "RUN --security=insecure ran without --allow security.insecure"
grep -q "security.insecure is not allowed" "$WORK/log" || { cat "$WORK/log"; fail "want security.insecure is not allowed"; }
kb --no-cache --allow security.insecure "$ctx" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "--allow security.insecure: build failed"; }
# Insecure mode as BuildKit's: no seccomp filter, all capabilities (mount works).
grep -Eq "Seccomp:[[:space:]]+0" "$WORK/log" || { cat "$WORK/log"; fail "insecure RUN still under seccomp"; }
grep -q insecure-mount-ok "$WORK/log" || { cat "$WORK/log"; fail "insecure RUN could not mount"; }
kb --allow bogus "$ctx" >"$WORK/log" 2>&1 && fail "--allow bogus accepted"
grep -q "unknown entitlement" "$WORK/log" || { cat "$WORK/log"; fail "--allow bogus: want unknown entitlement"; }
echo "ok: entitlements"
