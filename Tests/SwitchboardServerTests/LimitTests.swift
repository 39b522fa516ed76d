import Foundation
import Testing

@testable import SwitchboardServer

/// Every limit has a default, a flag and a test: these are the tests for the limits that
/// protect the server from one client (the message and queue bounds are tested with their
/// transports).
@Suite struct LimitTests {
    static func metric(_ name: String, port: UInt16) throws -> Int? {
        let text = try HTTPTestClient.request(port: port, path: "/metrics").text
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + " ") })
        else { return nil }
        return Int(line.split(separator: " ").last ?? "")
    }

    @Test func connectionsPerAddressAreCappedWhenLoopbackIsLimited() throws {
        let server = try TestServer { configuration in
            configuration.maxConnectionsPerAddress = 3
            configuration.limitLoopback = true
        }
        let held = try (0..<3).map { _ in try WebSocketTestClient(port: server.port) }
        let refused = try TestSocket(port: server.port)
        try? refused.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect((try? refused.receiveUntilClosed()) ?? [] == [], "closed without an answer")
        #expect(held.count == 3)
        try held[0].close()
        _ = try? held[0].awaitClose()
        // The slot frees once libmicrohttpd has cleaned the closed connection up.
        var answered = false
        for _ in 0..<50 where !answered {
            if let response = try? HTTPTestClient.request(port: server.port, path: "/healthz") {
                answered = response.status == 200
            } else {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        #expect(answered)
    }

    @Test func loopbackIsExemptByDefault() throws {
        let server = try TestServer { $0.maxConnectionsPerAddress = 2 }
        let held = try (0..<5).map { _ in try WebSocketTestClient(port: server.port) }
        #expect(held.count == 5)
        #expect(try HTTPTestClient.request(port: server.port, path: "/healthz").status == 200)
    }

    @Test func overallConnectionLimitRefusesAtOnceAndCounts() throws {
        let server = try TestServer { $0.maxConnections = 4 }
        var held = try (0..<4).map { _ in try WebSocketTestClient(port: server.port) }
        let started = Date()
        #expect(throws: (any Error).self) {
            _ = try HTTPTestClient.request(port: server.port, path: "/healthz")
        }
        #expect(Date().timeIntervalSince(started) < 2, "closed at once, not left waiting")
        try held.removeLast().close()
        // One request both proves the freed slot serves again and reads the count: a second
        // request could find the first one's connection not yet cleaned up, the slot taken.
        var metrics: String?
        let deadline = Date().addingTimeInterval(5)
        while metrics == nil && Date() < deadline {
            metrics = try? HTTPTestClient.request(port: server.port, path: "/metrics").text
            if metrics == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let text = try #require(metrics, "a freed slot serves again")
        let name = #"switchboard_limit_rejections_total{limit="connections"}"#
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        #expect((line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0) >= 1)
        _ = held
    }

    @Test func pollSessionsPerAddressAreCapped() throws {
        let server = try TestServer { configuration in
            configuration.maxPollSessionsPerAddress = 2
            configuration.limitLoopback = true
        }
        let first = LongPollChatClient(port: server.port)
        let second = LongPollChatClient(port: server.port)
        #expect(try first.request(["type": "bind", "uid": "a"]).code == 0)
        #expect(try second.request(["type": "bind", "uid": "b"]).code == 0)
        let (status, json) = try LongPollChatClient(port: server.port).post(
            #"{"type":"bind","uid":"c","id":"r1"}"#)
        #expect(status == 429)
        let refusal = json as? [String: Any]
        #expect(refusal?["msg"] as? String == "too many sessions from this address")
        #expect(refusal?["type"] as? String == "bind", "the reply to the bind, not a bare error")
        #expect(refusal?["uid"] as? String == "c")
        #expect(refusal?["id"] as? String == "r1")
        // In a batch the refusal is the bind's reply; what follows finds no session.
        let (batchStatus, batch) = try LongPollChatClient(port: server.port).post(
            #"[{"type":"bind","uid":"c"},{"type":"send","touid":"a","msg":"x"}]"#)
        #expect(batchStatus == 200)
        let replies = (batch as? [[String: Any]])?.map { $0["code"] as? Int }
        #expect(replies == [429, 401])
        try HTTPTestClient.waitForMetric(
            #"switchboard_errors_total{code="429"} 2"#, port: server.port)
        try first.disconnect()
        #expect(
            try LongPollChatClient(port: server.port).request(["type": "bind", "uid": "d"]).code
                == 0)
        #expect(
            try Self.metric(
                #"switchboard_limit_rejections_total{limit="poll_sessions_per_address"}"#,
                port: server.port) == 2)
    }

    @Test func slowlorisIsCutOffAtTheRequestDeadline() throws {
        let server = try TestServer { $0.requestTimeoutSeconds = 1 }
        let socket = try TestSocket(port: server.port, timeoutSeconds: 10)
        let started = Date()
        try socket.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        var dripped = 0
        while Date().timeIntervalSince(started) < 6 {
            guard (try? socket.send("X-Drip-\(dripped): 1\r\n")) != nil else { break }
            dripped += 1
            Thread.sleep(forTimeInterval: 0.3)
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 4, "cut off after \(elapsed) s")
        #expect(
            try Self.metric(
                #"switchboard_limit_rejections_total{limit="request_timeout"}"#, port: server.port)
                == 1)
        #expect(try HTTPTestClient.request(port: server.port, path: "/healthz").status == 200)
    }

    @Test func promptRequestsAndParkedPollsAreNotCutOff() throws {
        let server = try TestServer { $0.requestTimeoutSeconds = 1 }
        let client = LongPollChatClient(port: server.port)
        _ = try client.request(["type": "bind", "uid": "patient"])
        let started = Date()
        let (status, events, _) = try client.poll(timeout: 3)
        #expect(status == 200)
        #expect(events.isEmpty)
        #expect(Date().timeIntervalSince(started) >= 2.5, "a parked GET is a complete request")
        let socket = try WebSocketTestClient(port: server.port)
        Thread.sleep(forTimeInterval: 2)
        try socket.sendText(#"{"type":"bind","uid":"ws"}"#)
        #expect(try Frame(json: socket.nextText()).code == 0, "upgraded sockets are exempt")
    }

    @Test func oversizedHeadersGet431() throws {
        let server = try TestServer { $0.connectionMemoryBytes = 4096 }
        let big = String(repeating: "a", count: 6000)
        let response = try HTTPTestClient.exchange(
            port: server.port, raw: "GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(big)\r\n\r\n")
        #expect(response.status == 431)
        #expect(try HTTPTestClient.request(port: server.port, path: "/healthz").status == 200)
        let metrics = try HTTPTestClient.request(port: server.port, path: "/metrics").text
        #expect(metrics.contains(#"switchboard_limit_rejections_total{limit="request_head"} 1"#))
    }

    @Test func overlongRequestLineGets414AndIsCounted() throws {
        let server = try TestServer { $0.connectionMemoryBytes = 4096 }
        let path = "/" + String(repeating: "a", count: 6000)
        let response = try HTTPTestClient.exchange(
            port: server.port, raw: "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 414)
        try HTTPTestClient.waitForMetric(
            #"switchboard_limit_rejections_total{limit="request_head"} 1"#, port: server.port)
    }

    @Test func rateLimitAnswers429AndRefills() throws {
        let server = try TestServer { $0.rateLimitPerSecond = 5 }
        let client = try WebSocketTestClient(port: server.port)
        try client.sendText(#"{"type":"bind","uid":"chatty","id":"b"}"#)
        _ = try client.nextText()
        var codes: [Int] = []
        for index in 0..<10 {
            try client.sendText(#"{"type":"join","touid":"x","id":"\#(index)"}"#)
            codes.append(try Frame(json: client.nextText()).code ?? -1)
        }
        #expect(codes.contains(429))
        #expect(codes.filter { $0 == 0 }.count >= 4)
        Thread.sleep(forTimeInterval: 1.1)
        try client.sendText(#"{"type":"join","touid":"x","id":"later"}"#)
        #expect(try Frame(json: client.nextText()).code == 0)
        #expect(
            (try Self.metric(
                #"switchboard_limit_rejections_total{limit="rate"}"#, port: server.port) ?? 0) >= 1)
    }
}
