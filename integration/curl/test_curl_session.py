"""The documented curl session must work as printed: extract it from docs/protocol.md, run it
with sh, and have a WebSocket user answer. Checks each step's output."""

import asyncio
import json
import os
import re
import subprocess
import sys

import websockets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import ROOT, Server  # noqa: E402


def documented_session():
    with open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8") as handle:
        text = handle.read()
    block = re.search(r"<!-- curl-session:begin -->\s*```sh\n(.*?)```\s*<!-- curl-session:end -->",
                      text, re.S)
    if not block:
        raise SystemExit("curl session markers not found in docs/protocol.md")
    return block.group(1)


async def bob(server, ready, done):
    async with websockets.connect(server.ws + "/v1/ws") as socket:
        await socket.send(json.dumps({"type": "bind", "uid": "bob"}))
        json.loads(await asyncio.wait_for(socket.recv(), 10))
        ready.set()
        message = json.loads(await asyncio.wait_for(socket.recv(), 20))
        assert message["msg"] == "hi bob" and message["uid"] == "alice", message
        await socket.send(json.dumps({"type": "send", "touid": "alice", "msg": "hi alice"}))
        await asyncio.wait_for(done.wait(), 30)


async def main():
    script = documented_session()
    with Server() as server:
        ready, done = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(bob(server, ready, done))
        await asyncio.wait_for(ready.wait(), 10)
        environment = dict(os.environ, BASE=server.http)
        completed = await asyncio.to_thread(
            subprocess.run, ["sh", "-eu", "-c", script], capture_output=True, text=True,
            timeout=60, env=environment)
        done.set()
        await task
    output = completed.stdout.strip().splitlines()
    print("\n".join(output))
    if completed.returncode != 0:
        raise SystemExit("session failed: " + completed.stderr)
    bind, sent, events, acknowledged, deleted = output
    assert json.loads(bind)["code"] == 0 and "sid" in json.loads(bind), bind
    assert json.loads(sent)["msg"] == "delivered", sent
    received = json.loads(events)
    assert [event["msg"] for event in received["events"]] == ["hi alice"], events
    assert received["events"][0]["seq"] == 1 and received["last"] == 1, events
    assert json.loads(acknowledged) == {"events": [], "last": 1}, acknowledged
    assert deleted == "204", deleted
    print("curl session: ok")


if __name__ == "__main__":
    asyncio.run(main())
