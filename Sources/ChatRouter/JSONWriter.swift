/// Appends compact JSON fragments to a byte array: string literals with RFC 8259 §7 escaping,
/// and decimal integers.
///
/// Output is always valid UTF-8 because Swift strings are. Only what must be escaped is:
/// `"`, `\` and U+0000–U+001F (as `\b \f \n \r \t` where a short form exists, else
/// `\u00XX`); everything else, DEL and non-ASCII included, is copied raw.
enum JSONWriter {
    /// Appends `text` as a quoted, escaped JSON string.
    static func appendString(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            self.appendString(utf8: utf8, to: &output)
        }
    }

    /// Appends already-valid UTF-8 as a quoted, escaped JSON string.
    static func appendString(utf8: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        output.reserveCapacity(output.count + utf8.count + 2)
        output.append(ASCII.quote)

        var runStart = 0
        for offset in 0..<utf8.count {
            let byte = utf8[offset]
            guard byte < 0x20 || byte == ASCII.quote || byte == ASCII.backslash else { continue }
            if runStart < offset {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<offset]))
            }
            self.appendEscape(for: byte, to: &output)
            runStart = offset + 1
        }
        if runStart < utf8.count {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }

        output.append(ASCII.quote)
    }

    /// Appends bytes that are already JSON (or literal punctuation) unchanged.
    static func appendRaw(_ literal: StaticString, to output: inout [UInt8]) {
        literal.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    /// Appends `value` in decimal.
    static func appendInteger(_ value: UInt64, to output: inout [UInt8]) {
        if value < 10 {
            output.append(ASCII.zero + UInt8(truncatingIfNeeded: value))
            return
        }
        // 20 digits hold UInt64.max; they are produced backwards into a scratch buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var remaining = value
            var start = digits.count
            while remaining != 0 {
                let (quotient, digit) = remaining.quotientAndRemainder(dividingBy: 10)
                start -= 1
                digits[start] = ASCII.zero + UInt8(truncatingIfNeeded: digit)
                remaining = quotient
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Appends `value` in decimal, with a leading `-` when negative (`Int64.min` included).
    static func appendInteger(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 { output.append(ASCII.minus) }
        self.appendInteger(value.magnitude, to: &output)
    }

    /// Appends `true` or `false`.
    static func appendBool(_ value: Bool, to output: inout [UInt8]) {
        if value {
            self.appendRaw("true", to: &output)
        } else {
            self.appendRaw("false", to: &output)
        }
    }

    private static func appendEscape(for byte: UInt8, to output: inout [UInt8]) {
        output.append(ASCII.backslash)
        switch byte {
        case ASCII.quote, ASCII.backslash: output.append(byte)
        case 0x08: output.append(ASCII.lowerB)
        case 0x0C: output.append(ASCII.lowerF)
        case ASCII.lineFeed: output.append(ASCII.lowerN)
        case ASCII.carriageReturn: output.append(ASCII.lowerR)
        case ASCII.tab: output.append(ASCII.lowerT)
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            hexDigits.withUTF8Buffer { hex in
                output.append(ASCII.lowerU)
                output.append(ASCII.zero)
                output.append(ASCII.zero)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
        }
    }
}
