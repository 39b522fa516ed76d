import Foundation
import Testing
import WebSocketCore

@testable import SwitchboardServer

/// The WebSocket transport against a real server: handshakes, framing rules, limits, timers.
@Suite struct WebSocketServerTests {
    static func bind(
        _ client: WebSocketTestClient, _ uid: String, since: UInt64? = nil
    ) throws -> Frame {
        var envelope: [String: Any] = ["type": "bind", "uid": uid]
        if let since { envelope["since"] = since }
        try client.sendText(jsonText(envelope))
        return try Frame(json: client.nextText())
    }

    @Test func refusedHandshakesGetPreciseStatuses() throws {
        let server = try TestServer()
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        let base =
            "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\n"
        let cases: [(String, Int)] = [
            ("GET /v1/ws HTTP/1.1\r\n\(base)Sec-WebSocket-Version: 12\r\n\r\n", 426),
            ("GET /v1/ws HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
            (
                "GET /v1/ws HTTP/1.1\r\n\(base.replacingOccurrences(of: key, with: "AAAA"))"
                    + "Sec-WebSocket-Version: 13\r\n\r\n",
                400
            ),
            (
                "POST /v1/ws HTTP/1.1\r\n\(base)Sec-WebSocket-Version: 13\r\n"
                    + "Content-Length: 0\r\n\r\n",
                405
            ),
            ("GET /v1/ws HTTP/1.0\r\n\(base)Sec-WebSocket-Version: 13\r\n\r\n", 400),
            (
                "GET /v1/ws HTTP/1.1\r\n\(base)Sec-WebSocket-Version: 13\r\n"
                    + "Origin: http://evil.example\r\n\r\n",
                403
            ),
            ("GET /v1/echo HTTP/1.1\r\n\(base)Sec-WebSocket-Version: 13\r\n\r\n", 404),
        ]
        for (request, status) in cases {
            let response = try HTTPTestClient.exchange(port: server.port, raw: request)
            #expect(response.status == status, "\(request.prefix(40).debugDescription)")
            if status == 426 { #expect(response.header("Sec-WebSocket-Version") == "13") }
        }
    }

    @Test func sameOriginAndAllowedOriginsMayConnect() throws {
        let server = try TestServer { $0.allowedOrigins = ["https://app.example.com"] }
        _ = try WebSocketTestClient(port: server.port, origin: "http://127.0.0.1:\(server.port)")
        _ = try WebSocketTestClient(port: server.port, origin: "https://app.example.com")
        #expect(throws: WebSocketTestClient.Refused.self) {
            try WebSocketTestClient(port: server.port, origin: "https://app.example.com:8443")
        }
    }

    @Test func frameSentWithTheHandshakeIsNotLost() throws {
        let server = try TestServer()
        let bind = RawFrame.bytes(opcode: 1, payload: Array(#"{"type":"bind","uid":"eager"}"#.utf8))
        let client = try WebSocketTestClient(port: server.port, pipelined: bind)
        #expect(try Frame(json: client.nextText()).msg == "ok")
    }

    @Test func envelopeSplitIntoSingleBytesStillRoutes() throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        let frame = RawFrame.bytes(opcode: 1, payload: Array(#"{"type":"bind","uid":"slow"}"#.utf8))
        for byte in frame {
            try client.sendRaw([byte])
            usleep(1000)
        }
        #expect(try Frame(json: client.nextText()).uid == "slow")
    }

    @Test func fragmentedEnvelopeIsReassembled() throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        let text = Array(#"{"type":"bind","uid":"frag✓"}"#.utf8)
        try client.sendRaw(RawFrame.bytes(fin: false, opcode: 1, payload: Array(text[..<24])))
        try client.sendRaw(RawFrame.bytes(fin: true, opcode: 0, payload: Array(text[24...])))
        #expect(try Frame(json: client.nextText()).uid == "frag✓")
    }

    @Test(arguments: [
        (
            "unmasked frame", RawFrame.bytes(opcode: 1, payload: [0x7B, 0x7D], masked: false),
            CloseCode.protocolError
        ),
        ("reserved opcode", RawFrame.bytes(opcode: 3, payload: []), .protocolError),
        ("invalid utf-8", RawFrame.bytes(opcode: 1, payload: [0xC3, 0x28]), .invalidPayloadData),
        ("binary message", RawFrame.bytes(opcode: 2, payload: [1, 2, 3]), .unsupportedData),
        (
            "rsv bit without extension", RawFrame.bytes(rsv: 4, opcode: 1, payload: [0x7B]),
            .protocolError
        ),
        (
            "oversized length", RawFrame.bytes(opcode: 1, payload: [], declaredLength: 2 << 20),
            .messageTooBig
        ),
    ])
    func protocolViolationsCloseWithTheRightCode(
        name: String, frame: [UInt8], code: CloseCode
    ) throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        try client.sendRaw(frame)
        let close = try client.awaitClose()
        #expect(close.code == code, "\(name)")
        #expect(client.awaitEndOfStream(), "the server closes TCP after the close handshake")
    }

    @Test func closeHandshakeEchoesTheClientsCode() throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        try client.close(code: .goingAway, reason: "bye")
        #expect(try client.awaitClose().code == .goingAway)
    }

    @Test func pingIsAnsweredWithTheSamePayload() throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        try client.sendPing([1, 2, 3])
        #expect(try client.nextEvent() == .pong([1, 2, 3]))
    }

    @Test func silentClientIsPingedThenClosed() throws {
        let server = try TestServer { configuration in
            configuration.pingSeconds = 1
            configuration.idleTimeoutSeconds = 2
        }
        // A raw handshake with a client that never answers pings.
        let socket = try TestSocket(port: server.port)
        try socket.send(
            "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        let started = Date()
        var received: [UInt8] = []
        while true {
            let chunk = try socket.receiveSome()
            if chunk.isEmpty { break }
            received += chunk
        }
        let elapsed = Date().timeIntervalSince(started)
        let body = received[(received.firstRange(of: [13, 10, 13, 10])?.upperBound ?? 0)...]
        #expect(body.first == 0x89, "a ping came first")
        #expect(body.contains(0x88), "then a close frame")
        #expect(elapsed >= 1.5 && elapsed < 8, "closed after \(elapsed) s")
    }

    @Test func clientThatAnswersPingsStaysOpen() throws {
        let server = try TestServer { configuration in
            configuration.pingSeconds = 1
            configuration.idleTimeoutSeconds = 2
        }
        let client = try WebSocketTestClient(port: server.port)
        _ = try Self.bind(client, "alive")
        let deadline = Date().addingTimeInterval(3.5)
        var pings = 0
        while Date() < deadline {
            if case .ping = try client.nextEvent() { pings += 1 }
        }
        #expect(pings >= 2)
        try client.sendText(#"{"type":"join","touid":"x","id":"still"}"#)
        #expect(try Frame(json: client.nextText()).id == "still")
    }

    @Test func everyDeviceOfAUserGetsEachMessage() throws {
        let server = try TestServer()
        let laptop = try WebSocketTestClient(port: server.port)
        let phone = try WebSocketTestClient(port: server.port)
        let sender = try WebSocketTestClient(port: server.port)
        _ = try Self.bind(laptop, "bob")
        _ = try Self.bind(phone, "bob")
        _ = try Self.bind(sender, "alice")
        try sender.sendText(#"{"type":"send","touid":"bob","msg":"both"}"#)
        #expect(try Frame(json: laptop.nextText()).msg == "both")
        #expect(try Frame(json: phone.nextText()).msg == "both")
    }

    @Test func offlineQueueThenSinceResume() throws {
        let server = try TestServer()
        let sender = try WebSocketTestClient(port: server.port)
        _ = try Self.bind(sender, "alice")
        for text in ["a", "b", "c"] {
            try sender.sendText(jsonText(["type": "send", "touid": "bob", "msg": text]))
        }
        try sender.sendText(#"{"type":"join","touid":"bob","id":"sync"}"#)
        _ = try sender.nextText()
        let bob = try WebSocketTestClient(port: server.port)
        #expect(try Self.bind(bob, "bob").msg == "ok")
        let first = try (0..<3).map { _ in try Frame(json: bob.nextText()) }
        #expect(first.map(\.msg) == ["a", "b", "c"])
        try bob.close()
        _ = try bob.awaitClose()

        let resumed = try WebSocketTestClient(port: server.port)
        let firstMid: UInt64 = try #require(first[0].mid)
        let reply = try Self.bind(resumed, "bob", since: firstMid)
        #expect(reply["gap"] as? Bool == false)
        let again = try (0..<2).map { _ in try Frame(json: resumed.nextText()) }
        #expect(again.map(\.msg) == ["b", "c"])
    }

    /// With a cap of 5 the inbox has long dropped the messages the closed queue still held:
    /// they come back from the queue itself.
    @Test(arguments: [5000, 5])
    func readerThatNeverReadsIsClosedAsSlowConsumerAndLosesNothing(inboxCap: Int) throws {
        let server = try TestServer { configuration in
            configuration.queueBytes = 64 * 1024
            configuration.inboxMaxMessages = inboxCap
        }
        // The slow reader binds, then stops reading; its kernel buffers fill.
        let slow = try WebSocketTestClient(port: server.port)
        var small: Int32 = 65_536
        setsockopt(
            slow.socket.descriptor, SOL_SOCKET, SO_RCVBUF, &small,
            socklen_t(MemoryLayout<Int32>.size))
        _ = try Self.bind(slow, "reader")
        let sender = try WebSocketTestClient(port: server.port)
        _ = try Self.bind(sender, "writer")
        let text = String(repeating: "z", count: 4000)
        var acknowledged: [UInt64] = []
        // Enough to fill the kernel's socket buffers (several MiB on loopback) and the bound.
        let count = 1500
        for index in 0..<count {
            try sender.sendText(
                jsonText(["type": "send", "touid": "reader", "msg": text, "id": "\(index)"]))
            let reply = try Frame(json: sender.nextText())
            if let mid = reply.mid { acknowledged.append(mid) }
        }
        #expect(acknowledged.count == count)
        // Now drain what the slow reader did get, up to the server's close.
        var delivered: Set<UInt64> = []
        var closeCode: CloseCode?
        reading: while true {
            switch try slow.nextEvent() {
            case .text(let bytes):
                if let mid = try Frame(json: String(decoding: bytes, as: UTF8.self)).mid {
                    delivered.insert(mid)
                }
            case .closeReceived(let code, let reason):
                closeCode = code
                #expect(reason == "slow consumer")
                break reading
            case .connectionLost:
                break reading
            default:
                continue
            }
        }
        #expect(closeCode == .policyViolation)
        // Whatever it did not get waits in the offline queue.
        let returning = try WebSocketTestClient(port: server.port)
        _ = try Self.bind(returning, "reader")
        let missing = Set(acknowledged).subtracting(delivered)
        var requeued: Set<UInt64> = []
        while requeued.count < missing.count, let text = try returning.nextTextWithin(seconds: 3) {
            if let mid = try Frame(json: text).mid { requeued.insert(mid) }
        }
        #expect(!missing.isEmpty, "the bound was reached")
        #expect(requeued == missing)
    }

    @Test(arguments: [false, true])
    func readerThatKeepsUpIsNeverTakenForASlowConsumer(compressed: Bool) throws {
        // A bound of a few frames: any drift in its accounting would trip it within the run.
        let server = try TestServer { $0.queueBytes = 2048 }
        let deflate = compressed ? PerMessageDeflateOptions() : nil
        let reader = try WebSocketTestClient(port: server.port, deflate: deflate)
        _ = try Self.bind(reader, "reader")
        let sender = try WebSocketTestClient(port: server.port)
        _ = try Self.bind(sender, "writer")
        for index in 0..<1500 {
            try sender.sendText(
                jsonText(["type": "send", "touid": "reader", "msg": "message \(index) of many"]))
            #expect(try Frame(json: reader.nextText()).msg == "message \(index) of many")
        }
        // The queue gauge settles just after the last frame leaves; the slow-consumer count is
        // final by now, since the reader has every message.
        try HTTPTestClient.waitForMetric(
            #"switchboard_queue_bytes{transport="ws"} 0"#, port: server.port)
        let metrics = try HTTPTestClient.request(port: server.port, path: "/metrics").text
        #expect(metrics.contains(#"switchboard_slow_consumers_total{transport="ws"} 0"#))
    }

    @Test func shutdownClosesWebSocketsWith1001() throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        _ = try Self.bind(client, "leaving")
        server.server.shutdown()
        let close = try client.awaitClose()
        #expect(close.code == .goingAway)
    }

    @Test func deflateIsNegotiatedWhenOfferedAndCanBeTurnedOff() throws {
        let on = try TestServer()
        let compressed = try WebSocketTestClient(port: on.port, deflate: PerMessageDeflateOptions())
        #expect(compressed.isCompressed)
        let reply = try Self.bind(compressed, String(repeating: "u", count: 60))
        #expect(reply.msg == "ok")
        let off = try TestServer { $0.webSocketDeflate = false }
        let plain = try WebSocketTestClient(port: off.port, deflate: PerMessageDeflateOptions())
        #expect(!plain.isCompressed)
    }

    @Test func echoEndpointEchoesTextAndBinaryWhenEnabled() throws {
        let server = try TestServer { $0.webSocketEcho = true }
        let client = try WebSocketTestClient(port: server.port, path: "/v1/echo")
        try client.sendText("hello ✓")
        #expect(try client.nextText() == "hello ✓")
        try client.sendBinary([0, 255, 7])
        #expect(try client.nextEvent() == .binary([0, 255, 7]))
        let large = String(repeating: "0123456789", count: 300_000)
        try client.sendText(large)
        #expect(try client.nextText() == large)
    }
}
