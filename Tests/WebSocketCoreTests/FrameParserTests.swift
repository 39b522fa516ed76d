import Testing

@testable import WebSocketCore

/// What the parser reported, with payload slices unmasked and copied out.
private enum ParsedStep: Equatable {
    case header(FrameHeader)
    case payload([UInt8], endsFrame: Bool)
    case violation(WebSocketProtocolError)
}

private func parseAll(_ chunks: [[UInt8]], parser: inout FrameParser) -> [ParsedStep] {
    var steps: [ParsedStep] = []
    var currentKey: MaskingKey?
    for chunk in chunks {
        chunk.withUnsafeBytes { input in
            var offset = 0
            while true {
                switch parser.parse(input, offset: &offset) {
                case .needMoreBytes:
                    return
                case .header(let header):
                    currentKey = header.maskingKey
                    steps.append(.header(header))
                case .payload(let slice, let phase, let endsFrame):
                    var bytes = Array(slice)
                    currentKey?.apply(to: &bytes, in: 0..<bytes.count, phase: phase)
                    steps.append(.payload(bytes, endsFrame: endsFrame))
                case .violation(let rule):
                    steps.append(.violation(rule))
                }
            }
        }
    }
    return steps
}

/// Joins consecutive payload steps of one frame so different chunkings compare equal.
private func coalesced(_ steps: [ParsedStep]) -> [ParsedStep] {
    var result: [ParsedStep] = []
    for step in steps {
        if case .payload(let bytes, let ends) = step,
            case .payload(let previous, false)? = result.last
        {
            result[result.count - 1] = .payload(previous + bytes, endsFrame: ends)
        } else {
            result.append(step)
        }
    }
    return result
}

@Suite struct FrameParserTests {
    private let key = MaskingKey(0x37, 0xFA, 0x21, 0x3D)

    @Test func parsesHeaderThenPayloadOfAMaskedFrame() {
        var parser = FrameParser(role: .server, maxMessageBytes: 1_000)
        let steps = parseAll([Wire.text("Hello")], parser: &parser)
        #expect(
            steps == [
                .header(
                    FrameHeader(
                        isFinal: true, opcode: .text, maskingKey: self.key, payloadLength: 5)),
                .payload(Array("Hello".utf8), endsFrame: true),
            ])
        #expect(parser.state == .awaitingHeaderStart)
    }

    @Test func emptyFrameStillEndsWithOnePayloadStep() {
        var parser = FrameParser(role: .server, maxMessageBytes: 1_000)
        let steps = parseAll([Wire.frame(0x9, [])], parser: &parser)
        #expect(
            steps == [
                .header(
                    FrameHeader(
                        isFinal: true, opcode: .ping, maskingKey: self.key, payloadLength: 0)),
                .payload([], endsFrame: true),
            ])
    }

    @Test func everyChunkingYieldsTheSameFrames() {
        let stream =
            Wire.text("fragment one ", fin: false) + Wire.frame(0x9, Array("ping".utf8))
            + Wire.frame(0x0, [UInt8](repeatingPattern: "long", count: 300))
            + Wire.frame(0x2, [UInt8](repeatingPattern: "bin", count: 70_000))
        var wholeParser = FrameParser(role: .server, maxMessageBytes: 1 << 20)
        let expected = coalesced(parseAll([stream], parser: &wholeParser))
        #expect(expected.count == 8)
        for chunks in Feed.chunkings(of: stream) {
            var parser = FrameParser(role: .server, maxMessageBytes: 1 << 20)
            #expect(coalesced(parseAll(chunks, parser: &parser)) == expected)
        }
    }

    @Test func statesNameWhatTheParserAwaits() {
        var parser = FrameParser(role: .server, maxMessageBytes: 1_000)
        let frame = Wire.frame(0x2, [UInt8](repeating: 7, count: 200))
        _ = parseAll([Array(frame[0..<1])], parser: &parser)
        #expect(parser.state == .awaitingHeaderStart)
        _ = parseAll([Array(frame[1..<3])], parser: &parser)
        #expect(parser.state == .awaitingHeaderRemainder(headerLength: 8))
        _ = parseAll([Array(frame[3..<10])], parser: &parser)
        guard case .awaitingPayload(_, let remaining) = parser.state else {
            Issue.record("expected awaitingPayload, got \(parser.state)")
            return
        }
        #expect(remaining == 198)
    }

    @Test func sizeLimitFailsOnTheHeaderBeforeAnyPayload() {
        var parser = FrameParser(role: .server, maxMessageBytes: 1_000)
        let header = Array(Wire.frame(0x2, [UInt8](repeating: 0, count: 1_001))[0..<8])
        #expect(parseAll([header], parser: &parser) == [.violation(.messageTooBig)])
        #expect(parser.state == .stopped)
    }

    @Test func stoppedParserIgnoresEverything() {
        var parser = FrameParser(role: .server, maxMessageBytes: 1_000)
        let steps = parseAll([Wire.frame(0x3, []), Wire.text("ignored")], parser: &parser)
        #expect(steps == [.violation(.reservedOpcode)])
    }

    @Test func tracksTheFragmentedMessage() {
        var parser = FrameParser(role: .server, maxMessageBytes: 1_000)
        _ = parseAll([Wire.text("a", fin: false)], parser: &parser)
        #expect(parser.isInsideFragmentedMessage)
        _ = parseAll([Wire.frame(0x9, []), Wire.frame(0x0, [0x62])], parser: &parser)
        #expect(!parser.isInsideFragmentedMessage)
    }

    @Test func compressedMessagesGetWireSlackForDeflateOverhead() {
        let parser = FrameParser(role: .server, maxMessageBytes: 1 << 20, allowsCompression: true)
        #expect(parser.maxCompressedMessageBytes == (1 << 20) + 1_024 + 64)
    }
}
