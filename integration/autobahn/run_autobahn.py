"""Runs the Autobahn TestSuite cases with kosoku in fuzzingclient mode against /v1/echo and
fails unless every case is OK, NON-STRICT or INFORMATIONAL.

Sections 12 and 13 (permessage-deflate) are excluded: kosoku 0.1.0 hits an internal error in
its own deflate path there. Compression is covered instead by real clients that offer it
(Python websockets in integration/interop, Chromium in integration/browser)."""

import collections
import glob
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import ROOT, Server  # noqa: E402

ACCEPTED = {"OK", "NON-STRICT", "INFORMATIONAL"}
EXCLUDED = ["12.*", "13.*"]


def main():
    report_dir = os.path.join(ROOT, "artifacts", "autobahn")
    shutil.rmtree(report_dir, ignore_errors=True)
    os.makedirs(report_dir)
    with Server("--ws-echo") as server:
        command = ["kosoku", "-m", "fuzzingclient", "-o", report_dir]
        for pattern in EXCLUDED:
            command += ["-x", pattern]
        command.append("ws://127.0.0.1:%d/v1/echo" % server.port)
        completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
        print(completed.stdout[-2000:])
    totals = collections.Counter()
    failures = []
    for path in glob.glob(os.path.join(report_dir, "*.json")):
        with open(path) as handle:
            try:
                case = json.load(handle)
            except ValueError:
                continue
        if not isinstance(case, dict) or "behavior" not in case:
            continue
        for key in ("behavior", "behaviorClose"):
            if case[key] not in ACCEPTED:
                failures.append("%s %s=%s" % (case.get("id", path), key, case[key]))
        totals[case["behavior"]] += 1
    print("autobahn totals:", dict(totals), "cases:", sum(totals.values()))
    if failures or sum(totals.values()) < 290 or completed.returncode != 0:
        print("autobahn failures:", failures[:20], "kosoku exit", completed.returncode)
        sys.exit(1)


if __name__ == "__main__":
    main()
