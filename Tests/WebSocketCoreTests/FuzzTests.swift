import Testing

@testable import WebSocketCore

/// Feeding any bytes to a server must never trap or hang, and must leave it in a sane state.
@Suite struct FuzzTests {
    /// A stream of valid client frames: the seeds that mutations start from.
    static let validStream: [UInt8] =
        Wire.text("hello") + Wire.frame(0x9, [1, 2]) + Wire.text("frag", fin: false)
        + Wire.frame(0xA, []) + Wire.frame(0x0, Array(" κόσμε".utf8))
        + Wire.frame(0x2, [0, 255])
        + Wire.frame(0x1, [UInt8](repeatingPattern: "x", count: 300))
        + Wire.frame(0x8, Wire.closePayload(1000, "bye"))

    /// A valid compressed stream, for mutating the inflation path.
    static func compressedStream() throws -> [UInt8] {
        let client = WebSocketConnection.client(deflate: PerMessageDeflateParameters())
        try client.sendText(String(repeating: "compressible text ", count: 30))
        try client.sendText("second")
        return client.takeOutput()
    }

    @Test func randomBytesNeverTrap() {
        var generator = SeededGenerator(seed: 2024)
        for round in 0..<4_000 {
            let length = Int.random(in: 0...300, using: &generator)
            let input = generator.bytes(length)
            self.checkSane(input, deflate: round % 2 == 0, &generator)
        }
    }

    /// Random bytes behind a valid masked header reach the payload rules (UTF-8, close codes,
    /// inflation) instead of failing on the first byte.
    @Test func randomPayloadsBehindValidHeadersNeverTrap() {
        var generator = SeededGenerator(seed: 77)
        for round in 0..<3_000 {
            let opcode = [0x0, 0x1, 0x2, 0x8, 0x9, 0xA].randomElement(using: &generator) ?? 1
            let payload = generator.bytes(Int.random(in: 0...125, using: &generator))
            let rsv: UInt8 = round % 3 == 0 ? 0b100 : 0
            let input =
                Wire.frame(UInt8(opcode), payload, fin: round % 5 != 0, rsv: rsv)
                + generator.bytes(Int.random(in: 0...20, using: &generator))
            self.checkSane(input, deflate: round % 2 == 0, &generator)
        }
    }

    @Test func mutatedValidStreamsNeverTrap() throws {
        var generator = SeededGenerator(seed: 99)
        let seeds = [Self.validStream, try Self.compressedStream()]
        for round in 0..<4_000 {
            var input = seeds[round % 2]
            let mutations = Int.random(in: 1...4, using: &generator)
            for _ in 0..<mutations {
                self.mutate(&input, &generator)
            }
            self.checkSane(input, deflate: round % 2 == 1, &generator)
        }
    }

    private func mutate(_ input: inout [UInt8], _ generator: inout SeededGenerator) {
        guard !input.isEmpty else { return }
        let position = Int.random(in: 0..<input.count, using: &generator)
        switch Int.random(in: 0..<4, using: &generator) {
        case 0:
            input[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
        case 1:
            input[position] = UInt8.random(in: 0...255, using: &generator)
        case 2:
            input.remove(at: position)
        default:
            input.insert(UInt8.random(in: 0...255, using: &generator), at: position)
        }
    }

    /// Feeds `input` in random pieces, then end of stream, and checks the invariants.
    private func checkSane(_ input: [UInt8], deflate: Bool, _ generator: inout SeededGenerator) {
        let connection = WebSocketConnection.server(
            maxMessageBytes: 4_096, deflate: deflate ? PerMessageDeflateParameters() : nil)
        var events: [WebSocketEvent] = []
        var offset = 0
        while offset < input.count {
            let size = Int.random(in: 1...64, using: &generator)
            connection.receive(
                Array(input[offset..<min(offset + size, input.count)]), into: &events)
            offset += size
        }
        let wasClosed = connection.state == .closed
        let output = connection.takeOutput()
        connection.receiveEndOfStream(into: &events)

        #expect(connection.state == .closed)
        #expect(connection.closeCode != nil)
        let terminal = events.filter { event in
            switch event {
            case .closeReceived, .protocolViolation, .connectionLost: return true
            default: return false
            }
        }
        #expect(terminal.count == 1, "exactly one ending, got \(terminal)")
        #expect(terminal.first == events.last)
        for case .text(let bytes) in events {
            #expect(UTF8Validator.isValid(bytes))
            #expect(bytes.count <= 4_096)
        }
        // Whatever was written is a well-formed server stream; a Close frame, if any, comes
        // last and carries the code the connection reports.
        let frames = Self.decodeServerFrames(output)
        #expect(frames != nil, "output is not a valid frame stream")
        let closes = frames?.filter { $0.opcode == .close } ?? []
        #expect(closes.count <= 1)
        if let close = closes.first {
            #expect(frames?.last?.opcode == .close)
            if case .protocolViolation(let rule)? = events.last, wasClosed {
                #expect(
                    close.payload == Wire.closePayload(rule.closeCode.rawValue, rule.description))
            }
        }
        if case .connectionLost? = events.last {
            #expect(closes.isEmpty)
        }
    }

    /// Decodes a server's output with a client-role parser; nil if it breaks any rule.
    static func decodeServerFrames(_ output: [UInt8]) -> [(opcode: Opcode, payload: [UInt8])]? {
        var parser = FrameParser(role: .client, maxMessageBytes: 1 << 20, allowsCompression: true)
        var frames: [(opcode: Opcode, payload: [UInt8])] = []
        var failed = false
        output.withUnsafeBytes { input in
            var offset = 0
            while true {
                switch parser.parse(input, offset: &offset) {
                case .needMoreBytes:
                    return
                case .header(let header):
                    frames.append((header.opcode, []))
                case .payload(let bytes, _, _):
                    frames[frames.count - 1].payload += Array(bytes)
                case .violation:
                    failed = true
                    return
                }
            }
        }
        return failed || parser.state != .awaitingHeaderStart ? nil : frames
    }
}
