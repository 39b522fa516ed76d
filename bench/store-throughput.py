#!/usr/bin/env python3
"""Queued-message throughput of the SQLite store against the memory store.

Starts a fresh release `switchboard` per run and store, opens a few WebSocket connections
(one client process each, so the Python side is not the bottleneck), and pushes N messages,
each with an `id`, to a user who is offline, keeping a window of requests in flight per
connection. Every acknowledgement must be `queued`. The figure is messages acknowledged per
second, from the first send to the last acknowledgement. Stores alternate run by run, so all
of them share the same machine conditions; medians and spread are printed at the end.

Usage (from the repository root, after `swift build -c release`):
    .venv/bin/python bench/store-throughput.py [--messages 20000] [--runs 3]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_server(binary, store_flags, folder):
    """Starts switchboard on a free port; returns (process, port, log path)."""
    log_path = os.path.join(folder, "server.log")
    public = os.path.join(folder, "public")
    os.makedirs(public, exist_ok=True)
    with open(os.path.join(public, "index.html"), "w") as page:
        page.write("bench")
    arguments = [binary, "--host", "127.0.0.1", "--port", "0", "--public", public,
                 "--inbox-max-messages", "10000000"] + store_flags
    log = open(log_path, "wb")
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 20
    while time.time() < deadline:
        with open(log_path, "rb") as handle:
            match = re.search(rb"http\.address=http://[^ ]*:(\d+)", handle.read())
        if match:
            return process, int(match.group(1)), log_path
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    process.wait()
    with open(log_path, "rb") as handle:
        raise RuntimeError("server did not start: " + handle.read().decode("utf-8", "replace"))


def cpu_seconds(pid):
    """User plus system CPU time the process has used so far (Linux /proc)."""
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_server(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def push(port, sender, count, window, barrier_time):
    """Sends `count` messages as `sender` to the offline user; returns (start, end, errors)."""
    uri = "ws://127.0.0.1:%d/v1/ws" % port
    async with websockets.connect(uri, compression=None, max_size=None) as socket:
        await socket.send(json.dumps({"type": "bind", "uid": sender}))
        json.loads(await socket.recv())
        while time.time() < barrier_time:
            await asyncio.sleep(0.001)
        start = time.time()
        sent = 0
        acknowledged = 0
        problems = 0
        while sent < min(window, count):
            await socket.send(json.dumps(
                {"type": "send", "touid": "offline", "msg": "payload %d" % sent,
                 "id": "%s-%d" % (sender, sent)}))
            sent += 1
        while acknowledged < count:
            reply = json.loads(await socket.recv())
            acknowledged += 1
            if reply.get("error") or reply.get("msg") != "queued":
                problems += 1
            if sent < count:
                await socket.send(json.dumps(
                    {"type": "send", "touid": "offline", "msg": "payload %d" % sent,
                     "id": "%s-%d" % (sender, sent)}))
                sent += 1
        return start, time.time(), problems


def client_process(port, sender, count, window, barrier_time, results):
    results.put(asyncio.run(push(port, sender, count, window, barrier_time)))


def measure(binary, store, messages, connections, window):
    folder = tempfile.mkdtemp(prefix="store-bench-")
    try:
        if store == "memory":
            flags = ["--store", "memory"]
        else:
            flags = ["--store", "sqlite:" + os.path.join(folder, "bench.db"),
                     "--sqlite-sync", store.split("-")[1]]
        process, port, _ = start_server(binary, flags, folder)
        try:
            cpu_before = cpu_seconds(process.pid)
            results = multiprocessing.Queue()
            barrier_time = time.time() + 1.0
            per_connection = messages // connections
            workers = [multiprocessing.Process(
                target=client_process,
                args=(port, "sender%d" % index, per_connection, window, barrier_time, results))
                for index in range(connections)]
            for worker in workers:
                worker.start()
            outcomes = [results.get(timeout=300) for _ in workers]
            for worker in workers:
                worker.join(30)
            cpu_used = cpu_seconds(process.pid) - cpu_before
        finally:
            stop_server(process)
        start = min(outcome[0] for outcome in outcomes)
        end = max(outcome[1] for outcome in outcomes)
        problems = sum(outcome[2] for outcome in outcomes)
        if problems:
            raise RuntimeError("%d sends were not acknowledged as queued" % problems)
        total = per_connection * connections
        return total / (end - start), cpu_used * 1e6 / total
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/switchboard"))
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--window", type=int, default=32, help="requests in flight per connection")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stores", default="sqlite-normal,memory,sqlite-full",
                        help="comma list of memory, sqlite-normal, sqlite-full")
    parser.add_argument("--markdown", help="also write the table as a Markdown section here")
    options = parser.parse_args()

    stores = options.stores.split(",")
    rates = {store: [] for store in stores}
    costs = {store: [] for store in stores}
    for run in range(options.runs):
        for store in stores:
            rate, cost = measure(options.binary, store, options.messages, options.connections,
                                 options.window)
            rates[store].append(rate)
            costs[store].append(cost)
            print("run %d %-14s %9.0f msg/s  server CPU %6.1f us/msg" % (
                run + 1, store, rate, cost), flush=True)
    print()
    print("%d messages, %d connections, window %d, %d runs; server CPU is user+system time" % (
        options.messages, options.connections, options.window, options.runs))
    print("%-14s %10s %9s %9s %14s" % ("store", "median/s", "min/s", "max/s", "CPU us/msg"))
    for store in stores:
        values = rates[store]
        print("%-14s %10.0f %9.0f %9.0f %14.1f" % (
            store, statistics.median(values), min(values), max(values),
            statistics.median(costs[store])))
    if options.markdown:
        write_markdown(options, stores, rates, costs)


def write_markdown(options, stores, rates, costs):
    names = {"memory": "memory", "sqlite-normal": "SQLite, `--sqlite-sync normal` (default)",
             "sqlite-full": "SQLite, `--sqlite-sync full`"}
    memory = statistics.median(rates["memory"]) if "memory" in rates else None
    lines = [
        "## Queued-message throughput by store (`bench/store-throughput.py`)",
        "",
        "%d messages with ids to an offline user over %d WebSockets, %d in flight each; every "
        "ack is `queued` (durable for SQLite). Stores alternate run by run; %d runs each." % (
            options.messages, options.connections, options.window, options.runs),
        "",
        "| store | acked msg/s (min–max) | server CPU µs/msg | vs memory |",
        "|---|---|---|---|",
    ]
    for store in stores:
        values = rates[store]
        median = statistics.median(values)
        ratio = "%.2f×" % (median / memory) if memory else ""
        lines.append("| %s | %s (%s–%s) | %.1f | %s |" % (
            names.get(store, store), format(round(median), ","), format(round(min(values)), ","),
            format(round(max(values)), ","), statistics.median(costs[store]), ratio))
    with open(options.markdown, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
