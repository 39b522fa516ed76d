#!/bin/sh
# HTTPS and WSS with a certificate generated for the run: static files, long-poll and
# WebSocket over TLS, chatting across transports.
set -eu
exec python3 "$(dirname "$0")/test_tls.py"
