import CLinux
import Foundation
import Glibc
import Testing
import WebSocketCore

@testable import SwitchboardServer

/// Clients that break the rules on purpose, over real sockets against a real server. Each test
/// checks the precise answer (status, close code, or a close without an answer) and then that
/// the server still answers `/healthz`: one hostile client must never cost anyone else.
@Suite struct HostileClientTests {
    // MARK: Request lines and headers

    /// What a raw request must get: a status, or nil for a close without any response; and
    /// whether the server must close the connection after it.
    struct RawCase: CustomTestStringConvertible, Sendable {
        let name: String
        let request: [UInt8]
        let status: Int?
        let closes: Bool

        var testDescription: String { self.name }

        init(_ name: String, _ request: String, status: Int?, closes: Bool = true) {
            self.init(name, Array(request.utf8), status: status, closes: closes)
        }

        init(_ name: String, _ request: [UInt8], status: Int?, closes: Bool = true) {
            self.name = name
            self.request = request
            self.status = status
            self.closes = closes
        }
    }

    @Test(arguments: [
        RawCase("no spaces", "GARBAGE\r\n\r\n", status: nil),
        RawCase("method only", "GET\r\n\r\n", status: nil),
        RawCase("binary junk", [0x00, 0xFF, 0x13, 0x37, 0x0D, 0x0A, 0x0D, 0x0A], status: nil),
        RawCase("tls hello on the plain port", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01], status: nil),
        RawCase("extra token", "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", status: 400),
        RawCase("not http", "GET / FTP/1.0\r\nHost: x\r\n\r\n", status: 400),
        RawCase("unknown version", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", status: 505),
        RawCase(
            "header without colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
            status: 400),
        RawCase(
            "lowercase method", "get /healthz HTTP/1.1\r\nHost: x\r\n\r\n", status: 405,
            closes: false),
    ])
    func malformedRequestLineIsRefused(_ rawCase: RawCase) throws {
        // A line starting with NUL reads as an empty line to libmicrohttpd, which then waits
        // for a request line until the idle timeout; 2 s keeps that case short.
        let server = try TestServer { $0.httpIdleTimeoutSeconds = 2 }
        let outcome = try Self.exchange(port: server.port, rawCase.request)
        #expect(outcome.response?.status == rawCase.status)
        if rawCase.closes {
            #expect(outcome.closedAfterwards)
        }
        try Self.expectHealthy(server)
    }

    @Test func duplicatedWebSocketKeyIsRefusedWith400() throws {
        let server = try TestServer()
        let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        let request =
            "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\n\(key)\(key)\r\n"
        let response = try HTTPTestClient.exchange(port: server.port, raw: request)
        #expect(response.status == 400)
        #expect(response.text == "duplicate sec-websocket-key\n")
        try Self.expectHealthy(server)
    }

    /// RFC 9112 §3.2: a request with more than one Host line MUST get 400.
    @Test func duplicatedHostIsRefusedWith400() throws {
        let server = try TestServer()
        let request = "GET /healthz HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"
        let outcome = try Self.exchange(port: server.port, Array(request.utf8))
        #expect(outcome.response?.status == 400)
        try Self.expectHealthy(server)
    }

    /// RFC 9112 §6.3: differing Content-Length values make the framing invalid; the server
    /// must answer 400 and close, not pick one (request smuggling behind a proxy).
    @Test func conflictingContentLengthsAreRefusedWith400AndClosed() throws {
        let server = try TestServer()
        let body = #"{"type":"bind","uid":"cl"}"#
        let request =
            "POST /v1/poll HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Content-Length: \(body.utf8.count + 5)\r\n\r\n\(body)"
        let outcome = try Self.exchange(port: server.port, Array(request.utf8), timeoutSeconds: 3)
        #expect(outcome.response?.status == 400)
        #expect(outcome.closedAfterwards)
        try Self.expectHealthy(server)
    }

    @Test func identicalContentLengthsAreReadAsOne() throws {
        let server = try TestServer()
        let body = #"{"type":"bind","uid":"twice"}"#
        let length = "Content-Length: \(body.utf8.count)\r\n"
        let request = "POST /v1/poll HTTP/1.1\r\nHost: x\r\n\(length)\(length)\r\n\(body)"
        let response = try HTTPTestClient.exchange(port: server.port, raw: request)
        #expect(response.status == 200)
        #expect(try Frame(json: response.text).uid == "twice")
        try Self.expectHealthy(server)
    }

    /// The connection memory (`--connection-memory-bytes`) bounds the request head: a head
    /// that fits is served, one that does not gets 431 and a close. Sizes are given as a share
    /// of the default, so the test follows the default when it changes.
    @Test(arguments: [
        ("one long header", 1.25, 1, 431), ("many short headers", 0.01, 2_000, 431),
        ("a header that fits", 0.5, 1, 200),
    ])
    func oversizedHeadersGet431AndAClose(
        name: String, shareOfMemory: Double, count: Int, status: Int
    ) throws {
        let server = try TestServer()
        let memory = server.server.configuration.connectionMemoryBytes
        let value = String(repeating: "v", count: Int(Double(memory) * shareOfMemory))
        var request = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
        for index in 0..<count { request += "X-Filler-\(index): \(value)\r\n" }
        let outcome = try Self.exchange(port: server.port, Array((request + "\r\n").utf8))
        #expect(outcome.response?.status == status, "\(name)")
        if status == 431 {
            #expect(outcome.closedAfterwards, "\(name)")
        }
        try Self.expectHealthy(server)
    }

    @Test func oversizedRequestTargetGets414AndAClose() throws {
        let server = try TestServer()
        let path = "/" + String(repeating: "p", count: 10_000)
        let outcome = try Self.exchange(
            port: server.port, Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(outcome.response?.status == 414)
        #expect(outcome.closedAfterwards)
        try Self.expectHealthy(server)
    }

    // MARK: Invalid UTF-8

    @Test func invalidUTF8InURLsIsRefusedOrNotFound() throws {
        let server = try TestServer()
        let encoded = try HTTPTestClient.request(port: server.port, path: "/%FF%FE.html")
        #expect(encoded.status == 400)
        #expect(encoded.text == "path is not valid utf-8\n")

        // Raw bytes arrive repaired (U+FFFD) and name no file.
        let raw = try Self.exchange(
            port: server.port,
            Array("GET /".utf8) + [0xFF, 0xFE] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(raw.response?.status == 404)

        let query = try Self.exchange(
            port: server.port, Array("GET /v1/poll?sid=%FF HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(query.response?.status == 400)
        #expect(query.response?.text == "query is not valid utf-8\n")
        try Self.expectHealthy(server)
    }

    @Test(arguments: [
        (
            [UInt8](#"{"type":"bind","uid":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
            "invalid json: invalid utf-8"
        ),
        ([0xFF, 0xFE, 0xFD], "invalid json: unexpected character"),
        (
            [UInt8](#"{"type":"bind","uid":"a\#u{1}"}"#.utf8),
            "invalid json: unescaped control character in string"
        ),
    ])
    func invalidUTF8InABodyIsA400ErrorFrame(body: [UInt8], message: String) throws {
        let server = try TestServer()
        let response = try HTTPTestClient.request(
            port: server.port, method: "POST", path: "/v1/poll", body: body)
        #expect(response.status == 400)
        let frame = try Frame(json: response.text)
        #expect(frame.type == "error" && frame.code == 400 && frame.error == true)
        #expect(frame.msg == message)
        try Self.expectHealthy(server)
    }

    @Test func invalidUTF8SplitAcrossFragmentsClosesWith1007() throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        try client.sendRaw(RawFrame.bytes(fin: false, opcode: 1, payload: Array("{\"é".utf8)))
        try client.sendRaw(RawFrame.bytes(fin: true, opcode: 0, payload: [0xA9, 0xC3, 0x28]))
        #expect(try client.awaitClose().code == .invalidPayloadData)
        #expect(client.awaitEndOfStream())
        try Self.expectHealthy(server)
    }

    /// Found by fuzzing (Fuzz/request-target): the target is split on Characters, so a raw
    /// combining mark right after `?`, `&` or `#` fuses with it into one grapheme and the
    /// delimiter goes unseen. The query must start at the `?` byte whatever follows it.
    @Test(arguments: ["/healthz?\u{301}x=1", "/healthz#\u{65E}frag"])
    func combiningMarkAfterADelimiterDoesNotHideIt(target: String) throws {
        let server = try TestServer()
        let outcome = try Self.exchange(
            port: server.port, Array("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(outcome.response?.status == 200)
        #expect(outcome.response?.text == "ok\n")
        try Self.expectHealthy(server)
    }

    @Test func combiningMarkAfterAmpersandStillSeparatesParameters() throws {
        let server = try TestServer()
        let client = try LongPollTests.bound("marked", port: server.port)
        let target = "/v1/poll?sid=\(client.sid ?? "")&\u{301}x=1&timeout=1"
        let outcome = try Self.exchange(
            port: server.port, Array("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(outcome.response?.status == 200, "the session is found")
        #expect(outcome.response?.text == #"{"events":[],"last":0}"# + "\n")
        try Self.expectHealthy(server)
    }

    // MARK: Bodies

    /// A declared length over `--max-body-bytes` is known to be too large from the headers;
    /// the answer must not wait for a body that may never come (SPEC: body too large, 413).
    @Test func hugeDeclaredContentLengthIsRefusedWith413WithoutWaiting() throws {
        let server = try TestServer()
        let request = "POST /v1/poll HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n{}"
        let outcome = try Self.exchange(port: server.port, Array(request.utf8), timeoutSeconds: 3)
        #expect(outcome.response?.status == 413)
        #expect(outcome.closedAfterwards)
        try Self.expectHealthy(server)
    }

    /// A client that waits for `100 Continue` gets the 413 instead, and never sends the body.
    @Test func oversizedBodyWithExpectContinueIs413BeforeTheBody() throws {
        let server = try TestServer()
        let request =
            "POST /v1/poll HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n"
            + "Expect: 100-continue\r\n\r\n"
        let outcome = try Self.exchange(port: server.port, Array(request.utf8), timeoutSeconds: 3)
        #expect(outcome.response?.status == 413)
        try Self.expectHealthy(server)
    }

    /// A moderately oversized body sent without waiting is read and dropped, so the client,
    /// still writing when the limit passes, gets the 413 rather than a reset.
    @Test func oversizedBodySentWholeGetsA413NotAReset() throws {
        let server = try TestServer()
        let body = String(repeating: "x", count: (1 << 20) + 1)
        let request =
            "POST /v1/poll HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        let response = try HTTPTestClient.exchange(port: server.port, raw: request + body)
        #expect(response.status == 413)
        #expect(try Frame(json: response.text).code == 413)
        let metrics = try HTTPTestClient.request(port: server.port, path: "/metrics").text
        #expect(metrics.contains(#"switchboard_limit_rejections_total{limit="body_bytes"} 1"#))
        try Self.expectHealthy(server)
    }

    /// Limitation: libmicrohttpd 0.9.75 writes the head of these two error responses twice (the
    /// second copy counts toward the body), so only the status line is checked.
    @Test(arguments: [("99999999999999999999999", 413), ("-1", 400), ("12abc", 400)])
    func unreadableContentLengthIsRefusedAndClosed(value: String, status: Int) throws {
        let server = try TestServer()
        let request = "POST /v1/poll HTTP/1.1\r\nHost: x\r\nContent-Length: \(value)\r\n\r\n{}"
        let outcome = try Self.exchange(port: server.port, Array(request.utf8), timeoutSeconds: 3)
        #expect(outcome.response?.status == status)
        #expect(outcome.closedAfterwards)
        try Self.expectHealthy(server)
    }

    @Test func chunkedBodyIsReassembled() throws {
        let server = try TestServer()
        let request =
            "POST /v1/poll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + Self.chunked([#"{"type":"bi"#, #"nd","uid":"#, #""chunky"}"#])
        let response = try HTTPTestClient.exchange(port: server.port, raw: request)
        #expect(response.status == 200)
        let frame = try Frame(json: response.text)
        #expect(frame.uid == "chunky" && frame.code == 0 && frame["sid"] is String)
        try Self.expectHealthy(server)
    }

    @Test func malformedChunkSizeIsRefusedWith400AndClosed() throws {
        let server = try TestServer()
        let request =
            "POST /v1/poll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "zz\r\n{}\r\n0\r\n\r\n"
        let outcome = try Self.exchange(port: server.port, Array(request.utf8))
        #expect(outcome.response?.status == 400)
        #expect(outcome.closedAfterwards)
        try Self.expectHealthy(server)
    }

    @Test func chunkedBodyOverTheLimitIs413() throws {
        let server = try TestServer { $0.maxBodyBytes = 1_000 }
        let chunk = String(repeating: " ", count: 600)
        let request =
            "POST /v1/poll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + Self.chunked([chunk, chunk, #"{"type":"bind","uid":"big"}"#])
        let response = try HTTPTestClient.exchange(port: server.port, raw: request)
        #expect(response.status == 413)
        #expect(try Frame(json: response.text).code == 413)
        try Self.expectHealthy(server)
    }

    /// RFC 9112 §6.1: with both Transfer-Encoding and Content-Length a server may reject the
    /// request, and must close the connection either way. Switchboard rejects: a proxy in front
    /// that framed it by Content-Length would otherwise see a different request than we do.
    @Test func contentLengthWithChunkedIsRefusedWith400AndClosed() throws {
        let server = try TestServer()
        let request =
            "POST /v1/poll HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n" + Self.chunked([#"{"type":"bind","uid":"te"}"#])
        let outcome = try Self.exchange(port: server.port, Array(request.utf8), timeoutSeconds: 3)
        #expect(outcome.response?.status == 400)
        #expect(outcome.response?.text == "content-length with transfer-encoding\n")
        #expect(outcome.closedAfterwards)
        let metrics = try HTTPTestClient.request(port: server.port, path: "/metrics").text
        #expect(metrics.contains(#"switchboard_limit_rejections_total{limit="request_framing"} 1"#))
        try Self.expectHealthy(server)
    }

    /// A coding libmicrohttpd cannot undo leaves it no way to find the body's end: answered
    /// at once (RFC 9112 §6.1) instead of waiting out the request timeout.
    @Test(arguments: ["gzip", "gzip, chunked", "identity"])
    func unsupportedTransferCodingIs501AtOnce(coding: String) throws {
        let server = try TestServer()
        let request =
            "POST /v1/poll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \(coding)\r\n\r\nxx"
        let outcome = try Self.exchange(port: server.port, Array(request.utf8), timeoutSeconds: 3)
        #expect(outcome.response?.status == 501)
        #expect(outcome.closedAfterwards)
        try Self.expectHealthy(server)
    }

    /// Heads just under libmicrohttpd's own 431 leave it no memory for the response header:
    /// such a POST must either be answered or not be carried out, never done in silence.
    @Test func longPollPostIsNeverCarriedOutWithoutAnAnswer() throws {
        let server = try TestServer()
        var answered = 0
        for cookieBytes in stride(from: 2200, through: 2900, by: 20) {
            let body = #"[{"type":"bind","uid":"c\#(cookieBytes)"},"#
                + #"{"type":"send","touid":"away","msg":"m"}]"#
            let request =
                "POST /v1/poll HTTP/1.1\r\nHost: x\r\nCookie: k="
                + String(repeating: "v", count: cookieBytes)
                + "\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            let outcome = try Self.exchange(port: server.port, Array(request.utf8))
            if outcome.response?.status == 200 { answered += 1 }
            #expect([200, 431, nil].contains(outcome.response?.status), "cookie \(cookieBytes)")
        }
        #expect(answered > 0 && answered < 36, "the range spans the edge")
        try HTTPTestClient.waitForMetric(
            #"switchboard_messages_total{outcome="queued"} \#(answered)"#, port: server.port)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try TestServer()
        let bind = #"{"type":"bind","uid":"piped"}"#
        let requests =
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /v1/poll HTTP/1.1\r\nHost: x\r\n"
            + "Content-Length: \(bind.utf8.count)\r\n\r\n\(bind)"
            + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let socket = try TestSocket(port: server.port)
        try socket.send(requests)
        var reader = ResponseReader(socket: socket)
        let responses = try (0..<4).map { _ in try reader.readResponse() }
        #expect(responses.map(\.status) == [200, 200, 404, 200])
        #expect(try Frame(json: responses[1].text).uid == "piped")
        #expect(reader.buffered.isEmpty)
        #expect(try socket.receiveSome().isEmpty, "closed after the last, as it asked")
        try Self.expectHealthy(server)
    }

    // MARK: WebSocket

    @Test(arguments: [
        ("an HTTP request", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
        ("random bytes", [0xFF, 0x00, 0x7F, 0x80, 0x13, 0x37]),
        ("an unmasked text frame", [0x81, 0x02, 0x7B, 0x7D]),
    ])
    func garbageAfterTheHandshakeClosesWith1002(name: String, garbage: [UInt8]) throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        try client.sendRaw(garbage)
        #expect(try client.awaitClose().code == .protocolError, "\(name)")
        #expect(client.awaitEndOfStream(), "\(name)")
        try Self.expectHealthy(server)
    }

    /// A frame cut short and then end of input: the server drops the connection without a
    /// Close frame (RFC 6455 §7.1.5: 1006) and forgets the binding.
    @Test func truncatedFrameThenHalfCloseDropsTheConnection() throws {
        let server = try TestServer()
        let client = try WebSocketTestClient(port: server.port)
        #expect(try WebSocketServerTests.bind(client, "cut").code == 0)
        let frame = RawFrame.bytes(opcode: 1, payload: Array(#"{"type":"join","touid":"x"}"#.utf8))
        try client.sendRaw(Array(frame.prefix(9)))
        client.socket.shutdownWrite()
        #expect(try client.socket.receiveUntilClosed().isEmpty, "no close frame, just EOF")
        try Self.waitForMetric("switchboard_bound_connections", 0, port: server.port)
        try Self.expectHealthy(server)
    }

    @Test func truncatedPayloadThenDisconnectTellsConversationPartners() throws {
        let server = try TestServer()
        let watcher = try WebSocketTestClient(port: server.port)
        #expect(try WebSocketServerTests.bind(watcher, "watcher").code == 0)
        let leaver = try WebSocketTestClient(port: server.port)
        #expect(try WebSocketServerTests.bind(leaver, "leaver").code == 0)
        try leaver.sendText(#"{"type":"join","touid":"watcher","id":"j"}"#)
        #expect(try Frame(json: leaver.nextText()).id == "j")
        #expect(try Frame(json: watcher.nextText()).type == "join")
        let tenOfAHundred = [UInt8](repeating: 0x61, count: 10)
        try leaver.sendRaw(RawFrame.bytes(opcode: 1, payload: tenOfAHundred, declaredLength: 100))
        shutdown(leaver.socket.descriptor, Int32(SHUT_RDWR))
        let notice = try Frame(json: watcher.nextText())
        #expect(notice.type == "exit" && notice.uid == "leaver" && notice.touid == "watcher")
        try Self.expectHealthy(server)
    }

    // MARK: Many connections, slow readers

    @Test func thousandSimultaneousConnectionsAreAllServed() throws {
        let server = try TestServer()
        let started = Date()
        let sockets = try (0..<1_000).map { _ in
            try TestSocket(port: server.port, timeoutSeconds: 20)
        }
        for socket in sockets {
            try socket.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        }
        let secondsToSend = Int(Date().timeIntervalSince(started))
        var statuses: [Int: Int] = [:]
        // What failed, when, and what the server said about it: a failure here (seen once, in
        // CI under ThreadSanitizer) must explain itself.
        var failures: [String: Int] = [:]
        for (index, socket) in sockets.enumerated() {
            var reader = ResponseReader(socket: socket)
            do {
                statuses[try reader.readResponse().status, default: 0] += 1
            } catch {
                statuses[0, default: 0] += 1
                failures["\(error)", default: 0] += 1
                if failures.count == 1 {
                    let seconds = Int(Date().timeIntervalSince(started))
                    failures["first failure: socket \(index) at \(seconds) s"] = 1
                }
            }
        }
        let notable = [" warning ", " error ", " mhd: ", "refused"]
        let serverSaid = server.logSink.lines.filter { line in
            notable.contains { line.contains($0) }
        }
        #expect(
            statuses == [200: 1_000],
            """
            failures: \(failures); all sent after \(secondsToSend) s; \
            server said: \(serverSaid.prefix(20))
            """)
        try Self.expectHealthy(server)
    }

    /// A GET whose response is never read: the server keeps serving everyone else, drops the
    /// stuck connection once it has been idle for the HTTP idle timeout, and the events stay
    /// in the session (nothing was acknowledged), so the next GET gets them all.
    @Test func longPollClientThatNeverReadsBlocksNobodyAndLosesNothing() throws {
        let server = try TestServer { $0.httpIdleTimeoutSeconds = 2 }
        let lazy = try LongPollTests.bound("lazy", port: server.port)
        let sender = try LongPollTests.bound("busy", port: server.port)
        let text = String(repeating: "x", count: 3_000)
        let batch = (0..<200).map { #"{"type":"send","touid":"lazy","msg":"\#($0)-\#(text)"}"# }
        #expect(try sender.post("[\(batch.joined(separator: ","))]").status == 200)

        let stuck = try Self.nonReadingSocket(port: server.port)
        let target = "/v1/poll?sid=\(lazy.sid ?? "")&ack=0&timeout=1"
        try stuck.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
        try Self.expectHealthy(server)
        let alice = try WebSocketChatClient(port: server.port)
        let bob = try WebSocketChatClient(port: server.port)
        _ = try alice.request(["type": "bind", "uid": "alice", "id": "a"])
        _ = try bob.request(["type": "bind", "uid": "bob", "id": "b"])
        _ = try alice.request(["type": "send", "touid": "bob", "msg": "meanwhile", "id": "s"])
        #expect(try bob.nextEvent().msg == "meanwhile")

        // The client idles past the idle timeout before it looks at its socket again.
        Thread.sleep(forTimeInterval: 4)
        _ = try stuck.receiveUntilClosed()
        let (status, events, _) = try lazy.poll(timeout: 1)
        #expect(status == 200)
        #expect(events.count == 200)
        #expect(events.first?.msg?.hasPrefix("0-") == true)
        try Self.expectHealthy(server)
    }

    /// A download the client stops reading is abandoned after the HTTP idle timeout: what the
    /// client eventually reads ends early, and the server stayed responsive meanwhile. 16 MiB
    /// is well past what loopback buffers hold for an idle reader (about 4 MiB here).
    @Test func staticDownloadThatIsNeverReadIsAbandonedAfterTheIdleTimeout() throws {
        let size = 16 << 20
        let files = ["big.bin": String(repeating: "b", count: size), "small.txt": "small"]
        let server = try TestServer(files: files) {
            $0.httpIdleTimeoutSeconds = 2
        }
        let stuck = try Self.nonReadingSocket(port: server.port)
        try stuck.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        try Self.expectHealthy(server)
        let small = try HTTPTestClient.request(port: server.port, path: "/small.txt")
        #expect(small.status == 200 && small.text == "small")

        Thread.sleep(forTimeInterval: 5)
        let received = try stuck.receiveUntilClosed()
        #expect(received.count < size, "the server gave up before sending it all")
        try Self.expectHealthy(server)
    }

    // MARK: Helpers

    /// One raw exchange: the response, if any, and the connection it came on.
    struct Outcome: CustomStringConvertible {
        let response: RawHTTPResponse?
        let socket: TestSocket
        /// Set when the server already closed before answering (or never answered).
        let knownClosed: Bool?

        /// Whether the server closes the connection (EOF) within the socket's timeout; only
        /// asked when a test cares, because a kept-alive connection costs the whole timeout.
        var closedAfterwards: Bool {
            if let knownClosed { return knownClosed }
            return (try? self.socket.receiveSome().isEmpty) ?? false
        }

        var description: String {
            self.response.map { "\($0.status) \($0.text.prefix(60).debugDescription)" }
                ?? "no response"
        }
    }

    /// Sends `request` on a fresh connection and reads one response if there is one; every
    /// read waits at most `timeoutSeconds`.
    static func exchange(
        port: UInt16, _ request: [UInt8], timeoutSeconds: Int = 5
    ) throws -> Outcome {
        let socket = try TestSocket(port: port, timeoutSeconds: timeoutSeconds)
        try socket.send(request)
        var reader = ResponseReader(socket: socket)
        do {
            let response = try reader.readResponse()
            return Outcome(response: response, socket: socket, knownClosed: nil)
        } catch TestSocketError.malformed("closed before headers") {
            return Outcome(response: nil, socket: socket, knownClosed: reader.buffered.isEmpty)
        } catch TestSocketError.timedOut {
            return Outcome(response: nil, socket: socket, knownClosed: false)
        }
    }

    static func expectHealthy(
        _ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let health = try HTTPTestClient.request(port: server.port, path: "/healthz")
        #expect(health.status == 200 && health.text == "ok\n", sourceLocation: sourceLocation)
    }

    /// A socket for a client that stops reading. Its receive buffer keeps the kernel's
    /// default: shrinking it would make the kernel trickle data through a tiny window, which
    /// the server counts as progress, instead of leaving the connection stuck.
    static func nonReadingSocket(port: UInt16) throws -> TestSocket {
        try TestSocket(port: port, timeoutSeconds: 10)
    }

    static func chunked(_ parts: [String]) -> String {
        parts.map { "\(String($0.utf8.count, radix: 16))\r\n\($0)\r\n" }.joined() + "0\r\n\r\n"
    }

    /// Waits until `/metrics` shows `name` at `value`.
    static func waitForMetric(_ name: String, _ value: Int, port: UInt16) throws {
        try HTTPTestClient.waitForMetric("\(name) \(value)", port: port)
    }
}
