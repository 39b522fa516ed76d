@testable import WebSocketCore

/// Builds frames byte by byte, independently of `FrameEncoder`, so parser tests do not trust
/// the code under test to produce their input.
enum Wire {
    static let clientMask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    /// How the payload length is written; `.natural` picks the shortest form.
    enum LengthForm: Sendable {
        case natural
        case sixteenBit
        case sixtyFourBit
        /// Writes this 64-bit value whatever the payload (for the top-bit rule).
        case declared(UInt64)
    }

    static func frame(
        _ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0,
        mask: [UInt8]? = Wire.clientMask, length: LengthForm = .natural
    ) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        switch length {
        case .natural where payload.count <= 125:
            bytes.append(maskBit | UInt8(payload.count))
        case .natural where payload.count <= 0xFFFF, .sixteenBit:
            bytes.append(maskBit | 126)
            bytes += [UInt8(payload.count >> 8 & 0xFF), UInt8(payload.count & 0xFF)]
        case .natural, .sixtyFourBit:
            bytes.append(maskBit | 127)
            bytes += self.bigEndian(UInt64(payload.count))
        case .declared(let value):
            bytes.append(maskBit | 127)
            bytes += self.bigEndian(value)
        }
        guard let mask else { return bytes + payload }
        bytes += mask
        for (index, byte) in payload.enumerated() {
            bytes.append(byte ^ mask[index % 4])
        }
        return bytes
    }

    /// An unmasked frame, as a server sends.
    static func serverFrame(
        _ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0
    )
        -> [UInt8]
    {
        self.frame(opcode, payload, fin: fin, rsv: rsv, mask: nil)
    }

    static func text(_ text: String, fin: Bool = true) -> [UInt8] {
        self.frame(0x1, Array(text.utf8), fin: fin)
    }

    static func closePayload(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    }

    /// The unmasked Close frame a server sends when failing with `rule`.
    static func serverClose(for rule: WebSocketProtocolError) -> [UInt8] {
        self.serverFrame(0x8, self.closePayload(rule.closeCode.rawValue, rule.description))
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }
}
