import Testing

@testable import WebSocketCore

@Suite struct ClientHandshakeTests {
    private static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    private static func response(
        status: Int = 101, _ extra: [(name: String, value: String)] = [],
        accept: String = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    ) -> HTTPResponseHead {
        HTTPResponseHead(
            status: status,
            headers: [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Accept", accept),
            ]
                + extra)
    }

    @Test func keyIsBase64Of16RandomBytesAndDeterministicWithASeed() {
        var first = SeededGenerator(seed: 3)
        var second = SeededGenerator(seed: 3)
        let key = ClientHandshake.makeKey(using: &first)
        #expect(key == ClientHandshake.makeKey(using: &second))
        #expect(Base64.decode(key)?.count == 16)
        #expect(key != ClientHandshake.makeKey(using: &first))
        #expect(Base64.decode(ClientHandshake.makeKey())?.count == 16)
    }

    @Test func requestTextIsACompleteUpgradeRequest() {
        let text = ClientHandshake.requestText(
            path: "/v1/ws?x=1", host: "127.0.0.1:8080", key: Self.key,
            origin: "http://127.0.0.1:8080",
            deflate: PerMessageDeflateOptions(),
            additionalHeaders: [("X-Trace", "a\r\nInjected: 1")])
        #expect(
            text == """
                GET /v1/ws?x=1 HTTP/1.1\r
                Host: 127.0.0.1:8080\r
                Upgrade: websocket\r
                Connection: Upgrade\r
                Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
                Sec-WebSocket-Version: 13\r
                Origin: http://127.0.0.1:8080\r
                Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r
                X-Trace: aInjected: 1\r
                \r

                """)
    }

    @Test func validResponseWithoutExtensionsAgreesOnNoCompression() throws {
        let agreed = try ClientHandshake.validateResponse(
            Self.response(), key: Self.key, offeredDeflate: PerMessageDeflateOptions())
        #expect(agreed == nil)
    }

    @Test(arguments: [
        ("client window limited", "permessage-deflate; client_max_window_bits=10", 10, false),
        (
            "no context takeover both ways",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover", 15, true
        ),
        ("server states its window", "permessage-deflate; server_max_window_bits=9", 15, false),
    ])
    func deflateAnswerIsAccepted(
        _ name: String, _ answer: String, _ clientWindow: Int, _ reset: Bool
    ) throws {
        let agreed = try ClientHandshake.validateResponse(
            Self.response([("Sec-WebSocket-Extensions", answer)]), key: Self.key,
            offeredDeflate: PerMessageDeflateOptions())
        #expect(agreed?.clientMaxWindowBits == clientWindow, "\(name)")
        #expect(agreed?.clientNoContextTakeover == reset, "\(name)")
        #expect(agreed?.responseHeaderValue == answer)
    }

    @Test(arguments: [
        ("status 200", response(status: 200), ClientHandshakeError.unexpectedStatus(200)),
        ("wrong accept", response(accept: "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), .acceptMismatch),
        (
            "upgrade missing",
            HTTPResponseHead(
                status: 101,
                headers: [
                    ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                ]), .missingUpgradeWebSocket
        ),
        (
            "connection missing",
            HTTPResponseHead(
                status: 101,
                headers: [
                    ("Upgrade", "websocket"),
                    ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                ]), .missingConnectionUpgrade
        ),
        (
            "unknown extension", response([("Sec-WebSocket-Extensions", "x-foo")]),
            .unexpectedExtension
        ),
        (
            "two extensions",
            response([("Sec-WebSocket-Extensions", "permessage-deflate, permessage-deflate")]),
            .unexpectedExtension
        ),
        (
            "client window 8",
            response([("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=8")]
            ),
            .unsupportedClientWindowBits
        ),
        (
            "client window without value",
            response([("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]),
            .invalidExtensionParameters
        ),
        (
            "unknown parameter",
            response([("Sec-WebSocket-Extensions", "permessage-deflate; foo")]),
            .invalidExtensionParameters
        ),
        (
            "subprotocol not requested", response([("Sec-WebSocket-Protocol", "chat")]),
            .unexpectedSubprotocol
        ),
    ])
    func badResponseIsRefused(
        _ name: String, _ response: HTTPResponseHead, _ error: ClientHandshakeError
    ) {
        #expect(throws: error, "\(name)") {
            try ClientHandshake.validateResponse(
                response, key: Self.key, offeredDeflate: PerMessageDeflateOptions())
        }
    }

    @Test func deflateAnswerWithoutAnOfferIsRefused() {
        #expect(throws: ClientHandshakeError.unexpectedExtension) {
            try ClientHandshake.validateResponse(
                Self.response([("Sec-WebSocket-Extensions", "permessage-deflate")]), key: Self.key,
                offeredDeflate: nil)
        }
    }

    @Test func answerMustKeepTheLimitsTheClientAskedFor() {
        #expect(throws: ClientHandshakeError.invalidExtensionParameters) {
            try ClientHandshake.validateResponse(
                Self.response([("Sec-WebSocket-Extensions", "permessage-deflate")]), key: Self.key,
                offeredDeflate: PerMessageDeflateOptions(serverNoContextTakeover: true))
        }
    }

    @Test func responseHeadParsesAndLeavesFrameBytes() throws {
        let text =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n\r\n"
        let bytes = Array(text.utf8) + [0x81, 0x00]
        guard case .complete(let head, let byteCount) = HTTPResponseHead.parse(bytes) else {
            Issue.record("expected a complete head")
            return
        }
        #expect(byteCount == text.utf8.count)
        #expect(head.status == 101)
        #expect(head.reason == "Switching Protocols")
        #expect(head.headers.last?.value == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(
            try ClientHandshake.validateResponse(head, key: Self.key, offeredDeflate: nil) == nil)
        for cut in 0..<text.utf8.count {
            guard case .incomplete = HTTPResponseHead.parse(Array(bytes[..<cut])) else {
                Issue.record("prefix of \(cut) bytes should be incomplete")
                return
            }
        }
    }

    @Test(arguments: [
        "HTTP/1.1 1O1 Switching\r\n\r\n", "SIP/2.0 101 x\r\n\r\n",
        "HTTP/1.1 101 ok\r\nno colon\r\n\r\n",
        "HTTP/1.1 101 ok\r\nbad name: x\r\n\r\n",
    ])
    func malformedResponseHeadIsRefused(_ text: String) {
        guard case .malformed = HTTPResponseHead.parse(Array(text.utf8)) else {
            Issue.record("expected malformed for \(text.debugDescription)")
            return
        }
    }

    @Test func endlessResponseHeadIsRefused() {
        let bytes =
            Array("HTTP/1.1 101 ok\r\n".utf8)
            + [UInt8](repeating: 0x61, count: HTTPResponseHead.maxHeadBytes)
        guard case .malformed = HTTPResponseHead.parse(bytes) else {
            Issue.record("expected malformed")
            return
        }
    }

    /// The client's request, read by the server's validation, answered, and checked by the client.
    @Test func clientAndServerHandshakesAgree() throws {
        var generator = SeededGenerator(seed: 11)
        let key = ClientHandshake.makeKey(using: &generator)
        let options = PerMessageDeflateOptions(clientNoContextTakeover: true)
        let request = ClientHandshake.requestText(path: "/", host: "h", key: key, deflate: options)
        let lines = request.split(separator: "\r\n").dropFirst()
        let headers = lines.map { line -> (name: String, value: String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), String(parts[1].dropFirst()))
        }
        let accepted = try ServerHandshake.accept(
            method: "GET", httpVersion: "HTTP/1.1", headers: headers)
        let response = HTTPResponseHead(
            status: 101,
            headers: [("Upgrade", "websocket"), ("Connection", "Upgrade")]
                + accepted.responseHeaders)
        let agreed = try ClientHandshake.validateResponse(
            response, key: key, offeredDeflate: options)
        #expect(agreed?.clientNoContextTakeover == true)
        #expect(accepted.deflate?.responseHeaderValue == agreed?.responseHeaderValue)
    }
}

@Suite struct ClientRoleTests {
    @Test func clientMasksEveryFrameWithAFreshKey() throws {
        let client = WebSocketConnection.client(seed: 5)
        try client.sendText("hello")
        try client.sendPing([1])
        var keys = SeededGenerator(seed: 5)
        var expected: [UInt8] = []
        FrameEncoder.appendFrame(
            opcode: .text, payload: Array("hello".utf8), maskingKey: .random(using: &keys),
            to: &expected)
        FrameEncoder.appendFrame(
            opcode: .ping, payload: [1], maskingKey: .random(using: &keys), to: &expected)
        let output = client.takeOutput()
        #expect(output == expected)
        #expect(output[1] & 0x80 != 0)
    }

    @Test func clientReadsUnmaskedServerFrames() {
        let input = Wire.serverFrame(0x1, Array("hi".utf8)) + Wire.serverFrame(0x9, [4])
        let outcome = Feed.everyChunking(input) { .client(seed: 1) }
        #expect(outcome.events == [.text(Array("hi".utf8)), .ping([4])])
        var keys = SeededGenerator(seed: 1)
        var pong: [UInt8] = []
        FrameEncoder.appendFrame(
            opcode: .pong, payload: [4], maskingKey: .random(using: &keys), to: &pong)
        #expect(outcome.output == pong)
    }

    /// A client and a server talk through their outputs: messages, ping, and a client-initiated
    /// close handshake.
    @Test func clientAndServerConverse() throws {
        let client = WebSocketConnection.client(seed: 2)
        let server = WebSocketConnection.server()
        var serverEvents: [WebSocketEvent] = []
        var clientEvents: [WebSocketEvent] = []

        try client.sendText("question")
        try client.sendBinary([9, 9])
        server.receive(client.takeOutput(), into: &serverEvents)
        try server.sendText("answer")
        try server.sendPing([7])
        client.receive(server.takeOutput(), into: &clientEvents)
        server.receive(client.takeOutput(), into: &serverEvents)
        #expect(serverEvents == [.text(Array("question".utf8)), .binary([9, 9]), .pong([7])])
        #expect(clientEvents == [.text(Array("answer".utf8)), .ping([7])])

        try client.close(code: .normalClosure, reason: "done")
        server.receive(client.takeOutput(), into: &serverEvents)
        #expect(serverEvents.last == .closeReceived(code: .normalClosure, reason: "done"))
        #expect(server.shouldCloseTransport)
        client.receive(server.takeOutput(), into: &clientEvents)
        #expect(clientEvents.last == .closeReceived(code: .normalClosure, reason: ""))
        #expect(client.state == .closed)
        #expect(client.closeCode == .normalClosure)
    }
}

@Suite struct OutputQueueTests {
    /// The event loop's pattern: drain what the connection queued (a pong), then encode its
    /// own messages behind it in the same outbound queue.
    @Test func drainedOutputKeepsItsPlaceBeforeEncodedMessages() throws {
        let server = WebSocketConnection.server()
        var events: [WebSocketEvent] = []
        server.receive(Wire.frame(0x9, [1]), into: &events)
        var queue: [UInt8] = [0xAA]
        server.drainOutput(into: &queue)
        try server.encodeText("routed", into: &queue)
        #expect(
            queue == [0xAA] + Wire.serverFrame(0xA, [1])
                + Wire.serverFrame(0x1, Array("routed".utf8)))
        #expect(!server.hasPendingOutput)
        #expect(server.takeOutput().isEmpty)
    }

    @Test func encodeVariantsProduceTheSameFrame() throws {
        let server = WebSocketConnection.server()
        var fromString: [UInt8] = []
        var fromBytes: [UInt8] = []
        var fromPointer: [UInt8] = []
        try server.encodeText("same", into: &fromString)
        try server.encodeText(Array("same".utf8), into: &fromBytes)
        try Array("same".utf8).withUnsafeBytes { bytes in
            try server.encodeText(bytes, into: &fromPointer)
        }
        #expect(fromString == Wire.serverFrame(0x1, Array("same".utf8)))
        #expect(fromBytes == fromString && fromPointer == fromString)
        var binary: [UInt8] = []
        try server.encodeBinary([1, 2], into: &binary)
        #expect(binary == Wire.serverFrame(0x2, [1, 2]))
    }
}
