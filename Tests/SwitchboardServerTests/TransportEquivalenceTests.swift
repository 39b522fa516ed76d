import Testing

/// The same conversation over every pair of transports must read the same: SPEC.md's one
/// router, seen from WS↔WS, WS↔LP, LP↔WS and LP↔LP.
@Suite struct TransportEquivalenceTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case webSocket = "ws"
        case longPoll = "poll"
        var testDescription: String { self.rawValue }
    }

    static func client(_ kind: Kind, port: UInt16) throws -> any ChatTestClient {
        switch kind {
        case .webSocket: return try WebSocketChatClient(port: port)
        case .longPoll: return LongPollChatClient(port: port)
        }
    }

    /// Runs the scenario and returns each party's transcript (normalised frames).
    static func transcript(alice aliceKind: Kind, bob bobKind: Kind) throws -> [String] {
        let server = try TestServer()
        let port = server.port
        var lines: [String] = []
        func note(_ who: String, _ frame: Frame) { lines.append("\(who) \(frame.normalized)") }

        let alice = try Self.client(aliceKind, port: port)
        let bob = try Self.client(bobKind, port: port)
        note("alice", try alice.request(["type": "bind", "uid": "alice", "id": "b1"]))
        note("bob", try bob.request(["type": "bind", "uid": "bob", "id": "b2"]))

        note("alice", try alice.request(["type": "join", "touid": "bob", "id": "j1"]))
        note("bob", try bob.nextEvent())

        var mids: [UInt64] = []
        for index in 1...3 {
            let reply = try alice.request([
                "type": "send", "touid": "bob", "msg": "m\(index) ✓", "id": "s\(index)",
            ])
            mids += reply.mid.map { [$0] } ?? []
            note("alice", reply)
        }
        var received: [UInt64] = []
        for _ in 1...3 {
            let event = try bob.nextEvent()
            received += event.mid.map { [$0] } ?? []
            note("bob", event)
        }
        #expect(received == mids, "bob sees alice's messages in mid order")

        note(
            "bob", try bob.request(["type": "send", "touid": "alice", "msg": "reply", "id": "r1"]))
        note("alice", try alice.nextEvent())
        note(
            "alice",
            try alice.request([
                "type": "send", "uid": "mallory", "touid": "bob", "msg": "x", "id": "bad",
            ]))
        note(
            "alice",
            try alice.request(["type": "send", "touid": "carol", "msg": "later", "id": "q1"]))
        note(
            "alice",
            try alice.request(["type": "send", "touid": "bob", "msg": "m1 ✓", "id": "s1"]))
        note("alice", try alice.request(["type": "exit", "touid": "bob", "id": "e1"]))
        note("bob", try bob.nextEvent())
        #expect(try bob.pendingEvents(waitSeconds: 0.3).isEmpty, "no duplicate from the retried id")

        try alice.disconnect()
        try bob.disconnect()
        return lines
    }

    @Test(arguments: [
        (Kind.webSocket, Kind.longPoll), (.longPoll, .webSocket), (.longPoll, .longPoll),
    ])
    func conversationReadsTheSameAsOverWebSockets(alice: Kind, bob: Kind) throws {
        let reference = try Self.transcript(alice: .webSocket, bob: .webSocket)
        let other = try Self.transcript(alice: alice, bob: bob)
        #expect(reference.count == 17)
        #expect(other == reference)
    }

    @Test func transcriptHasTheExpectedShape() throws {
        let lines = try Self.transcript(alice: .webSocket, bob: .longPoll)
        #expect(
            lines[0]
                == #"alice {"code":0,"error":false,"gap":false,"id":"b1","msg":"ok","#
                    + #""type":"bind","uid":"alice"}"#
        )
        #expect(
            lines[3]
                == #"bob {"code":0,"error":false,"msg":"","touid":"bob","type":"join","#
                    + #""uid":"alice"}"#
        )
        #expect(
            lines[4]
                == #"alice {"code":0,"error":false,"id":"s1","mid":"*","msg":"delivered","#
                    + #""touid":"bob","type":"send","uid":"alice"}"#
        )
        #expect(
            lines[7]
                == #"bob {"code":0,"error":false,"mid":"*","msg":"m1 ✓","touid":"bob","#
                    + #""ts":"*","type":"send","uid":"alice"}"#
        )
        #expect(lines[12].contains(#""code":403"#))
        #expect(lines[13].contains(#""msg":"queued""#))
        #expect(lines[14] == lines[4], "a retried id gets the original reply")
    }
}
