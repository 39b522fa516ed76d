#!/usr/bin/env bash
# Counts the instructions a server binary spends per message, with valgrind's callgrind:
# deterministic, so two builds can be compared on a machine busy with other work (where
# timing runs vary by ±15 %). Runs the scenario twice, with N and 2N messages, and reports
# (Ir(2N) - Ir(N)) / N: the marginal user-space instructions per message, setup excluded.
# Kernel time (system calls) is not counted.
#
#   bench/callgrind.sh BINARY N SCENARIO-ARGS...
#   bench/callgrind.sh .build/release/switchboard 20000 relay --transport ws --pairs 20 --inflight 4
# Leaves the callgrind files in a temporary folder (printed) for callgrind_annotate.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
binary=$1 count=$2
shift 2
ulimit -n "$(ulimit -Hn)"
out=$(mktemp -d /tmp/switchboard-callgrind.XXXXXX)

instructions() {
    local messages=$1 port pid
    shift
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$messages.out" \
        "$binary" --host 127.0.0.1 --port "$port" --ws-echo --log-level warning \
        >"$out/server.$messages.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    .build/release/switchboard-bench "$@" --port "$port" --messages "$messages" --warmup 0 \
        --duration 3600 >"$out/bench.$messages.json" 2>/dev/null || {
        echo "bench/callgrind.sh: the run with $messages messages failed" >&2
    }
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    callgrind_annotate "$out/callgrind.$messages.out" 2>/dev/null \
        | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }'
}

small=$(instructions "$count" "$@")
large=$(instructions "$((2 * count))" "$@")
python3 - "$small" "$large" "$count" "$out" <<'PY'
import sys
small, large, count, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(f"Ir({count}) = {small:,}  Ir({2 * count}) = {large:,}")
print(f"marginal instructions per message: {(large - small) / count:,.0f}  (files in {out})")
PY
