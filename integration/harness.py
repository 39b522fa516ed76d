"""Shared helpers for the integration suites: start the real server on a free loopback port,
wait for its listening line, stop it at the end. Standard library only."""

import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

BUILD_DIR = os.environ.get("SWITCHBOARD_BUILD_DIR", ".build/debug")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Server:
    """A switchboard process on 127.0.0.1 with an ephemeral port; use as a context manager."""

    def __init__(self, *flags, env=None, binary="switchboard"):
        self.flags = list(flags)
        self.env = env or {}
        self.binary = os.path.join(BUILD_DIR, binary)
        self.process = None
        self.port = None
        self.log_path = None
        self.log_file = None
        self.data_dir = tempfile.mkdtemp(prefix="switchboard-it-")

    def start(self, port=0):
        self.log_path = tempfile.mktemp(prefix="switchboard-log-", suffix=".txt")
        self.log_file = open(self.log_path, "wb")
        environment = dict(os.environ)
        environment.update(self.env)
        args = [self.binary, "--host", "127.0.0.1", "--port", str(port),
                "--public", os.path.join(ROOT, "public")]
        if not any(flag.startswith("--store") for flag in self.flags):
            environment.setdefault("SWITCHBOARD_DATA_DIR", self.data_dir)
        self.process = subprocess.Popen(args + self.flags, stdout=subprocess.DEVNULL,
                                        stderr=self.log_file, env=environment)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log_path, "rb") as handle:
                match = re.search(rb"http\.address=https?://[^ ]*:(\d+)", handle.read())
            if match:
                self.port = int(match.group(1))
                return self
            if self.process.poll() is not None:
                self.log_file.close()
                raise RuntimeError("server exited: " + self.log())
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.log())

    def log(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log_file", None) and not self.log_file.closed:
            self.log_file.close()
        return self.process.returncode if self.process else None

    @property
    def http(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def ws(self):
        return "ws://127.0.0.1:%d" % self.port

    def metric(self, name):
        """The value of an unlabelled metric on /metrics, as a float."""
        with urllib.request.urlopen(self.http + "/metrics", timeout=10) as response:
            for line in response.read().decode("utf-8").splitlines():
                parts = line.split(" ")
                if len(parts) == 2 and parts[0] == name:
                    return float(parts[1])
        raise KeyError(name)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
