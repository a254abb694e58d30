#!/usr/bin/env bash
# ADD <http URL>: the file lands as /<name> with mode 0600 (or --chmod) and the
# server's Last-Modified as mtime, archives are not extracted, --checksum is
# enforced, a rebuild asks the server again (ETag) and hits the cache while the
# file is unchanged, a changed file invalidates the step, a 404 or a refused
# connection fails with the URL and the Dockerfile line. When dockerd works
# (/usr/bin/docker info), the result is compared with BuildKit's.
source "$SRC/tests/lib/build_base.sh"
www="$WORK/www"; mkdir -p "$www"
printf 'hello from http\n' > "$www/hello.txt"
touch -d '2021-03-04 05:06:07 UTC' "$www/hello.txt"
mkdir -p "$WORK/t/inner"; echo in-tar > "$WORK/t/inner/f"
tar -C "$WORK/t" -czf "$www/archive.tar.gz" inner
python3 "$SRC/tests/lib/http_file_server.py" "$www" "$WORK/port" "$WORK/requests.log" &
srv_pid=$!
trap 'kill $srv_pid 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
port=$(cat "$WORK/port")
url="http://127.0.0.1:$port"
sum=sha256:$(sha256sum "$www/hello.txt" | cut -d' ' -f1)

ctx="$WORK/c"; mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE
ADD $url/hello.txt /d/
ADD --chmod=755 $url/redirect/hello.txt /e/x.txt
ADD --checksum=$sum $url/hello.txt?sum /sum/
ADD $url/archive.tar.gz /arch/
RUN echo ran-stat; stat -c '%a %Y %s %u:%g' /d/hello.txt /e/x.txt /sum/hello.txt > /stat; ls /arch > /arch.ls
DF
kb -o "type=local,dest=$WORK/out" "$ctx" >"$WORK/1.log" 2>&1 || { cat "$WORK/1.log"; fail "first build"; }
mt=$(date -d '2021-03-04 05:06:07 UTC' +%s)
expect="600 $mt 16 0:0
755 $mt 16 0:0
600 $mt 16 0:0"
[ "$(cat "$WORK/out/stat")" = "$expect" ] || fail "mode/mtime/size/owner: got
$(cat "$WORK/out/stat")
want
$expect"
[ "$(cat "$WORK/out/d/hello.txt")" = "hello from http" ] || fail "content of /d/hello.txt"
[ "$(cat "$WORK/out/arch.ls")" = archive.tar.gz ] || fail "ADD <URL> of a .tar.gz must not extract it: $(cat "$WORK/out/arch.ls")"

# A rebuild asks the server again (conditionally) except for --checksum, and hits the cache.
: > "$WORK/requests.log"
kb "$ctx" >"$WORK/2.log" 2>&1 || { cat "$WORK/2.log"; fail "second build"; }
grep -q '^#[0-9]* [0-9.]* ran-stat' "$WORK/2.log" && { cat "$WORK/2.log"; fail "cached rebuild re-ran RUN"; }
[ "$(grep -c ' CACHED$' "$WORK/2.log")" -ge 5 ] || { cat "$WORK/2.log"; fail "rebuild did not print CACHED"; }
grep -q '^GET /hello.txt 304$' "$WORK/requests.log" || { cat "$WORK/requests.log"; fail "no conditional request on rebuild"; }
grep -q '?sum' "$WORK/requests.log" &&
  { cat "$WORK/requests.log"; fail "--checksum ADD sent a request on a cached rebuild"; }

# A changed file re-downloads and invalidates what uses it.
printf 'changed content!\n' > "$www/hello.txt"
touch -d '2022-01-02 03:04:05 UTC' "$www/hello.txt"
sed -i "/--checksum/d" "$ctx/Dockerfile"
kb -o "type=local,dest=$WORK/out3" "$ctx" >"$WORK/3.log" 2>&1 || { cat "$WORK/3.log"; fail "build after change"; }
grep -q '^#[0-9]* [0-9.]* ran-stat' "$WORK/3.log" || { cat "$WORK/3.log"; fail "a changed remote file did not invalidate the cache"; }
[ "$(cat "$WORK/out3/d/hello.txt")" = "changed content!" ] || fail "stale content after the change"
head -1 "$WORK/out3/stat" | grep -q "^600 $(date -d '2022-01-02 03:04:05 UTC' +%s) 17 " ||
  fail "mtime after change: $(cat "$WORK/out3/stat")"

# --checksum mismatch: both digests in the error, non-zero exit.
printf 'FROM %s\nADD --checksum=%s %s/hello.txt /sum/\n' "$BASE" "$sum" "$url" > "$ctx/Dockerfile.sum"
if kb -f "$ctx/Dockerfile.sum" "$ctx" >"$WORK/4.log" 2>&1; then cat "$WORK/4.log"; fail "checksum mismatch succeeded"; fi
now=sha256:$(sha256sum "$www/hello.txt" | cut -d' ' -f1)
grep -q "checksum mismatch: expected $sum, got $now" "$WORK/4.log" || { cat "$WORK/4.log"; fail "checksum error message"; }

# 404 and a refused connection: the URL, the status and the Dockerfile line.
printf 'FROM %s\nADD %s/missing.txt /m\n' "$BASE" "$url" > "$ctx/Dockerfile.404"
if kb -f "$ctx/Dockerfile.404" "$ctx" >"$WORK/5.log" 2>&1; then fail "ADD of a 404 succeeded"; fi
grep -q "$url/missing.txt: HTTP 404" "$WORK/5.log" || { cat "$WORK/5.log"; fail "404 message"; }
grep -q "Dockerfile.404:2" "$WORK/5.log" || { cat "$WORK/5.log"; fail "404 error lacks the Dockerfile line"; }
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'FROM %s\nADD http://127.0.0.1:%s/x /x\n' "$BASE" "$dead" > "$ctx/Dockerfile.refused"
if kb -f "$ctx/Dockerfile.refused" "$ctx" >"$WORK/6.log" 2>&1; then fail "ADD from a closed port succeeded"; fi
grep -q "http://127.0.0.1:$dead/x" "$WORK/6.log" || { cat "$WORK/6.log"; fail "connection error lacks the URL"; }

# The reference builder, when there is one: same files, modes, owners, and the
# files' mtimes (directories ADD creates get the build's time in both). Not
# compared: --checksum (dockerd 20.10's frontend lacks it) and --chmod, which
# that frontend ignores for URLs (the file stays 0600) while newer BuildKit
# and kiln apply it.
if /usr/bin/docker info >/dev/null 2>&1; then
  o="$WORK/oracle"; mkdir -p "$o"
  printf 'FROM scratch\nADD %s/hello.txt /d/\nADD %s/redirect/hello.txt /e/x.txt\nADD --chown=1:2 %s/archive.tar.gz /a/\n' \
    "$url" "$url" "$url" > "$o/Dockerfile"
  tag=kiln-add-url-oracle:$$
  DOCKER_BUILDKIT=1 /usr/bin/docker build -q --network=host -t "$tag" "$o" >"$WORK/docker.log" 2>&1 ||
    { cat "$WORK/docker.log"; fail "docker build"; }
  /usr/bin/docker save -o "$WORK/docker.tar" "$tag" >/dev/null
  /usr/bin/docker rmi "$tag" >/dev/null 2>&1 || true
  kb -o "type=docker,dest=$WORK/kiln.tar" -t "$tag" "$o" >"$WORK/7.log" 2>&1 ||
    { cat "$WORK/7.log"; fail "kiln build of the oracle Dockerfile"; }
  python3 "$SHARED/tools/imgdiff.py" "docker-archive:$WORK/kiln.tar" "docker-archive:$WORK/docker.tar" >"$WORK/diff" 2>&1 ||
    { cat "$WORK/diff"; fail "kiln and BuildKit differ for ADD <URL>"; }
  for who in kiln docker; do
    python3 "$SHARED/tools/imgdiff.py" --list --mtime "docker-archive:$WORK/$who.tar" | grep '"type": "0"' >"$WORK/$who.files"
  done
  [ "$(wc -l <"$WORK/kiln.files")" = 3 ] || { cat "$WORK/kiln.files"; fail "listing the oracle image's files"; }
  diff "$WORK/kiln.files" "$WORK/docker.files" || fail "file mtimes differ from BuildKit's"
  echo "add_url: matches dockerd's BuildKit"
else
  echo "add_url: dockerd not available, skipped the comparison with BuildKit"
fi
echo "add_url: ok"
