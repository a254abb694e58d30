#!/usr/bin/env python3
"""Compare the image history (created_by, comment, empty_layer) and layer count of a
docker engine image with an OCI layout tarball, ignoring times.
  usage: history_diff.py DOCKER_IMAGE OCI_TAR
Prints the differences; exit 0 when equal, 1 when different."""
import json, subprocess, sys, tarfile, tempfile

def docker_config(name):
    with tempfile.NamedTemporaryFile(suffix=".tar") as tmp:
        subprocess.run(["docker", "save", "-o", tmp.name, name], check=True)
        with tarfile.open(tmp.name) as t:
            man = json.load(t.extractfile("manifest.json"))[0]
            return json.load(t.extractfile(man["Config"]))

def oci_config(path):
    with tarfile.open(path) as t:
        blob = lambda d: json.load(t.extractfile("blobs/" + d["digest"].replace(":", "/")))
        man = blob(json.load(t.extractfile("index.json"))["manifests"][0])
        if "manifests" in man:
            man = blob(man["manifests"][0])
        return blob(man["config"])

def summary(cfg):
    hist = [(h.get("created_by", ""), h.get("comment", ""), bool(h.get("empty_layer"))) for h in cfg.get("history", [])]
    return hist, len(cfg.get("rootfs", {}).get("diff_ids", []))

def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    (ha, la), (hb, lb) = summary(docker_config(argv[0])), summary(oci_config(argv[1]))
    diffs = 0
    for i in range(max(len(ha), len(hb))):
        a = ha[i] if i < len(ha) else None
        b = hb[i] if i < len(hb) else None
        if a != b:
            diffs += 1
            print(f"history[{i}]: {a} != {b}")
    if la != lb:
        diffs += 1
        print(f"layers: {la} != {lb}")
    return 1 if diffs else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
