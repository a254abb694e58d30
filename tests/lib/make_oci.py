#!/usr/bin/env python3
"""Builds an OCI image layout for tests, with no third-party modules.

usage: make_oci.py DIR TAG ARCHES [--extra-mb N] [--gzip] [--text-mb N] [--seed S]

ARCHES is a comma-separated list of GOARCH[/variant] names. Each image has one layer
holding bin/busybox (from busybox-static, when present), etc/arch (the platform) and
optionally `extra` (N MiB of random bytes) and `text` (N MiB of text). With one
arch, the layout's index.json points TAG at the image manifest; with several, at an
OCI index listing one manifest per platform. Layers are plain tar unless --gzip.
Prints the digest TAG points at.
"""
import argparse, gzip, hashlib, io, json, os, random, tarfile

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("tag")
ap.add_argument("arches")
ap.add_argument("--extra-mb", type=int, default=0)
ap.add_argument("--text-mb", type=int, default=0)
ap.add_argument("--gzip", action="store_true")
ap.add_argument("--seed", default="kiln")
a = ap.parse_args()
os.makedirs(os.path.join(a.dir, "blobs", "sha256"), exist_ok=True)


def put(data):
    d = hashlib.sha256(data).hexdigest()
    p = os.path.join(a.dir, "blobs", "sha256", d)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)
    return "sha256:" + d


def put_file(path):
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
            size += len(b)
    d = h.hexdigest()
    os.replace(path, os.path.join(a.dir, "blobs", "sha256", d))
    return "sha256:" + d, size


def add_bytes(tf, name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = 0
    tf.addfile(ti, io.BytesIO(data))


class Gen(io.RawIOBase):
    """A readable stream of N bytes: random or text, generated on the fly."""
    def __init__(self, n, text, seed):
        self.left, self.text, self.rng = n, text, random.Random(seed)
        self.buf = b""
        if text:  # 1 MiB of words, rotated at a random point for each MiB produced
            words = [("w%d" % self.rng.randrange(50000)).encode() for _ in range(200000)]
            self.pool = (b" ".join(words) + b"\n")[: 1 << 20]

    def readable(self):
        return True

    def readinto(self, b):
        if self.left <= 0:
            return 0
        while len(self.buf) < len(b) and len(self.buf) < self.left:
            if self.text:
                i = self.rng.randrange(len(self.pool))
                self.buf += self.pool[i:] + self.pool[:i]
            else:
                self.buf += self.rng.randbytes(1 << 20)
        n = min(len(b), self.left, len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        self.left -= n
        return n


def add_stream(tf, name, n, text, seed):
    ti = tarfile.TarInfo(name)
    ti.size = n
    ti.mode = 0o644
    ti.mtime = 0
    tf.addfile(ti, io.BufferedReader(Gen(n, text, seed), 1 << 20))


def image(arch):
    parts = arch.split("/")
    plat = {"architecture": parts[0], "os": "linux"}
    if len(parts) > 1:
        plat["variant"] = parts[1]
    raw = os.path.join(a.dir, "layer.tmp")
    h = hashlib.sha256()
    with open(raw, "wb") as out:
        class Hashing(io.RawIOBase):
            def writable(self):
                return True
            def write(self, b):
                h.update(b)
                out.write(b)
                return len(b)
        with tarfile.open(fileobj=Hashing(), mode="w|", format=tarfile.PAX_FORMAT) as tf:
            bb = "/bin/busybox"
            if os.path.exists(bb):
                with open(bb, "rb") as f:
                    add_bytes(tf, "bin/busybox", f.read(), 0o755)
            add_bytes(tf, "etc/arch", (arch + "\n" + a.seed + "\n").encode())
            if a.extra_mb:
                add_stream(tf, "extra", a.extra_mb << 20, False, a.seed + arch)
            if a.text_mb:
                add_stream(tf, "text", a.text_mb << 20, True, a.seed + arch + "t")
    diff_id = "sha256:" + h.hexdigest()
    mt = "application/vnd.oci.image.layer.v1.tar"
    if a.gzip:
        gz = raw + ".gz"
        with open(raw, "rb") as src, open(gz, "wb") as dst:
            with gzip.GzipFile(fileobj=dst, mode="wb", mtime=0, compresslevel=1) as z:
                while True:
                    b = src.read(1 << 20)
                    if not b:
                        break
                    z.write(b)
        os.remove(raw)
        raw = gz
        mt += "+gzip"
    layer_digest, layer_size = put_file(raw)
    config = dict(plat)
    config.update({"created": "2024-01-01T00:00:00Z", "config": {"Cmd": ["/bin/busybox", "sh"], "Env": ["PATH=/bin"]},
                   "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "history": [{"created_by": "make_oci.py"}]})
    cb = json.dumps(config, sort_keys=True).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cb), "size": len(cb)},
                "layers": [{"mediaType": mt, "digest": layer_digest, "size": layer_size}]}
    mb = json.dumps(manifest, sort_keys=True).encode()
    return {"mediaType": manifest["mediaType"], "digest": put(mb), "size": len(mb), "platform": plat}


descs = [image(x) for x in a.arches.split(",")]
if len(descs) == 1:
    top = dict(descs[0])
    top.pop("platform")
else:
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descs}
    ib = json.dumps(idx, sort_keys=True).encode()
    top = {"mediaType": idx["mediaType"], "digest": put(ib), "size": len(ib)}
top["annotations"] = {"org.opencontainers.image.ref.name": a.tag}
ipath = os.path.join(a.dir, "index.json")
outer = {"schemaVersion": 2, "manifests": []}
if os.path.exists(ipath):
    with open(ipath) as f:
        outer = json.load(f)
outer["manifests"] = [m for m in outer["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != a.tag]
outer["manifests"].append(top)
with open(ipath, "w") as f:
    json.dump(outer, f)
with open(os.path.join(a.dir, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
print(top["digest"])
