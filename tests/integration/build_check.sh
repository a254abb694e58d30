#!/usr/bin/env bash
# kiln build --check is docker build --check: BuildKit's build checks only,
# nothing built, "Check complete" summary, each finding with its rule URL and
# source snippet, exit 1 when any was found. A normal build prints BuildKit-style
# WARN lines for build checks only (no DL rules), and their summary at the end. COPY --from / RUN --mount
# from= a --build-context with no FROM stage.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/chk"; mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE as one
RUN echo built > /marker
CMD echo hi
EOF
kb -o "type=local,dest=$WORK/out1" "$ctx" >"$WORK/log1" 2>&1 || { cat "$WORK/log1"; fail "normal build failed"; }
grep -q "^WARN: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)$" "$WORK/log1" ||
  { cat "$WORK/log1"; fail "no FromAsCasing warning in a normal build"; }
# ...and, once the build is over, docker build's summary of them.
grep -qx " 2 warnings found (use kiln build --check to expand):" "$WORK/log1" ||
  { cat "$WORK/log1"; fail "no warning summary at the end of a normal build"; }
[ "$(tail -1 "$WORK/log1")" = " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 3)" ] ||
  { cat "$WORK/log1"; fail "the summary is not the end of the output"; }
grep -q "DL[0-9]" "$WORK/log1" && fail "a normal build printed hadolint rules"
[ "$(cat "$WORK/out1/marker")" = built ] || fail "normal build output"

if kb --check -o "type=local,dest=$WORK/out2" "$ctx" >"$WORK/log2" 2>"$WORK/err2"; then
  cat "$WORK/log2"; fail "--check exited 0 with build-check findings"
fi
grep -qx "Check complete, 2 warnings have been found!" "$WORK/log2" || { cat "$WORK/log2"; fail "--check summary"; }
grep -qx "WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/" "$WORK/log2" ||
  { cat "$WORK/log2"; fail "--check FromAsCasing line"; }
grep -qx "WARNING: JSONArgsRecommended - https://docs.docker.com/go/dockerfile/rule/json-args-recommended/" "$WORK/log2" ||
  { cat "$WORK/log2"; fail "--check JSONArgsRecommended line"; }
grep -qx "Dockerfile:3" "$WORK/log2" || { cat "$WORK/log2"; fail "--check location"; }
grep -q "^   3 | >>> CMD echo hi$" "$WORK/log2" || { cat "$WORK/log2"; fail "--check snippet"; }
grep -q "DL[0-9]" "$WORK/log2" && fail "--check printed hadolint rules"
[ -e "$WORK/out2" ] && fail "--check built something"

# A clean file: --check passes and still builds nothing.
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE AS one
RUN cd /bin && echo ok > /marker
EOF
kb --check -o "type=local,dest=$WORK/out3" "$ctx" >"$WORK/log3" 2>&1 || { cat "$WORK/log3"; fail "--check failed a clean Dockerfile"; }
grep -qx "Check complete, no warnings found." "$WORK/log3" || { cat "$WORK/log3"; fail "--check clean summary"; }
[ -e "$WORK/out3" ] && fail "--check built a clean Dockerfile"

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
