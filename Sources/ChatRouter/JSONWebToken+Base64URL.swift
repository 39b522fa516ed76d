extension JSONWebToken {
    /// Unpadded base64url (RFC 4648 §5), as JWS compact serialization requires (RFC 7515 §2).
    ///
    /// Decoding is strict on purpose: a token has exactly one spelling, so padding, the `+/`
    /// alphabet, whitespace and non-zero bits after the last byte are all refused instead of
    /// being tolerated the way lenient decoders do.
    enum Base64URL {
        /// Encodes without padding.
        static func encode(_ bytes: some Collection<UInt8>) -> String {
            var output: [UInt8] = []
            output.reserveCapacity((bytes.count * 4 + 2) / 3)
            var accumulator: UInt32 = 0
            var pendingBits = 0
            for byte in bytes {
                accumulator = accumulator << 8 | UInt32(byte)
                pendingBits += 8
                while pendingBits >= 6 {
                    pendingBits -= 6
                    output.append(self.character(for: accumulator >> UInt32(pendingBits)))
                }
                accumulator &= (1 << UInt32(pendingBits)) - 1
            }
            if pendingBits > 0 {
                output.append(self.character(for: accumulator << UInt32(6 - pendingBits)))
            }
            return String(decoding: output, as: UTF8.self)
        }

        /// Decodes canonical unpadded base64url; nil for a length that leaves 1 character
        /// over a multiple of 4, any byte outside `A–Z a–z 0–9 - _`, or set bits after the
        /// last whole byte. The empty text decodes to no bytes.
        static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
            guard text.count % 4 != 1 else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(text.count * 3 / 4)
            var accumulator: UInt32 = 0
            var pendingBits = 0
            for character in text {
                guard let sextet = self.sextet(of: character) else { return nil }
                accumulator = accumulator << 6 | UInt32(sextet)
                pendingBits += 6
                if pendingBits >= 8 {
                    pendingBits -= 8
                    output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(pendingBits)))
                    accumulator &= (1 << UInt32(pendingBits)) - 1
                }
            }
            // Leftover bits exist only for lengths 2 and 3 mod 4; a canonical encoder sets them
            // to zero, so anything else is a second spelling of the same bytes.
            guard accumulator == 0 else { return nil }
            return output
        }

        private static func character(for sextet: UInt32) -> UInt8 {
            let value = UInt8(truncatingIfNeeded: sextet & 0x3F)
            switch value {
            case 0..<26: return UInt8(ascii: "A") + value
            case 26..<52: return UInt8(ascii: "a") + value - 26
            case 52..<62: return UInt8(ascii: "0") + value - 52
            case 62: return UInt8(ascii: "-")
            default: return UInt8(ascii: "_")
            }
        }

        private static func sextet(of character: UInt8) -> UInt8? {
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"): 62
            case UInt8(ascii: "_"): 63
            default: nil
            }
        }
    }
}
