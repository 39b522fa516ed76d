/// Reads the few fields the generator needs from server JSON without building a document.
///
/// Good enough for frames whose string values are known not to contain the searched key
/// patterns — true for every frame in a benchmark, whose message texts are ``Payload``s —
/// and cheap enough that the generator does not become the bottleneck it is measuring.
/// Anything it cannot read is reported as nil, which callers count as an error.
enum FrameScanner {
    /// The bytes of the string value of `"key":"…"`, escapes left as they are.
    static func stringValue(
        _ key: StaticString, in frame: UnsafeRawBufferPointer
    )
        -> UnsafeRawBufferPointer?
    {
        guard let start = self.valueStart(key, in: frame), start < frame.count,
            frame[start] == UInt8(ascii: "\"")
        else { return nil }
        var index = start + 1
        while index < frame.count {
            switch frame[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""):
                return UnsafeRawBufferPointer(rebasing: frame[(start + 1)..<index])
            default: index += 1
            }
        }
        return nil
    }

    /// Whether the string value of `key` equals `expected` exactly.
    static func string(
        _ key: StaticString, in frame: UnsafeRawBufferPointer, is expected: StaticString
    )
        -> Bool
    {
        guard let value = self.stringValue(key, in: frame) else { return false }
        return expected.withUTF8Buffer { value.elementsEqual($0) }
    }

    /// The value of `"key":true|false`.
    static func boolValue(_ key: StaticString, in frame: UnsafeRawBufferPointer) -> Bool? {
        guard let start = self.valueStart(key, in: frame), start < frame.count else { return nil }
        switch frame[start] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: return nil
        }
    }

    /// The value of `"key":<non-negative integer>`.
    static func integerValue(_ key: StaticString, in frame: UnsafeRawBufferPointer) -> UInt64? {
        guard let start = self.valueStart(key, in: frame) else { return nil }
        var value: UInt64 = 0
        var index = start
        while index < frame.count, frame[index] >= UInt8(ascii: "0"),
            frame[index] <= UInt8(ascii: "9")
        {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.addingReportingOverflow(
                UInt64(frame[index] - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            value = next
            index += 1
        }
        return index > start ? value : nil
    }

    /// Calls `body` with each object of the JSON array that is the value of `key` (for the
    /// `events` of a long-poll answer), skipping over strings so braces inside them do not
    /// count. Returns false if the array is missing or cut short.
    @discardableResult
    static func forEachObject(
        inArray key: StaticString, of document: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        guard var index = self.valueStart(key, in: document), index < document.count,
            document[index] == UInt8(ascii: "[")
        else { return false }
        index += 1
        var depth = 0
        var objectStart = 0
        var inString = false
        while index < document.count {
            let byte = document[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"):
                    if depth == 0 { objectStart = index }
                    depth += 1
                case UInt8(ascii: "}"):
                    depth -= 1
                    if depth == 0 {
                        body(UnsafeRawBufferPointer(rebasing: document[objectStart...index]))
                    }
                case UInt8(ascii: "]") where depth == 0:
                    return true
                default: break
                }
            }
            index += 1
        }
        return false
    }

    /// The offset just past `"key":` in `frame`, or nil if the pattern is absent.
    private static func valueStart(_ key: StaticString, in frame: UnsafeRawBufferPointer) -> Int? {
        key.withUTF8Buffer { name in
            let patternLength = name.count + 3
            guard frame.count >= patternLength else { return nil }
            var start = 0
            while start <= frame.count - patternLength {
                if frame[start] == UInt8(ascii: "\""),
                    frame[start + name.count + 1] == UInt8(ascii: "\""),
                    frame[start + name.count + 2] == UInt8(ascii: ":"),
                    self.matches(frame, at: start + 1, name)
                {
                    return start + patternLength
                }
                start += 1
            }
            return nil
        }
    }

    fileprivate static func matches(
        _ frame: UnsafeRawBufferPointer, at offset: Int, _ name: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        for index in 0..<name.count where frame[offset + index] != name[index] {
            return false
        }
        return true
    }
}

extension FrameScanner {
    /// How many times `pattern` occurs in `document` (for `"error":true` in a batch reply).
    static func occurrences(of pattern: StaticString, in document: UnsafeRawBufferPointer) -> Int {
        pattern.withUTF8Buffer { needle in
            guard !needle.isEmpty, document.count >= needle.count else { return 0 }
            var found = 0
            var start = 0
            while start <= document.count - needle.count {
                if self.matches(document, at: start, needle) {
                    found += 1
                    start += needle.count
                } else {
                    start += 1
                }
            }
            return found
        }
    }
}
