import Testing

@testable import WebSocketCore

@Suite struct CloseHandshakeTests {
    @Test(
        arguments: [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
            3999, 4000, 4999,
        ] as [UInt16])
    func peerCloseIsEchoedWithItsCode(_ code: UInt16) {
        let input = Wire.frame(0x8, Wire.closePayload(code, "bye ✓"))
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(
            outcome.events == [.closeReceived(code: CloseCode(rawValue: code), reason: "bye ✓")])
        #expect(outcome.output == Wire.serverFrame(0x8, Wire.closePayload(code)))
        #expect(outcome.state == .closed)
        #expect(outcome.closeCode == CloseCode(rawValue: code))
    }

    @Test func emptyCloseIsAnsweredWithEmptyClose() {
        let outcome = Feed.everyChunking(Wire.frame(0x8, [])) { .server() }
        #expect(outcome.events == [.closeReceived(code: nil, reason: "")])
        #expect(outcome.output == [0x88, 0x00])
        #expect(outcome.closeCode == .noStatusReceived)
    }

    @Test func closeWithMaximalReasonIsAccepted() {
        let reason = String(repeating: "r", count: 123)
        let outcome = Feed.everyChunking(Wire.frame(0x8, Wire.closePayload(1000, reason))) {
            .server()
        }
        #expect(outcome.events == [.closeReceived(code: .normalClosure, reason: reason)])
    }

    @Test func closeInsideAFragmentedMessageEndsIt() {
        let input =
            Wire.text("part", fin: false) + Wire.frame(0x8, Wire.closePayload(1000))
            + Wire.frame(0x0, Array("rest".utf8))
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(outcome.events == [.closeReceived(code: .normalClosure, reason: "")])
        #expect(outcome.output == Wire.serverFrame(0x8, Wire.closePayload(1000)))
    }

    @Test func serverInitiatedCloseWaitsForThePeer() throws {
        let connection = WebSocketConnection.server()
        try connection.close(code: .goingAway, reason: "restart")
        #expect(
            connection.takeOutput() == Wire.serverFrame(0x8, Wire.closePayload(1001, "restart")))
        #expect(connection.state == .closing)
        #expect(!connection.shouldCloseTransport)

        var events: [WebSocketEvent] = []
        connection.receive(Wire.text("in flight") + Wire.frame(0x9, [1]), into: &events)
        #expect(events == [.text(Array("in flight".utf8)), .ping([1])])
        #expect(!connection.hasPendingOutput, "no pong after our close")

        connection.receive(Wire.frame(0x8, Wire.closePayload(1001)), into: &events)
        #expect(events.last == .closeReceived(code: .goingAway, reason: ""))
        #expect(!connection.hasPendingOutput, "no second close frame")
        #expect(connection.state == .closed)
        #expect(connection.shouldCloseTransport)
        #expect(connection.closeCode == .goingAway)
    }

    @Test func nothingCanBeSentAfterOurClose() throws {
        let connection = WebSocketConnection.server()
        try connection.close()
        #expect(throws: WebSocketSendError.closing) { try connection.sendText("late") }
        #expect(throws: WebSocketSendError.closing) { try connection.sendPing() }
        #expect(throws: WebSocketSendError.closing) { try connection.close() }
        var queue: [UInt8] = []
        #expect(throws: WebSocketSendError.closing) {
            try connection.encodeText("late", into: &queue)
        }
        #expect(queue.isEmpty)
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 2999, 5000] as [UInt16])
    func unsendableCloseCodeIsRefused(_ code: UInt16) {
        let connection = WebSocketConnection.server()
        #expect(throws: WebSocketSendError.closeCodeNotSendable) {
            try connection.close(code: CloseCode(rawValue: code))
        }
        #expect(connection.state == .open)
        #expect(!connection.hasPendingOutput)
    }

    @Test func longCloseReasonIsCutAtACharacterBoundary() throws {
        let connection = WebSocketConnection.server()
        try connection.close(code: .policyViolation, reason: String(repeating: "é", count: 100))
        let output = connection.takeOutput()
        #expect(output.count == 2 + 2 + 122)
        #expect(Array(output[4...]) == Array(String(repeating: "é", count: 61).utf8))
    }

    @Test func peerVanishingReportsAbnormalClosure() {
        let outcome = Feed.everyChunking(Wire.text("half", fin: false), endOfStream: true) {
            .server()
        }
        #expect(outcome.events == [.connectionLost])
        #expect(outcome.output.isEmpty)
        #expect(outcome.state == .closed)
        #expect(outcome.closeCode == .abnormalClosure)
    }

    @Test func peerVanishingWhileClosingReportsAbnormalClosure() throws {
        let connection = WebSocketConnection.server()
        try connection.close()
        _ = connection.takeOutput()
        var events: [WebSocketEvent] = []
        connection.receiveEndOfStream(into: &events)
        #expect(events == [.connectionLost])
        #expect(!connection.hasPendingOutput)
        #expect(connection.closeCode == .abnormalClosure)
    }

    @Test func endOfStreamAfterTheHandshakeReportsNothing() {
        let outcome = Feed.run([Wire.frame(0x8, [])], endOfStream: true) { .server() }
        #expect(outcome.events == [.closeReceived(code: nil, reason: "")])
        #expect(outcome.closeCode == .noStatusReceived)
    }

    @Test func violationAfterOurCloseSendsNoSecondClose() throws {
        let connection = WebSocketConnection.server()
        try connection.close()
        _ = connection.takeOutput()
        var events: [WebSocketEvent] = []
        connection.receive(Wire.frame(0x3, []), into: &events)
        #expect(events == [.protocolViolation(.reservedOpcode)])
        #expect(!connection.hasPendingOutput)
        #expect(connection.state == .closed)
    }
}

@Suite struct PingPongTests {
    @Test(arguments: [0, 1, 125])
    func pingIsAnsweredWithTheSamePayload(_ length: Int) {
        var generator = SeededGenerator(seed: 9)
        let payload = generator.bytes(length)
        let outcome = Feed.everyChunking(Wire.frame(0x9, payload)) { .server() }
        #expect(outcome.events == [.ping(payload)])
        #expect(outcome.output == Wire.serverFrame(0xA, payload))
        #expect(outcome.state == .open)
    }

    @Test func everyPingGetsItsOwnPong() {
        let input = Wire.frame(0x9, [1]) + Wire.frame(0x9, [2])
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(outcome.output == Wire.serverFrame(0xA, [1]) + Wire.serverFrame(0xA, [2]))
    }

    @Test func pongIsReportedAndNotAnswered() {
        let outcome = Feed.everyChunking(Wire.frame(0xA, Array("late".utf8))) { .server() }
        #expect(outcome.events == [.pong(Array("late".utf8))])
        #expect(outcome.output.isEmpty)
    }

    @Test func sendPingQueuesAPingFrame() throws {
        let connection = WebSocketConnection.server()
        try connection.sendPing([7, 7])
        try connection.sendPong([8])
        #expect(
            connection.takeOutput() == Wire.serverFrame(0x9, [7, 7]) + Wire.serverFrame(0xA, [8]))
    }

    @Test func controlPayloadOver125BytesIsRefused() {
        let connection = WebSocketConnection.server()
        #expect(throws: WebSocketSendError.controlPayloadTooLong) {
            try connection.sendPing([UInt8](repeating: 0, count: 126))
        }
    }
}
