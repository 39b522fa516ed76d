"""TLS end to end: a self-signed certificate made with openssl for this run, then HTTPS for
static files and long-poll, WSS for WebSockets (with and without permessage-deflate), and
chat between them."""

import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import websockets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import Server  # noqa: E402


def make_certificate(folder):
    certificate = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", certificate],
        check=True, capture_output=True)
    return certificate, key


class TLSTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="switchboard-tls-")
        cls.certificate, cls.key = make_certificate(cls.folder)
        cls.server = Server("--tls-cert", cls.certificate, "--tls-key", cls.key).start()
        cls.context = ssl.create_default_context(cafile=cls.certificate)
        cls.base = "https://127.0.0.1:%d" % cls.server.port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def fetch(self, path, data=None, headers=None):
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
            return response.status, response.read()

    def test_listening_line_says_https(self):
        self.assertIn("http.address=https://127.0.0.1:", self.server.log())

    def test_static_files_and_health_over_https(self):
        status, body = self.fetch("/")
        self.assertEqual(status, 200)
        self.assertIn(b"<", body)
        self.assertEqual(self.fetch("/healthz"), (200, b"ok\n"))

    def test_plain_http_on_the_tls_port_gets_no_page(self):
        with self.assertRaises(Exception):
            urllib.request.urlopen("http://127.0.0.1:%d/healthz" % self.server.port, timeout=5).read()
        self.assertEqual(self.fetch("/healthz")[0], 200, "still serving TLS clients")

    def test_wss_and_https_long_poll_chat(self):
        async def scenario():
            status, body = self.fetch("/v1/poll", data=b'{"type":"bind","uid":"tls-poll"}')
            sid = json.loads(body)["sid"]
            url = "wss://127.0.0.1:%d/v1/ws" % self.server.port
            async with websockets.connect(url, ssl=self.context) as compressed, \
                    websockets.connect(url, ssl=self.context, compression=None) as plain:
                for socket, uid in ((compressed, "tls-a"), (plain, "tls-b")):
                    await socket.send(json.dumps({"type": "bind", "uid": uid}))
                    self.assertEqual(json.loads(await asyncio.wait_for(socket.recv(), 5))["code"], 0)
                big = "secure " * 9000
                await compressed.send(json.dumps({"type": "send", "touid": "tls-b", "msg": big}))
                self.assertEqual(json.loads(await asyncio.wait_for(plain.recv(), 5))["msg"], big)
                await plain.send(json.dumps({"type": "send", "touid": "tls-poll", "msg": "over tls"}))
                status, body = await asyncio.to_thread(
                    self.fetch, "/v1/poll?sid=%s&timeout=5" % sid)
                self.assertEqual([event["msg"] for event in json.loads(body)["events"]], ["over tls"])
                self.fetch("/v1/poll?sid=" + sid, data=json.dumps(
                    {"type": "send", "touid": "tls-a", "msg": "back"}).encode())
                self.assertEqual(json.loads(await asyncio.wait_for(compressed.recv(), 5))["msg"], "back")
        asyncio.run(scenario())

    def test_wss_close_handshake_ends_the_tcp_connection(self):
        # RFC 6455 §7.1.1: after the Close handshake the server closes TCP first; a client
        # that waits for it (here up to its 5 s close_timeout) must not be left waiting.
        async def scenario():
            url = "wss://127.0.0.1:%d/v1/ws" % self.server.port
            for index in range(3):
                socket = await websockets.connect(url, ssl=self.context, close_timeout=5)
                await socket.send(json.dumps({"type": "bind", "uid": "closer-%d" % index}))
                await asyncio.wait_for(socket.recv(), 5)
                started = time.monotonic()
                await socket.close()
                self.assertEqual(socket.close_code, 1000)
                self.assertLess(time.monotonic() - started, 2.5, "closed by the server")
        asyncio.run(scenario())

    def test_same_origin_check_uses_the_https_scheme(self):
        async def scenario():
            url = "wss://127.0.0.1:%d/v1/ws" % self.server.port
            async with websockets.connect(url, ssl=self.context, origin=self.base):
                pass
            with self.assertRaises(websockets.InvalidStatus) as refused:
                async with websockets.connect(url, ssl=self.context,
                                              origin="http://127.0.0.1:%d" % self.server.port):
                    pass
            self.assertEqual(refused.exception.response.status_code, 403)
        asyncio.run(scenario())


class TLSConfigurationTests(unittest.TestCase):
    def test_missing_key_or_bad_files_fail_clearly(self):
        folder = tempfile.mkdtemp(prefix="switchboard-tls-")
        certificate, key = make_certificate(folder)
        for flags, message in (
                (["--tls-cert", certificate], "must be given together"),
                (["--tls-cert", "/nonexistent.pem", "--tls-key", key], "cannot read a PEM certificate"),
                (["--tls-cert", certificate, "--tls-key", certificate], "cannot read a PEM private key")):
            server = Server(*flags)
            with self.assertRaises(RuntimeError) as failure:
                server.start()
            self.assertIn(message, str(failure.exception))
            self.assertEqual(server.process.returncode, 1)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
