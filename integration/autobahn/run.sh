#!/bin/sh
# The Autobahn TestSuite cases (sections 1-7, 9 and 10) against the echo endpoint.
set -eu
exec python3 "$(dirname "$0")/run_autobahn.py"
