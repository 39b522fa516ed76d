import Testing

@testable import WebSocketCore

@Suite struct ConnectionMessageTests {
    @Test(arguments: [0, 1, 125, 126, 127, 65_535, 65_536, 65_537])
    func textOfBoundaryLengthArrivesWhole(_ length: Int) {
        let payload = [UInt8](repeatingPattern: "text é ", count: length).asciiOnly
        let outcome = Feed.everyChunking(Wire.frame(0x1, payload)) { .server() }
        #expect(outcome.events == [.text(payload)])
        #expect(outcome.output.isEmpty)
        #expect(outcome.state == .open)
    }

    @Test(arguments: [0, 125, 126, 65_535, 65_536])
    func binaryOfBoundaryLengthArrivesWhole(_ length: Int) {
        var generator = SeededGenerator(seed: UInt64(length))
        let payload = generator.bytes(length)
        let outcome = Feed.everyChunking(Wire.frame(0x2, payload)) { .server() }
        #expect(outcome.events == [.binary(payload)])
    }

    @Test(arguments: [Wire.LengthForm.sixteenBit, .sixtyFourBit])
    func nonMinimalLengthEncodingIsAccepted(_ form: Wire.LengthForm) {
        let outcome = Feed.everyChunking(Wire.frame(0x1, Array("hi".utf8), length: form)) {
            .server()
        }
        #expect(outcome.events == [.text(Array("hi".utf8))])
    }

    @Test func multiMebibyteMessageArrivesWhole() {
        let payload = [UInt8](repeatingPattern: "0123456789abcdef", count: (2 << 20) + 3)
        let outcome = Feed.everyChunking(Wire.frame(0x1, payload)) {
            .server(maxMessageBytes: 16 << 20)
        }
        #expect(outcome.events == [.text(payload)])
    }

    @Test func fragmentedMultiMebibyteMessageArrivesWhole() {
        let payload = [UInt8](repeatingPattern: "fragment", count: (2 << 20) + 3)
        var input: [UInt8] = []
        for (index, start) in stride(from: 0, to: payload.count, by: 1 << 20).enumerated() {
            let slice = Array(payload[start..<min(start + (1 << 20), payload.count)])
            input += Wire.frame(
                index == 0 ? 0x2 : 0x0, slice, fin: start + (1 << 20) >= payload.count)
        }
        let outcome = Feed.everyChunking(input) { .server(maxMessageBytes: 16 << 20) }
        #expect(outcome.events == [.binary(payload)])
    }

    @Test func characterSplitAcrossFragmentsWithPingBetween() {
        let text = Array("κόσμε".utf8)
        let input =
            Wire.frame(0x1, Array(text[..<3]), fin: false) + Wire.frame(0x9, Array("hb".utf8))
            + Wire.frame(0x0, Array(text[3..<6]), fin: false) + Wire.frame(0x0, [], fin: false)
            + Wire.frame(0x0, Array(text[6...]))
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(outcome.events == [.ping(Array("hb".utf8)), .text(text)])
        #expect(outcome.output == Wire.serverFrame(0xA, Array("hb".utf8)))
    }

    @Test func emptyFragmentsMakeAnEmptyMessage() {
        let input =
            Wire.frame(0x1, [], fin: false) + Wire.frame(0x0, [], fin: false) + Wire.frame(0x0, [])
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(outcome.events == [.text([])])
    }

    @Test func messagesKeepTheirOrder() {
        let input = Wire.text("one") + Wire.frame(0x2, [2]) + Wire.text("three")
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(
            outcome.events == [.text(Array("one".utf8)), .binary([2]), .text(Array("three".utf8))])
    }

    /// Autobahn 6.4.x: the invalid byte must be reported on the fragment that carries it,
    /// while the rest of the message has not even been sent.
    @Test func invalidUTF8FailsOnTheFragmentThatCarriesIt() {
        let connection = WebSocketConnection.server()
        var events: [WebSocketEvent] = []
        let valid = Array("κόσμε".utf8)
        connection.receive(Wire.frame(0x1, valid, fin: false), into: &events)
        #expect(events.isEmpty)
        connection.receive(
            Wire.frame(0x0, [0xF4, 0x90, 0x80, 0x80, 0x61], fin: false), into: &events)
        #expect(events == [.protocolViolation(.invalidUTF8InTextMessage)])
        #expect(connection.takeOutput() == Wire.serverClose(for: .invalidUTF8InTextMessage))
    }

    /// Autobahn 6.4.3/6.4.4: the frame arrives in pieces; fail as soon as the bad byte is read.
    @Test func invalidUTF8FailsMidFrameBeforeTheFrameEnds() {
        let valid = Array("κόσμε".utf8)
        let frame = Wire.frame(0x1, valid + [0xF4, 0x90, 0x80, 0x80] + Array("edited".utf8))
        let connection = WebSocketConnection.server()
        var events: [WebSocketEvent] = []
        let badByteEnd = 6 + valid.count + 2  // header, mask, valid text, F4 90
        connection.receive(Array(frame[..<(badByteEnd - 1)]), into: &events)
        #expect(events.isEmpty)
        connection.receive(Array(frame[(badByteEnd - 1)..<badByteEnd]), into: &events)
        #expect(events == [.protocolViolation(.invalidUTF8InTextMessage)])
    }

    @Test func textEventBytesAreTheUnmaskedPayload() {
        let outcome = Feed.run([
            Wire.frame(0x1, Array("Hello".utf8), mask: [0x37, 0xFA, 0x21, 0x3D])
        ]) {
            .server()
        }
        #expect(outcome.events == [.text(Array("Hello".utf8))])
    }

    @Test func dataAfterTheCloseHandshakeIsIgnored() {
        let input =
            Wire.frame(0x8, Wire.closePayload(1000)) + Wire.text("late") + Wire.frame(0x9, [])
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(outcome.events == [.closeReceived(code: .normalClosure, reason: "")])
        #expect(outcome.output == Wire.serverFrame(0x8, Wire.closePayload(1000)))
    }
}

extension Array where Element == UInt8 {
    /// Replaces non-ASCII bytes so that any prefix is valid UTF-8.
    var asciiOnly: [UInt8] {
        self.map { $0 < 0x80 ? $0 : 0x2A }
    }
}
