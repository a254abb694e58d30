#!/usr/bin/env bash
# The binary starts, prints its version and help, and rejects unknown commands.
set -euo pipefail
"$KILN" --version | grep -q '^kiln [0-9]'
"$KILN" --help | grep -q 'kiln'
if "$KILN" no-such-command 2>/dev/null; then echo "unknown command accepted"; exit 1; fi
echo "cli_basics: ok"
