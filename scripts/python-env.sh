#!/bin/sh
# Creates .venv with the Python packages the tests and benchmarks drive the server with:
# websockets (a second WebSocket implementation, with permessage-deflate), selenium (the
# browser tests) and kosoku (the Autobahn TestSuite cases). Versions are pinned so a test
# run today and a test run next month exercise the same clients.
set -eu
cd "$(dirname "$0")/.."
stamp=.venv/.switchboard-requirements
requirements=scripts/python-requirements.txt
if [ -f "$stamp" ] && cmp -s "$stamp" "$requirements"; then
    exit 0
fi
if ! python3 -m venv .venv 2>/dev/null; then
    # Debian's own python3 keeps venv in a separate package.
    scripts/ensure-packages.sh python3-venv
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
