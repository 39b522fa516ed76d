#!/bin/sh
# The chat page in Debian's headless Chromium, driven by Selenium, against the real server:
# WebSocket and long-poll tabs, fallback, restarts, presence, a plain HTTP user.
# Screenshots land in artifacts/browser/.
set -eu
exec python3 "$(dirname "$0")/test_browser.py"
