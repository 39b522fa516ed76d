#!/bin/sh
# Runs the curl session printed in docs/protocol.md, word for word, against a real server
# with a WebSocket user (Python websockets) on the other side.
set -eu
exec python3 "$(dirname "$0")/test_curl_session.py"
