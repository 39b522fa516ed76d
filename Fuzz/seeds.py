#!/usr/bin/env python3
"""Writes the committed seed corpora under Fuzz/corpus/<target>/.

Each harness documents its input layout; the seeds below follow it. Run from the repository
root after changing a layout: `python3 Fuzz/seeds.py`. Existing seeds are replaced.
"""
import base64
import hashlib
import hmac
import os
import shutil
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
MASK = b"\x37\xfa\x21\x3d"


def frame(opcode, payload=b"", fin=True, rsv=0, masked=True, declared=None):
    """One client frame, masked with a fixed key unless told otherwise."""
    length = len(payload) if declared is None else declared
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if masked else 0
    if length < 126:
        head += bytes([bit | length])
    elif length <= 0xFFFF:
        head += bytes([bit | 126]) + struct.pack(">H", length)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", length)
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def deflated(text):
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    data = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4]


def close(code, reason=b""):
    return frame(0x8, struct.pack(">H", code) + reason)


def websocket_frames():
    hello = frame(0x1, b"hello")
    fragmented = frame(0x1, b"frag", fin=False) + frame(0x9, b"p") + frame(0x0, b"ment")
    return {
        "text": b"\x00\x00" + hello + close(1000, b"bye"),
        "text-bytewise": b"\x10\x01" + hello + frame(0xA, b"x") + close(1000),
        "fragmented": b"\x10\x07" + fragmented + close(1001),
        "binary-accepted": b"\x48\x03" + frame(0x2, bytes(range(40))) + close(1000),
        "binary-refused": b"\x00\x00" + frame(0x2, b"\x00\xff"),
        "utf8-split": b"\x00\x02" + frame(0x1, "κόσμε 😀".encode(), fin=False)
        + frame(0x0, "é".encode()),
        "utf8-invalid": b"\x00\x00" + frame(0x1, b"\xed\xa0\x80"),
        "len16": b"\x40\x00" + frame(0x1, b"x" * 300),
        "len64": b"\x80\x00" + frame(0x1, b"y" * 70000, declared=70000)[:200],
        "too-big": b"\x00\x00" + frame(0x1, b"", declared=1 << 40),
        "unmasked": b"\x00\x00" + frame(0x1, b"hi", masked=False),
        "reserved-opcode": b"\x00\x00" + frame(0x3, b"") + frame(0xB, b""),
        "rsv-bits": b"\x00\x00" + frame(0x1, b"x", rsv=0b010),
        "control-fragmented": b"\x00\x00" + frame(0x9, b"", fin=False),
        "close-bad-code": b"\x00\x00" + close(1005) + close(999),
        "close-bad-reason": b"\x00\x00" + close(1000, b"\xff"),
        "close-short": b"\x00\x00" + frame(0x8, b"\x03"),
        "after-close": b"\x20\x05" + close(1000) + hello,
        "deflate": b"\x01\x00" + frame(0x1, deflated(b"compressible " * 20), rsv=4)
        + frame(0x1, deflated(b"again"), rsv=4) + close(1000),
        "deflate-no-takeover": b"\x07\x03" + frame(0x1, deflated(b"abcabcabc"), rsv=4),
        "deflate-fragmented": b"\x01\x04" + frame(0x1, deflated(b"part one part two")[:5],
                                                   fin=False, rsv=4)
        + frame(0x0, deflated(b"part one part two")[5:]),
        "deflate-garbage": b"\x01\x00" + frame(0x1, b"\xff\xfe\xfd", rsv=4),
        "deflate-bomb": b"\x41\x00" + frame(0x1, deflated(b"\x00" * 200000), rsv=4),
        "ping-flood": b"\x10\x00" + frame(0x9, b"a" * 125) * 5,
    }


def websocket_handshake():
    key = b"dGhlIHNhbXBsZSBub25jZQ=="
    base = (b"GET HTTP/1.1\nHost: example.com\nUpgrade: websocket\nConnection: Upgrade\n"
            b"Sec-WebSocket-Version: 13\nSec-WebSocket-Key: " + key + b"\n")
    return {
        "minimal": b"\x00" + base,
        "deflate": b"\x01" + base + b"Sec-WebSocket-Extensions: permessage-deflate; "
        b"client_max_window_bits\n",
        "deflate-params": b"\x03" + base + b"Sec-WebSocket-Extensions: permessage-deflate; "
        b"server_max_window_bits=10; client_max_window_bits=12; server_no_context_takeover\n",
        "deflate-several": b"\x02" + base + b"Sec-WebSocket-Extensions: x-webkit, "
        b"permessage-deflate; server_max_window_bits=8, permessage-deflate\n",
        "deflate-quoted": b"\x01" + base + b'Sec-WebSocket-Extensions: permessage-deflate; '
        b'client_max_window_bits="15"\n',
        "two-keys": b"\x00" + base + b"Sec-WebSocket-Key: " + key + b"\n",
        "crlf-lists": b"\x01GET HTTP/1.1\r\nUpgrade: foo, WebSocket\r\n"
        b"Connection: keep-alive, upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key:  " + key + b"  \r\n",
        "post": b"\x00POST HTTP/1.1\nUpgrade: websocket\n",
        "http10": b"\x00GET HTTP/1.0\nUpgrade: websocket\nConnection: upgrade\n",
        "version8": b"\x00" + base.replace(b"Version: 13", b"Version: 8"),
        "short-key": b"\x00" + base.replace(key, b"AAAA"),
        "http2": b"\x01GET HTTP/2\nupgrade: websocket\nconnection: Upgrade\n"
        b"sec-websocket-version: 13\nsec-websocket-key: " + key + b"\n",
    }


def envelope():
    bodies = [
        b'{"type":"bind","uid":"alice"}',
        b'{"type":"bind","uid":"alice","token":"t","since":42,"id":"r1"}',
        b'{"type":"send","uid":"a","touid":"bob","msg":"hello","id":"x"}',
        b'{"type":"join","touid":"bob"}',
        b'{"type":"exit","touid":"bob","extra":{"nested":[1,2.5e3,true,null]}}',
        b'{"type":"send","touid":"b","msg":"\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/"}',
        '{"type":"send","touid":"b","msg":"κόσμε"}'.encode(),
        b'{"\\u0074ype":"bind","uid":"a"}',
        b'{"type":"bind","uid":"a","uid":"b"}',
        b'{"type":"bind","uid":null}',
        b'{"type":"bind","uid":"\\u0001"}',
        b'{"type":"bind","since":-1,"uid":"a"}',
        b'{"type":"bind","since":18446744073709551616,"uid":"a"}',
        b'[{"type":"bind","uid":"a"},{"type":"send","touid":"b","msg":"m"},1,null]',
        b"[]",
        b'[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]',
        b'{"type":"send","touid":"b","msg":"' + b"m" * 100 + b'"}',
        b" \n\t{ } ",
        b'"\\ud800"',
        b"\xef\xbb\xbf{}",
        b'{"type":"bind","uid":"\xc2\x85"}',
        b"-0.0e+5",
        b"tru",
    ]
    seeds = {}
    for index, body in enumerate(bodies):
        seeds["body-%02d" % index] = bytes([index % 4]) + body
    return seeds


def jwt():
    secret = b"switchboard-fuzz-secret"

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    def sign(header, claims):
        signing_input = b64(header) + b"." + b64(claims)
        tag = hmac.new(secret, signing_input, hashlib.sha256).digest()
        return signing_input + b"." + b64(tag)

    standard = b'{"alg":"HS256","typ":"JWT"}'
    return {
        "valid": b"\x00" + sign(standard, b'{"sub":"alice"}'),
        "valid-exp": b"\x00" + sign(standard, b'{"sub":"alice","exp":2000000000,"nbf":1}'),
        "valid-fraction": b"\x00" + sign(b'{"alg":"HS256"}', b'{"sub":"alice","exp":1.8e9}'),
        "expired": b"\x00" + sign(standard, b'{"sub":"alice","exp":1}'),
        "other-sub": b"\x00" + sign(standard, b'{"sub":"bob"}'),
        "alg-none": b"\x00" + b64(b'{"alg":"none"}') + b"." + b64(b'{"sub":"alice"}') + b".",
        "padded": b"\x00" + sign(standard, b'{"sub":"alice"}') + b"=",
        "four-parts": b"\x00" + sign(standard, b'{"sub":"alice"}') + b".x",
        "json-valid": b"\x01" + standard + b"\x00" + b'{"sub":"alice","exp":2e9}',
        "json-crit": b"\x01" + b'{"alg":"HS256","crit":["x"]}' + b"\x00" + b'{"sub":"alice"}',
        "json-dup": b"\x01" + standard + b"\x00" + b'{"sub":"alice","sub":"alice"}',
        "json-escaped": b"\x01" + b'{"\\u0061lg":"HS256"}' + b"\x00"
        + b'{"sub":"\\u0061lice","nbf":1700000000,"exp":1700000000.001}',
        "json-deep": b"\x01" + standard + b"\x00" + b'{"sub":"alice","x":[[[[[[{}]]]]]]}',
    }


def request_target():
    targets = [
        b"/v1/poll?sid=abc&ack=5&timeout=25", b"/v1/poll?sid=a%20b+c&ack=&x", b"*",
        b"http://example.com:8080/v1/poll?sid=s", b"HTTPS://h?q=1", b"http://host",
        b"/p?%zz=1", b"/p?a=%e9", b"/p?a=%C3%A9&b=%F0%9F%98%80", b"/p?" + b"&".join(
            b"k%d=v" % i for i in range(40)), b"/a#frag?x=1", b"/?#", b"relative",
        b"/p?=&==&&", "/é?ü=ß".encode(), b"/p?\xff\xfe=1",
    ]
    return {"target-%02d" % i: t for i, t in enumerate(targets)}


def static_path():
    paths = [
        b"/", b"/index.html", b"/assets/app.js", b"/a/b/", b"//a///b", b"/./a/./b",
        b"/../etc/passwd",
        b"/a/%2e%2e/b", b"/a%2fb", b"/a%5cb", b"/a\\b", b"/%00", b"/.git/config", b"/a/.env",
        b"/%C3%A9t%C3%A9.txt", b"/%ff", b"/%", b"/%4", b"/a?b=1", b"/a#b", b"relative",
        b"/%2E%2E%2F", b"/.%2e/x", "/ünïcödé/ﬁle".encode(),
    ]
    return {"path-%02d" % i: p for i, p in enumerate(paths)}


def main():
    for target, seeds in [
        ("websocket-frames", websocket_frames()), ("websocket-handshake", websocket_handshake()),
        ("envelope", envelope()), ("jwt", jwt()), ("request-target", request_target()),
        ("static-path", static_path()),
    ]:
        folder = os.path.join(ROOT, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as output:
                output.write(data)
        print("%-20s %d seeds" % (target, len(seeds)))


if __name__ == "__main__":
    main()
