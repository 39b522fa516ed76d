/// Where a JSON string's content sits in the input, between (not including) its quotes.
///
/// `hasEscapes` is false when the raw bytes are already the decoded UTF-8, which lets callers
/// build the `String` with one copy and know its byte length without decoding.
struct JSONStringSpan: Equatable {
    /// Offset of the first content byte.
    var start: Int
    /// Offset one past the last content byte (the closing quote's offset).
    var end: Int
    /// Whether the content holds at least one backslash escape.
    var hasEscapes: Bool

    /// Raw byte length; an upper bound on the decoded UTF-8 length, since every escape
    /// decodes to fewer bytes than it spells.
    var rawCount: Int { self.end - self.start }
}

/// Where a JSON number sits in the input, with the facts needed to read it as an integer.
struct JSONNumberSpan: Equatable {
    /// Offset of the first byte (the `-` when there is one).
    var start: Int
    /// Offset one past the last byte.
    var end: Int
    /// Whether the number begins with `-`.
    var isNegative: Bool
    /// Whether the number has neither a fraction nor an exponent.
    var isInteger: Bool
}

/// What a value turned out to be; containers have already been validated and skipped.
enum JSONValueSummary: Equatable {
    case string(JSONStringSpan)
    case number(JSONNumberSpan)
    case bool
    case null
    case object
    case array
}

/// A strict, pull-style RFC 8259 reader over UTF-8 bytes that the caller keeps alive.
///
/// It validates everything it passes over (grammar, escapes, surrogate pairs, UTF-8, nesting
/// depth) and materialises nothing: strings and numbers come back as spans for the caller to
/// decode on demand. Every read is bounds-checked against `count` before it happens, so no
/// input can make it trap; errors are thrown as `JSONSyntaxError`.
///
/// Containers are read recursively, one stack frame per level, which is why the depth limit
/// is clamped to `JSONReader.depthCeiling`.
struct JSONReader {
    /// The highest nesting depth any reader accepts, whatever it was asked for: deep enough for
    /// any real document, shallow enough that the recursion stays far inside a thread's stack
    /// (a few hundred bytes per level).
    static let depthCeiling = 512

    /// The nesting depth used when the caller does not choose one. Envelopes are flat; 64
    /// leaves room for any structured unknown field a client may add.
    static let defaultMaxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    /// Number of input bytes.
    let count: Int
    /// Offset of the next byte to read.
    private(set) var index = 0
    private var depth = 0
    private let maxDepth: Int

    /// Prepares to read `bytes`, which must stay valid for the reader's lifetime.
    /// - Parameter maxDepth: containers allowed inside one another; the top-level object or
    ///   array counts as 1. Clamped to `0...depthCeiling`.
    init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = JSONReader.defaultMaxDepth) {
        self.bytes = bytes
        self.count = bytes.count
        // Limitation: containers are read recursively, so a caller asking for more than
        // `depthCeiling` levels silently gets `depthCeiling`; deeper documents are refused
        // with `.nestingTooDeep` rather than risk the stack.
        self.maxDepth = min(max(maxDepth, 0), JSONReader.depthCeiling)
    }

    /// Checks that `bytes` hold exactly one JSON value of any kind, with optional whitespace
    /// around it.
    static func validate(
        _ bytes: UnsafeRawBufferPointer, maxDepth: Int = JSONReader.defaultMaxDepth
    ) throws(JSONSyntaxError) {
        var reader = JSONReader(bytes, maxDepth: maxDepth)
        _ = try reader.readValue()
        try reader.expectEndOfInput()
    }

    // MARK: Navigation

    /// The next byte after any whitespace, without consuming it; nil at the end of input.
    @inline(__always)
    mutating func peekAfterWhitespace() -> UInt8? {
        self.skipWhitespace()
        return self.index < self.count ? self.bytes[self.index] : nil
    }

    /// Throws unless only whitespace remains.
    mutating func expectEndOfInput() throws(JSONSyntaxError) {
        self.skipWhitespace()
        if self.index < self.count { throw .trailingCharacters }
    }

    /// Reads one value of any kind, validating and skipping nested containers.
    mutating func readValue() throws(JSONSyntaxError) -> JSONValueSummary {
        self.skipWhitespace()
        guard self.index < self.count else { throw .unexpectedEndOfInput }

        switch self.bytes[self.index] {
        case ASCII.quote:
            return .string(try self.readString())
        case ASCII.openBrace:
            try self.enterObject()
            var isFirst = true
            while try self.nextObjectKey(isFirst: &isFirst) != nil {
                _ = try self.readValue()
            }
            return .object
        case ASCII.openBracket:
            try self.enterArray()
            var isFirst = true
            while try self.nextArrayElement(isFirst: &isFirst) {
                _ = try self.readValue()
            }
            return .array
        case ASCII.lowerT:
            try self.readLiteral(ASCII.trueWord)
            return .bool
        case ASCII.lowerF:
            try self.readLiteral(ASCII.falseWord)
            return .bool
        case ASCII.lowerN:
            try self.readLiteral(ASCII.nullWord)
            return .null
        case ASCII.minus, ASCII.zero...ASCII.nine:
            return .number(try self.readNumber())
        default:
            throw .unexpectedCharacter
        }
    }

    /// Consumes the `{` the caller has peeked, counting one level of nesting.
    mutating func enterObject() throws(JSONSyntaxError) {
        try self.enterContainer()
    }

    /// Consumes the `[` the caller has peeked, counting one level of nesting.
    mutating func enterArray() throws(JSONSyntaxError) {
        try self.enterContainer()
    }

    /// Moves to the next member of the object being read.
    ///
    /// Returns the member's key with the reader placed after its `:`, ready for the value; or
    /// nil once the closing `}` has been consumed. Start each object with `isFirst` true.
    @inline(__always)
    mutating func nextObjectKey(isFirst: inout Bool) throws(JSONSyntaxError) -> JSONStringSpan? {
        guard try self.nextMember(isFirst: &isFirst) else { return nil }
        return try self.readKeyAndColon()
    }

    /// Moves to the next member of the object being read, stopping at its key's opening
    /// quote; false once the closing `}` has been consumed. Follow with `readKeyAndColon()`
    /// or, having matched the key's bytes yourself, `skipMatchedBytes(_:)`.
    @inline(__always)
    mutating func nextMember(isFirst: inout Bool) throws(JSONSyntaxError) -> Bool {
        guard try self.nextSeparator(isFirst: &isFirst, closing: ASCII.closeBrace) else {
            return false
        }
        self.skipWhitespace()
        guard self.index < self.count else { throw .unexpectedEndOfInput }
        guard self.bytes[self.index] == ASCII.quote else { throw .unexpectedCharacter }
        return true
    }

    /// Reads the key at the reader's opening quote and the `:` after it.
    @inline(__always)
    mutating func readKeyAndColon() throws(JSONSyntaxError) -> JSONStringSpan {
        let key = try self.readString()
        self.skipWhitespace()
        guard self.index < self.count else { throw .unexpectedEndOfInput }
        guard self.bytes[self.index] == ASCII.colon else { throw .unexpectedCharacter }
        self.index += 1
        return key
    }

    /// The eight bytes after the current one, first in the low lane; nil when fewer remain.
    /// Lets a caller recognise a short key and its `":` with one load.
    @inline(__always)
    func wordAfterCurrentByte() -> UInt64? {
        self.count - self.index > 8 ? ByteScan.word(self.bytes, at: self.index + 1) : nil
    }

    /// Skips bytes the caller has already checked to be valid JSON (such as a matched key).
    @inline(__always)
    mutating func skipMatchedBytes(_ byteCount: Int) {
        self.index = min(self.index + byteCount, self.count)
    }

    /// Moves to the next element of the array being read.
    ///
    /// Returns true with the reader placed at the element, or false once the closing `]` has
    /// been consumed. Start each array with `isFirst` true.
    @inline(__always)
    mutating func nextArrayElement(isFirst: inout Bool) throws(JSONSyntaxError) -> Bool {
        try self.nextSeparator(isFirst: &isFirst, closing: ASCII.closeBracket)
    }

    // MARK: Decoding spans

    /// The decoded text of a string this reader has validated.
    func decodeString(_ span: JSONStringSpan) -> String {
        guard span.hasEscapes else {
            // Up to 15 bytes this builds a small (inline) string directly, skipping the
            // separate validation pass `String(decoding:as:)` makes.
            return String(unsafeUninitializedCapacity: span.rawCount) { output in
                guard let destination = output.baseAddress, let source = self.bytes.baseAddress
                else { return 0 }
                UnsafeMutableRawPointer(destination).copyMemory(
                    from: source + span.start, byteCount: span.rawCount)
                return span.rawCount
            }
        }
        return String(unsafeUninitializedCapacity: span.rawCount) { output in
            self.unescape(span, into: output)
        }
    }

    /// Whether a string this reader has validated decodes to exactly `expected`'s bytes,
    /// without allocating when the string has no escapes.
    func string(_ span: JSONStringSpan, equals expected: StaticString) -> Bool {
        if span.hasEscapes {
            let decoded = self.decodeString(span)
            return expected.withUTF8Buffer { decoded.utf8.elementsEqual($0) }
        }
        return expected.withUTF8Buffer { expectedBytes in
            expectedBytes.count == span.rawCount
                && expectedBytes.elementsEqual(self.bytes[span.start..<span.end])
        }
    }

    /// Whether a validated string without escapes holds a control character: DEL (0x7F) or
    /// C1 (0xC2 followed by 0x80...0x9F). C0 cannot occur raw in a valid string.
    func containsControlCharacter(_ span: JSONStringSpan) -> Bool {
        var offset = span.start
        while offset < span.end {
            let byte = self.bytes[offset]
            if byte == 0x7F { return true }
            if byte == 0xC2, offset + 1 < span.end, self.bytes[offset + 1] <= 0x9F { return true }
            offset += 1
        }
        return false
    }

    /// A string without escapes of up to 8 bytes, packed little-endian into an integer so a
    /// key can be matched with one comparison; nil for anything longer or escaped.
    @inline(__always)
    func packedKey(_ span: JSONStringSpan) -> UInt64? {
        guard !span.hasEscapes, span.rawCount <= 8 else { return nil }
        if self.count - span.start >= 8 {
            // One load; the bytes past the key (its quote and what follows) are masked off.
            let word = ByteScan.word(self.bytes, at: span.start)
            let keptBits = UInt64(span.rawCount) &* 8
            return keptBits == 64 ? word : word & ((1 &<< keptBits) &- 1)
        }
        var packed: UInt64 = 0
        var shift: UInt64 = 0
        for offset in span.start..<span.end {
            packed |= UInt64(self.bytes[offset]) << shift
            shift += 8
        }
        return packed
    }

    /// The value of an integer this reader has validated, if it is a non-negative integer
    /// without fraction or exponent that fits in `UInt64`. `-0` counts as 0.
    func unsignedInteger(_ span: JSONNumberSpan) -> UInt64? {
        guard span.isInteger else { return nil }
        let firstDigit = span.isNegative ? span.start + 1 : span.start
        if span.isNegative {
            // The grammar allows "-0" only as the single digit 0 after the sign.
            return span.end - firstDigit == 1 && self.bytes[firstDigit] == ASCII.zero ? 0 : nil
        }

        var value: UInt64 = 0
        for offset in firstDigit..<span.end {
            let (shifted, overflowMultiply) = value.multipliedReportingOverflow(by: 10)
            let digit = UInt64(self.bytes[offset] &- ASCII.zero)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(digit)
            if overflowMultiply || overflowAdd { return nil }
            value = sum
        }
        return value
    }

    // MARK: Scanning

    @inline(__always)
    private mutating func skipWhitespace() {
        // Compact JSON has no whitespace at all: check for that before looping.
        guard self.index < self.count, self.bytes[self.index] <= ASCII.space else { return }
        while self.index < self.count {
            switch self.bytes[self.index] {
            case ASCII.space, ASCII.lineFeed, ASCII.carriageReturn, ASCII.tab:
                self.index += 1
            default:
                return
            }
        }
    }

    @inline(__always)
    private mutating func enterContainer() throws(JSONSyntaxError) {
        if self.depth >= self.maxDepth { throw .nestingTooDeep }
        self.depth += 1
        self.index += 1
    }

    /// Handles the `,` between members or elements and the closing bracket. Returns true when
    /// another member or element follows.
    @inline(__always)
    private mutating func nextSeparator(
        isFirst: inout Bool, closing: UInt8
    ) throws(JSONSyntaxError) -> Bool {
        self.skipWhitespace()
        guard self.index < self.count else { throw .unexpectedEndOfInput }
        let byte = self.bytes[self.index]

        if byte == closing {
            self.index += 1
            self.depth -= 1
            return false
        }
        if isFirst {
            isFirst = false
            return true
        }
        guard byte == ASCII.comma else { throw .unexpectedCharacter }
        self.index += 1
        return true
    }

    private mutating func readLiteral(_ word: StaticString) throws(JSONSyntaxError) {
        let length = word.utf8CodeUnitCount
        let available = self.count - self.index
        let matches = word.withUTF8Buffer { wordBytes in
            wordBytes.prefix(available).elementsEqual(
                self.bytes[self.index..<(self.index + min(length, available))])
        }
        guard matches else { throw .invalidLiteral }
        guard available >= length else { throw .unexpectedEndOfInput }
        self.index += length
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func readNumber() throws(JSONSyntaxError) -> JSONNumberSpan {
        let start = self.index
        let isNegative = self.bytes[self.index] == ASCII.minus
        if isNegative { self.index += 1 }

        guard self.index < self.count else { throw .invalidNumber }
        if self.bytes[self.index] == ASCII.zero {
            self.index += 1
            if self.index < self.count, Self.isDigit(self.bytes[self.index]) {
                throw .invalidNumber
            }
        } else {
            try self.readDigits()
        }

        var isInteger = true
        if self.index < self.count, self.bytes[self.index] == ASCII.dot {
            isInteger = false
            self.index += 1
            try self.readDigits()
        }
        if self.index < self.count, self.bytes[self.index] | 0x20 == ASCII.lowerE {
            isInteger = false
            self.index += 1
            if self.index < self.count,
                self.bytes[self.index] == ASCII.plus || self.bytes[self.index] == ASCII.minus
            {
                self.index += 1
            }
            try self.readDigits()
        }
        return JSONNumberSpan(
            start: start, end: self.index, isNegative: isNegative, isInteger: isInteger)
    }

    /// Consumes one or more decimal digits.
    private mutating func readDigits() throws(JSONSyntaxError) {
        let start = self.index
        while self.index < self.count, Self.isDigit(self.bytes[self.index]) {
            self.index += 1
        }
        if self.index == start { throw .invalidNumber }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- ASCII.zero < 10
    }

    /// Reads a string starting at its opening quote (which the caller has peeked), validating
    /// escapes and UTF-8, and leaves the reader after the closing quote.
    mutating func readString() throws(JSONSyntaxError) -> JSONStringSpan {
        self.index += 1
        let start = self.index
        var hasEscapes = false
        self.skipPlainASCII()

        while true {
            guard self.index < self.count else { throw .unexpectedEndOfInput }
            let byte = self.bytes[self.index]

            if byte >= 0x80 {
                try self.readMultibyteRun()
            } else if byte == ASCII.quote {
                self.index += 1
                return JSONStringSpan(start: start, end: self.index - 1, hasEscapes: hasEscapes)
            } else if byte == ASCII.backslash {
                hasEscapes = true
                try self.readEscape()
                self.skipPlainASCII()
            } else if byte < 0x20 {
                throw .controlCharacterInString
            } else {
                self.index += 1
                self.skipPlainASCII()
            }
        }
    }

    /// Moves to the next byte inside a string that needs a look (a quote, a backslash, a
    /// control or non-ASCII byte), eight bytes at a time; stops early near the end of input.
    @inline(__always)
    private mutating func skipPlainASCII() {
        while self.count - self.index >= 8 {
            let mask = ByteScan.readerAttentionMask(ByteScan.word(self.bytes, at: self.index))
            if mask != 0 {
                self.index += ByteScan.firstFlaggedByte(mask)
                return
            }
            self.index += 8
        }
    }

    /// Validates one escape starting at its backslash (RFC 8259 §7).
    private mutating func readEscape() throws(JSONSyntaxError) {
        self.index += 1
        guard self.index < self.count else { throw .unexpectedEndOfInput }

        switch self.bytes[self.index] {
        case ASCII.quote, ASCII.backslash, ASCII.slash, ASCII.lowerB, ASCII.lowerF,
            ASCII.lowerN, ASCII.lowerR, ASCII.lowerT:
            self.index += 1
        case ASCII.lowerU:
            self.index += 1
            let unit = try self.readHex4()
            if Self.isLowSurrogate(unit) { throw .unpairedSurrogate }
            guard Self.isHighSurrogate(unit) else { return }

            guard self.count - self.index >= 2, self.bytes[self.index] == ASCII.backslash,
                self.bytes[self.index + 1] == ASCII.lowerU
            else { throw .unpairedSurrogate }
            self.index += 2
            guard Self.isLowSurrogate(try self.readHex4()) else { throw .unpairedSurrogate }
        default:
            throw .invalidEscape
        }
    }

    private mutating func readHex4() throws(JSONSyntaxError) -> UInt16 {
        guard self.count - self.index >= 4 else { throw .unexpectedEndOfInput }
        var unit: UInt16 = 0
        for offset in self.index..<(self.index + 4) {
            guard let nibble = Self.hexValue(self.bytes[offset]) else { throw .invalidEscape }
            unit = unit << 4 | UInt16(nibble)
        }
        self.index += 4
        return unit
    }

    /// Validates a run of multi-byte UTF-8 sequences, up to the next ASCII byte, per the
    /// well-formed table of RFC 3629 §4. Works on a local offset with wrapping arithmetic
    /// (every sum is bounded by `count`) because this loop carries non-Latin text.
    private mutating func readMultibyteRun() throws(JSONSyntaxError) {
        var offset = self.index
        let end = self.count
        while offset < end {
            let lead = self.bytes[offset]
            if lead < 0x80 { break }
            let available = end &- offset

            if lead < 0xE0 {
                // C0 and C1 would be overlong; 0x80...0xBF are stray continuation bytes.
                guard lead >= 0xC2, available >= 2,
                    Self.isContinuation(self.bytes[offset &+ 1])
                else { throw .invalidUTF8 }
                offset &+= 2
            } else if lead < 0xF0 {
                guard available >= 3 else { throw .invalidUTF8 }
                // E0 needs A0...BF (no overlongs); ED needs 80...9F (no UTF-16 surrogates).
                let second = self.bytes[offset &+ 1]
                let lowest: UInt8 = lead == 0xE0 ? 0xA0 : 0x80
                let highest: UInt8 = lead == 0xED ? 0x9F : 0xBF
                guard second >= lowest, second <= highest,
                    Self.isContinuation(self.bytes[offset &+ 2])
                else { throw .invalidUTF8 }
                offset &+= 3
            } else {
                guard lead <= 0xF4, available >= 4 else { throw .invalidUTF8 }
                // F0 needs 90...BF (no overlongs); F4 needs 80...8F (nothing above U+10FFFF).
                let second = self.bytes[offset &+ 1]
                let lowest: UInt8 = lead == 0xF0 ? 0x90 : 0x80
                let highest: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
                guard second >= lowest, second <= highest,
                    Self.isContinuation(self.bytes[offset &+ 2]),
                    Self.isContinuation(self.bytes[offset &+ 3])
                else { throw .invalidUTF8 }
                offset &+= 4
            }
        }
        self.index = offset
    }

    @inline(__always)
    private static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    /// Writes the decoded UTF-8 of a validated string into `output`, which holds at least
    /// `span.rawCount` bytes; returns the number of bytes written.
    private func unescape(
        _ span: JSONStringSpan, into output: UnsafeMutableBufferPointer<UInt8>
    )
        -> Int
    {
        var read = span.start
        var written = 0
        while read < span.end {
            let byte = self.bytes[read]
            guard byte == ASCII.backslash else {
                output[written] = byte
                written += 1
                read += 1
                continue
            }

            let escaped = self.bytes[read + 1]
            read += 2
            guard escaped == ASCII.lowerU else {
                output[written] = Self.unescapedByte(escaped)
                written += 1
                continue
            }

            var scalar = UInt32(self.validatedHex4(at: read))
            read += 4
            if Self.isHighSurrogate(UInt16(scalar)) {
                // The reader has checked that a `\uDC00`-`\uDFFF` escape follows.
                let low = UInt32(self.validatedHex4(at: read + 2))
                read += 6
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            written += Self.writeUTF8(scalar, into: output, at: written)
        }
        return written
    }

    private func validatedHex4(at offset: Int) -> UInt16 {
        var unit: UInt16 = 0
        for position in offset..<(offset + 4) {
            unit = unit << 4 | UInt16(Self.hexValue(self.bytes[position]) ?? 0)
        }
        return unit
    }

    private static func unescapedByte(_ escaped: UInt8) -> UInt8 {
        switch escaped {
        case ASCII.lowerB: 0x08
        case ASCII.lowerF: 0x0C
        case ASCII.lowerN: 0x0A
        case ASCII.lowerR: 0x0D
        case ASCII.lowerT: 0x09
        default: escaped  // `"`, `\` and `/` stand for themselves
        }
    }

    private static func writeUTF8(
        _ scalar: UInt32, into output: UnsafeMutableBufferPointer<UInt8>, at offset: Int
    ) -> Int {
        switch scalar {
        case 0..<0x80:
            output[offset] = UInt8(truncatingIfNeeded: scalar)
            return 1
        case 0x80..<0x800:
            output[offset] = 0xC0 | UInt8(truncatingIfNeeded: scalar >> 6)
            output[offset + 1] = 0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            output[offset] = 0xE0 | UInt8(truncatingIfNeeded: scalar >> 12)
            output[offset + 1] = 0x80 | UInt8(truncatingIfNeeded: (scalar >> 6) & 0x3F)
            output[offset + 2] = 0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F)
            return 3
        default:
            output[offset] = 0xF0 | UInt8(truncatingIfNeeded: scalar >> 18)
            output[offset + 1] = 0x80 | UInt8(truncatingIfNeeded: (scalar >> 12) & 0x3F)
            output[offset + 2] = 0x80 | UInt8(truncatingIfNeeded: (scalar >> 6) & 0x3F)
            output[offset + 3] = 0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F)
            return 4
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case ASCII.zero...ASCII.nine: byte - ASCII.zero
        case ASCII.lowerA...ASCII.lowerF: byte - ASCII.lowerA + 10
        case ASCII.upperA...ASCII.upperF: byte - ASCII.upperA + 10
        default: nil
        }
    }

    private static func isHighSurrogate(_ unit: UInt16) -> Bool { unit & 0xFC00 == 0xD800 }
    private static func isLowSurrogate(_ unit: UInt16) -> Bool { unit & 0xFC00 == 0xDC00 }
}

/// Byte values of the ASCII characters the JSON grammar names.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let upperA: UInt8 = 0x41
    static let upperF: UInt8 = 0x46
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let lowerA: UInt8 = 0x61
    static let lowerB: UInt8 = 0x62
    static let lowerE: UInt8 = 0x65
    static let lowerF: UInt8 = 0x66
    static let lowerN: UInt8 = 0x6E
    static let lowerR: UInt8 = 0x72
    static let lowerT: UInt8 = 0x74
    static let lowerU: UInt8 = 0x75
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D

    static let trueWord: StaticString = "true"
    static let falseWord: StaticString = "false"
    static let nullWord: StaticString = "null"
}
