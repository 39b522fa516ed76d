import Foundation
import SQLiteStore
import Testing

@testable import SwitchboardServer

/// Long-poll behaviour over real HTTP against a real server.
@Suite struct LongPollTests {
    static func bound(_ uid: String, port: UInt16) throws -> LongPollChatClient {
        let client = LongPollChatClient(port: port)
        let reply = try client.request(["type": "bind", "uid": uid])
        #expect(reply.code == 0)
        #expect((reply["sid"] as? String)?.count ?? 0 >= 22, "at least 128 bits of session id")
        return client
    }

    /// Waits until the server holds `count` parked GETs (read from /metrics), so a test never
    /// races its own background request.
    static func waitForParked(_ count: Int, port: UInt16) throws {
        try HTTPTestClient.waitForMetric("switchboard_poll_parked \(count)", port: port)
    }

    @Test func getWaitsAndWakesTheMomentAnEventArrives() throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let alice = try Self.bound("alice", port: server.port)
        let started = Date()
        let (port, aliceSID) = (server.port, alice.sid ?? "")
        DispatchQueue.global().async {
            try? Self.waitForParked(1, port: port)
            Thread.sleep(forTimeInterval: 0.3)
            _ = try? HTTPTestClient.request(
                port: port, method: "POST", path: "/v1/poll?sid=\(aliceSID)",
                body: Array(#"{"type":"send","touid":"bob","msg":"wake up"}"#.utf8))
        }
        let (status, events, _) = try bob.poll(timeout: 20)
        let waited = Date().timeIntervalSince(started)
        #expect(status == 200)
        #expect(events.map(\.msg) == ["wake up"])
        #expect(waited >= 0.3 && waited < 10, "woke after \(waited) s, not at its 20 s timeout")
    }

    @Test func getWithNothingToSayReturnsEmptyAfterItsTimeout() throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let started = Date()
        let (status, events, last) = try bob.poll(timeout: 1)
        #expect(status == 200)
        #expect(events.isEmpty)
        #expect(last == 0)
        #expect(Date().timeIntervalSince(started) >= 0.9)
    }

    @Test func lostResponseIsFetchedAgainWithTheOldAck() throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let alice = try Self.bound("alice", port: server.port)
        _ = try alice.request(["type": "send", "touid": "bob", "msg": "one"])
        _ = try alice.request(["type": "send", "touid": "bob", "msg": "two"])
        let sid = try #require(bob.sid)
        let path = "/v1/poll?sid=\(sid)&ack=0&timeout=1"
        let first = try HTTPTestClient.request(port: server.port, path: path)
        let again = try HTTPTestClient.request(port: server.port, path: path)
        #expect(first.status == 200)
        #expect(first.text == again.text, "unacknowledged events stay")
        #expect(first.header("Cache-Control") == "no-store")

        let acknowledged = try HTTPTestClient.request(
            port: server.port, path: "/v1/poll?sid=\(sid)&ack=1&timeout=1")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(acknowledged.body)) as? [String: Any])
        let events = try #require(object["events"] as? [[String: Any]])
        #expect(events.map { $0["msg"] as? String } == ["two"])
        #expect(object["last"] as? Int == 2)
    }

    @Test func secondConcurrentGetAnswersTheFirstWithNothing() throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let sid = try #require(bob.sid)
        let port = server.port
        let firstDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var firstResponse: RawHTTPResponse?
        DispatchQueue.global().async {
            firstResponse = try? HTTPTestClient.request(
                port: port, path: "/v1/poll?sid=\(sid)&timeout=20")
            firstDone.signal()
        }
        try Self.waitForParked(1, port: port)
        let started = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            _ = try? HTTPTestClient.request(
                port: port, method: "POST", path: "/v1/poll?sid=\(sid)",
                body: Array(#"{"type":"send","touid":"bob","msg":"self"}"#.utf8))
        }
        let second = try HTTPTestClient.request(
            port: server.port, path: "/v1/poll?sid=\(sid)&timeout=20")
        #expect(firstDone.wait(timeout: .now() + 5) == .success)
        #expect(
            Date().timeIntervalSince(started) < 5,
            "the first GET was answered at once, not after its timeout")
        #expect(firstResponse?.status == 200)
        #expect(firstResponse?.text == "{\"events\":[],\"last\":0}\n")
        #expect(second.text.contains(#""msg":"self""#))
    }

    @Test func batchPostUsesTheSessionItCreates() throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let client = LongPollChatClient(port: server.port)
        let body =
            #"[{"type":"bind","uid":"alice"},{"type":"send","touid":"bob","msg":"hi"},"#
            + #"{"nope":1},{"type":"join","touid":"bob"}]"#
        let (status, json) = try client.post(body)
        #expect(status == 200)
        let replies = try #require(json as? [[String: Any]])
        #expect(replies.map { $0["code"] as? Int } == [0, 0, 400, 0])
        #expect(replies[0]["sid"] is String)
        #expect(replies[1]["msg"] as? String == "delivered")
        #expect(replies[2]["type"] as? String == "error")
        #expect(try bob.nextEvent().msg == "hi")
    }

    @Test func sessionIsNamedByHeaderOrQueryAndUnknownIs404() throws {
        let server = try TestServer()
        let alice = try Self.bound("alice", port: server.port)
        let sid = try #require(alice.sid)
        let viaHeader = try HTTPTestClient.request(
            port: server.port, method: "POST", path: "/v1/poll", headers: [("X-Session-Id", sid)],
            body: Array(#"{"type":"join","touid":"bob"}"#.utf8))
        #expect(viaHeader.status == 200)
        #expect(viaHeader.text.contains(#""msg":"offline""#))
        for path in ["/v1/poll?sid=bogus", "/v1/poll?sid=bogus&ack=3"] {
            let response = try HTTPTestClient.request(port: server.port, path: path)
            #expect(response.status == 404)
            #expect(response.text.contains(#""code":404"#))
        }
        let post = try HTTPTestClient.request(
            port: server.port, method: "POST", path: "/v1/poll?sid=bogus",
            body: Array(#"{"type":"join","touid":"bob"}"#.utf8))
        #expect(post.status == 404)
    }

    @Test func deleteEndsTheSessionAsIfExpired() throws {
        let server = try TestServer()
        let watcher = try Self.bound("watcher", port: server.port)
        let alice = try Self.bound("alice", port: server.port)
        _ = try alice.request(["type": "join", "touid": "watcher"])
        _ = try watcher.nextEvent()
        try alice.disconnect()
        #expect(try watcher.nextEvent().type == "exit")
        let after = try alice.poll(timeout: 0)
        #expect(after.status == 404)
    }

    @Test func expiredSessionRequeuesWhatItNeverAcknowledged() throws {
        let server = try TestServer { $0.pollExpirySeconds = 1 }
        let bob = try Self.bound("bob", port: server.port)
        let alice = try Self.bound("alice", port: server.port)
        _ = try alice.request(["type": "join", "touid": "bob"])
        _ = try bob.request(["type": "join", "touid": "alice"])
        _ = try alice.request(["type": "send", "touid": "bob", "msg": "unacked"])
        // bob's GET reads the message but never acknowledges it, then bob goes quiet.
        #expect(try bob.poll(timeout: 0).events.map(\.msg).contains("unacked"))
        // alice keeps polling (so she does not expire) and sees bob's exit notice.
        var notices: [Frame] = []
        let deadline = Date().addingTimeInterval(6)
        while Date() < deadline && !notices.contains(where: { $0.type == "exit" }) {
            notices += try alice.poll(timeout: 1).events
        }
        #expect(notices.contains { $0.type == "exit" && $0.uid == "bob" })
        #expect(try bob.poll(timeout: 0).status == 404)
        let returning = try Self.bound("bob", port: server.port)
        #expect(try returning.nextEvent().msg == "unacked")
    }

    @Test func overflowingSessionEndsAndItsMessagesAreRequeued() throws {
        let server = try TestServer { $0.queueBytes = 4096 }
        let bob = try Self.bound("bob", port: server.port)
        let alice = try Self.bound("alice", port: server.port)
        let text = String(repeating: "x", count: 1000)
        var mids: [UInt64] = []
        var outcomes: [String] = []
        for index in 0..<8 {
            let reply = try alice.request([
                "type": "send", "touid": "bob", "msg": text, "id": "\(index)",
            ])
            if let mid = reply.mid { mids.append(mid) }
            outcomes.append(reply.msg ?? "")
        }
        #expect(mids.count == 8)
        // From the overflow on, bob has no session: what follows waits in his queue, and says so.
        let delivered = outcomes.prefix { $0 == "delivered" }.count
        #expect(delivered > 0 && delivered < 8)
        #expect(outcomes.dropFirst(delivered).allSatisfy { $0 == "queued" }, "\(outcomes)")
        let deadline = Date().addingTimeInterval(5)
        var status = 200
        while Date() < deadline && status == 200 {
            Thread.sleep(forTimeInterval: 0.2)
            status = try HTTPTestClient.request(
                port: server.port, path: "/v1/poll?sid=\(bob.sid!)&ack=0&timeout=0"
            ).status
        }
        #expect(status == 404, "the overflowing session ended")
        let returning = try Self.bound("bob", port: server.port)
        var received: [UInt64] = []
        while received.count < mids.count, let event = try? returning.nextEvent() {
            if let mid = event.mid { received.append(mid) }
        }
        #expect(received == mids, "nothing lost: every message comes back in order")
    }

    /// bob's session holds 8 unacknowledged messages when it ends, and the inbox keeps only 5:
    /// the session's own copies go back to the offline queue, so none is lost.
    @Test(arguments: [false, true])
    func endedSessionLosesNothingTheInboxCapDropped(durable: Bool) throws {
        let server: TestServer
        if durable {
            let folder = try TemporaryDirectory()
            try folder.write("index.html", "x")
            var configuration = ServerConfiguration()
            configuration.port = 0
            configuration.publicDirectory = folder.path
            let store = try SQLiteStore(
                path: folder.path + "/store.db",
                configuration: SQLiteStoreConfiguration(maxMessagesPerUser: 5))
            let logger = Logger(label: "test", threshold: .error, sink: MemoryLogSink())
            let switchboard = try SwitchboardServer(
                configuration: configuration, logger: logger, store: store)
            server = try TestServer(wrapping: switchboard, directory: folder)
        } else {
            server = try TestServer { $0.inboxMaxMessages = 5 }
        }
        let bob = try Self.bound("bob", port: server.port)
        let alice = try Self.bound("alice", port: server.port)
        var mids: [UInt64] = []
        for index in 0..<8 {
            let reply = try alice.request(["type": "send", "touid": "bob", "msg": "m\(index)"])
            #expect(reply.msg == "delivered")
            if let mid = reply.mid { mids.append(mid) }
        }
        // bob reads them all without acknowledging any, then leaves.
        let unacknowledged = try HTTPTestClient.request(
            port: server.port, path: "/v1/poll?sid=\(bob.sid!)&ack=0&timeout=0")
        #expect(unacknowledged.status == 200)
        try bob.disconnect()
        let returning = try Self.bound("bob", port: server.port)
        var received: [Frame] = []
        while received.count < mids.count, let event = try? returning.nextEvent() {
            received.append(event)
        }
        #expect(received.compactMap(\.mid) == mids)
        #expect(received.map(\.msg) == (0..<8).map { "m\($0)" })
    }

    @Test func errorRepliesAreCountedByCodeWhoeverGivesThem() throws {
        let server = try TestServer {
            $0.maxBodyBytes = 100
            $0.allowedOrigins = []
        }
        let port = server.port
        // 400 from the router (not JSON), the rest from the transport itself.
        _ = try HTTPTestClient.request(
            port: port, method: "POST", path: "/v1/poll", body: Array("{oops".utf8))
        _ = try HTTPTestClient.request(port: port, path: "/v1/poll?sid=nope&timeout=0")
        _ = try HTTPTestClient.request(
            port: port, method: "POST", path: "/v1/poll",
            body: Array(String(repeating: " ", count: 200).utf8))
        _ = try HTTPTestClient.request(
            port: port, method: "POST", path: "/v1/poll", headers: [("Origin", "http://evil")],
            body: Array(#"{"type":"bind","uid":"x"}"#.utf8))
        for code in [400, 403, 404, 413] {
            try HTTPTestClient.waitForMetric(
                #"switchboard_errors_total{code="\#(code)"} 1"#, port: port)
        }
    }

    @Test func metricsCountSessionsAndParkedPolls() throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let sid = try #require(bob.sid)
        let port = server.port
        DispatchQueue.global().async {
            _ = try? HTTPTestClient.request(port: port, path: "/v1/poll?sid=\(sid)&timeout=2")
        }
        try Self.waitForParked(1, port: port)
        let metrics = try HTTPTestClient.request(port: server.port, path: "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.text.contains("switchboard_poll_sessions 1\n"))
        #expect(metrics.text.contains("switchboard_poll_parked 1\n"))
        #expect(metrics.text.contains(#"switchboard_envelopes_total{type="bind"} 1"#))
    }

    @Test func shutdownAnswersParkedPollsWith503() throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let sid = try #require(bob.sid)
        let port = server.port
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var response: RawHTTPResponse?
        DispatchQueue.global().async {
            response = try? HTTPTestClient.request(
                port: port, path: "/v1/poll?sid=\(sid)&timeout=30")
            done.signal()
        }
        try Self.waitForParked(1, port: port)
        server.server.shutdown()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(response?.status == 503)
    }

    @Test(arguments: ["ack=-1", "ack=x", "timeout=-5", "timeout=abc"])
    func malformedQueryIs400(query: String) throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let response = try HTTPTestClient.request(
            port: server.port, path: "/v1/poll?sid=\(bob.sid!)&\(query)")
        #expect(response.status == 400)
    }

    @Test func ackAboveTheLastEventIs400AndDropsNothing() throws {
        let server = try TestServer()
        let bob = try Self.bound("bob", port: server.port)
        let alice = try Self.bound("alice", port: server.port)
        for text in ["one", "two"] {
            _ = try alice.request(["type": "send", "touid": "bob", "msg": text])
        }
        for ack in ["3", "99", "18446744073709551616"] {
            let refused = try HTTPTestClient.request(
                port: server.port, path: "/v1/poll?sid=\(bob.sid!)&ack=\(ack)&timeout=0")
            #expect(refused.status == 400, "ack \(ack)")
        }
        let (status, events, last) = try bob.poll(timeout: 0)
        #expect(status == 200)
        #expect(events.map(\.msg) == ["one", "two"])
        #expect(last == 2)
    }

    @Test func corsPreflightAndHeadersOnlyForAcceptedOrigins() throws {
        let server = try TestServer { $0.allowedOrigins = ["https://chat.example.com"] }
        let preflight = try HTTPTestClient.request(
            port: server.port, method: "OPTIONS", path: "/v1/poll",
            headers: [
                ("Origin", "https://chat.example.com"), ("Access-Control-Request-Method", "POST"),
            ])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "https://chat.example.com")
        #expect(preflight.header("Vary") == "Origin")
        #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true)

        let sameOrigin = try HTTPTestClient.request(
            port: server.port, method: "POST", path: "/v1/poll",
            headers: [("Origin", "http://127.0.0.1:\(server.port)")],
            body: Array(#"{"type":"join","touid":"x"}"#.utf8))
        #expect(sameOrigin.status == 401)
        #expect(
            sameOrigin.header("Access-Control-Allow-Origin") == "http://127.0.0.1:\(server.port)")

        let refused = try HTTPTestClient.request(
            port: server.port, method: "POST", path: "/v1/poll",
            headers: [("Origin", "https://evil.example")],
            body: Array(#"{"type":"bind","uid":"x"}"#.utf8))
        #expect(refused.status == 403)
        #expect(refused.header("Access-Control-Allow-Origin") == nil)

        let noOrigin = try HTTPTestClient.request(
            port: server.port, method: "POST", path: "/v1/poll",
            body: Array(#"{"type":"bind","uid":"x"}"#.utf8))
        #expect(noOrigin.status == 200)
        #expect(noOrigin.header("Access-Control-Allow-Origin") == nil)
    }

    /// A body refused from its head alone (before it is sent) is still an error the page's
    /// `fetch` must be able to read.
    @Test(arguments: [("Expect: 100-continue\r\n", 2000), ("", 2_000_000_000)])
    func earlyBodyRefusalCarriesCORSHeaders(expect: String, length: Int) throws {
        let server = try TestServer {
            $0.allowedOrigins = ["https://chat.example.com"]
            $0.maxBodyBytes = 1000
        }
        let socket = try TestSocket(port: server.port)
        try socket.send(
            Array(
                ("POST /v1/poll HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n"
                    + "Origin: https://chat.example.com\r\nContent-Length: \(length)\r\n"
                    + expect + "\r\n").utf8))
        var reader = ResponseReader(socket: socket)
        let response = try reader.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Access-Control-Allow-Origin") == "https://chat.example.com")
        #expect(response.header("Vary") == "Origin")
    }
}
