"""Interoperability: Switchboard against an independent WebSocket implementation (Python
websockets, which offers permessage-deflate by default) and a plain HTTP client (urllib,
standing in for curl), chatting across transports."""

import asyncio
import json
import os
import socket
import sys
import unittest
import urllib.error
import urllib.request

import websockets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import Server  # noqa: E402

TIMEOUT = 5


def post(server, body, sid=None, headers=None):
    url = server.http + "/v1/poll" + ("?sid=" + sid if sid else "")
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def poll(server, sid, ack=0, timeout=3):
    url = "%s/v1/poll?sid=%s&ack=%d&timeout=%d" % (server.http, sid, ack, timeout)
    with urllib.request.urlopen(url, timeout=timeout + TIMEOUT) as response:
        return json.loads(response.read())


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


class InteropTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_deflate_client_chats_with_plain_client(self):
        async def scenario():
            url = self.server.ws + "/v1/ws"
            async with websockets.connect(url) as alice, \
                    websockets.connect(url, compression=None) as bob:
                self.assertIn("permessage-deflate", alice.response.headers.get("Sec-WebSocket-Extensions", ""))
                self.assertIsNone(bob.response.headers.get("Sec-WebSocket-Extensions"))
                await alice.send(json.dumps({"type": "bind", "uid": "alice-d"}))
                await bob.send(json.dumps({"type": "bind", "uid": "bob-d"}))
                self.assertEqual((await recv_json(alice))["code"], 0)
                self.assertEqual((await recv_json(bob))["code"], 0)
                text = "compressible " * 500
                await alice.send(json.dumps({"type": "send", "touid": "bob-d", "msg": text, "id": "1"}))
                self.assertEqual((await recv_json(alice))["msg"], "delivered")
                delivered = await recv_json(bob)
                self.assertEqual(delivered["msg"], text)
                await bob.send(json.dumps({"type": "send", "touid": "alice-d", "msg": "ünïcødé ✓ 🎉"}))
                self.assertEqual((await recv_json(alice))["msg"], "ünïcødé ✓ 🎉")
        asyncio.run(scenario())

    def test_websocket_and_http_client_chat_both_ways(self):
        async def scenario():
            status, bound = post(self.server, {"type": "bind", "uid": "curl-user"})
            self.assertEqual(status, 200)
            sid = bound["sid"]
            async with websockets.connect(self.server.ws + "/v1/ws") as browser:
                await browser.send(json.dumps({"type": "bind", "uid": "ws-user"}))
                await recv_json(browser)
                status, reply = post(self.server, {"type": "send", "touid": "ws-user", "msg": "from curl"}, sid)
                self.assertEqual((status, reply["msg"]), (200, "delivered"))
                self.assertEqual((await recv_json(browser))["msg"], "from curl")
                await browser.send(json.dumps({"type": "send", "touid": "curl-user", "msg": "from ws"}))
                events = await asyncio.to_thread(poll, self.server, sid)
                self.assertEqual([event["msg"] for event in events["events"]], ["from ws"])
                self.assertEqual(events["events"][0]["seq"], events["last"])
        asyncio.run(scenario())

    def test_v1_errors_keep_the_connection_open(self):
        async def scenario():
            async with websockets.connect(self.server.ws + "/v1/ws") as ws:
                for body, code in [("not json", 400), ("[]", 400), ('{"type":"nope"}', 400),
                                   ('{"type":"send","touid":"x","msg":"y"}', 401),
                                   ('{"type":"bind","uid":""}', 400)]:
                    await ws.send(body)
                    reply = await recv_json(ws)
                    self.assertEqual(reply["code"], code, body)
                    self.assertTrue(reply["error"])
                await ws.send(json.dumps({"type": "bind", "uid": "still-open"}))
                self.assertEqual((await recv_json(ws))["code"], 0)
                await ws.send(json.dumps({"type": "send", "touid": "x", "msg": "a" * 65537, "id": "big"}))
                reply = await recv_json(ws)
                self.assertEqual((reply["code"], reply["id"]), (413, "big"))
                await ws.send(json.dumps({"type": "send", "touid": "x", "msg": "a" * 65536, "id": "max"}))
                self.assertEqual((await recv_json(ws))["msg"], "queued")
        asyncio.run(scenario())

    def test_oversized_message_closes_1009_and_binary_closes_1003(self):
        async def scenario():
            async with websockets.connect(self.server.ws + "/v1/ws", max_size=None) as ws:
                await ws.send("x" * (1024 * 1024 + 1))
                with self.assertRaises(websockets.ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                self.assertEqual(ws.close_code, 1009)
            async with websockets.connect(self.server.ws + "/v1/ws") as ws:
                await ws.send(b"\x00\x01")
                with self.assertRaises(websockets.ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                self.assertEqual(ws.close_code, 1003)
        asyncio.run(scenario())

    def test_http_status_mirrors_code_and_bodies_parse_whatever_the_content_type(self):
        status, reply = post(self.server, b'{"type":"bind","uid":"typed"}',
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, reply["code"]), (200, 0))
        status, reply = post(self.server, b'{"type":"send","touid":"x","msg":"y"}')
        self.assertEqual((status, reply["code"], reply["type"]), (401, 401, "send"))
        status, reply = post(self.server, b"{broken")
        self.assertEqual((status, reply["type"]), (400, "error"))
        status, reply = post(self.server, {"type": "send", "touid": "x", "msg": "y"}, sid="nonexistent")
        self.assertEqual(status, 404)
        status, reply = post(self.server, b"x" * (1024 * 1024 + 1))
        self.assertEqual(status, 413)

    def test_websocket_handshake_errors_are_precise(self):
        def raw(path, headers):
            # A raw socket: urllib would add its own Connection header.
            lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % self.server.port]
            lines += ["%s: %s" % item for item in headers.items()]
            with socket.create_connection(("127.0.0.1", self.server.port), TIMEOUT) as sock:
                sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
                head = sock.recv(4096).decode("latin-1")
            return int(head.split(" ")[1]), head
        base = {"Upgrade": "websocket", "Connection": "Upgrade",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
        self.assertEqual(raw("/v1/ws", dict(base, **{"Sec-WebSocket-Version": "8"}))[0], 426)
        self.assertEqual(raw("/v1/ws", dict(base, **{"Sec-WebSocket-Version": "13",
                                                      "Sec-WebSocket-Key": "short"}))[0], 400)
        self.assertEqual(raw("/v1/ws", {})[0], 400)
        self.assertEqual(raw("/v1/ws", dict(base, **{"Sec-WebSocket-Version": "13",
                                                      "Origin": "http://evil.example"}))[0], 403)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
