#!/usr/bin/env bash
# ADD <git URL>: a branch, an annotated tag, a commit SHA and #ref:subdir, over
# git:// (git daemon) and dumb HTTP (a static file server over a bare repo);
# submodules are checked out; --keep-git-dir keeps .git; modes are git's (0644/0755, symlinks kept); a new
# commit on the branch invalidates only the steps that use it; a bad ref, a
# missing subdir and a wrong --checksum fail clearly.
# dockerd 20.10's built-in Dockerfile frontend cannot ADD a git URL (it takes
# it for a local path), so there is no comparison with BuildKit here; BuildKit's
# git source was checked by hand through `docker build git://...` (a git build
# context): checkout-time mtimes, modes from git, root-owned, .git dropped.
source "$SRC/tests/lib/build_base.sh"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
git_() { git -c user.email=t@example.com -c user.name=t -c init.defaultBranch=main "$@"; }

repo="$WORK/work"; srv="$WORK/srv"; lib="$WORK/lib"; mkdir -p "$repo/bin" "$repo/sub/deep" "$srv" "$lib"
# A second repository, used as a submodule.
echo L > "$lib/l.txt"
git_ -C "$lib" init -q && git_ -C "$lib" add -A && git_ -C "$lib" commit -qm lib
git_ clone -q --bare "$lib" "$srv/lib.git"

gport=$(free_port)
git daemon --listen=127.0.0.1 --port="$gport" --base-path="$srv" --export-all --reuseaddr "$srv" >"$WORK/daemon.log" 2>&1 &
gd_pid=$!
hport=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$srv" "$hport" >"$WORK/http.log" 2>&1 &
hs_pid=$!
trap 'kill $gd_pid $hs_pid 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do git ls-remote "git://127.0.0.1:$gport/lib.git" >/dev/null 2>&1 && break; sleep 0.1; done

echo A1 > "$repo/a.txt"
printf '#!/bin/sh\necho hi\n' > "$repo/bin/run.sh"; chmod 755 "$repo/bin/run.sh"
echo S > "$repo/sub/s.txt"; echo D > "$repo/sub/deep/d.txt"
ln -s a.txt "$repo/link"
git_ -C "$repo" init -q
git_ -C "$repo" submodule -q add "git://127.0.0.1:$gport/lib.git" lib
git_ -C "$repo" add -A
git_ -C "$repo" commit -qm one
git_ -C "$repo" tag -a v1 -m v1
c1=$(git -C "$repo" rev-parse HEAD)
git_ clone -q --bare "$repo" "$srv/repo.git"
git -C "$srv/repo.git" update-server-info
for _ in $(seq 50); do git ls-remote "http://127.0.0.1:$hport/repo.git" >/dev/null 2>&1 && break; sleep 0.1; done
G="git://127.0.0.1:$gport/repo.git"
H="http://127.0.0.1:$hport/repo.git"

ctx="$WORK/c"; mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE AS tagged
ADD $G#v1 /tag
RUN echo ran-tag; cat /tag/a.txt > /tag.out

FROM $BASE
ADD $G#main /branch/
ADD $G#$c1 /commit/
ADD $H#main:sub /sub/
ADD --keep-git-dir=true $H#main /keep/
ADD --checksum=$c1 $G#v1 /sum/
RUN echo ran-branch; cat /branch/a.txt > /branch.out
COPY --from=tagged /tag /tag
COPY --from=tagged /tag.out /tag.out
DF
kb -o "type=local,dest=$WORK/out" "$ctx" >"$WORK/1.log" 2>&1 || { cat "$WORK/1.log"; fail "first build"; }
o="$WORK/out"
for d in branch tag commit sum; do
  [ "$(cat "$o/$d/a.txt")" = A1 ] || fail "/$d/a.txt"
  [ "$(stat -c %a "$o/$d/bin/run.sh")" = 755 ] || fail "/$d/bin/run.sh mode $(stat -c %a "$o/$d/bin/run.sh")"
  [ "$(stat -c %a "$o/$d/a.txt")" = 644 ] || fail "/$d/a.txt mode"
  [ "$(readlink "$o/$d/link")" = a.txt ] || fail "/$d/link is not the symlink"
  [ -e "$o/$d/.git" ] && fail "/$d/.git kept without --keep-git-dir"
  [ "$(cat "$o/$d/lib/l.txt")" = L ] || fail "/$d/lib: submodule not checked out"
  [ -e "$o/$d/lib/.git" ] && fail "/$d/lib/.git kept without --keep-git-dir"
done
[ "$(cat "$o/sub/s.txt")" = S ] && [ "$(cat "$o/sub/deep/d.txt")" = D ] || fail "#main:sub content"
[ -e "$o/sub/a.txt" ] && fail "#main:sub brought files from outside sub"
[ "$(git -C "$o/keep" rev-parse HEAD)" = "$c1" ] || fail "--keep-git-dir: .git missing or at the wrong commit"
[ -z "$(git -C "$o/keep" status --porcelain)" ] || fail "--keep-git-dir: the work tree is not clean"
[ "$(cat "$o/branch.out")" = A1 ] && [ "$(cat "$o/tag.out")" = A1 ] || fail "branch.out/tag.out"

# Unchanged remote: every step cached. A new commit on main: the branch steps
# re-run, the tag and commit steps stay cached.
kb "$ctx" >"$WORK/2.log" 2>&1 || { cat "$WORK/2.log"; fail "second build"; }
grep -q '^#[0-9]* [0-9.]* ran-' "$WORK/2.log" && { cat "$WORK/2.log"; fail "a cached rebuild ran a step"; }
[ "$(grep -c ' CACHED$' "$WORK/2.log")" -ge 10 ] || { cat "$WORK/2.log"; fail "rebuild did not print CACHED for every step"; }
echo A2 > "$repo/a.txt"
git_ -C "$repo" commit -qam two
git_ -C "$repo" push -q "$srv/repo.git" main
git -C "$srv/repo.git" update-server-info
kb -o "type=local,dest=$WORK/out3" "$ctx" >"$WORK/3.log" 2>&1 || { cat "$WORK/3.log"; fail "build after a new commit"; }
grep -q '^#[0-9]* [0-9.]* ran-branch' "$WORK/3.log" || { cat "$WORK/3.log"; fail "a new commit on main did not invalidate ADD #main"; }
grep -q '^#[0-9]* [0-9.]* ran-tag' "$WORK/3.log" && { cat "$WORK/3.log"; fail "a new commit on main invalidated ADD #v1"; }
[ "$(cat "$WORK/out3/branch.out")" = A2 ] && [ "$(cat "$WORK/out3/tag/a.txt")" = A1 ] || fail "contents after the new commit"
[ "$(git -C "$WORK/out3/keep" rev-parse HEAD)" = "$(git -C "$repo" rev-parse HEAD)" ] || fail "--keep-git-dir after the new commit"

# Failures: a bad ref, a missing subdir, a wrong checksum.
expect_fail() {  # NAME DOCKERFILE-LINE MESSAGE
  printf 'FROM %s\n%s\n' "$BASE" "$2" > "$ctx/Dockerfile.$1"
  if kb -f "$ctx/Dockerfile.$1" "$ctx" >"$WORK/$1.log" 2>&1; then cat "$WORK/$1.log"; fail "$1 succeeded"; fi
  grep -qF -- "$3" "$WORK/$1.log" || { cat "$WORK/$1.log"; fail "$1: no \`$3\` in the error"; }
  grep -q "Dockerfile.$1:2" "$WORK/$1.log" || { cat "$WORK/$1.log"; fail "$1: no Dockerfile line in the error"; }
}
expect_fail badref "ADD $G#no-such-branch /x" "ref \`no-such-branch\` not found in $G"
expect_fail badsub "ADD $H#v1:nope /x" "directory \`nope\` not found at commit $c1"
expect_fail badsum "ADD --checksum=0000000000 $G#v1 /x" "checksum mismatch: expected 0000000000, got commit $c1"
echo "add_git: ok"
