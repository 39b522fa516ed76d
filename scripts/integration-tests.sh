#!/bin/sh
# Runs the integration suites that drive the real server with real clients (Python
# websockets, Chromium through Selenium, the Autobahn cases through kosoku, curl).
# Each suite is a folder under integration/ with a run.sh; they run one after another and
# the first failure stops the run. The server binaries come from `swift build`.
set -eu
cd "$(dirname "$0")/.."
export SWITCHBOARD_BUILD_DIR="${SWITCHBOARD_BUILD_DIR:-$(swift build --show-bin-path)}"
export PATH="$PWD/.venv/bin:$PATH"
status=0
for suite in integration/*/run.sh; do
    [ -f "$suite" ] || continue
    name=$(basename "$(dirname "$suite")")
    echo "== integration: $name"
    start=$(date +%s)
    if ! sh "$suite"; then
        echo "== integration: $name FAILED" >&2
        status=1
        break
    fi
    echo "== integration: $name passed in $(( $(date +%s) - start ))s"
done
exit $status
