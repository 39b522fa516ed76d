#!/usr/bin/env python3
"""Turns switchboard-bench result lines into bench/RESULTS.md.

    summarize.py --brief RESULT.json                 one line about one run (for the log)
    summarize.py --runs runs.jsonl --out RESULTS.md  the full report

Each case's runs are grouped by target; a table cell is the median over the repeats with
the spread (min-max) beside it. Ratios compare Switchboard's median with each peer's.
The hand-written analysis in bench/ANALYSIS.md (profile findings) is appended.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

TARGET_ORDER = ["switchboard", "node", "python", "nchan"]
TARGET_NAMES = {
    "switchboard": "Switchboard",
    "node": "Node ws relay",
    "python": "Python websockets relay",
    "nchan": "nginx + nchan",
}


def dig(result, path):
    value = result
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def brief(result):
    kind = result.get("scenario")
    if kind in ("relay", "fanin", "echo"):
        return (f"{result.get('label')}: {result['msgs_per_s']:.0f} msg/s, "
                f"p50 {result['latency']['p50_ms']} ms, p99 {result['latency']['p99_ms']} ms, "
                f"server cpu {dig(result, 'resources.server_cpu_pct')}%, "
                f"generator cpu {dig(result, 'resources.generator_cpu_pct')}%, "
                f"errors {result['error_count']}")
    if kind == "idle":
        return (f"{result.get('label')}: {result['established']}/{result['connections']} held, "
                f"{result.get('server_rss_bytes_per_conn')} B/conn, pongs {result.get('pongs')}, "
                f"errors {result['error_count']}")
    if kind == "parked":
        return (f"{result.get('label')}: {result['answered']}/{result['polls']} answered in "
                f"{result['all_answered_s']} s, max {result['latency']['max_ms']} ms, "
                f"{result.get('server_rss_bytes_per_poll')} B/poll")
    if kind == "churn":
        return (f"{result.get('label')}: {result['cycles_per_s']} cycles/s, "
                f"connect->ready p99 {result['connect_to_ready']['p99_ms']} ms, "
                f"errors {result['error_count']}")
    return json.dumps(result)


def load_runs(path):
    runs = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line:
                runs.append(json.loads(line))
    return runs


def grouped(runs):
    cases = {}
    for run in runs:
        cases.setdefault(run["case"], {}).setdefault(run["target"], []).append(run)
    return cases


def values(target_runs, path):
    found = []
    for run in target_runs:
        value = dig(run.get("result") or {}, path)
        if isinstance(value, (int, float)):
            found.append(value)
    return found


def fmt(number, digits):
    if number is None:
        return "–"
    if digits == 0:
        return f"{number:,.0f}"
    return f"{number:,.{digits}f}"


def cell(target_runs, path, digits=0, spread=True):
    found = values(target_runs, path)
    if not found:
        return "–"
    median = statistics.median(found)
    if not spread or len(found) == 1:
        return fmt(median, digits)
    return f"{fmt(median, digits)} ({fmt(min(found), digits)}–{fmt(max(found), digits)})"


def median(target_runs, path):
    found = values(target_runs, path)
    return statistics.median(found) if found else None


def failures(target_runs):
    failed = sum(1 for run in target_runs if run.get("exit") != 0)
    errors = sum(dig(run.get("result") or {}, "error_count") or 0 for run in target_runs)
    return f"{failed}/{len(target_runs)} runs failed, {errors} errors" if failed or errors else "0"


def ordered(targets):
    return [t for t in TARGET_ORDER if t in targets] + sorted(t for t in targets if t not in TARGET_ORDER)


TRAFFIC_COLUMNS = [
    ("delivered msg/s", "msgs_per_s", 0, True),
    ("p50 ms", "latency.p50_ms", 2, False),
    ("p99 ms", "latency.p99_ms", 2, False),
    ("max ms", "latency.max_ms", 1, False),
    ("server CPU %", "resources.server_cpu_pct", 0, False),
    ("msgs per server CPU-s", "msgs_per_server_cpu_s", 0, False),
    ("generator CPU %", "resources.generator_cpu_pct", 0, False),
]


def traffic_table(case_runs, lines):
    targets = ordered(case_runs)
    header = ["target"] + [c[0] for c in TRAFFIC_COLUMNS] + ["vs Switchboard", "errors"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    ours = median(case_runs.get("switchboard", []), "msgs_per_s")
    for target in targets:
        row = [TARGET_NAMES.get(target, target)]
        for _, path, digits, spread in TRAFFIC_COLUMNS:
            row.append(cell(case_runs[target], path, digits, spread))
        theirs = median(case_runs[target], "msgs_per_s")
        if target == "switchboard" or not ours or not theirs:
            row.append("")
        else:
            row.append(f"{ours / theirs:.2f}×")
        row.append(failures(case_runs[target]))
        lines.append("| " + " | ".join(row) + " |")


def idle_table(case_runs, lines):
    header = ["target", "held", "server RSS bytes/conn", "RSS held MiB", "connects/s",
              "all pongs s", "errors"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for target in ordered(case_runs):
        runs = case_runs[target]
        rss = median(runs, "server_rss_held_kib")
        lines.append("| " + " | ".join([
            TARGET_NAMES.get(target, target),
            cell(runs, "established", 0, False),
            cell(runs, "server_rss_bytes_per_conn", 0),
            fmt(rss / 1024, 1) if rss else "–",
            cell(runs, "connects_per_s", 0, False),
            cell(runs, "all_pongs_s", 2, False),
            failures(runs),
        ]) + " |")


def parked_table(case_runs, lines):
    header = ["target", "answered", "all answered s", "p50 ms", "p99 ms", "max ms",
              "server RSS bytes/poll", "errors"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for target in ordered(case_runs):
        runs = case_runs[target]
        lines.append("| " + " | ".join([
            TARGET_NAMES.get(target, target),
            cell(runs, "answered", 0, False),
            cell(runs, "all_answered_s", 3),
            cell(runs, "latency.p50_ms", 1, False),
            cell(runs, "latency.p99_ms", 1, False),
            cell(runs, "latency.max_ms", 1),
            cell(runs, "server_rss_bytes_per_poll", 0),
            failures(runs),
        ]) + " |")


def churn_table(case_runs, lines):
    header = ["target", "cycles/s", "connect→ready p50 ms", "p99 ms", "server CPU %", "vs Switchboard",
              "errors"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    ours = median(case_runs.get("switchboard", []), "cycles_per_s")
    for target in ordered(case_runs):
        runs = case_runs[target]
        theirs = median(runs, "cycles_per_s")
        ratio = "" if target == "switchboard" or not ours or not theirs else f"{ours / theirs:.2f}×"
        lines.append("| " + " | ".join([
            TARGET_NAMES.get(target, target),
            cell(runs, "cycles_per_s", 0),
            cell(runs, "connect_to_ready.p50_ms", 2, False),
            cell(runs, "connect_to_ready.p99_ms", 2, False),
            cell(runs, "resources.server_cpu_pct", 0, False),
            ratio,
            failures(runs),
        ]) + " |")


CASE_TITLES = {
    "ws-relay": "WebSocket relay: 100 pairs × 10 in flight, 32-byte text, 10 s",
    "ws-echo": "WebSocket echo: 100 clients × 10 in flight, 32-byte text, 10 s",
    "fanin": "Fan-in: 100 WebSocket senders × 10 in flight to one WebSocket user, 10 s",
    "lp-relay": "Long-poll relay: 100 pairs × 10 in flight, 10 s",
    "mixed-1k": "Cross-transport WS↔LP: 1,000 clients (500 pairs), 2,000 msg/s open loop",
    "mixed-1k-heavy": "Cross-transport WS↔LP: 1,000 clients (500 pairs), 10,000 msg/s open loop",
    "idle-18k": "18,000 idle WebSocket connections (V1 users bound; nchan: subscribed)",
    "idle-18k-echo": "18,000 idle WebSocket connections on /v1/echo (no router state)",
    "idle-18k-pool4k": "18,000 idle V1 WebSockets, server with --connection-memory-bytes 4096",
    "parked-10k": "10,000 parked long-polls woken at once",
    "churn": "Connection churn: 50 concurrent open → bind → close cycles, 10 s",
}


def targets_section(cases, lines):
    def med(case, target, path):
        return median(cases.get(case, {}).get(target, []), path)

    checks = []
    ours = med("ws-relay", "switchboard", "msgs_per_s")
    node = med("ws-relay", "node", "msgs_per_s")
    nchan = med("ws-relay", "nchan", "msgs_per_s")
    if ours and node:
        met = ours >= 2 * node and (nchan is None or ours > nchan)
        detail = f"{ours / node:.2f}× Node"
        if nchan:
            detail += f", {ours / nchan:.2f}× nchan"
        checks.append(("WS relay ≥ 2× Node ws and ahead of nchan", met, detail))
    ours = med("ws-echo", "switchboard", "msgs_per_s")
    node = med("ws-echo", "node", "msgs_per_s")
    if ours and node:
        checks.append(("WS echo ≥ 3× Node ws", ours >= 3 * node, f"{ours / node:.2f}× Node"))
    held = med("idle-18k", "switchboard", "established")
    per = med("idle-18k", "switchboard", "server_rss_bytes_per_conn")
    if held is not None and per is not None:
        checks.append(("18,000 idle WebSockets at ≤ 8 KiB RSS each", held >= 18000 and per <= 8192,
                       f"{held:.0f} held, {per:,.0f} B each"))
    answered = med("parked-10k", "switchboard", "answered")
    worst = med("parked-10k", "switchboard", "latency.max_ms")
    if answered is not None and worst is not None:
        checks.append(("10,000 parked long-polls all answered within 1 s", answered >= 10000 and worst <= 1000,
                       f"{answered:.0f} answered, slowest {worst:,.0f} ms (median of runs)"))
    for case in ("mixed-1k", "mixed-1k-heavy"):
        p99 = med(case, "switchboard", "latency.p99_ms")
        if p99 is not None:
            checks.append((f"WS↔LP p99 < 10 ms at 1,000 clients ({CASE_TITLES[case].split(', ')[-1]})",
                           p99 < 10, f"p99 {p99:.2f} ms"))
    if not checks:
        return
    lines.append("## Targets")
    lines.append("")
    lines.append("| target | met | measured |")
    lines.append("|---|---|---|")
    for name, met, detail in checks:
        lines.append(f"| {name} | {'yes' if met else '**no**'} | {detail} |")
    lines.append("")


def command_output(command):
    try:
        return subprocess.run(command, shell=True, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_section(lines):
    cpu = command_output("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    memory = command_output("grep MemTotal /proc/meminfo | awk '{printf \"%.0f GiB\", $2/1048576}'")
    versions = [
        ("kernel", platform.release()),
        ("CPU", f"{cpu}, {os.cpu_count()} cores, {memory}"),
        ("open files (hard)", command_output("sh -c 'ulimit -Hn'")),
        ("Swift", command_output("swift --version 2>&1 | head -1")),
        ("libmicrohttpd", command_output("dpkg-query -W -f='${Version}' libmicrohttpd12 2>/dev/null")),
        ("Node / ws", command_output("node --version") + " / " + command_output(
            "NODE_PATH=/usr/share/nodejs node -p \"require('ws/package.json').version\"")),
        ("Python websockets", command_output(
            "for p in .venv/bin/python python3; do "
            "$p -c 'import websockets,sys;print(websockets.__version__, sys.version.split()[0])' "
            "2>/dev/null && break; done")),
        ("nginx / nchan", command_output("nginx -v 2>&1 | cut -d/ -f2") + " / " + command_output(
            "dpkg-query -W -f='${Version}' libnginx-mod-nchan 2>/dev/null")),
    ]
    lines.append("## Machine and versions")
    lines.append("")
    for name, value in versions:
        lines.append(f"- {name}: {value or 'unknown'}")
    lines.append("")


def report(runs, commands, extra_sections=()):
    cases = grouped(runs)
    lines = ["# Switchboard benchmarks", ""]
    lines.append("Generated by `bench/run.sh` (do not edit by hand; the analysis at the end comes "
                 "from bench/ANALYSIS.md). Each cell is the **median** of the repeats, with the "
                 "spread (min–max) in brackets where it matters. Server pinned to CPU "
                 f"{os.environ.get('SERVER_CPU', '0')}, generator (`switchboard-bench`, one thread) to "
                 f"CPU {os.environ.get('BENCH_CPU', '1')}.")
    lines.append("")
    loads = sorted({run.get("load", "") for run in runs})
    if loads:
        first = [float(l.split()[0]) for l in loads if l]
        if first:
            lines.append(f"1-minute load average at run start: {min(first):.2f}–{max(first):.2f} "
                         "(the machine is shared; see the analysis for how that shows).")
            lines.append("")
    scheds = sorted({run.get("sched", "none") for run in runs})
    lines.append("Scheduling of server and generator: " + ", ".join(scheds) + " (`rt` = SCHED_RR "
                 "priority 1, so a process woken by its socket runs at once instead of waiting "
                 "for another user's time slice on this shared machine).")
    lines.append("")
    busy = [float(run["other_busy"]) for run in runs if run.get("other_busy")]
    if busy:
        lines.append(f"Other work on the machine just before each run: {min(busy):.2f}–{max(busy):.2f} "
                     "cores busy (sampled over 3 s from /proc/stat).")
        lines.append("")
    targets_section(cases, lines)
    machine_section(lines)
    lines.append("## Commands")
    lines.append("")
    lines.append(f"- `{commands}`; each run: a fresh server, then "
                 "`taskset -c 1 .build/release/switchboard-bench SCENARIO ... --port P --pid PID`:")
    seen = set()
    for run in runs:
        key = (run["case"], run["args"])
        if key not in seen:
            seen.add(key)
            lines.append(f"  - {run['case']}: `{run['args']}`")
    lines.append("")
    for case, title in CASE_TITLES.items():
        if case not in cases:
            continue
        lines.append(f"## {title}")
        lines.append("")
        sample = next(iter(cases[case].values()))[0].get("result") or {}
        kind = sample.get("scenario")
        if kind == "idle":
            idle_table(cases[case], lines)
        elif kind == "parked":
            parked_table(cases[case], lines)
        elif kind == "churn":
            churn_table(cases[case], lines)
        else:
            traffic_table(cases[case], lines)
        lines.append("")
    for section in extra_sections:
        with open(section, encoding="utf-8") as handle:
            lines.append(handle.read().rstrip())
        lines.append("")
    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")
    if os.path.exists(analysis):
        with open(analysis, encoding="utf-8") as handle:
            lines.append(handle.read().rstrip())
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brief")
    parser.add_argument("--runs")
    parser.add_argument("--out")
    parser.add_argument("--commands", default="bench/run.sh")
    parser.add_argument("--section", action="append", default=[],
                        help="a Markdown file to include before the analysis (repeatable)")
    args = parser.parse_args()
    if args.brief:
        with open(args.brief, encoding="utf-8") as handle:
            text = handle.read().strip().splitlines()
        if not text:
            print("   (no result)")
            return 1
        print("   " + brief(json.loads(text[-1])))
        return 0
    if not args.runs:
        parser.error("--brief or --runs is required")
    text = report(load_runs(args.runs), args.commands, args.section)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
