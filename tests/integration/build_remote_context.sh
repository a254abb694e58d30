#!/usr/bin/env bash
# kiln build URL: a git repository (git daemon on 127.0.0.1; #ref:subdir; -f relative
# to the fetched context; dumb HTTP .git) and an http tarball (gzip and zstd) as the
# build context, as docker build accepts them; the temporary checkout is removed.
source "$SRC/tests/lib/build_base.sh"
command -v git >/dev/null || { echo "build_remote_context: git missing: skipped"; exit 0; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
git_() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main "$@"; }

repo="$WORK/repo"; srv="$WORK/srv"; mkdir -p "$repo/app" "$srv"
cat >"$repo/app/Dockerfile" <<EOF
FROM $BASE
COPY msg /msg
RUN cat /msg > /out
EOF
cat >"$repo/app/Other.Dockerfile" <<EOF
FROM $BASE
COPY msg /other
EOF
echo v1 > "$repo/app/msg"
git_ -C "$repo" init -q && git_ -C "$repo" add -A && git_ -C "$repo" commit -qm one && git_ -C "$repo" tag v1
echo v2 > "$repo/app/msg"
git_ -C "$repo" commit -qam two
git_ clone -q --bare "$repo" "$srv/repo.git"
git -C "$srv/repo.git" update-server-info

gport=$(free_port)
git daemon --listen=127.0.0.1 --port="$gport" --base-path="$srv" --export-all --reuseaddr "$srv" >"$WORK/daemon.log" 2>&1 &
gd_pid=$!
www="$WORK/www"; mkdir -p "$www/t"
cp "$repo/app/Dockerfile" "$repo/app/Other.Dockerfile" "$repo/app/msg" "$www/t/"
tar -C "$www/t" -czf "$www/ctx.tar.gz" .
tar -C "$www/t" -cf - . | zstd -q > "$www/ctx.tar.zst"
cp -r "$srv/repo.git" "$www/repo.git"
python3 "$SRC/tests/lib/http_file_server.py" "$www" "$WORK/port" "$WORK/requests.log" &
hs_pid=$!
trap 'kill $gd_pid $hs_pid 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do git ls-remote "git://127.0.0.1:$gport/repo.git" >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$WORK/port")"

check() {  # NAME WANT FILE ARGS...
  local n=$1 want=$2 file=$3; shift 3
  kb -o "type=local,dest=$WORK/$n" "$@" >"$WORK/$n.log" 2>&1 || { cat "$WORK/$n.log"; fail "build $n"; }
  [ "$(cat "$WORK/$n/$file")" = "$want" ] || fail "$n: /$file is $(cat "$WORK/$n/$file"), want $want"
}
check git-head v2 out "git://127.0.0.1:$gport/repo.git#:app"
check git-tag v1 out "git://127.0.0.1:$gport/repo.git#v1:app"
check git-f v2 other -f Other.Dockerfile "git://127.0.0.1:$gport/repo.git#main:app"
check git-http v1 out "$url/repo.git#v1:app"
check tar-gz v2 out "$url/ctx.tar.gz"
check tar-zst v2 other -f Other.Dockerfile "$url/ctx.tar.zst"
[ -z "$(ls -A "$KILN_ROOT/tmp" 2>/dev/null | grep context || true)" ] || fail "a fetched context was left in ROOT/tmp"

if kb "git://127.0.0.1:$gport/repo.git#nosuchref" >"$WORK/e1.log" 2>&1; then fail "a missing ref built"; fi
grep -q "nosuchref" "$WORK/e1.log" || { cat "$WORK/e1.log"; fail "missing ref: the error does not name it"; }
if kb "$url/missing.tar.gz" >"$WORK/e2.log" 2>&1; then fail "a 404 context built"; fi
grep -q "HTTP 404" "$WORK/e2.log" || { cat "$WORK/e2.log"; fail "404: the error does not say so"; }
echo "build_remote_context: ok"
