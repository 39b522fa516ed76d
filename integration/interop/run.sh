#!/bin/sh
# Interoperability with an independent WebSocket implementation (Python websockets, which
# offers permessage-deflate by default) and with plain HTTP clients.
set -eu
exec python3 "$(dirname "$0")/test_interop.py"
