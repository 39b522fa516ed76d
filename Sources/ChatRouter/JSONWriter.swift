/// Something compact JSON can be written to, piece by piece.
///
/// Encoders are written once, generically, and run twice: through `JSONLengthBound` (or, for
/// large values, `JSONLengthCounter`) to size a buffer, then through `JSONBufferWriter` into
/// it. Writing into one buffer costs far less than many small `Array.append` calls.
///
/// Escaping follows RFC 8259 §7 and escapes only what must be: `"`, `\` and U+0000–U+001F
/// (as `\b \f \n \r \t` where a short form exists, else `\u00XX`). Everything else, DEL and
/// non-ASCII included, is copied raw; the output is valid UTF-8 because Swift strings are.
protocol JSONSink {
    /// Appends punctuation or other bytes that are already JSON.
    mutating func writeRaw(_ literal: StaticString)
    /// Appends already-encoded bytes unchanged.
    mutating func writeRaw(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Appends one byte that is already JSON.
    mutating func writeByte(_ byte: UInt8)
    /// Appends `text` as a quoted, escaped JSON string.
    mutating func writeString(_ text: String)
    /// Appends `value` in decimal.
    mutating func writeInteger(_ value: UInt64)
}

extension JSONSink {
    /// Appends `value` in decimal, with a leading `-` when negative (`Int64.min` included).
    mutating func writeInteger(_ value: Int64) {
        if value < 0 { self.writeByte(ASCII.minus) }
        self.writeInteger(value.magnitude)
    }

    /// Appends `true` or `false`.
    mutating func writeBool(_ value: Bool) {
        if value {
            self.writeRaw("true")
        } else {
            self.writeRaw("false")
        }
    }
}

/// Counts the bytes an encoder would write, without writing them.
struct JSONLengthCounter: JSONSink {
    /// Bytes counted so far.
    private(set) var count = 0

    mutating func writeRaw(_ literal: StaticString) {
        self.count += literal.utf8CodeUnitCount
    }

    mutating func writeRaw(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.count += bytes.count
    }

    mutating func writeByte(_ byte: UInt8) {
        self.count += 1
    }

    mutating func writeString(_ text: String) {
        var text = text
        self.count += text.withUTF8 { Self.quotedLength(of: $0) }
    }

    mutating func writeInteger(_ value: UInt64) {
        self.count += JSONDecimal.digitCount(value)
    }

    /// Length of `utf8` once quoted and escaped: 2 for the quotes, plus 1 for each byte with a
    /// two-character escape, plus 5 for each written as `\u00XX`.
    static func quotedLength(of utf8: UnsafeBufferPointer<UInt8>) -> Int {
        var length = utf8.count + 2
        var offset = JSONEscape.firstByteNeedingEscape(in: utf8, from: 0)
        while offset < utf8.count {
            length += JSONEscape.extraLength(of: utf8[offset])
            offset = JSONEscape.firstByteNeedingEscape(in: utf8, from: offset + 1)
        }
        return length
    }
}

/// Writes into a buffer that `JSONLengthBound` or `JSONLengthCounter` has sized.
///
/// Every write checks the remaining room and stops the process if the size was wrong: that
/// is a bug in this module, never a property of the input, and overrunning would corrupt
/// memory.
struct JSONBufferWriter: JSONSink {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    /// Prepares to write from the start of `buffer`.
    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        // A zero-capacity buffer may have no base address; any address will do since
        // nothing can be written to it.
        self.base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!
        self.capacity = buffer.count
    }

    mutating func writeRaw(_ literal: StaticString) {
        literal.withUTF8Buffer { self.writeRaw($0) }
    }

    mutating func writeRaw(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        self.copy(source, count: bytes.count)
    }

    mutating func writeByte(_ byte: UInt8) {
        self.reserve(1)
        self.base[self.count] = byte
        self.count += 1
    }

    mutating func writeString(_ text: String) {
        // Native and small strings are always contiguous; the copy covers the rest.
        if text.utf8.withContiguousStorageIfAvailable({ self.writeQuoted($0) }) == nil {
            var contiguous = text
            contiguous.withUTF8 { self.writeQuoted($0) }
        }
    }

    mutating func writeInteger(_ value: UInt64) {
        // Digits come out least significant first: assemble them at the end of a scratch
        // buffer (20 digits at most, on the stack), then copy.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            guard let end = digits.baseAddress.map({ $0 + digits.count }) else { return }
            let start = JSONDecimal.write(value, endingAt: end)
            self.copy(start, count: end - start)
        }
    }

    private mutating func writeQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard let source = utf8.baseAddress else {
            self.writeRaw("\"\"")
            return
        }
        let firstEscape = JSONEscape.firstByteNeedingEscape(in: utf8, from: 0)
        if firstEscape == utf8.count {
            // The common case, nothing to escape: one copy between the quotes.
            self.reserve(utf8.count + 2)
            self.base[self.count] = ASCII.quote
            self.count += 1
            self.copy(source, count: utf8.count)
            self.base[self.count] = ASCII.quote
            self.count += 1
            return
        }

        self.writeByte(ASCII.quote)
        var runStart = 0
        var offset = firstEscape
        while offset < utf8.count {
            self.copy(source + runStart, count: offset - runStart)
            self.writeEscape(for: source[offset])
            runStart = offset + 1
            offset = JSONEscape.firstByteNeedingEscape(in: utf8, from: runStart)
        }
        self.copy(source + runStart, count: utf8.count - runStart)
        self.writeByte(ASCII.quote)
    }

    private mutating func writeEscape(for byte: UInt8) {
        self.writeByte(ASCII.backslash)
        if let short = JSONEscape.shortForm(of: byte) {
            self.writeByte(short)
            return
        }
        self.writeRaw("u00")
        self.writeByte(JSONEscape.hexDigit(byte >> 4))
        self.writeByte(JSONEscape.hexDigit(byte & 0x0F))
    }

    private mutating func copy(_ source: UnsafePointer<UInt8>, count byteCount: Int) {
        self.reserve(byteCount)
        let destination = UnsafeMutableRawPointer(self.base + self.count)
        let origin = UnsafeRawPointer(source)
        // Keys, numbers and ids are a few bytes long: a call to memmove would cost more.
        if byteCount < 8 {
            for offset in 0..<byteCount {
                destination.storeBytes(of: source[offset], toByteOffset: offset, as: UInt8.self)
            }
        } else if byteCount <= 16 {
            // Two overlapping eight-byte moves cover any length from 8 to 16.
            let head = origin.loadUnaligned(as: UInt64.self)
            let tail = origin.loadUnaligned(fromByteOffset: byteCount - 8, as: UInt64.self)
            destination.storeBytes(of: head, as: UInt64.self)
            destination.storeBytes(of: tail, toByteOffset: byteCount - 8, as: UInt64.self)
        } else {
            destination.copyMemory(from: origin, byteCount: byteCount)
        }
        self.count += byteCount
    }

    @inline(__always)
    private func reserve(_ byteCount: Int) {
        precondition(self.capacity - self.count >= byteCount, "JSON length miscounted")
    }
}

/// Decimal digits of unsigned integers, shared by the counter and the writer.
enum JSONDecimal {
    /// The number of decimal digits of `value` (1 for 0).
    static func digitCount(_ value: UInt64) -> Int {
        var digits = 1
        var threshold: UInt64 = 10
        // 10^19 is the largest power of ten in a UInt64, so stop before it overflows.
        while digits < 20, value >= threshold {
            digits += 1
            threshold &*= 10
        }
        return digits
    }

    /// Writes `value`'s digits so that the last one lands just before `end`; returns where
    /// the first one landed.
    @discardableResult
    static func write(
        _ value: UInt64, endingAt end: UnsafeMutablePointer<UInt8>
    )
        -> UnsafeMutablePointer<UInt8>
    {
        // Two digits per division halves the slow 64-bit divisions.
        var position = end
        var remaining = value
        while remaining >= 100 {
            let (quotient, pair) = remaining.quotientAndRemainder(dividingBy: 100)
            let pairValue = UInt8(truncatingIfNeeded: pair)
            position -= 2
            position[0] = ASCII.zero + pairValue / 10
            position[1] = ASCII.zero + pairValue % 10
            remaining = quotient
        }
        let last = UInt8(truncatingIfNeeded: remaining)
        if last >= 10 {
            position -= 2
            position[0] = ASCII.zero + last / 10
            position[1] = ASCII.zero + last % 10
        } else {
            position -= 1
            position[0] = ASCII.zero + last
        }
        return position
    }
}

/// The escaping table shared by the counter and the writer, so they cannot disagree.
enum JSONEscape {
    /// Bytes added by escaping `byte`: 0 when it is written raw.
    @inline(__always)
    static func extraLength(of byte: UInt8) -> Int {
        if byte == ASCII.quote || byte == ASCII.backslash { return 1 }
        if byte >= 0x20 { return 0 }
        return self.shortForm(of: byte) == nil ? 5 : 1
    }

    /// The offset of the first byte of `utf8` at or after `start` that must be escaped, or
    /// `utf8.count`. Eight bytes at a time, since most text has nothing to escape.
    @inline(__always)
    static func firstByteNeedingEscape(
        in utf8: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> Int {
        let raw = UnsafeRawBufferPointer(utf8)
        var offset = start
        while utf8.count - offset >= 8 {
            let mask = ByteScan.needsEscapeMask(ByteScan.word(raw, at: offset))
            if mask != 0 { return offset + ByteScan.firstFlaggedByte(mask) }
            offset += 8
        }
        while offset < utf8.count, self.extraLength(of: utf8[offset]) == 0 {
            offset += 1
        }
        return offset
    }

    /// The letter after the backslash for bytes with a two-character escape.
    static func shortForm(of byte: UInt8) -> UInt8? {
        switch byte {
        case ASCII.quote, ASCII.backslash: byte
        case 0x08: ASCII.lowerB
        case 0x0C: ASCII.lowerF
        case ASCII.lineFeed: ASCII.lowerN
        case ASCII.carriageReturn: ASCII.lowerR
        case ASCII.tab: ASCII.lowerT
        default: nil
        }
    }

    /// The lowercase hex digit for a value 0…15.
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? ASCII.zero + nibble : ASCII.lowerA + nibble - 10
    }
}

/// A value that writes itself as JSON through any `JSONSink`.
protocol JSONEncodable {
    /// Writes the value; must write the same bytes every time it is called.
    func write<Sink: JSONSink>(to sink: inout Sink)
}

/// Bounds from above, cheaply, the bytes an encoder would write: a string takes at most 6
/// bytes per UTF-8 byte (`\u00XX`) plus quotes, an integer at most 20 digits and a sign.
struct JSONLengthBound: JSONSink {
    /// The bound so far; saturates at `Int.max` rather than wrap into a small number.
    private(set) var count = 0

    mutating func writeRaw(_ literal: StaticString) {
        self.add(literal.utf8CodeUnitCount)
    }

    mutating func writeRaw(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.add(bytes.count)
    }

    mutating func writeByte(_ byte: UInt8) {
        self.add(1)
    }

    mutating func writeString(_ text: String) {
        // `utf8.count` is O(1) for native strings, so no byte is looked at.
        let (worstCase, overflow) = text.utf8.count.multipliedReportingOverflow(by: 6)
        self.add(overflow ? .max : worstCase)
        self.add(2)
    }

    mutating func writeInteger(_ value: UInt64) {
        self.add(20)
    }

    private mutating func add(_ byteCount: Int) {
        let (sum, overflow) = self.count.addingReportingOverflow(byteCount)
        self.count = overflow ? .max : sum
    }
}

/// Runs an encoder into an exactly or generously sized buffer, then hands out the bytes.
enum JSONEncoding {
    /// Largest bound written in one pass into scratch memory; larger values are counted
    /// exactly first so a big message does not make a six-fold scratch allocation.
    static let onePassLimit = 1024

    /// A new array holding exactly the value's JSON.
    static func bytes(of value: some JSONEncodable) -> [UInt8] {
        var bytes: [UInt8] = []
        self.append(value, to: &bytes)
        return bytes
    }

    /// Appends the value's JSON to `output` with a single append.
    static func append(_ value: some JSONEncodable, to output: inout [UInt8]) {
        var bound = JSONLengthBound()
        value.write(to: &bound)
        var capacity = bound.count
        if capacity > self.onePassLimit {
            var counter = JSONLengthCounter()
            value.write(to: &counter)
            capacity = counter.count
        }
        // Small values are assembled on the stack; the standard library moves large ones to
        // the heap.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var writer = JSONBufferWriter(buffer)
            value.write(to: &writer)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<writer.count]))
        }
    }

    /// Appends bytes that are already JSON.
    static func appendRaw(_ literal: StaticString, to output: inout [UInt8]) {
        literal.withUTF8Buffer { output.append(contentsOf: $0) }
    }
}
