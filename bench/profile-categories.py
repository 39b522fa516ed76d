#!/usr/bin/env python3
"""Reads `perf report --sort dso,symbol` lines (demangled) on stdin and prints the time by
category — kernel networking, allocation, reference counting, JSON, router, WebSocket
framing, libmicrohttpd — followed by the 40 hottest functions. The categories are coarse
regular expressions over symbol names; "other" is what none of them matched."""

import re
import sys

CATEGORIES = [
    ("kernel: TCP/loopback send+receive", r"^\[kernel|tcp_|ip_|skb|sock_|__dev_queue|loopback|"
     r"net_rx|napi|__netif|inet_|sk_|unix_|__sys_|do_syscall|entry_SYSCALL|syscall_|"
     r"copy_user|_copy_|ep_|epoll|__fget|fput|schedule|futex|__x64_sys"),
    ("malloc/free", r"malloc|_int_free|free\b|cfree|_int_realloc|realloc|tcache|"
     r"swift_allocObject|swift_deallocObject|swift_slowAlloc|swift_slowDealloc|arena"),
    ("retain/release, exclusivity", r"swift_retain|swift_release|swift_bridgeObject|"
     r"swift_beginAccess|swift_endAccess|AccessSet|swift_unknownObject|swift_isUniquelyReferenced"),
    ("memcpy/memmove", r"memmove|memcpy|memset"),
    ("JSON decode/encode", r"JSONReader|JSONWriter|EnvelopeDecoder|ServerFrame\.encode|"
     r"EncodedFrame|ClientEnvelope|ServerFrame|JSONString"),
    ("router + store", r"ChatRouter\.(Router|MemoryStore|Inbox|Offline)|Router\.|MemoryStore|"
     r"ChatHub|RouterOutput|Delivery"),
    ("WebSocket framing", r"WebSocketCore|FrameParser|FrameEncoder|ConnectionMachine|UTF8Validator|"
     r"MaskingKey|WebSocketConnection"),
    ("server WS loop/endpoints", r"WebSocketLoop|WebSocketEndpoint|OutboundBuffer|OutboundFrame|"
     r"WebSocketClient"),
    ("long-poll", r"LongPoll|PollWaiter|PollContinuation"),
    ("libmicrohttpd", r"libmicrohttpd|MHD_|microhttpd"),
    ("hashing/dictionaries", r"Hasher|_RawDictionaryStorage|Dictionary|NativeDictionary|hash"),
    ("locks/atomics", r"Mutex|pthread_mutex|lll_lock|Atomic"),
    ("Swift arrays/strings", r"Array|ContiguousArray|String|Substring|_StringGuts|UTF8"),
]

rows = []
for line in sys.stdin:
    match = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)$", line.rstrip())
    if not match:
        continue
    percent, dso, symbol = float(match.group(1)), match.group(2), match.group(3).strip()
    rows.append((percent, dso, symbol))

totals = {}
for percent, dso, symbol in rows:
    name = "other"
    text = f"{dso} {symbol}" if dso.startswith("[kernel") else symbol
    if dso.startswith("libmicrohttpd"):
        name = "libmicrohttpd"
    else:
        for category, pattern in CATEGORIES:
            if re.search(pattern, text):
                name = category
                break
    totals[name] = totals.get(name, 0.0) + percent

print("Time by category (self time, % of server CPU samples):")
for name, percent in sorted(totals.items(), key=lambda item: -item[1]):
    print(f"  {percent:6.2f}%  {name}")
print()
print("Hottest functions (self time):")
for percent, dso, symbol in sorted(rows, key=lambda row: -row[0])[:40]:
    print(f"  {percent:6.2f}%  {dso:28.28}  {symbol[:150]}")
