import Testing

@testable import WebSocketCore

/// One broken framing rule: the input a server receives and the rule it must report.
struct FramingCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var rule: WebSocketProtocolError
    /// Events expected before the violation.
    var eventsBefore: [WebSocketEvent] = []
    var deflate = false
    var maxMessageBytes = 1_000
    var acceptsBinary = true

    var testDescription: String { self.name }
}

@Suite struct ConnectionFramingTests {
    static let cases: [FramingCase] =
        [
            FramingCase(
                name: "rsv2 set", input: Wire.frame(0x1, [0x61], rsv: 0b010), rule: .reservedBitsSet
            ),
            FramingCase(
                name: "rsv3 set", input: Wire.frame(0x1, [0x61], rsv: 0b001), rule: .reservedBitsSet
            ),
            FramingCase(
                name: "rsv2 set with deflate", input: Wire.frame(0x1, [0x61], rsv: 0b110),
                rule: .reservedBitsSet, deflate: true),
            FramingCase(
                name: "rsv1 without deflate", input: Wire.frame(0x1, [0x61], rsv: 0b100),
                rule: .compressionBitWithoutExtension),
            FramingCase(
                name: "rsv1 on ping without deflate", input: Wire.frame(0x9, [], rsv: 0b100),
                rule: .compressionBitWithoutExtension),
            FramingCase(
                name: "rsv1 on continuation",
                input: Wire.text("a", fin: false)
                    + Wire.frame(0x0, [0x62], rsv: 0b100), rule: .compressionBitOnContinuationFrame,
                deflate: true),
            FramingCase(
                name: "rsv1 on ping", input: Wire.frame(0x9, [], rsv: 0b100),
                rule: .compressionBitOnControlFrame, deflate: true),
            FramingCase(
                name: "unmasked client frame", input: Wire.frame(0x1, [0x61], mask: nil),
                rule: .unmaskedClientFrame),
            FramingCase(
                name: "unmasked client ping", input: Wire.frame(0x9, [], mask: nil),
                rule: .unmaskedClientFrame),
            FramingCase(
                name: "fragmented ping", input: Wire.frame(0x9, [1], fin: false),
                rule: .fragmentedControlFrame),
            FramingCase(
                name: "fragmented close", input: Wire.frame(0x8, [], fin: false),
                rule: .fragmentedControlFrame),
            FramingCase(
                name: "ping of 126 bytes",
                input: Wire.frame(0x9, [UInt8](repeating: 1, count: 126)),
                rule: .controlFrameTooLong),
            FramingCase(
                name: "pong with 16-bit length", input: Wire.frame(0xA, [1], length: .sixteenBit),
                rule: .controlFrameTooLong),
            FramingCase(
                name: "close of 126 bytes",
                input: Wire.frame(0x8, Wire.closePayload(1000, String(repeating: "*", count: 124))),
                rule: .controlFrameTooLong),
            FramingCase(
                name: "continuation without a message", input: Wire.frame(0x0, [0x61]),
                rule: .unexpectedContinuationFrame),
            FramingCase(
                name: "continuation after a complete message",
                input: Wire.text("done") + Wire.frame(0x0, [0x61]),
                rule: .unexpectedContinuationFrame,
                eventsBefore: [.text(Array("done".utf8))]),
            FramingCase(
                name: "text inside fragmented text",
                input: Wire.text("a", fin: false) + Wire.text("b"), rule: .expectedContinuationFrame
            ),
            FramingCase(
                name: "binary inside fragmented text",
                input: Wire.text("a", fin: false) + Wire.frame(0x2, [1]),
                rule: .expectedContinuationFrame),
            FramingCase(
                name: "64-bit length with top bit set",
                input: Wire.frame(0x2, [], length: .declared(1 << 63)),
                rule: .payloadLengthTopBitSet),
            FramingCase(
                name: "frame over the limit, header only",
                input: Array(Wire.frame(0x2, [UInt8](repeating: 0, count: 1_001))[0..<8]),
                rule: .messageTooBig),
            FramingCase(
                name: "huge 64-bit length", input: Wire.frame(0x1, [], length: .declared(1 << 62)),
                rule: .messageTooBig),
            FramingCase(
                name: "fragments over the limit together",
                input: Wire.frame(0x2, [UInt8](repeating: 0, count: 600), fin: false)
                    + Array(Wire.frame(0x0, [UInt8](repeating: 0, count: 401))[0..<8]),
                rule: .messageTooBig),
            FramingCase(
                name: "binary refused", input: Wire.frame(0x2, [1, 2, 3]),
                rule: .binaryMessageRefused, acceptsBinary: false),
            FramingCase(
                name: "invalid utf-8 text", input: Wire.frame(0x1, [0x61, 0xFF]),
                rule: .invalidUTF8InTextMessage),
            FramingCase(
                name: "text ending inside a character", input: Wire.frame(0x1, [0x61, 0xE2, 0x82]),
                rule: .invalidUTF8InTextMessage),
            FramingCase(
                name: "fragmented text ending inside a character",
                input: Wire.frame(0x1, [0xE2], fin: false) + Wire.frame(0x0, [0x82]),
                rule: .invalidUTF8InTextMessage),
            FramingCase(
                name: "close with 1-byte payload", input: Wire.frame(0x8, [0x03]),
                rule: .closePayloadTooShort),
            FramingCase(
                name: "close reason not utf-8",
                input: Wire.frame(0x8, Wire.closePayload(1000) + [0xCE, 0xBA, 0xFF]),
                rule: .invalidUTF8InCloseReason),
        ]
        + [3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map {
            FramingCase(
                name: "reserved opcode \($0)", input: Wire.frame(UInt8($0), []),
                rule: .reservedOpcode)
        }
        + [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65_535].map {
            FramingCase(
                name: "close code \($0)", input: Wire.frame(0x8, Wire.closePayload(UInt16($0))),
                rule: .invalidCloseCode)
        }

    @Test(arguments: cases)
    func brokenRuleFailsWithItsCloseCode(_ testCase: FramingCase) {
        let outcome = Feed.everyChunking(testCase.input) {
            WebSocketConnection.server(
                maxMessageBytes: testCase.maxMessageBytes, acceptsBinary: testCase.acceptsBinary,
                deflate: testCase.deflate ? PerMessageDeflateParameters() : nil)
        }
        #expect(outcome.events == testCase.eventsBefore + [.protocolViolation(testCase.rule)])
        #expect(outcome.output == Wire.serverClose(for: testCase.rule))
        #expect(outcome.state == .closed)
        #expect(outcome.closeCode == testCase.rule.closeCode)
    }

    @Test func violationStopsReadingTheRestOfTheInput() {
        let input = Wire.frame(0x3, []) + Wire.text("never seen") + Wire.frame(0x9, [])
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(outcome.events == [.protocolViolation(.reservedOpcode)])
        #expect(outcome.output == Wire.serverClose(for: .reservedOpcode))
    }

    @Test func messagesBeforeTheViolationAreDelivered() {
        let input = Wire.text("first") + Wire.frame(0x9, Array("p".utf8)) + Wire.frame(0x1, [0xC0])
        let outcome = Feed.everyChunking(input) { .server() }
        #expect(
            outcome.events == [
                .text(Array("first".utf8)), .ping(Array("p".utf8)),
                .protocolViolation(.invalidUTF8InTextMessage),
            ])
        #expect(
            outcome.output == Wire.serverFrame(0xA, Array("p".utf8))
                + Wire.serverClose(for: .invalidUTF8InTextMessage))
    }

    @Test func messageExactlyAtTheLimitIsAccepted() {
        let payload = [UInt8](repeating: 0x61, count: 1_000)
        let outcome = Feed.everyChunking(
            Wire.frame(0x1, Array(payload[..<400]), fin: false)
                + Wire.frame(0x0, Array(payload[400...]))
        ) { .server(maxMessageBytes: 1_000) }
        #expect(outcome.events == [.text(payload)])
        #expect(outcome.output.isEmpty)
    }

    @Test func binaryAcceptedByDefault() {
        let outcome = Feed.everyChunking(Wire.frame(0x2, [0, 1, 0xFF])) { .server() }
        #expect(outcome.events == [.binary([0, 1, 0xFF])])
    }

    @Test func clientRefusesMaskedServerFrame() {
        var keys = SeededGenerator(seed: 7)
        let key = MaskingKey.random(using: &keys)
        var expectedClose: [UInt8] = []
        FrameEncoder.appendFrame(
            opcode: .close,
            payload: Wire.closePayload(1002, WebSocketProtocolError.maskedServerFrame.description),
            maskingKey: key, to: &expectedClose)
        let outcome = Feed.everyChunking(Wire.frame(0x1, [0x61])) { .client(seed: 7) }
        #expect(outcome.events == [.protocolViolation(.maskedServerFrame)])
        #expect(outcome.output == expectedClose)
    }
}
