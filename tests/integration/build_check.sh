#!/usr/bin/env bash
# kiln build --check lints first (BuildKit's checks as errors, DL rules at their
# severities, threshold error) and exits 1 without building on a failing finding;
# a normal build prints BuildKit-style WARN lines for build checks only (no DL
# rules). COPY --from / RUN --mount from= a --build-context with no FROM stage.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/chk"; mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE as one
RUN echo built > /marker
EOF
kb -o "type=local,dest=$WORK/out1" "$ctx" >"$WORK/log1" 2>&1 || { cat "$WORK/log1"; fail "normal build failed"; }
grep -q "^WARN: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)$" "$WORK/log1" ||
  { cat "$WORK/log1"; fail "no FromAsCasing warning in a normal build"; }
grep -q "DL[0-9]" "$WORK/log1" && fail "a normal build printed hadolint rules"
[ "$(cat "$WORK/out1/marker")" = built ] || fail "normal build output"

if kb --check -o "type=local,dest=$WORK/out2" "$ctx" >"$WORK/log2" 2>&1; then
  cat "$WORK/log2"; fail "--check passed a Dockerfile with a build-check finding"
fi
grep -q "Dockerfile:1 FromAsCasing error:" "$WORK/log2" || { cat "$WORK/log2"; fail "--check output"; }
[ -e "$WORK/out2" ] && fail "--check built despite a failing finding"

# Clean file: --check passes and builds. A warning-level DL rule does not fail
# at the default threshold, but does with --check-threshold warning.
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE AS one
RUN cd /bin && echo ok > /marker
EOF
kb --check -o "type=local,dest=$WORK/out3" "$ctx" >"$WORK/log3" 2>&1 || { cat "$WORK/log3"; fail "--check failed a clean Dockerfile"; }
[ "$(cat "$WORK/out3/marker")" = ok ] || fail "--check build output"
if kb --check --check-threshold warning "$ctx" >"$WORK/log4" 2>&1; then
  cat "$WORK/log4"; fail "--check-threshold warning passed DL3003"
fi
grep -q "DL3003 warning" "$WORK/log4" || { cat "$WORK/log4"; fail "--check-threshold output"; }

# A named context without a stage of its name.
mkdir -p "$WORK/extra"; echo from-extra > "$WORK/extra/e.txt"
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
COPY --from=extra /e.txt /e.txt
RUN --mount=from=extra,target=/m cp /m/e.txt /m2.txt
EOF
kb --build-context "extra=$WORK/extra" -o "type=local,dest=$WORK/out5" "$ctx" >"$WORK/log5" 2>&1 ||
  { cat "$WORK/log5"; fail "COPY --from a named context"; }
[ "$(cat "$WORK/out5/e.txt")" = from-extra ] || fail "COPY --from=extra content"
[ "$(cat "$WORK/out5/m2.txt")" = from-extra ] || fail "RUN --mount from=extra content"
echo "build_check: ok"
