/// Standard base64 (RFC 4648 §4, with padding), used for Sec-WebSocket-Key and
/// Sec-WebSocket-Accept. Small and local so the module needs no Foundation.
enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes `bytes` with `=` padding.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let available = min(3, bytes.count - index)
            var group: UInt32 = 0
            for offset in 0..<3 {
                let byte = offset < available ? UInt32(bytes[index + offset]) : 0
                group = group << 8 | byte
            }
            for position in 0..<4 {
                if position <= available {
                    let sextet = Int((group >> UInt32(18 - 6 * position)) & 0x3F)
                    output.append(self.alphabet[sextet])
                } else {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += available
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes padded base64; nil for a length that is not a multiple of four, a character
    /// outside the alphabet, or misplaced padding. Bits below the last full byte are ignored.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 4 * 3)
        var groupStart = 0
        while groupStart < characters.count {
            let isLastGroup = groupStart + 4 == characters.count
            guard
                let bytes = self.decodeGroup(
                    characters[groupStart..<(groupStart + 4)],
                    allowPadding: isLastGroup)
            else { return nil }
            output.append(contentsOf: bytes)
            groupStart += 4
        }
        return output
    }

    private static func decodeGroup(_ group: ArraySlice<UInt8>, allowPadding: Bool) -> [UInt8]? {
        var value: UInt32 = 0
        var padding = 0
        for character in group {
            if character == UInt8(ascii: "=") {
                padding += 1
                value <<= 6
                continue
            }
            guard padding == 0, let sextet = self.sextet(character) else { return nil }
            value = value << 6 | UInt32(sextet)
        }
        guard padding <= 2, padding == 0 || allowPadding else { return nil }
        let bytes = [
            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value),
        ]
        return Array(bytes[0..<(3 - padding)])
    }

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
