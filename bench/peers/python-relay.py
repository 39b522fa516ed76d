"""A V1 relay on Python `websockets` (asyncio), the second WebSocket peer.

Same subset of SPEC.md as bench/peers/node-relay.js: bind, send (delivered to every
socket bound as touid, with mid and ts), the 400/401/404/409 errors, and an echo at
/v1/echo. No offline queue, no inbox, no long-poll.

usage: /work/main/.venv/bin/python bench/peers/python-relay.py PORT [HOST]
"""

import asyncio
import json
import signal
import sys
import time

from websockets.asyncio.server import broadcast, serve

sockets = {}  # uid -> set of connections
next_mid = 1


def encode(frame):
    return json.dumps(frame, separators=(",", ":"))


def fail(connection, kind, code, msg, request_id=None):
    frame = {"type": kind, "error": True, "code": code, "msg": msg}
    if request_id is not None:
        frame["id"] = request_id
    broadcast([connection], encode(frame))


def handle(connection, state, text):
    global next_mid
    try:
        envelope = json.loads(text)
    except ValueError:
        return fail(connection, "error", 400, "not json")
    if not isinstance(envelope, dict):
        return fail(connection, "error", 400, "not an object")
    kind = envelope.get("type")
    request_id = envelope.get("id")
    if kind == "bind":
        uid = envelope.get("uid")
        if not isinstance(uid, str) or not 0 < len(uid) <= 64:
            return fail(connection, kind, 400, "invalid uid", request_id)
        if state.get("uid") not in (None, uid):
            return fail(connection, kind, 409, "already bound to another uid", request_id)
        state["uid"] = uid
        sockets.setdefault(uid, set()).add(connection)
        frame = {"type": kind, "error": False, "code": 0, "msg": "ok", "uid": uid}
        return broadcast([connection], encode(frame))
    if kind == "send":
        touid, msg = envelope.get("touid"), envelope.get("msg")
        if not isinstance(touid, str) or not isinstance(msg, str):
            return fail(connection, kind, 400, "missing touid or msg", request_id)
        uid = state.get("uid")
        if uid is None:
            return fail(connection, kind, 401, "not bound", request_id)
        targets = sockets.get(touid)
        if not targets:
            return fail(connection, kind, 404, "recipient offline", request_id)
        mid = next_mid
        next_mid += 1
        frame = {"type": "send", "error": False, "code": 0, "msg": msg, "uid": uid,
                 "touid": touid, "mid": mid, "ts": int(time.time() * 1000)}
        broadcast(targets, encode(frame))
        if request_id is not None:
            ack = {"type": kind, "error": False, "code": 0, "msg": "delivered", "uid": uid,
                   "touid": touid, "id": request_id, "mid": mid}
            broadcast([connection], encode(ack))
        return None
    return fail(connection, "error", 400, "unknown type", request_id)


async def handler(connection):
    if connection.request.path.startswith("/v1/echo"):
        async for message in connection:
            await connection.send(message)
        return
    state = {}
    try:
        async for message in connection:
            if isinstance(message, bytes):
                await connection.close(1003, "binary")
                return
            handle(connection, state, message)
    finally:
        uid = state.get("uid")
        if uid is not None:
            bound = sockets.get(uid)
            if bound is not None:
                bound.discard(connection)
                if not bound:
                    del sockets[uid]


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8082
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, host, port, compression=None, ping_interval=None,
                     max_size=1 << 20, max_queue=None, backlog=4096):
        print(f"python-relay listening on {host}:{port}", file=sys.stderr)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
