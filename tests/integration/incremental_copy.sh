#!/usr/bin/env bash
# Incremental COPY from the build context (docs/cache-keys.md): after each context
# edit, the rebuilt COPY layers (seeded with hard links to the previous result's
# unchanged files) must equal those of a --no-cache build entry for entry (names,
# types, modes, owners, mtimes, xattrs, content, link targets, hard links), the
# merged trees must be equal too, and no committed snapshot file may change.
source "$SRC/tests/lib/build_base.sh"
# A base image with files the context will hide (built once: --no-cache keeps it).
mkdir -p "$WORK/b2"
cat >"$WORK/b2/Dockerfile" <<EOF
FROM $BASE
RUN mkdir -p /etc/app/sub /opt/basedir && echo base > /etc/app/conf && echo basesub > /etc/app/sub/x && echo b > /opt/basedir/f
EOF
kb -t incbase:1 "$WORK/b2" >"$WORK/b2.log" 2>&1 || { cat "$WORK/b2.log"; fail "base image"; }
ctx="$WORK/c"; mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<EOF
FROM incbase:1
COPY --chmod=640 --chown=7:8 root/ /
COPY . /ctx/
EOF
printf 'ignored*\n' > "$ctx/.dockerignore"
echo A > "$ctx/a.txt"; echo B > "$ctx/b.txt"; echo I > "$ctx/ignored.txt"
mkdir -p "$ctx/dir1" "$ctx/dir2/sub" "$ctx/root/etc/app" "$ctx/root/opt"
echo x > "$ctx/dir1/x"; echo y > "$ctx/dir1/y"; echo z > "$ctx/dir2/sub/z"
echo '#!/bin/sh' > "$ctx/exe"; chmod 755 "$ctx/exe"
ln -s a.txt "$ctx/link"
echo same > "$ctx/hl1"; ln "$ctx/hl1" "$ctx/hl2"
setfattr -n user.kiln -v one "$ctx/dir1/y" 2>/dev/null || true
echo ctxconf > "$ctx/root/etc/app/conf"; echo new > "$ctx/root/opt/new"
for i in $(seq 1 40); do echo "$i" > "$ctx/dir1/f$i"; done

# A description of every entry of the image's last two layers and of the merged tree.
describe() {  # describe OCI_TAR OUT
  python3 - "$1" "$2" <<'PY'
import hashlib, io, json, sys, tarfile
oci = tarfile.open(sys.argv[1])
blob = lambda d: oci.extractfile("blobs/" + d.replace(":", "/")).read()
idx = json.loads(oci.extractfile("index.json").read())
man = json.loads(blob(idx["manifests"][0]["digest"]))
out = []
merged = {}
for n, layer in enumerate(man["layers"]):
    t = tarfile.open(fileobj=io.BytesIO(blob(layer["digest"])))
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else b""
        d = (m.name, m.type, oct(m.mode), m.uid, m.gid, m.mtime, m.linkname, m.size,
             hashlib.sha256(data).hexdigest(), sorted(m.pax_headers.items()))
        if n >= len(man["layers"]) - 2:
            out.append("layer%d %r" % (n - len(man["layers"]) + 2, d))
        base = m.name.rstrip("/").split("/")
        if base[-1].startswith(".wh."):
            gone = "/".join(base[:-1] + [base[-1][4:]])
            for k in list(merged):
                if k == gone or k.startswith(gone + "/"):
                    del merged[k]
            continue
        merged[m.name.rstrip("/")] = d[1:]
for k in sorted(merged):
    out.append("tree %s %r" % (k, merged[k]))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
}
# Content, modes, owners and mtimes of every file of every snapshot directory.
snapshots() {
  { find "$KILN_ROOT/snapshots" -mindepth 1 -printf '%p %y %m %U %G %T@ %s %l\n'
    find "$KILN_ROOT/snapshots" -type f -print0 | xargs -0 -r sha256sum; } | LC_ALL=C sort > "$1"
}

step=0
check() {  # check NAME EXPECT_INCREMENTAL(0/1)
  step=$((step + 1))
  snapshots "$WORK/snap.before"
  "$KILN" --log-level debug build --progress plain -o "type=oci,dest=$WORK/inc.tar" "$ctx" >"$WORK/inc.log" 2>&1 ||
    { cat "$WORK/inc.log"; fail "step $step ($1): incremental build"; }
  # Snapshots that existed before the build: unchanged (only new ones may appear).
  snapshots "$WORK/snap.after"
  if [ -n "$(LC_ALL=C comm -23 "$WORK/snap.before" "$WORK/snap.after")" ]; then
    LC_ALL=C comm -23 "$WORK/snap.before" "$WORK/snap.after" | head
    fail "step $step ($1): a committed snapshot changed"
  fi
  if [ "$2" = 1 ]; then
    grep -q 'incremental copy: [0-9]* of [0-9]* files kept' "$WORK/inc.log" ||
      { grep -i 'incremental\|copy' "$WORK/inc.log"; fail "step $step ($1): the COPY was not incremental"; }
  fi
  kb --no-cache -o "type=oci,dest=$WORK/full.tar" "$ctx" >"$WORK/full.log" 2>&1 ||
    { cat "$WORK/full.log"; fail "step $step ($1): --no-cache build"; }
  describe "$WORK/inc.tar" "$WORK/inc.txt"
  describe "$WORK/full.tar" "$WORK/full.txt"
  # The destination directories the COPY creates with MkdirAll (/ctx, /d) get the time
  # of the build (BuildKit's too); everything else must be equal.
  sed -E "s/^(layer1 \('(ctx|d)', b'5', '0o755', 0, 0, )[0-9]+/\1T/; s/^(tree (ctx|d) \(b'5', '0o755', 0, 0, )[0-9]+/\1T/" \
    -i "$WORK/inc.txt" "$WORK/full.txt"
  diff "$WORK/inc.txt" "$WORK/full.txt" >"$WORK/diff.txt" ||
    { cat "$WORK/diff.txt"; grep 'incremental' "$WORK/inc.log"; fail "step $step ($1): incremental result differs from a full copy"; }
  kept=$(grep -o 'incremental copy: [0-9]* of [0-9]* files kept' "$WORK/inc.log" | tr '\n' ';' || true)
  echo "step $step ($1): equal; $kept"
}

kb "$ctx" >"$WORK/0.log" 2>&1 || { cat "$WORK/0.log"; fail "first build"; }
echo A2 >> "$ctx/a.txt";                          check "modify a file" 1
echo C > "$ctx/c.txt";                            check "add a file" 1
rm "$ctx/b.txt";                                  check "remove a file" 1
rm -r "$ctx/dir2";                                check "remove a directory" 1
rm "$ctx/dir1/x"; mkdir "$ctx/dir1/x"; echo in > "$ctx/dir1/x/in"
                                                  check "replace a file by a directory" 1
rm -r "$ctx/dir1/x"; echo x2 > "$ctx/dir1/x";    check "replace a directory by a file" 1
chmod 700 "$ctx/exe";                             check "change a file's mode" 1
ln -sfn dir1 "$ctx/link";                         check "change a symlink" 1
rm "$ctx/hl2"; echo same > "$ctx/hl2"; echo A3 >> "$ctx/a.txt"
                                                  check "break a hard link" 1
rm "$ctx/hl2"; ln "$ctx/hl1" "$ctx/hl2"; echo A4 >> "$ctx/a.txt"
                                                  check "make a hard link" 1
setfattr -n user.kiln -v two "$ctx/dir1/y" 2>/dev/null || echo y2 > "$ctx/dir1/y"
                                                  check "change an xattr" 1
echo conf2 > "$ctx/root/etc/app/conf";            check "change a file over a base file" 1
rm "$ctx/root/etc/app/conf";                      check "remove a file that hid a base file" 1
echo new2 > "$ctx/root/opt/new"; echo A5 >> "$ctx/a.txt"
                                                  check "change both COPYs" 1
printf 'ignored*\ndir1/f1*\n' > "$ctx/.dockerignore"
                                                  check ".dockerignore change" 0
echo I2 > "$ctx/ignored.txt"; echo A6 >> "$ctx/a.txt"
                                                  check "ignored file changes" 1

# A COPY of a subdirectory with --chmod, then changes in it.
cat >"$ctx/Dockerfile" <<EOF
FROM $BASE
COPY --chmod=600 dir1 /d/
EOF
kb "$ctx" >"$WORK/s.log" 2>&1 || { cat "$WORK/s.log"; fail "subdirectory build"; }
echo y3 > "$ctx/dir1/y"; rm "$ctx/dir1/f30";      check "COPY of a subdirectory" 1
echo ok
