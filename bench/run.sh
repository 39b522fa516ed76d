#!/usr/bin/env bash
# Runs Switchboard's benchmark set against Switchboard and its peers (Node `ws`, Python
# `websockets`, nginx + nchan) and writes bench/RESULTS.md.
#
#   bench/run.sh                 the standard set, 3 repeats, fresh server per run (~30 min)
#   bench/run.sh --smoke         a few seconds, Switchboard only, one server; for CI
#   bench/run.sh --cases ws-relay,ws-echo --repeats 5
#   bench/run.sh --profile       perf profiles of the server's hot paths (bench/results/profile-*)
#
# Options: --repeats N, --cases LIST, --targets LIST (switchboard,node,python,nchan),
# --out FILE (default bench/RESULTS.md), --quiet-load C: before each run, wait until other
# work uses under C cores (off by default; useful with BENCH_SCHED=nice), at most --max-wait S
# seconds (default 600).
# Environment: SERVER_CPU (0) and BENCH_CPU (1) are the cores the server and the generator are
# pinned to; BENCH_PYTHON is the interpreter with `websockets` for the Python peer.
#
# Every run appends one JSON line to bench/results/<stamp>/runs.jsonl; bench/summarize.py turns
# those into the tables. Exit status: 0 when every run succeeded, 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=full
repeats=3
only_cases=""
only_targets=""
out=bench/RESULTS.md
quiet_load=""
max_wait=600
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) mode=smoke ;;
        --profile) mode=profile ;;
        --repeats) repeats=$2; shift ;;
        --cases) only_cases=$2; shift ;;
        --targets) only_targets=$2; shift ;;
        --out) out=$2; shift ;;
        --quiet-load) quiet_load=$2; shift ;;
        --max-wait) max_wait=$2; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done


server_cpu=${SERVER_CPU:-0}
bench_cpu=${BENCH_CPU:-1}
# The machine is shared (builds, fuzzers, other benchmarks). Under the default scheduler a
# process woken by a socket waits for a busy neighbour's time slice (up to ~4 ms), which
# halves closed-loop throughput and leaves both pinned processes half idle. BENCH_SCHED=rt
# (default for the full set and profiles; needs root) runs server and generator under
# SCHED_RR priority 1 so they run as soon as they are woken; the kernel still leaves 5 % of each
# core to everything else. BENCH_SCHED=nice uses nice -10 instead; =none changes nothing.
bench_sched=${BENCH_SCHED:-}
if [ -z "$bench_sched" ]; then
    if [ "$mode" = smoke ]; then bench_sched=none; else bench_sched=rt; fi
fi
case "$bench_sched" in
    rt) chrt -r 1 true 2>/dev/null && priority=(chrt -r 1) || priority=() ;;
    nice) nice -n -10 true 2>/dev/null && priority=(nice -n -10) || priority=() ;;
    *) priority=() ;;
esac
if [ "$bench_sched" = rt ] && [ -z "$quiet_load" ]; then quiet_load=off; fi
# Arrays, not functions: `cmd &` must exec the process itself so that $! is its pid.
pin_server=("${priority[@]}" taskset -c "$server_cpu")
pin_bench=("${priority[@]}" taskset -c "$bench_cpu")
# BENCH_CONFIGURATION=debug reuses the test build (the smoke run in `make test` does); figures
# only mean something from release binaries.
configuration=${BENCH_CONFIGURATION:-release}
bin=.build/$configuration
# Every client and every server socket is a descriptor; children inherit the raised limit.
ulimit -n "$(ulimit -Hn)"

echo "building $configuration binaries" >&2
swift build -c "$configuration" --product switchboard >&2
swift build -c "$configuration" --product switchboard-bench >&2
# Run private copies, so that a build started meanwhile in this checkout cannot swap the
# binaries halfway through the set.
snapshot=$(mktemp -d /tmp/switchboard-bench-bin.XXXXXX)
cp "$bin/switchboard" "$bin/switchboard-bench" "$snapshot/"
bin=$snapshot
trap 'rm -rf "$snapshot"' EXIT

stamp=$(date -u +%Y%m%dT%H%M%SZ)
if [ "$mode" = full ]; then
    results=bench/results/$stamp
else
    results=$(mktemp -d /tmp/switchboard-bench.XXXXXX)
fi
mkdir -p "$results"
runs=$results/runs.jsonl
: >"$runs"
failures=0
other_busy=""

# ---- peers -----------------------------------------------------------------------------

python_bin=${BENCH_PYTHON:-}
if [ -z "$python_bin" ]; then
    for candidate in "$root/.venv/bin/python" python3; do
        if "$candidate" -c 'import websockets' 2>/dev/null; then python_bin=$candidate; break; fi
    done
fi

target_available() {
    case "$1" in
        switchboard) return 0 ;;
        node) NODE_PATH=/usr/share/nodejs node -e "require('ws')" 2>/dev/null ;;
        python) [ -n "$python_bin" ] ;;
        nchan) command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] ;;
    esac
}

store_flag=()
if "$bin/switchboard" --help 2>&1 | grep -q -- '--store'; then store_flag=(--store memory); fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_listening() {
    local port=$1
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# Starts $1 on port $2; sets target_pid (to stop) and target_pids (to measure, comma list).
start_target() {
    local name=$1 port=$2 log=$3
    case "$name" in
        switchboard)
            # shellcheck disable=SC2086
            "${pin_server[@]}" "$bin/switchboard" --host 127.0.0.1 --port "$port" \
                --ws-echo --log-level warning "${store_flag[@]}" $server_flags >"$log" 2>&1 &
            ;;
        node)
            NODE_PATH=/usr/share/nodejs "${pin_server[@]}" node bench/peers/node-relay.js "$port" \
                >"$log" 2>&1 &
            ;;
        python)
            "${pin_server[@]}" "$python_bin" bench/peers/python-relay.py "$port" >"$log" 2>&1 &
            ;;
        nchan)
            "${pin_server[@]}" bench/peers/nchan.sh "$port" "$results/nchan-$port" >"$log" 2>&1 &
            ;;
    esac
    target_pid=$!
    if ! wait_listening "$port"; then
        echo "bench/run.sh: $name did not start; see $log" >&2
        return 1
    fi
    target_pids=$target_pid
    if [ "$name" = nchan ]; then
        local workers
        workers=$(pgrep -P "$target_pid" | paste -sd, -)
        [ -n "$workers" ] && target_pids="$target_pid,$workers"
    fi
}

stop_target() {
    kill -TERM "$target_pid" 2>/dev/null || true
    wait "$target_pid" 2>/dev/null || true
}

protocol_of() {
    if [ "$1" = nchan ]; then echo nchan; else echo v1; fi
}

# Waits until other work at normal priority uses less than $quiet_load cores, sampled from
# /proc/stat over 3 seconds (the load average lags by a minute), or $max_wait seconds passed.
# Niced work (fuzzers) is not counted: the runs' raised priority keeps it out of their way.
wait_quiet() {
    other_busy=""
    [ -n "$quiet_load" ] && [ "$quiet_load" != off ] || return 0
    local waited=0 busy
    while :; do
        busy=$(python3 - <<'PY'
import time
def sample():
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(fields), fields[1] + fields[3] + fields[4]
total1, idle1 = sample()
time.sleep(3)
total2, idle2 = sample()
cores = len([l for l in open("/proc/stat") if l.startswith("cpu") and l[3].isdigit()])
print(f"{cores * (1 - (idle2 - idle1) / max(1, total2 - total1)):.2f}")
PY
)
        other_busy=$busy
        if python3 -c "import sys; sys.exit(0 if $busy < $quiet_load else 1)"; then return 0; fi
        if [ "$waited" -ge "$max_wait" ]; then
            echo "bench/run.sh: other work still uses $busy cores after ${max_wait}s; running anyway" >&2
            return 0
        fi
        sleep 7
        waited=$((waited + 10))
    done
}

# Appends one run's result line, wrapped with what was run.
record() {
    local case_name=$1 target=$2 repeat=$3 status=$4 load=$5 output=$6 args=$7
    local result
    result=$(tail -n 1 "$output" 2>/dev/null || true)
    case "$result" in "{"*) ;; *) result=null ;; esac
    printf '{"case":"%s","target":"%s","repeat":%d,"exit":%d,"load":"%s","other_busy":"%s","sched":"%s","args":"%s","result":%s}\n' \
        "$case_name" "$target" "$repeat" "$status" "$load" "${other_busy:-}" "$bench_sched" "$args" \
        "$result" >>"$runs"
}

# Extra flags for the Switchboard server of the next run_case (reset after it).
server_flags=""

# run_case NAME TARGETS ARGS... — every available target, $repeats times, fresh server each.
run_case() {
    local case_name=$1 targets=$2
    shift 2
    if [ -n "$only_cases" ] && ! echo ",$only_cases," | grep -q ",$case_name,"; then
        server_flags=""
        return 0
    fi
    local target repeat
    for repeat in $(seq 1 "$repeats"); do
        for target in ${targets//,/ }; do
            if [ -n "$only_targets" ] && ! echo ",$only_targets," | grep -q ",$target,"; then continue; fi
            if ! target_available "$target"; then
                echo "skipping $target (not installed)" >&2
                continue
            fi
            wait_quiet
            local port log output load status
            port=$(free_port)
            log=$results/$case_name-$target-$repeat.server.log
            output=$results/$case_name-$target-$repeat.json
            start_target "$target" "$port" "$log" || { failures=$((failures + 1)); continue; }
            load=$(cut -d' ' -f1-3 /proc/loadavg)
            echo "== $case_name / $target / run $repeat (load $load, others busy ${other_busy:-?} cores)" >&2
            status=0
            "${pin_bench[@]}" "$bin/switchboard-bench" "$@" --port "$port" \
                --protocol "$(protocol_of "$target")" --pid "$target_pids" --label "$target" \
                >"$output" 2>"$results/$case_name-$target-$repeat.bench.log" || status=$?
            stop_target
            record "$case_name" "$target" "$repeat" "$status" "$load" "$output" \
                "$*${server_flags:+ (server: $server_flags)}"
            if [ "$status" -ne 0 ]; then
                failures=$((failures + 1))
                echo "   FAILED (exit $status): $(tail -c 600 "$results/$case_name-$target-$repeat.bench.log")" >&2
            else
                python3 bench/summarize.py --brief "$output" >&2 || true
            fi
        done
    done
    server_flags=""
}

traffic=(--msg-bytes 32 --duration 10 --warmup 2)

# ---- smoke: one Switchboard, every scenario, tiny and short --------------------------

if [ "$mode" = smoke ]; then
    port=$(free_port)
    start_target switchboard "$port" "$results/server.log"
    smoke=(
        "relay --transport ws --pairs 5 --inflight 4"
        "echo --clients 5 --inflight 4"
        "relay --transport lp --pairs 5 --inflight 4"
        "relay --transport mixed --pairs 10 --rate 200"
        "fanin --senders 10 --inflight 2"
        "idle --connections 200 --hold 0.2"
        "parked --polls 200"
        "churn --concurrency 5"
    )
    for args in "${smoke[@]}"; do
        status=0
        # shellcheck disable=SC2086
        "${pin_bench[@]}" "$bin/switchboard-bench" $args --port "$port" --pid "$target_pids" \
            --label smoke --duration 0.5 --warmup 0.2 >"$results/out.json" 2>"$results/err.txt" \
            || status=$?
        record smoke switchboard 1 "$status" "$(cut -d' ' -f1-3 /proc/loadavg)" "$results/out.json" "$args"
        if [ "$status" -ne 0 ]; then
            failures=$((failures + 1))
            echo "smoke FAILED: $args: $(tail -c 600 "$results/err.txt")" >&2
        else
            echo "smoke ok: $args" >&2
        fi
    done
    stop_target
    echo "smoke results in $runs" >&2
    [ "$failures" -eq 0 ] || exit 1
    exit 0
fi

# ---- profile: perf on the server while a scenario runs --------------------------------

if [ "$mode" = profile ]; then
    mkdir -p bench/results
    profile_case() {
        local name=$1
        shift
        local port
        port=$(free_port)
        start_target switchboard "$port" "$results/profile-$name.server.log"
        "${pin_bench[@]}" "$bin/switchboard-bench" "$@" --port "$port" --pid "$target_pids" \
            --duration 12 --warmup 1 >"$results/profile-$name.json" 2>/dev/null &
        local bench_pid=$!
        sleep 3
        perf record -e cpu-clock -F 1999 -g -p "$target_pid" -o "$results/profile-$name.data" \
            -- sleep 8 >/dev/null 2>&1
        wait "$bench_pid" || true
        stop_target
        bench/profile-report.sh "$results/profile-$name.data" >"bench/results/profile-$name.txt"
        echo "profile of $name: bench/results/profile-$name.txt" >&2
    }
    want() { [ -z "$only_cases" ] || echo ",$only_cases," | grep -q ",$1,"; }
    want ws-relay && profile_case ws-relay relay --transport ws --pairs 100 --inflight 10
    want ws-echo && profile_case ws-echo echo --clients 100 --inflight 10
    want lp-relay && profile_case lp-relay relay --transport lp --pairs 100 --inflight 10
    want mixed-1k && profile_case mixed-1k relay --transport mixed --pairs 500 --rate 10000

    # System calls per delivered message, for Switchboard and each WebSocket peer: perf counts
    # the server's system calls (every thread) for 5 s in the middle of a 10 s run.
    syscalls_case() {
        local name=$1 target=$2
        shift 2
        target_available "$target" || return 0
        local port count rate
        port=$(free_port)
        start_target "$target" "$port" "$results/syscalls-$name-$target.server.log"
        "${pin_bench[@]}" "$bin/switchboard-bench" "$@" --port "$port" \
            --protocol "$(protocol_of "$target")" --pid "$target_pids" --duration 10 --warmup 1 \
            >"$results/syscalls-$name-$target.json" 2>/dev/null &
        local bench_pid=$!
        sleep 4
        count=$(perf stat -x, -e raw_syscalls:sys_enter -p "$target_pids" -- sleep 5 \
            2>&1 >/dev/null | awk -F, '/raw_syscalls/ { print $1 }')
        wait "$bench_pid" || true
        stop_target
        rate=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["msgs_per_s"])' \
            "$results/syscalls-$name-$target.json" 2>/dev/null || echo 0)
        python3 -c 'import sys; c, r = float(sys.argv[3] or 0), float(sys.argv[4] or 0)
print(f"{sys.argv[1]:10} {sys.argv[2]:12} {r:>10,.0f} msg/s {c / 5:>12,.0f} syscalls/s "
      f"{c / 5 / r if r else 0:6.2f} per message")' "$name" "$target" "$count" "$rate"
    }
    {
        echo "server system calls per delivered message (perf stat raw_syscalls, 5 s)"
        for target in switchboard node python nchan; do
            syscalls_case ws-relay "$target" relay --transport ws --pairs 100 --inflight 10
            syscalls_case ws-echo "$target" echo --clients 100 --inflight 10
        done
    } >bench/results/profile-syscalls.txt
    cat bench/results/profile-syscalls.txt >&2
    exit 0
fi

# ---- the standard set -------------------------------------------------------------------

all=switchboard,node,python,nchan
run_case ws-relay "$all" relay --transport ws --pairs 100 --inflight 10 "${traffic[@]}"
run_case ws-echo "$all" echo --clients 100 --inflight 10 "${traffic[@]}"
# nchan is left out of fan-in: when 100 publishers burst into one channel its WebSocket
# subscriber stalled (0 of 1,000 messages in flight delivered, with the default 64-message
# buffer and with 2,000), and with 10 publishers it held back the last message of each.
run_case fanin switchboard,node,python fanin --senders 100 --inflight 10 "${traffic[@]}"
run_case lp-relay switchboard,nchan relay --transport lp --pairs 100 --inflight 10 "${traffic[@]}"
run_case mixed-1k switchboard,nchan relay --transport mixed --pairs 500 --rate 2000 "${traffic[@]}"
run_case mixed-1k-heavy switchboard,nchan relay --transport mixed --pairs 500 --rate 10000 "${traffic[@]}"
run_case idle-18k "$all" idle --connections 18000 --hold 5
run_case idle-18k-echo switchboard idle --connections 18000 --idle-transport echo --hold 5
server_flags="--connection-memory-bytes 4096"
run_case idle-18k-pool4k switchboard idle --connections 18000 --hold 5
run_case parked-10k switchboard parked --polls 10000
run_case churn "$all" churn --concurrency 50 --duration 10 --warmup 1

store_section=()
if [ -z "$only_cases" ] && [ -n "$python_bin" ]; then
    echo "== queued-message throughput by store" >&2
    if "${priority[@]}" "$python_bin" bench/store-throughput.py --binary "$bin/switchboard" \
        --markdown "$results/stores.md" >&2; then
        store_section=(--section "$results/stores.md")
    else
        failures=$((failures + 1))
    fi
fi

python3 bench/summarize.py --runs "$runs" --out "$out" --commands "bench/run.sh $*" \
    "${store_section[@]}"
echo "results: $out (raw: $runs)" >&2
[ "$failures" -eq 0 ] || { echo "bench/run.sh: $failures run(s) failed" >&2; exit 1; }
