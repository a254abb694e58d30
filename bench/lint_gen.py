#!/usr/bin/env python3
"""Generate N typical Dockerfiles for bench/lint_bench.sh, and beside each one
the shell scripts hadolint (and kiln lint) give ShellCheck for its RUNs:
OUT/NNNN/Dockerfile and OUT/NNNN/run_K.sh. Deterministic (seeded)."""
import os
import random
import sys

n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
out = sys.argv[1]
rng = random.Random(42)
PROXY = ["FTP_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ftp_proxy", "https_proxy", "http_proxy", "no_proxy"]

bases = ["debian:12", "ubuntu:22.04", "python:3.12-slim", "node:20", "golang:1.22", "alpine:3.19", "debian", "ubuntu:latest"]
apt = ["curl", "ca-certificates", "git", "build-essential", "libssl-dev", "jq", "unzip", "gnupg"]

def run_scripts(base):
    if base.startswith("alpine"):
        yield "apk add --no-cache " + " ".join(rng.sample(["curl", "bash", "git", "jq"], 2))
    else:
        pk = " ".join(rng.sample(apt, 3))
        yield ("apt-get update \\\n    && apt-get install -y --no-install-recommends " + pk +
               " \\\n    && rm -rf /var/lib/apt/lists/*")
    if base.startswith("python"):
        yield "pip install --no-cache-dir -r requirements.txt"
    if base.startswith("node"):
        yield "npm ci && npm run build"
    if base.startswith("golang"):
        yield "go build -o /out/app ./cmd/app"
    if rng.random() < 0.5:
        yield "cd /tmp && curl -fsSL https://example.com/install.sh | sh"
    if rng.random() < 0.5:
        yield "useradd -m app && mkdir -p /data && chown app /data"
    if rng.random() < 0.3:
        yield "for f in /etc/*.conf; do echo $f; done"

for i in range(n):
    d = os.path.join(out, "%04d" % i)
    os.makedirs(d, exist_ok=True)
    base = rng.choice(bases)
    lines = ["# syntax=docker/dockerfile:1", "ARG VERSION=1.0", "FROM %s AS build" % base, "WORKDIR /src"]
    env_names = ["VERSION"]
    if rng.random() < 0.5:
        lines.append("ENV APP_HOME=/srv PORT=8080")
        env_names += ["APP_HOME", "PORT"]
    lines.append("COPY . .")
    scripts = []
    for s in run_scripts(base):
        lines.append("RUN " + s)
        names = sorted(set(PROXY + env_names))
        scripts.append("#!/bin/sh\n" + "".join("export %s=1\n" % v for v in names) + s.replace("\\\n", "\\\n") + "\n")
    lines += ["FROM %s" % rng.choice(["debian:12-slim", "gcr.io/distroless/base", "alpine:3.19"]),
              "COPY --from=build /src /app", "EXPOSE 8080", "USER 1000", 'CMD ["/app/run"]', ""]
    with open(os.path.join(d, "Dockerfile"), "w") as f:
        f.write("\n".join(lines))
    for k, s in enumerate(scripts):
        with open(os.path.join(d, "run_%d.sh" % k), "w") as f:
            f.write(s)
