#!/usr/bin/env bash
# `kiln debug ast` matches BuildKit's parser golden files (positive and negative cases).
set -euo pipefail
: "${KILN:?KILN must point at the kiln binary}" "${SHARED:?SHARED must point at ../shared}"
tool="$SHARED/tools/parser-conformance"
cases="$SHARED/conformance/buildkit-parser"
[ -x "$tool" ] || { echo "missing $tool" >&2; exit 1; }
[ -d "$cases/testfiles" ] || { echo "missing $cases/testfiles" >&2; exit 1; }
"$tool" "$cases" "$KILN"
