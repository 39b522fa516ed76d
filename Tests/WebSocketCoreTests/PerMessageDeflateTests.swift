import Testing

@testable import WebSocketCore

@Suite struct PerMessageDeflateTests {
    private static let hello = Array("Hello".utf8)

    /// The compressed frames of RFC 7692 §7.2.3, as a server sends them to a client.
    static let rfcExamples: [(name: String, frames: [UInt8], messages: [String])] = [
        ("single frame", [0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], ["Hello"]),
        (
            "two fragments", [0x41, 0x03, 0xF2, 0x48, 0xCD, 0x80, 0x04, 0xC9, 0xC9, 0x07, 0x00],
            ["Hello"]
        ),
        (
            "shared window",
            [
                0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0xC1, 0x05, 0xF2,
                0x00, 0x11, 0x00, 0x00,
            ], ["Hello", "Hello"]
        ),
        (
            "stored block",
            [
                0xC1, 0x0B, 0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F,
                0x00,
            ], ["Hello"]
        ),
        ("bfinal block", [0xC1, 0x08, 0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00], ["Hello"]),
        (
            "two blocks",
            [
                0xC1, 0x0D, 0xF2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xCA, 0xC9,
                0xC9, 0x07, 0x00,
            ], ["Hello"]
        ),
        ("empty message", [0xC1, 0x01, 0x00], [""]),
        (
            "bfinal then more",
            [
                0xC1, 0x08, 0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00, 0xC1,
                0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00,
            ], ["Hello", "Hello"]
        ),
    ]

    @Test(arguments: rfcExamples.indices)
    func decodesTheRFCExamples(_ index: Int) {
        let example = Self.rfcExamples[index]
        let outcome = Feed.everyChunking(example.frames) {
            .client(deflate: PerMessageDeflateParameters())
        }
        #expect(outcome.events == example.messages.map { .text(Array($0.utf8)) }, "\(example.name)")
        #expect(outcome.output.isEmpty)
    }

    struct RoundTrip: Sendable, CustomTestStringConvertible {
        var noContextTakeover: Bool
        var windowBits: Int
        var testDescription: String {
            "window \(self.windowBits), \(self.noContextTakeover ? "no " : "")context takeover"
        }
    }

    static let roundTrips = [false, true].flatMap { reset in
        [9, 10, 12, 15].map { RoundTrip(noContextTakeover: reset, windowBits: $0) }
    }

    static let messages: [String] = [
        #"{"type":"send","uid":"alice","touid":"bob","msg":"hello"}"#,
        #"{"type":"send","uid":"alice","touid":"bob","msg":"hello"}"#,
        "", "κόσμε 😀 " + String(repeating: "ünïcödé ", count: 40),
        String(repeating: "a long repetitive chat line, ", count: 1_200),
    ]

    @Test(arguments: roundTrips)
    func clientToServerRoundTrip(_ setup: RoundTrip) throws {
        let parameters = Self.parameters(setup)
        let client = WebSocketConnection.client(deflate: parameters)
        for message in Self.messages {
            try client.sendText(message)
        }
        let wire = client.takeOutput()
        #expect(
            Self.compressedBits(wire, role: .server)
                == Array(repeating: true, count: Self.messages.count))
        let outcome = Feed.everyChunking(wire) { .server(deflate: parameters) }
        #expect(outcome.events == Self.messages.map { .text(Array($0.utf8)) })
        #expect(outcome.output.isEmpty)
    }

    @Test(arguments: roundTrips)
    func serverToClientRoundTrip(_ setup: RoundTrip) throws {
        let parameters = Self.parameters(setup)
        let server = WebSocketConnection.server(deflate: parameters)
        var queue: [UInt8] = []
        for message in Self.messages {
            try server.encodeText(message, into: &queue)
        }
        try server.encodeBinary([0, 1, 2, 3], into: &queue)
        let outcome = Feed.everyChunking(queue) { .client(deflate: parameters) }
        #expect(
            outcome.events == Self.messages.map { .text(Array($0.utf8)) } + [.binary([0, 1, 2, 3])])
    }

    @Test func contextTakeoverShrinksARepeatedMessage() throws {
        let message = String(repeating: "context ", count: 20) + "takeover"
        for reset in [false, true] {
            let server = WebSocketConnection.server(
                deflate: PerMessageDeflateParameters(serverNoContextTakeover: reset))
            var first: [UInt8] = []
            var second: [UInt8] = []
            try server.encodeText(message, into: &first)
            try server.encodeText(message, into: &second)
            #expect(first.count < message.utf8.count)
            #expect(reset ? second == first : second.count < first.count)
        }
    }

    @Test func compressionIsUsedForSendTextToo() throws {
        let server = WebSocketConnection.server(deflate: PerMessageDeflateParameters())
        try server.sendText("Hello")
        #expect(server.takeOutput() == [0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    }

    @Test func uncompressedMessageIsAcceptedOnADeflateConnection() {
        let outcome = Feed.everyChunking(Wire.text("plain")) {
            .server(deflate: PerMessageDeflateParameters())
        }
        #expect(outcome.events == [.text(Array("plain".utf8))])
    }

    @Test func compressedFragmentsWithPingBetween() throws {
        let compressed = try Self.compress(Array(String(repeating: "fragmented ", count: 100).utf8))
        let cut = compressed.count / 2
        let input =
            Wire.frame(0x1, Array(compressed[..<cut]), fin: false, rsv: 0b100)
            + Wire.frame(0x9, [9]) + Wire.frame(0x0, Array(compressed[cut...]))
        let outcome = Feed.everyChunking(input) { .server(deflate: PerMessageDeflateParameters()) }
        #expect(
            outcome.events == [
                .ping([9]), .text(Array(String(repeating: "fragmented ", count: 100).utf8)),
            ])
    }

    @Test func deflateBombFailsWith1009() throws {
        let compressed = try Self.compress([UInt8](repeating: 0, count: 10 << 20))
        #expect(compressed.count < 20_000)
        let outcome = Feed.everyChunking(Wire.frame(0x2, compressed, rsv: 0b100)) {
            .server(deflate: PerMessageDeflateParameters())
        }
        #expect(outcome.events == [.protocolViolation(.messageTooBig)])
        #expect(outcome.output == Wire.serverClose(for: .messageTooBig))
        #expect(outcome.closeCode == .messageTooBig)
    }

    /// The bomb is stopped before the message grows past the limit: memory stays near 1 MiB,
    /// never the 10 MiB the data expands to.
    @Test func inflationNeverGrowsPastTheLimit() throws {
        let limit = 1 << 20
        let compressed = try Self.compress([UInt8](repeating: 0, count: 10 << 20))
        let decompressor = try #require(DeflateDecompressor(resetsAfterEachMessage: false))
        var message: [UInt8] = []
        #expect(throws: WebSocketProtocolError.messageTooBig) {
            try compressed.withUnsafeBytes {
                try decompressor.inflate($0, onto: &message, limit: limit)
            }
        }
        #expect(message.count <= limit)
        #expect(message.capacity <= 2 * limit + 64 * 1024)
    }

    @Test(arguments: [(1_000, true), (1_001, false)])
    func inflatedSizeIsHeldToTheLimit(_ size: Int, _ accepted: Bool) throws {
        let payload = [UInt8](repeating: 0x61, count: size)
        let compressed = try Self.compress(payload)
        let outcome = Feed.everyChunking(Wire.frame(0x1, compressed, rsv: 0b100)) {
            .server(maxMessageBytes: 1_000, deflate: PerMessageDeflateParameters())
        }
        #expect(
            outcome.events == (accepted ? [.text(payload)] : [.protocolViolation(.messageTooBig)]))
    }

    @Test func corruptCompressedDataFailsWith1007() {
        let outcome = Feed.everyChunking(Wire.frame(0x1, [0xFF, 0xFF, 0xFF], rsv: 0b100)) {
            .server(deflate: PerMessageDeflateParameters())
        }
        #expect(outcome.events == [.protocolViolation(.invalidCompressedData)])
        #expect(outcome.output == Wire.serverClose(for: .invalidCompressedData))
    }

    @Test func inflatedTextIsValidatedAsUTF8() throws {
        let compressed = try Self.compress(Array("valid then ".utf8) + [0xED, 0xA0, 0x80])
        let outcome = Feed.everyChunking(Wire.frame(0x1, compressed, rsv: 0b100)) {
            .server(deflate: PerMessageDeflateParameters())
        }
        #expect(outcome.events == [.protocolViolation(.invalidUTF8InTextMessage)])
    }

    @Test func compressedMessageWireSizeIsLimitedOnTheHeader() {
        let header = Array(Wire.frame(0x1, [UInt8](repeating: 0, count: 2_000), rsv: 0b100)[0..<8])
        let outcome = Feed.everyChunking(header) {
            .server(maxMessageBytes: 1_000, deflate: PerMessageDeflateParameters())
        }
        #expect(outcome.events == [.protocolViolation(.messageTooBig)])
    }

    private static func parameters(_ setup: RoundTrip) -> PerMessageDeflateParameters {
        PerMessageDeflateParameters(
            serverNoContextTakeover: setup.noContextTakeover,
            clientNoContextTakeover: setup.noContextTakeover,
            serverMaxWindowBits: setup.windowBits, clientMaxWindowBits: setup.windowBits)
    }

    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        let compressor = try #require(
            DeflateCompressor(
                windowBits: 15, level: 9, memoryLevel: 9, resetsAfterEachMessage: false))
        var compressed: [UInt8] = []
        let succeeded = bytes.withUnsafeBytes { input in
            compressor.compress(input) { compressed = Array($0) }
        }
        #expect(succeeded)
        return compressed
    }

    /// The RSV1 bit of the first frame of every data message in `wire`.
    private static func compressedBits(_ wire: [UInt8], role: WebSocketRole) -> [Bool] {
        var parser = FrameParser(role: role, maxMessageBytes: 1 << 24, allowsCompression: true)
        var bits: [Bool] = []
        wire.withUnsafeBytes { input in
            var offset = 0
            while true {
                switch parser.parse(input, offset: &offset) {
                case .header(let header)
                where header.opcode != .continuation && !header.opcode.isControl:
                    bits.append(header.isCompressed)
                case .needMoreBytes, .violation:
                    return
                default:
                    continue
                }
            }
        }
        return bits
    }
}
