#!/usr/bin/env bash
# Compares two server binaries on one scenario, alternating A and B so that load from other
# work on the machine hits both alike. Prints each run and the medians of delivered msg/s,
# msgs per server CPU-second (the fairer figure on a busy machine) and p99 latency.
#
#   bench/ab.sh BINARY_A BINARY_B ROUNDS SCENARIO-ARGS...
#   bench/ab.sh /tmp/sb-base .build/release/switchboard 5 relay --transport lp --pairs 100
#
# The servers run with `--store memory`, as in bench/run.sh; AB_STORE=sqlite gives each run a
# fresh SQLite file instead (the product's default store), AB_STORE=memory is the default.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
a=$1 b=$2 rounds=$3
shift 3
ulimit -n "$(ulimit -Hn)"
# SCHED_RR as in bench/run.sh (see there why); BENCH_SCHED=none to keep the default scheduler.
priority=()
if [ "${BENCH_SCHED:-rt}" = rt ] && chrt -r 1 true 2>/dev/null; then priority=(chrt -r 1); fi
server_flags=${SERVER_FLAGS:-}
store=${AB_STORE:-memory}
out=$(mktemp -d /tmp/switchboard-ab.XXXXXX)
bench=$out/switchboard-bench
cp "$root/.build/release/switchboard-bench" "$bench"
for round in $(seq 1 "$rounds"); do
    for side in A B; do
        binary=$a
        [ "$side" = B ] && binary=$b
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        store_flag=(--store memory)
        [ "$store" = sqlite ] && store_flag=(--store "sqlite:$out/$side-$round.db")
        # shellcheck disable=SC2086
        "${priority[@]}" taskset -c "${SERVER_CPU:-0}" "$binary" --host 127.0.0.1 --port "$port" \
            --ws-echo --log-level warning "${store_flag[@]}" $server_flags >"$out/server.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
        "${priority[@]}" taskset -c "${BENCH_CPU:-1}" "$bench" "$@" --port "$port" \
            --pid "$pid" --label "$side" >>"$out/$side.jsonl" 2>/dev/null || true
        kill "$pid"; wait "$pid" 2>/dev/null || true
        tail -n 1 "$out/$side.jsonl" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print(r["label"], r.get("msgs_per_s"), r.get("msgs_per_server_cpu_s"),
      (r.get("latency") or {}).get("p99_ms"), "errors", r.get("error_count"))'
    done
done
python3 - "$out" <<'PY'
import json, statistics, sys
for side in "AB":
    rows = [json.loads(l) for l in open(f"{sys.argv[1]}/{side}.jsonl") if l.strip()]
    def med(key, sub=None):
        vals = [(r.get(key) or {}).get(sub) if sub else r.get(key) for r in rows]
        vals = [v for v in vals if isinstance(v, (int, float))]
        return statistics.median(vals) if vals else None
    print(f"{side}: median msg/s {med('msgs_per_s')}, msgs per server CPU-s "
          f"{med('msgs_per_server_cpu_s')}, p99 ms {med('latency', 'p99_ms')}")
PY
