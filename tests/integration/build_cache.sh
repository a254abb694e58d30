#!/usr/bin/env bash
# The cache: a rebuild prints CACHED for every step and runs nothing; a change
# in the build context invalidates only the steps that use the changed file
# (an mtime change invalidates nothing); --no-cache and --no-cache-filter re-run
# steps; .dockerignore'd files neither reach COPY nor key it; independent stages
# run at once.
source "$SRC/tests/lib/build_base.sh"
ctx="$WORK/c"; mkdir -p "$ctx"; echo A > "$ctx/a.txt"; echo B > "$ctx/b.txt"
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE AS first
COPY a.txt /a.txt
RUN echo ran-a; cat /a.txt > /a.out

FROM $BASE AS second
COPY b.txt /b.txt
RUN echo ran-b; cat /b.txt > /b.out

FROM $BASE
COPY --from=first /a.out /a.out
COPY --from=second /b.out /b.out
EOF
kb "$ctx" >"$WORK/1.log" 2>&1 || { cat "$WORK/1.log"; fail "first build"; }
grep -q '^#[0-9]* [0-9.]* ran-a' "$WORK/1.log" && grep -q '^#[0-9]* [0-9.]* ran-b' "$WORK/1.log" ||
  { cat "$WORK/1.log"; fail "first build did not run both stages"; }
start=$(date +%s%N)
kb "$ctx" >"$WORK/2.log" 2>&1 || { cat "$WORK/2.log"; fail "second build"; }
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q '^#[0-9]* [0-9.]* ran-' "$WORK/2.log" && { cat "$WORK/2.log"; fail "a cached rebuild ran a step"; }
[ "$(grep -c ' CACHED$' "$WORK/2.log")" -ge 6 ] || { cat "$WORK/2.log"; fail "rebuild did not print CACHED for every step"; }
echo "cached rebuild: ${ms} ms"

# Touching files (mtime only) keeps the cache; changing b.txt re-runs only stage second.
touch "$ctx/a.txt" "$ctx/b.txt"
kb "$ctx" >"$WORK/3.log" 2>&1 || fail "build after touch"
grep -q '^#[0-9]* [0-9.]* ran-' "$WORK/3.log" && { cat "$WORK/3.log"; fail "an mtime change invalidated the cache"; }
echo B2 > "$ctx/b.txt"
kb -o "type=local,dest=$WORK/out" "$ctx" >"$WORK/4.log" 2>&1 || { cat "$WORK/4.log"; fail "build after change"; }
grep -q '^#[0-9]* [0-9.]* ran-a' "$WORK/4.log" && { cat "$WORK/4.log"; fail "changing b.txt re-ran stage first"; }
grep -q '^#[0-9]* [0-9.]* ran-b' "$WORK/4.log" || fail "changing b.txt did not re-run stage second"
[ "$(cat "$WORK/out/b.out")" = B2 ] || fail "stale result after the change"

# --no-cache-filter second re-runs only that stage; --no-cache everything.
kb --no-cache-filter second "$ctx" >"$WORK/5.log" 2>&1 || fail "--no-cache-filter build"
grep -q '^#[0-9]* [0-9.]* ran-a' "$WORK/5.log" && fail "--no-cache-filter second re-ran stage first"
grep -q '^#[0-9]* [0-9.]* ran-b' "$WORK/5.log" || fail "--no-cache-filter second did not re-run stage second"
kb --no-cache "$ctx" >"$WORK/6.log" 2>&1 || fail "--no-cache build"
grep -q '^#[0-9]* [0-9.]* ran-a' "$WORK/6.log" && grep -q '^#[0-9]* [0-9.]* ran-b' "$WORK/6.log" ||
  fail "--no-cache did not re-run everything"

# .dockerignore: an excluded file is not in the context and does not key the cache.
printf 'ignored.txt\n' > "$ctx/.dockerignore"; echo x > "$ctx/ignored.txt"
cat >"$ctx/Dockerfile.all" <<EOF
FROM $BASE
COPY . /ctx/
RUN echo ran-list; ls /ctx > /list
EOF
kb -f "$ctx/Dockerfile.all" -o "type=local,dest=$WORK/all" "$ctx" >"$WORK/7.log" 2>&1 ||
  { cat "$WORK/7.log"; fail "COPY . with .dockerignore"; }
[ -e "$WORK/all/ctx/ignored.txt" ] && fail ".dockerignore'd file was copied"
[ -e "$WORK/all/ctx/a.txt" ] || fail "COPY . missed a.txt"
echo y > "$ctx/ignored.txt"
kb -f "$ctx/Dockerfile.all" "$ctx" >"$WORK/8.log" 2>&1 || fail "rebuild with .dockerignore"
grep -q '^#[0-9]* [0-9.]* ran-list' "$WORK/8.log" && { cat "$WORK/8.log"; fail "changing an ignored file invalidated COPY ."; }

# Independent stages run at once: two 1-second sleeps take well under 2 s.
cat >"$ctx/Dockerfile.par" <<EOF
FROM $BASE AS a
RUN sleep 1; echo a > /a
FROM $BASE AS b
RUN sleep 1; echo b > /b
FROM $BASE
COPY --from=a /a /a
COPY --from=b /b /b
EOF
start=$(date +%s%N)
kb -f "$ctx/Dockerfile.par" "$ctx" >"$WORK/9.log" 2>&1 || { cat "$WORK/9.log"; fail "parallel build"; }
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "two parallel 1 s stages: ${ms} ms"
[ "$ms" -lt 1950 ] || fail "stages did not run in parallel (${ms} ms)"
echo "build_cache: ok"
