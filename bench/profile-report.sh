#!/bin/sh
# Prints a perf profile of the server (recorded by bench/run.sh --profile) in readable form:
# where the CPU time went by category, then the hottest functions by self time, demangled.
# usage: bench/profile-report.sh PERF.data
set -eu
data=${1:?usage: profile-report.sh PERF.data}
here=$(cd "$(dirname "$0")" && pwd)
perf report -i "$data" --stdio --no-children --sort dso,symbol -g none --percent-limit 0.01 \
    2>/dev/null | grep '%' | swift demangle --simplified | python3 "$here/profile-categories.py"
